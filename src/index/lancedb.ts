/**
 * LanceDB, embedded (@lancedb/lancedb): a table of (id, vector) in a temporary folder with an IVF_PQ
 * index on `vector`. Build parameters numPartitions and numSubVectors (IVF lists and PQ sub-vectors;
 * unset → LanceDB's defaults, √n partitions and d/16 or d/8 sub-vectors); search parameters nprobes
 * and refineFactor (re-rank refineFactor·k candidates with exact distances). Search is asynchronous
 * (capabilities.asyncSearch) and runs on LanceDB's own thread pools, which this adapter does not limit.
 *
 * Distances: 'l2' is LanceDB's squared L2 (as our contract); 'ip' uses its 'dot' distance, 1 − x·y,
 * turned back into the inner product. Without refineFactor the distances are PQ approximations.
 *
 * Memory: LanceDB is disk-based, so memoryBytes() is the size of the table folder ON DISK, not RAM:
 * `vectors` = data files (ids + raw float32 vectors), `codes` = index files (IVF centroids, PQ
 * codebooks and codes), `lists` = manifests and transaction logs.
 *
 * @lancedb/lancedb is not a dependency of vqbench yet; it is imported dynamically and its absence is an
 * UnavailableError. Version 0.31.0 is the one whose Linux x64 build installs here
 * (npm install -E @lancedb/lancedb@0.31.0).
 */
import { allowedIds, whereClause, type SearchFilter } from './filter.js';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, UnavailableError } from '../core/errors.js';
import { resolveParams, type ParamSpecs, type Resolved } from '../core/params.js';
import { specLabel } from '../core/spec.js';
import { addSeconds, checkDim, checkK, numberOr } from './checks.js';
import { defineIndex } from './descriptor.js';
import type { Matrix } from '../core/matrix.js';
import { displayPath } from '../core/paths.js';
import {
  memoryBreakdown,
  type BuildOptions, type BuildReport, type IndexCapabilities, type IndexMetric, type MemoryBreakdown,
  type SearchOptions, type SearchParams, type SearchResult, type VectorIndex,
} from './types.js';

/** The part of @lancedb/lancedb's API this adapter uses (typed here: the package is optional). */
interface LanceVectorQuery {
  distanceType(t: 'l2' | 'dot' | 'cosine'): LanceVectorQuery;
  nprobes(n: number): LanceVectorQuery;
  refineFactor(n: number): LanceVectorQuery;
  limit(n: number): LanceVectorQuery;
  select(cols: string[]): LanceVectorQuery;
  where(predicate: string): LanceVectorQuery;
  toArray(): Promise<Array<Record<string, unknown>>>;
}
interface LanceTable {
  add(rows: Array<Record<string, unknown>>): Promise<unknown>;
  createIndex(column: string, opts: { config: unknown; replace?: boolean }): Promise<void>;
  vectorSearch(v: number[]): LanceVectorQuery;
  countRows(): Promise<number>;
  delete(predicate: string): Promise<unknown>;
  schema(): Promise<{ fields: { name: string }[] }>;
  addColumns(columns: { name: string; valueSql: string }[]): Promise<unknown>;
  update(opts: { where: string; valuesSql: Record<string, string> }): Promise<unknown>;
  dropColumns(columns: string[]): Promise<unknown>;
  close(): void;
}
interface LanceConnection {
  createTable(name: string, rows: Array<Record<string, unknown>>, opts?: { mode?: 'create' | 'overwrite' }): Promise<LanceTable>;
  close(): void;
}
interface LanceModule {
  connect(uri: string): Promise<LanceConnection>;
  Index: { ivfPq(opts: { numPartitions?: number; numSubVectors?: number; distanceType?: string }): unknown };
}

const LANCEDB_PACKAGE = '@lancedb/lancedb';
let lance: LanceModule | null = null;

/** Imports @lancedb/lancedb once; an UnavailableError saying how to install it when it is missing. */
export async function loadLanceDb(): Promise<LanceModule> {
  if (lance) return lance;
  try {
    const spec = LANCEDB_PACKAGE; // a variable: the package is optional, so tsc must not resolve it
    lance = (await import(spec)) as LanceModule;
    return lance;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') {
      throw new UnavailableError(`${LANCEDB_PACKAGE} is not installed; run npm install -E ${LANCEDB_PACKAGE}@0.31.0 to benchmark LanceDB.`);
    }
    throw new UnavailableError(`${LANCEDB_PACKAGE} cannot be loaded (${(err.message ?? String(e)).split('\n')[0]}).`);
  }
}

/** 0 means "LanceDB's own default" for every numeric parameter here. */
export const LANCEDB_BUILD_PARAMS = {
  numPartitions: { default: 0, min: 0, describe: "IVF partitions; 0 = LanceDB's default (√n). More = faster per probe, lower recall at equal nprobes." },
  numSubVectors: { default: 0, min: 0, describe: "PQ sub-vectors (code bytes per vector); 0 = LanceDB's default (d/16 or d/8). More = better recall, more bytes." },
  metric: { default: 'l2', choices: ['l2', 'ip'], describe: "'l2' (squared L2) or 'ip' (inner product, LanceDB's 'dot'). Default l2." },
} as const satisfies ParamSpecs;

export const LANCEDB_SEARCH_PARAMS = {
  nprobes: { default: 0, min: 0, aliases: ['nprobe'], describe: "Partitions probed; 0 = LanceDB's default (20). More = better recall, slower." },
  refineFactor: { default: 0, min: 0, describe: 'Re-rank refineFactor × k candidates with exact distances; 0 = none (PQ distances).' },
} as const satisfies ParamSpecs;

export type LanceDbBuildParams = Partial<Resolved<typeof LANCEDB_BUILD_PARAMS>>;

/**
 * Async search, one query per call; LanceDB's own thread pools are not limited by this adapter (threads
 * false: it does not take a thread count); memory is bytes on disk, not RAM (exactMemory false);
 * remove = a DELETE of the ids (LanceDB marks the rows deleted; searches skip them).
 * batch: concurrent async queries from one pool of clients (src/index/search-modes.ts), for batch
 * mode and concurrency levels alike.
 */
export const LANCEDB_CAPABILITIES: IndexCapabilities = Object.freeze<IndexCapabilities>({
  add: true, remove: true, filter: true, batch: true, threads: false, metrics: ['l2', 'ip'], asyncSearch: true, exactMemory: false,
});

/** Null when @lancedb/lancedb resolves here, else the UnavailableError's sentence (without loading it). */
export function lanceDbMissing(): string | null {
  if (lance) return null;
  try {
    createRequire(import.meta.url).resolve(LANCEDB_PACKAGE);
    return null;
  } catch {
    return `${LANCEDB_PACKAGE} is not installed; run npm install -E ${LANCEDB_PACKAGE}@0.31.0 to benchmark LanceDB.`;
  }
}

/** Rows written per createTable / add call. */
const BATCH_ROWS = 8192;
/** Ids per DELETE predicate. */
const DELETE_IDS = 4096;
/** Ids per UPDATE when a label column is set from a filter's bitmap (one IN list each). */
const LABEL_UPDATE_IDS = 20_000;

/** Bytes of every file under `dir` (0 when it does not exist). */
function folderBytes(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += folderBytes(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

export class LanceDbIndex implements VectorIndex {
  readonly name = 'lancedb';
  readonly metric: IndexMetric;
  // exactMemory false: the bytes are exact, but on disk, not the RAM the index holds
  readonly capabilities: IndexCapabilities = LANCEDB_CAPABILITIES;
  private readonly params: Resolved<typeof LANCEDB_BUILD_PARAMS>;
  /** memoryBytes() counts bytes on disk (the table folder), not RAM. */
  readonly memoryKind = 'on-disk' as const;
  readonly numPartitions: number | undefined;
  readonly numSubVectors: number | undefined;
  private db: LanceConnection | null = null;
  private table: LanceTable | null = null;
  private folder: string | null = null;
  private dim = 0;
  private count = 0;
  private subVectorsUsed = 0;

  constructor(params: LanceDbBuildParams = {}) {
    const p = resolveParams(LANCEDB_BUILD_PARAMS, params, 'lancedb build parameter');
    this.params = p;
    this.numPartitions = p.numPartitions || undefined;
    this.numSubVectors = p.numSubVectors || undefined;
    this.metric = p.metric as IndexMetric;
  }

  get label(): string {
    return specLabel('lancedb', [[LANCEDB_BUILD_PARAMS, this.params]]);
  }

  get size(): number {
    return this.count;
  }

  /** PQ code bits per vector (8 bits per sub-vector); the raw vectors are also kept on disk. */
  get bitsPerVector(): number {
    return this.subVectorsUsed * 8;
  }

  /** The temporary folder holding the table (null before build / after close). */
  get path(): string | null {
    return this.folder;
  }

  async build(x: Matrix, opts: BuildOptions = {}): Promise<BuildReport> {
    const t0 = performance.now();
    const lib = await loadLanceDb();
    await this.close();
    this.folder = mkdtempSync(join(tmpdir(), 'vqbench-lancedb-'));
    this.dim = x.dim;
    this.count = 0;
    const notes = [`table folder ${displayPath(this.folder)}`];
    this.db = await lib.connect(this.folder);
    const first = Math.min(x.rows, BATCH_ROWS);
    this.table = await this.db.createTable('vectors', this.rows(x, 0, first, null, 0), { mode: 'overwrite' });
    this.count = first;
    opts.onProgress?.(first, x.rows, 'lancedb write');
    for (let i0 = first; i0 < x.rows; i0 += BATCH_ROWS) {
      const i1 = Math.min(x.rows, i0 + BATCH_ROWS);
      await this.table.add(this.rows(x, i0, i1, null, 0));
      this.count = i1;
      opts.onProgress?.(i1, x.rows, 'lancedb write');
    }
    this.subVectorsUsed = this.numSubVectors ?? (x.dim % 16 === 0 ? x.dim / 16 : x.dim % 8 === 0 ? x.dim / 8 : 1);
    try {
      await this.table.createIndex('vector', {
        config: lib.Index.ivfPq({
          numPartitions: this.numPartitions,
          numSubVectors: this.numSubVectors,
          distanceType: this.metric === 'ip' ? 'dot' : 'l2',
        }),
        replace: true,
      });
    } catch (e) {
      throw new InputError(`lancedb: IVF_PQ index (${this.label}) could not be built on ${x.rows} × ${x.dim} vectors: ${(e as Error).message}`);
    }
    if (opts.trainRows !== undefined) notes.push('trainRows ignored: LanceDB samples its own training rows');
    return { seconds: (performance.now() - t0) / 1000, notes };
  }

  private rows(x: Matrix, i0: number, i1: number, ids: Uint32Array | null, firstId: number): Array<Record<string, unknown>> {
    const out = new Array<Record<string, unknown>>(i1 - i0);
    for (let i = i0; i < i1; i++) {
      out[i - i0] = { id: ids ? ids[i - i0] : firstId + i, vector: Array.from(x.row(i)) };
    }
    return out;
  }

  /** New rows go through table.add; they are searched (unindexed rows by flat scan) until the index is rebuilt. */
  async add(x: Matrix, ids?: Uint32Array): Promise<void> {
    const table = this.requireTable();
    checkDim(x.dim, this.dim, 'added vectors', 'lancedb');
    if (ids && ids.length !== x.rows) throw new InputError(`lancedb: add() got ${x.rows} vectors but ${ids.length} ids.`);
    // label columns of filtered searches: dropped (new rows carry none), added again by the next filter
    if (this.labelColumns.size > 0) await table.dropColumns([...this.labelColumns.keys()]);
    this.labelColumns.clear();
    for (let i0 = 0; i0 < x.rows; i0 += BATCH_ROWS) {
      const i1 = Math.min(x.rows, i0 + BATCH_ROWS);
      await table.add(this.rows(x, i0, i1, ids ? ids.subarray(i0, i1) : null, this.count));
    }
    this.count += x.rows;
  }

  async search(q: Matrix, k: number, params: SearchParams = {}, opts: SearchOptions = {}): Promise<SearchResult> {
    const p = resolveParams(LANCEDB_SEARCH_PARAMS, params, 'lancedb search parameter');
    const table = this.requireTable();
    checkK(k, this.count, 'lancedb');
    checkDim(q.dim, this.dim, 'queries', 'lancedb');
    const nprobes = p.nprobes || undefined;
    const refine = p.refineFactor || undefined;
    const ip = this.metric === 'ip';
    const ids = new Int32Array(q.rows * k).fill(-1);
    const dists = new Float32Array(q.rows * k).fill(ip ? -Infinity : Infinity);
    const where = opts.filter ? await whereClause(opts.filter, (f) => this.labelColumn(f)) : null;
    for (let r = 0; r < q.rows; r++) {
      let query = table.vectorSearch(Array.from(q.row(r))).distanceType(ip ? 'dot' : 'l2').limit(k).select(['id']);
      if (where !== null) query = query.where(where); // LanceDB prefilters by default
      if (nprobes !== undefined) query = query.nprobes(nprobes);
      if (refine !== undefined) query = query.refineFactor(refine);
      const hits = await query.toArray();
      const n = Math.min(k, hits.length);
      for (let j = 0; j < n; j++) {
        const d = Number(hits[j]._distance);
        ids[r * k + j] = Number(hits[j].id);
        dists[r * k + j] = ip ? 1 - d : d;
      }
    }
    return { nq: q.rows, k, ids, dists };
  }

  /**
   * The boolean column of a filter's label (VectorDBBench's `labels = 'label_1p'` as `where label_1p`),
   * added and set from the filter's bitmap the first time the label is searched (again if its bitmap changes).
   */
  private async labelColumn(filter: SearchFilter): Promise<string> {
    const column = filter.predicate.label; // an identifier (labelFilter checks it)
    if (this.labelColumns.get(column) === filter.allowed) return column;
    const table = this.requireTable();
    const schema = await table.schema();
    if (schema.fields.some((f) => f.name === column)) await table.update({ where: column, valuesSql: { [column]: 'false' } });
    else await table.addColumns([{ name: column, valueSql: 'false' }]);
    const ids = allowedIds(filter);
    for (let i0 = 0; i0 < ids.length; i0 += LABEL_UPDATE_IDS) {
      await table.update({ where: `id IN (${ids.subarray(i0, i0 + LABEL_UPDATE_IDS).join(',')})`, valuesSql: { [column]: 'true' } });
    }
    this.labelColumns.set(column, filter.allowed);
    return column;
  }

  private readonly labelColumns = new Map<string, Uint8Array>();

  /** `DELETE WHERE id IN (...)` in chunks; the number removed is the change of the row count. */
  async remove(ids: Uint32Array): Promise<number> {
    const table = this.requireTable();
    const before = await table.countRows();
    for (let i0 = 0; i0 < ids.length; i0 += DELETE_IDS) await table.delete(`id IN (${Array.from(ids.subarray(i0, i0 + DELETE_IDS)).join(',')})`);
    const removed = before - (await table.countRows());
    this.count -= removed;
    return removed;
  }

  memoryBytes(): number {
    return this.memoryBreakdown().total;
  }

  /** Bytes ON DISK of the table folder: data files → vectors, index files → codes, the rest → lists. */
  memoryBreakdown(): MemoryBreakdown {
    if (!this.folder) return memoryBreakdown({});
    const tableDir = join(this.folder, 'vectors.lance');
    const all = folderBytes(this.folder);
    const data = folderBytes(join(tableDir, 'data'));
    const indices = folderBytes(join(tableDir, '_indices'));
    return memoryBreakdown({ vectors: data, codes: indices, lists: all - data - indices });
  }

  /** Closes the table and connection and removes the temporary folder. */
  async close(): Promise<void> {
    try {
      this.table?.close();
      this.db?.close();
    } finally {
      this.table = null;
      this.db = null;
      if (this.folder) rmSync(this.folder, { recursive: true, force: true });
      this.folder = null;
    }
  }

  private requireTable(): LanceTable {
    if (!this.table) throw new Error('lancedb: build() must be called first');
    return this.table;
  }
}

export const descriptor = defineIndex({
  id: 'lancedb',
  describe: 'LanceDB embedded vector database with its IVF_PQ index (the vector-database baseline)',
  buildParams: LANCEDB_BUILD_PARAMS,
  searchParams: LANCEDB_SEARCH_PARAMS,
  capabilities: LANCEDB_CAPABILITIES,
  unavailable: lanceDbMissing,
  create: (build) => new LanceDbIndex(build),
  // the run estimator's figures (5 s + 90 s per glove-100's 331,479 rows); nprobes 0 is LanceDB's default, 20
  cost: (_build, _shape, rows) => {
    const buildSeconds = 5 + (90 * rows) / 331_479;
    return { buildSeconds, querySeconds: (s) => 0.002 + 0.0001 * (numberOr(s.nprobes, 20) || 20), addSecondsPerRow: addSeconds(buildSeconds, rows) };
  },
});
