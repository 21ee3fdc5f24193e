/**
 * Exact search (faiss IndexFlat): the float vectors themselves, scanned by the shared exact k-NN
 * kernel (`knn` of core/parallel.ts: blocked inner products, wasm SIMD, worker threads for large
 * batches). The reference every other index is measured against; memory = the vectors.
 */
import { Matrix } from '../core/matrix.js';
import { knn } from '../core/parallel.js';
import { knnRangeJs } from '../core/search.js';
import { dot, l2sq, rowNormsSq } from '../core/distance.js';
import { TopK } from '../core/topk.js';
import { allowedIds, type SearchFilter } from './filter.js';
import { knnResident } from '../core/wasm/kernels.js';
import { releaseResident, residentRows, type ResidentRows } from '../core/wasm/memory.js';
import { RATES } from '../core/cost.js';
import { resolveParams, type Resolved } from '../core/params.js';
import { specLabel } from '../core/spec.js';
import { addSeconds, checkDim, checkK, resolveIds } from './checks.js';
import { keepMask, keepRows } from './remove.js';

import { defineIndex } from './descriptor.js';
import { indexSnapshot } from './snapshot.js';
import {
  memoryBreakdown, type BuildOptions, type BuildReport, type IndexCapabilities, type IndexMetric,
  type ChunkedBuild, type MemoryBreakdown, type IndexSnapshot, type SearchOptions, type SearchParams, type SearchResult, type VectorIndex,
} from './types.js';

export const FLAT_BUILD_PARAMS = {
  metric: { default: 'l2', choices: ['l2', 'ip'], describe: "'l2' (squared L2, ascending) or 'ip' (inner product, descending). Default l2." },
} as const;

export const FLAT_SEARCH_PARAMS = {} as const;

export type FlatBuildParams = Partial<Resolved<typeof FLAT_BUILD_PARAMS>>;

/**
 * Batches of queries run as tiles over all threads (batch mode: one search call); concurrent
 * clients restore a snapshot in worker threads; add is a copy; exact bytes (the vectors).
 */
export const FLAT_CAPABILITIES: IndexCapabilities = Object.freeze<IndexCapabilities>({
  add: true, remove: true, filter: true, batch: true, threads: true, metrics: ['l2', 'ip'], asyncSearch: true, exactMemory: true, chunkedBuild: true,
});

/** A filter passing fewer than 1/SPARSE_FILTER of the rows is searched row by row over its passing rows, not by a scan of all. */
const SPARSE_FILTER = 8;

/** Up to this many queries per search run on this thread against the resident base; more go to knn() on all threads. */
const RESIDENT_MAX_QUERIES = 64;

/** A dense filter's allowed rows: their positions (ascending), a copy of their vectors and its wasm-packed twin. */
interface GatheredRows {
  readonly filter: SearchFilter;
  readonly base: Matrix;
  readonly pos: Int32Array;
  readonly data: Float32Array;
  readonly resident: ResidentRows | null;
}

export class FlatIndex implements VectorIndex, ChunkedBuild {
  readonly name = 'flat';
  readonly metric: IndexMetric;
  readonly capabilities: IndexCapabilities = FLAT_CAPABILITIES;
  private readonly params: Resolved<typeof FLAT_BUILD_PARAMS>;
  private base: Matrix | null = null;
  /** Ids when they are not the positions 0..n−1 (custom ids given to add). */
  private ids: Int32Array | null = null;
  /** The base packed in wasm memory once, for searches of a few queries (no per-call copy of the base). */
  private resident: ResidentRows | null = null;
  /** The array the vectors live in (larger than them after `reserve`). */
  private capacity: Float32Array = new Float32Array(0);
  /** Row norms of filtered searches and the base they belong to. */
  private normsCache: { of: Matrix; norms: Float32Array } | null = null;
  /** Between `train` and `endBuild` (a chunked build): adds do not re-pack the base into wasm memory. */
  private building = false;

  constructor(params: FlatBuildParams = {}) {
    this.params = resolveParams(FLAT_BUILD_PARAMS, params, 'flat build parameter');
    this.metric = this.params.metric as IndexMetric;
  }

  get label(): string {
    return specLabel('flat', [[FLAT_BUILD_PARAMS, this.params]]);
  }

  get bitsPerVector(): number {
    return 32 * (this.base?.dim ?? 0);
  }

  get size(): number {
    return this.base?.rows ?? 0;
  }

  async build(x: Matrix, _opts: BuildOptions = {}): Promise<BuildReport> {
    const t0 = performance.now();
    this.base = x.clone();
    this.capacity = this.base.data;
    this.building = false;
    this.ids = null;
    this.pack();
    return { seconds: (performance.now() - t0) / 1000, notes: [`${x.rows} vectors of dimension ${x.dim} stored as float32`] };
  }

  defaultTrainRows(): number {
    return 0;
  }

  /** Nothing to learn: the index is emptied for rows of `sample`'s dimension, and the adds up to `endBuild` skip the wasm packing. */
  async train(sample: Matrix, _opts: BuildOptions = {}): Promise<BuildReport> {
    this.base = new Matrix(new Float32Array(0), 0, sample.dim);
    this.ids = null;
    if (this.resident) releaseResident(this.resident);
    this.resident = null;
    this.building = true;
    return { seconds: 0, notes: [] };
  }

  /** The vectors' array sized for `rows` rows at once, so the adds of a chunked build copy each row once. */
  reserve(rows: number): void {
    const base = this.requireBase();
    if (rows * base.dim <= this.capacity.length) return;
    const grown = new Float32Array(rows * base.dim);
    grown.set(base.data);
    this.capacity = grown;
    this.base = new Matrix(grown.subarray(0, base.data.length), base.rows, base.dim);
  }

  endBuild(): string[] {
    this.building = false;
    this.pack();
    const base = this.requireBase();
    return [`${base.rows} vectors of dimension ${base.dim} stored as float32`];
  }

  async add(x: Matrix, ids?: Uint32Array): Promise<void> {
    if (!this.base) {
      await this.build(x);
      if (ids) this.ids = resolveIds(x.rows, 0, ids, 'flat');
      return;
    }
    checkDim(x.dim, this.base.dim, 'added vectors', 'flat');
    const n0 = this.base.rows, d = this.base.dim;
    const newIds = resolveIds(x.rows, n0, ids, 'flat');
    const n = n0 + x.rows;
    if (n * d <= this.capacity.length && this.base.data.buffer === this.capacity.buffer) {
      this.capacity.set(x.data, n0 * d); // room reserved: no copy of the rows already held
      this.base = new Matrix(this.capacity.subarray(0, n * d), n, d);
    } else {
      const data = new Float32Array(n * d);
      data.set(this.base.data);
      data.set(x.data, n0 * d);
      this.base = new Matrix(data, n, d);
      this.capacity = data;
    }
    if (!this.building) this.pack();
    if (this.ids || ids) {
      const all = new Int32Array(n0 + x.rows);
      if (this.ids) all.set(this.ids);
      else for (let i = 0; i < n0; i++) all[i] = i;
      all.set(newIds, n0);
      this.ids = all;
    }
  }

  async search(q: Matrix, k: number, params: SearchParams = {}, opts: SearchOptions = {}): Promise<SearchResult> {
    resolveParams(FLAT_SEARCH_PARAMS, params, 'flat search parameter');
    const base = this.requireBase();
    checkK(k, base.rows, 'flat');
    checkDim(q.dim, base.dim, 'queries', 'flat');
    let r: { ids: Int32Array; dists: Float32Array };
    let gathered: GatheredRows;
    if (opts.filter && !this.ids && opts.filter.count * SPARSE_FILTER < base.rows) {
      return this.searchAllowed(base, q, k, opts.filter); // few rows pass: visit only those
    } else if (opts.filter && (gathered = this.gatherAllowed(base, opts.filter)).pos.length >= k) {
      // a dense filter: its rows gathered once per filter, then the unfiltered kernels over them alone
      const g = gathered, n = g.pos.length;
      if (g.resident && q.rows <= RESIDENT_MAX_QUERIES) {
        r = { ids: new Int32Array(q.rows * k), dists: new Float32Array(q.rows * k) };
        knnResident(g.resident, q.data, 0, q.rows, k, r.ids, r.dists);
      } else {
        r = await knn(new Matrix(g.data, n, base.dim), q, k, this.metric);
      }
      for (let i = 0; i < r.ids.length; i++) if (r.ids[i] >= 0) r.ids[i] = g.pos[r.ids[i]]; // gathered row → position
    } else if (opts.filter) {
      // fewer allowed rows than k: the exact scan's heap takes only allowed rows (a bitmap over positions), padded
      r = { ids: new Int32Array(q.rows * k), dists: new Float32Array(q.rows * k) };
      knnRangeJs(base.data, base.rows, this.filterNorms(base), q.data, 0, q.rows, base.dim, k, this.metric, r.ids, r.dists, this.allowedPositions(opts.filter.allowed));
    } else if (this.resident && q.rows <= RESIDENT_MAX_QUERIES) {
      r = { ids: new Int32Array(q.rows * k), dists: new Float32Array(q.rows * k) };
      knnResident(this.resident, q.data, 0, q.rows, k, r.ids, r.dists);
    } else {
      r = await knn(base, q, k, this.metric); // batches: tiles over all threads
    }
    const ids = new Int32Array(r.ids);
    if (this.ids) for (let i = 0; i < ids.length; i++) if (ids[i] >= 0) ids[i] = this.ids[ids[i]];
    return { nq: q.rows, k, ids, dists: new Float32Array(r.dists) };
  }

  memoryBytes(): number {
    return this.memoryBreakdown().total;
  }

  memoryBreakdown(): MemoryBreakdown {
    return memoryBreakdown({ vectors: this.base ? this.capacity.byteLength : 0, lists: this.ids?.byteLength ?? 0 });
  }

  /** Drops the vectors of these ids (the rest keep their order, their ids kept beside them); memory shrinks with them. */
  async remove(ids: Uint32Array): Promise<number> {
    const base = this.requireBase();
    const stored = this.ids ?? Int32Array.from({ length: base.rows }, (_, p) => p);
    const { keep, removed } = keepMask(stored, ids);
    if (removed === 0) return 0;
    const kept = base.rows - removed;
    const data = keepRows(base.data, keep, base.dim, kept);
    this.ids = keepRows(stored, keep, 1, kept);
    this.base = new Matrix(data, kept, base.dim);
    this.capacity = data;
    if (!this.building) this.pack();
    return removed;
  }

  async close(): Promise<void> {
    if (this.resident) releaseResident(this.resident);
    this.resident = null;
    this.dropGathered();
  }

  /**
   * The rows a dense filter allows, copied out in position order (their wasm-packed twin too), kept for
   * the filter searched last: scanning them alone costs the allowed share of a full scan, where a full
   * scan testing each row's bit ran in JS at a tenth of the unfiltered speed.
   */
  private gatherAllowed(base: Matrix, filter: SearchFilter): GatheredRows {
    if (this.gathered?.filter === filter && this.gathered.base === base) return this.gathered;
    this.dropGathered();
    const allowed = this.allowedPositions(filter.allowed), d = base.dim;
    let n = 0;
    for (let p = 0; p < base.rows; p++) n += allowed[p] === 1 ? 1 : 0;
    const pos = new Int32Array(n), data = new Float32Array(n * d);
    for (let p = 0, j = 0; p < base.rows; p++) {
      if (allowed[p] !== 1) continue;
      pos[j] = p;
      data.set(base.data.subarray(p * d, p * d + d), j * d);
      j++;
    }
    this.gathered = { filter, base, pos, data, resident: n > 0 ? residentRows(data, n, d, this.metric) : null };
    return this.gathered;
  }

  private dropGathered(): void {
    if (this.gathered?.resident) releaseResident(this.gathered.resident);
    this.gathered = null;
  }

  /** The last dense filter's gathered rows (see gatherAllowed). */
  private gathered: GatheredRows | null = null;

  /** Exact search over only the rows a sparse filter allows (ids are positions here), one distance per allowed row. */
  private searchAllowed(base: Matrix, q: Matrix, k: number, filter: SearchFilter): SearchResult {
    if (this.sparseIds?.filter !== filter) this.sparseIds = { filter, ids: allowedIds(filter) };
    const rows = this.sparseIds.ids, d = base.dim, x = base.data, ip = this.metric === 'ip';
    const heap = new TopK(q.rows, k);
    for (let i = 0; i < q.rows; i++) {
      let worst = heap.worst(i);
      for (let t = 0; t < rows.length; t++) {
        const row = rows[t];
        const v = ip ? -dot(q.data, i * d, x, row * d, d) : l2sq(q.data, i * d, x, row * d, d);
        if (v < worst) {
          heap.push(i, v, row);
          worst = heap.worst(i);
        }
      }
    }
    const { ids, dists } = heap.sort();
    if (ip) for (let j = 0; j < dists.length; j++) dists[j] = -dists[j];
    return { nq: q.rows, k, ids, dists };
  }

  /** The passing rows of the last sparse filter searched. */
  private sparseIds: { filter: SearchFilter; ids: Int32Array } | null = null;

  /** ||x||² of the rows for filtered L2 scans, computed once per base (a new base after build/add recomputes). */
  private filterNorms(base: Matrix): Float32Array | null {
    if (this.metric !== 'l2') return null;
    if (this.normsOf !== base) this.normsCache = { of: base, norms: rowNormsSq(base.data, base.rows, base.dim) };
    return this.normsCache!.norms;
  }

  private get normsOf(): Matrix | null {
    return this.normsCache?.of ?? null;
  }

  /** The filter's bitmap over ids as one over positions (the same array when ids are positions). */
  private allowedPositions(allowed: Uint8Array): Uint8Array {
    if (!this.ids) return allowed;
    const out = new Uint8Array(this.ids.length);
    for (let i = 0; i < out.length; i++) out[i] = allowed[this.ids[i]] === 1 ? 1 : 0;
    return out;
  }

  /** Batch mode: the whole batch as k-NN tiles over `threads` threads (the kernels' thread count, --threads). */
  async searchBatch(q: Matrix, k: number, params: SearchParams = {}, _threads = 1): Promise<SearchResult> {
    return this.search(q, k, params);
  }

  /** For concurrent clients on worker threads: the vectors (shared) and ids. */
  snapshot(): IndexSnapshot {
    const base = this.requireBase();
    return indexSnapshot(import.meta.url, 'FlatIndex', { params: this.params, data: base.data, rows: base.rows, dim: base.dim, ids: this.ids });
  }

  static restore(s: Record<string, unknown>): FlatIndex {
    const index = new FlatIndex(s.params as FlatBuildParams);
    index.base = new Matrix(s.data as Float32Array, s.rows as number, s.dim as number);
    index.capacity = index.base.data;
    index.ids = s.ids as Int32Array | null;
    index.pack();
    return index;
  }

  private pack(): void {
    if (this.resident) releaseResident(this.resident);
    this.resident = this.base ? residentRows(this.base.data, this.base.rows, this.base.dim, this.metric) : null;
  }

  private requireBase(): Matrix {
    if (!this.base) throw new Error('flat: search() before build()');
    return this.base;
  }
}

export const descriptor = defineIndex({
  id: 'flat',
  describe: 'exact search over float32 vectors (ground truth, faiss IndexFlat)',
  buildParams: FLAT_BUILD_PARAMS,
  searchParams: FLAT_SEARCH_PARAMS,
  capabilities: FLAT_CAPABILITIES,
  unavailable: () => null,
  create: (build) => new FlatIndex(build),
  cost: (_build, shape, rows) => {
    const buildSeconds = (rows * shape.dim * 4) / 1e9;
    return { buildSeconds, querySeconds: () => (2 * rows * shape.dim) / RATES.kernelFlops, addSecondsPerRow: addSeconds(buildSeconds, rows) };
  },
  // the vectors; packing them into wasm memory for small query batches copies them twice more (packed + scratch)
  memory: (_build, dim, rows) => ({ indexBytes: rows * dim * 4, addBytes: 2 * rows * dim * 4, trainCopies: 0, chunkCopies: 1 }),
});
