/**
 * The data of a `vqbench index` run: the base as rows read on demand (a RowSource), the queries and
 * their exact ground truth. Indexes with a chunked build (capabilities.chunkedBuild) always build from
 * the RowSource (src/index/chunked-build.ts: a seeded training sample, then chunks), so only their
 * codes stay resident; the others get the base whole, read once, with a note saying so.
 */
import { InputError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type { ProgressFn } from '../core/progress.js';
import { groundTruthStreamed } from '../data/ground-truth-streamed.js';
import { openStreamedDataset } from '../data/streamed.js';
import { MatrixRowSource, type RowSource } from '../data/row-source.js';
import type { DatasetMetric, GroundTruth } from '../data/types.js';
import { exactDistances } from '../eval/raw-results.js';

export interface IndexData {
  /** The dataset's name or file, as given. */
  name: string;
  checksum: string;
  metric: DatasetMetric;
  dim: number;
  base: RowSource;
  /** The first `queries` queries and their exact neighbours (k each). */
  queries: Matrix;
  truth: GroundTruth;
  /** The base is read from its file chunk by chunk (false: it was loaded whole into memory). */
  streamed: boolean;
  close(): void;
}

export interface IndexDataOptions {
  queries?: number;
  seed?: number;
  onProgress?: ProgressFn;
}

/**
 * Opens `data` for an index run with ground truth of `k` neighbours per query: a vector file or
 * folder is streamed (openStreamedDataset: rows read on demand; groundTruthStreamed: chunked,
 * resumable, cached), a registered dataset is in memory behind the same RowSource.
 */
export async function openIndexData(data: string, k: number, opts: IndexDataOptions = {}): Promise<IndexData> {
  if (opts.queries !== undefined && (!Number.isInteger(opts.queries) || opts.queries < 1)) throw new InputError(`--queries must be a positive integer, got ${opts.queries}.`);
  const ds = await openStreamedDataset(data, { seed: opts.seed ?? 1234, onProgress: opts.onProgress });
  try {
    if (ds.base.rows === 0) throw new InputError(`${data} has an empty base: nothing to index.`);
    const truth = await groundTruthStreamed(ds, k, { onProgress: opts.onProgress });
    const nq = Math.min(ds.queries.rows, opts.queries ?? ds.queries.rows);
    return {
      name: ds.name, checksum: ds.checksum, metric: ds.metric, dim: ds.dim, base: ds.base,
      queries: ds.queries.sliceRows(0, nq), truth: { k: truth.k, ids: truth.ids.subarray(0, nq * truth.k), dists: truth.dists.subarray(0, nq * truth.k) },
      streamed: !(ds.base instanceof MatrixRowSource), close: () => ds.close(),
    };
  } catch (e) {
    ds.close();
    throw e;
  }
}

/** The whole base as one matrix (a view when it is already in memory). */
export function wholeBase(source: RowSource): Matrix {
  return source instanceof MatrixRowSource ? source.matrix : source.read(0, source.rows);
}

/**
 * exactDistances (src/eval/raw-results.ts) for ids into a base read on demand: only the rows the
 * results name are read, once each.
 */
export function exactDistancesFrom(base: RowSource, queries: Matrix, ids: Int32Array, k: number, metric: DatasetMetric): Float32Array {
  if (base instanceof MatrixRowSource) return exactDistances(base.matrix, queries, ids, k, metric);
  const wanted = Uint32Array.from(new Set(Array.from(ids).filter((id) => id >= 0 && id < base.rows))).sort();
  const rows = base.readRows(wanted);
  const at = new Map<number, number>();
  wanted.forEach((id, i) => at.set(id, i));
  const local = Int32Array.from(ids, (id) => at.get(id) ?? -1);
  return exactDistances(rows, queries, local, k, metric);
}
