/**
 * Datasets too large to hold: `openStreamedDataset(spec)` gives the parts of `loadDataset(spec)`
 * with the base (and training rows) as RowSources read on demand, and only the queries in memory.
 * A plain vector file is split as loadDataset splits it (heldOutRows queries drawn by
 * Rng(seed).sample, read with readRows; the base = the other rows in file order, a view that skips
 * them), so row ids, the checksum and therefore the cached ground truth are the same either way.
 * The checksum hashes every row once per (file, size, mtime, limit, seed) and is cached
 * (src/data/checksum-cache.ts). An ann-benchmarks file's own neighbours are not read here (exact
 * ground truth is computed in chunks instead); a TEXMEX folder's *_groundtruth.ivecs is, unless a
 * limit cut the base.
 */
import { InputError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type { ProgressFn } from '../core/progress.js';
import { Rng } from '../core/rng.js';
import { existsSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { cachedChecksum } from './checksum-cache.js';
import { checksumOf, floatBytes } from './checksum.js';
import { dataSpecLabel, parseDataSpec } from './data-spec.js';
import { DATASETS, DATASET_NAMES, heldOutRows, loadDataset, splitChecksumSuffix, texmexFiles, texmexGroundTruth } from './registry.js';
import { openHdf5Rows, openRowFile } from './row-files.js';
import { MatrixRowSource, RowsExcept, chunkRanges, type RowSource } from './row-source.js';
import type { StreamedDataset } from './types.js';

export interface StreamOptions {
  /** Seed of the base/query split of a plain vector file. Default 1234. */
  seed?: number;
  /** Only the first `limit` rows (as the spec's `:limit=N`). */
  limit?: number;
  /** Progress of the one-time checksum (rows hashed). */
  onProgress?: ProgressFn;
}

/** Rows per chunk for a pass over a source: about 64 MiB of float32. */
export function chunkRowsFor(dim: number, bytes = 64 * 2 ** 20): number {
  return Math.max(1, Math.floor(bytes / (4 * dim)));
}

/** The float32 bytes of every row of `src`, chunk by chunk (what the whole-file checksum hashes), then `tail`. */
function* rowBytes(src: RowSource, tail: Uint8Array | string, onProgress?: ProgressFn): Generator<Uint8Array | string> {
  const chunkRows = chunkRowsFor(src.dim);
  const into = new Float32Array(Math.min(src.rows, chunkRows) * src.dim); // hashed before the next read reuses it
  for (const [s, e] of chunkRanges(src.rows, chunkRows)) {
    yield floatBytes(src.read(s, e - s, { into }).data);
    onProgress?.(e, src.rows, 'checksum');
  }
  yield tail;
}

export async function openStreamedDataset(spec: string, opts: StreamOptions = {}): Promise<StreamedDataset> {
  const seed = opts.seed ?? 1234;
  const parsed = parseDataSpec(spec, DATASET_NAMES);
  const limit = parsed.limit === undefined ? opts.limit : opts.limit === undefined ? parsed.limit : Math.min(parsed.limit, opts.limit);
  const { target } = parsed;
  const name = limit === parsed.limit ? spec : dataSpecLabel({ target, limit });
  if (Object.hasOwn(DATASETS, target) || !existsSync(target)) {
    // registered datasets are generated or cached whole; a missing file gets loadDataset's sentence
    const ds = await loadDataset(target, { seed, limit });
    const base = new MatrixRowSource(ds.base, name);
    return { ...ds, name, base, train: ds.train === ds.base ? base : new MatrixRowSource(ds.train, name), close: () => {} };
  }
  if (statSync(target).isDirectory()) return openTexmexFolder(target, name, limit, opts.onProgress);
  const ext = extname(target).toLowerCase();
  if (ext === '.hdf5' || ext === '.h5') return openHdf5(target, name, limit, opts.onProgress);
  return openPlainFile(target, name, limit, seed, opts.onProgress);
}

function openPlainFile(path: string, name: string, limit: number | undefined, seed: number, onProgress?: ProgressFn): StreamedDataset {
  const src = openRowFile(path, { limit });
  try {
    if (src.rows < 2) throw new InputError(`${path} holds ${src.rows} row(s); at least 2 are needed (a base and a query).`);
    const nq = heldOutRows(src.rows);
    const qIds = new Rng(seed).sample(src.rows, nq);
    const queries = src.readRows(qIds);
    const sum = cachedChecksum([path], `rows:${src.rows}:${splitChecksumSuffix(seed, nq)}`, () => checksumOf(rowBytes(src, splitChecksumSuffix(seed, nq), onProgress)));
    const base = new RowsExcept(src, qIds);
    return {
      name, source: `${name}: ${nq} queries drawn with Rng(${seed}).sample, base = the other ${base.rows} rows, train = base (streamed)`,
      metric: 'l2', dim: src.dim, train: base, base, queries, checksum: sum, close: () => src.close(),
    };
  } catch (e) {
    src.close();
    throw e;
  }
}

/** Rows of base then queries, hashed as loadDataset hashes a folder or .hdf5 (checksum(base, queries)). */
function baseAndQueriesChecksum(paths: string[], recipe: string, base: RowSource, queries: Matrix, onProgress?: ProgressFn): string {
  // one chunk at a time: the generator is consumed as it is hashed
  return cachedChecksum(paths, recipe, () => checksumOf(rowBytes(base, floatBytes(queries.data), onProgress)));
}

function openTexmexFolder(dir: string, name: string, limit: number | undefined, onProgress?: ProgressFn): StreamedDataset {
  const { basePath, queryPath, learnPath, gtPath } = texmexFiles(dir);
  const opened: RowSource[] = [];
  try {
    const base = openRowFile(basePath, { limit });
    opened.push(base);
    const whole = limit === undefined ? base : openRowFile(basePath);
    const fullRows = whole.rows;
    if (whole !== base) whole.close();
    const qsrc = openRowFile(queryPath);
    opened.push(qsrc);
    const queries = qsrc.read(0, qsrc.rows);
    if (queries.dim !== base.dim) throw new InputError(`${queryPath} has dimension ${queries.dim} but ${basePath} has ${base.dim}.`);
    const train = learnPath ? openRowFile(learnPath, { limit }) : base;
    if (train !== base) opened.push(train);
    if (train.dim !== base.dim) throw new InputError(`${learnPath} has dimension ${train.dim} but ${basePath} has ${base.dim}.`);
    const cut = base.rows < fullRows;
    const groundTruth = gtPath && !cut ? texmexGroundTruth(gtPath, queries.rows, base.rows, queryPath, basePath) : undefined;
    const sum = baseAndQueriesChecksum([basePath, queryPath], `texmex:${base.rows}`, base, queries, onProgress);
    return {
      name, source: `TEXMEX folder ${dir} (${basename(basePath)}, ${basename(queryPath)}${learnPath ? ', ' + basename(learnPath) : ''})${cut ? `, the first ${base.rows} base rows` : ''} (streamed)`,
      metric: 'l2', dim: base.dim, train, base, queries, groundTruth, checksum: sum,
      close: () => opened.forEach((s) => s.close()),
    };
  } catch (e) {
    opened.forEach((s) => s.close());
    throw e;
  }
}

async function openHdf5(path: string, name: string, limit: number | undefined, onProgress?: ProgressFn): Promise<StreamedDataset> {
  const base = await openHdf5Rows(path, { limit });
  try {
    const test = await openHdf5Rows(path, { hdf5Dataset: 'test' });
    let queries: Matrix;
    try {
      queries = test.read(0, test.rows);
    } finally {
      test.close();
    }
    if (base.dim !== queries.dim) throw new InputError(`${path}: queries ('test') have dimension ${queries.dim} but the base ('train') has ${base.dim}.`);
    const sum = baseAndQueriesChecksum([path], `hdf5:${base.rows}`, base, queries, onProgress);
    return {
      name, source: `ann-benchmarks file ${path}${limit !== undefined ? `, the first ${base.rows} base rows` : ''} (streamed)`,
      metric: base.metric, dim: base.dim, train: base, base, queries, checksum: sum, close: () => base.close(),
    };
  } catch (e) {
    base.close();
    throw e;
  }
}
