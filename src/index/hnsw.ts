/**
 * HNSW through hnswlib-node (Malkov & Yashunin's hnswlib, the ann-benchmarks `hnswlib` entry).
 * Build parameters M and efConstruction; search parameter efSearch. Metric l2 uses hnswlib's 'l2'
 * space (squared L2, as our contract); ip uses its 'ip' space, whose distance is 1 − x·y and is
 * turned back into the inner product. Search is one searchKnn call per query row, on the calling
 * thread (hnswlib-node has no multi-threaded search).
 *
 * hnswlib-node takes plain JS arrays, so each vector is copied into a number[] on add and on search;
 * that copy (d numbers) is part of the measured latency, as it is for any user of hnswlib-node.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { indexSnapshot } from './snapshot.js';
import { InputError, UnavailableError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { RATES } from '../core/cost.js';
import { resolveParams, type ParamSpecs, type Resolved } from '../core/params.js';
import { specLabel } from '../core/spec.js';
import { addSeconds, checkDim, checkK, numberOr } from './checks.js';
import { defineIndex } from './descriptor.js';
import {
  memoryBreakdown,
  type BuildOptions, type BuildReport, type IndexCapabilities, type IndexMetric, type MemoryBreakdown,
  type IndexSnapshot, type SearchOptions, type SearchParams, type SearchResult, type VectorIndex,
} from './types.js';

type HnswlibModule = typeof import('hnswlib-node');
type HierarchicalNSW = InstanceType<HnswlibModule['HierarchicalNSW']>;

let hnswlib: HnswlibModule | null = null;

/** Loads hnswlib-node once; an UnavailableError with the loader's message if it cannot load. */
export function loadHnswlib(): HnswlibModule {
  if (hnswlib) return hnswlib;
  try {
    hnswlib = createRequire(import.meta.url)('hnswlib-node') as HnswlibModule;
    return hnswlib;
  } catch (e) {
    throw new UnavailableError(`hnswlib-node cannot be loaded (${(e as Error).message.split('\n')[0]}); run npm run setup to build it.`);
  }
}

export const HNSW_BUILD_PARAMS = {
  M: { default: 16, min: 2, aliases: ['m'], describe: 'Links per node on the upper layers (2·M on layer 0). Default 16: more = better recall, more memory, slower build.' },
  efConstruction: { default: 200, min: 1, describe: 'Candidate list size while inserting. Default 200: larger = better graph, slower build.' },
  metric: { default: 'l2', choices: ['l2', 'ip'], describe: "'l2' (squared L2) or 'ip' (inner product). Default l2." },
} as const satisfies ParamSpecs;

export const HNSW_SEARCH_PARAMS = {
  efSearch: { default: 64, min: 1, describe: 'Candidate list size at query time (hnswlib uses max(efSearch, k)). Default 64: larger = better recall, slower.' },
} as const satisfies ParamSpecs;

export type HnswBuildParams = Partial<Resolved<typeof HNSW_BUILD_PARAMS>>;

/**
 * One searchKnn call per query on the calling thread; batch and concurrent modes run that loop on
 * worker threads, each with its own copy read from a snapshot file; memory is the adapter's
 * estimate; remove = hnswlib's markDelete (the node stays in the graph, searches skip it).
 */
export const HNSW_CAPABILITIES: IndexCapabilities = Object.freeze<IndexCapabilities>({
  add: true, remove: true, filter: true, batch: true, threads: false, metrics: ['l2', 'ip'], asyncSearch: false, exactMemory: false,
});

export class HnswIndex implements VectorIndex {
  readonly name = 'hnsw';
  readonly metric: IndexMetric;
  readonly capabilities: IndexCapabilities = HNSW_CAPABILITIES;
  readonly M: number;
  private readonly params: Resolved<typeof HNSW_BUILD_PARAMS>;
  readonly efConstruction: number;
  private index: HierarchicalNSW | null = null;
  private dim = 0;
  private count = 0;
  /** Elements marked deleted (still in the graph and its memory; not in `size`). */
  private deleted = 0;
  private capacity = 0;
  private ef = -1;
  /** The temporary folder of snapshot(), removed by close(). */
  private snapshotDir: string | null = null;

  constructor(params: HnswBuildParams = {}) {
    const p = resolveParams(HNSW_BUILD_PARAMS, params, 'hnsw build parameter');
    this.params = p;
    this.M = p.M;
    this.efConstruction = p.efConstruction;
    this.metric = p.metric as IndexMetric;
  }

  get label(): string {
    return specLabel('hnsw', [[HNSW_BUILD_PARAMS, this.params]]);
  }

  get size(): number {
    return this.count - this.deleted;
  }

  get bitsPerVector(): number {
    return 32 * this.dim;
  }

  async build(x: Matrix, opts: BuildOptions = {}): Promise<BuildReport> {
    const t0 = performance.now();
    const lib = loadHnswlib();
    const seed = opts.seed ?? 1234;
    this.dim = x.dim;
    this.index = new lib.HierarchicalNSW(this.metric, x.dim);
    this.capacity = Math.max(1, x.rows);
    this.index.initIndex({ maxElements: this.capacity, m: this.M, efConstruction: this.efConstruction, randomSeed: seed });
    this.count = 0;
    this.deleted = 0;
    this.ef = -1;
    this.insert(x, null, opts);
    return {
      seconds: (performance.now() - t0) / 1000,
      notes: [`hnswlib-node: ${x.rows} vectors inserted one at a time on one thread, seed ${seed}`],
    };
  }

  async add(x: Matrix, ids?: Uint32Array): Promise<void> {
    const index = this.requireIndex();
    checkDim(x.dim, this.dim, 'added vectors', 'hnsw');
    if (ids && ids.length !== x.rows) throw new InputError(`hnsw: add() got ${x.rows} vectors but ${ids.length} ids.`);
    const needed = this.count + x.rows;
    if (needed > this.capacity) {
      // grow geometrically so that repeated small adds do not reallocate every time
      this.capacity = Math.max(needed, Math.ceil(this.capacity * 1.5));
      index.resizeIndex(this.capacity);
    }
    this.insert(x, ids ?? null, {});
  }

  private insert(x: Matrix, ids: Uint32Array | null, opts: BuildOptions): void {
    const index = this.requireIndex();
    const base = this.count;
    for (let i = 0; i < x.rows; i++) {
      index.addPoint(Array.from(x.row(i)), ids ? ids[i] : base + i);
      this.count++;
      if (opts.onProgress && (i % 1000 === 999 || i === x.rows - 1)) opts.onProgress(i + 1, x.rows, 'hnsw insert');
    }
  }

  search(q: Matrix, k: number, params: SearchParams = {}, opts: SearchOptions = {}): SearchResult {
    const { efSearch: ef } = resolveParams(HNSW_SEARCH_PARAMS, params, 'hnsw search parameter');
    const index = this.requireIndex();
    checkK(k, this.size, 'hnsw');
    checkDim(q.dim, this.dim, 'queries', 'hnsw');
    if (ef !== this.ef) {
      index.setEf(ef);
      this.ef = ef;
    }
    const ip = this.metric === 'ip';
    const ids = new Int32Array(q.rows * k).fill(-1);
    const dists = new Float32Array(q.rows * k).fill(ip ? -Infinity : Infinity);
    const kk = Math.min(k, this.size);
    if (kk === 0) return { nq: q.rows, k, ids, dists };
    // filtered: hnswlib's label callback, asked for every candidate the graph search would keep
    const allowed = opts.filter?.allowed;
    const passes = allowed ? (label: number) => allowed[label] === 1 : undefined;
    for (let r = 0; r < q.rows; r++) {
      const res = index.searchKnn(Array.from(q.row(r)), kk, passes);
      const o = r * k;
      const n = res.neighbors.length;
      for (let j = 0; j < n; j++) {
        ids[o + j] = res.neighbors[j];
        dists[o + j] = ip ? 1 - res.distances[j] : res.distances[j];
      }
    }
    return { nq: q.rows, k, ids, dists };
  }

  memoryBytes(): number {
    return this.memoryBreakdown().total;
  }

  /**
   * An estimate following hnswlib's allocations (hnswalg.h): a level-0 block of `capacity` elements,
   * each (2M links · 4 B + 4 B count) + d·4 B vector + 8 B label; upper levels malloc'd per element,
   * (M · 4 + 4) B per level, with E[levels] = 1/(M − 1) for hnswlib's level multiplier 1/ln M; per
   * capacity slot an 8 B link-list pointer, a 4 B level and a 40 B mutex; the label → slot hash map
   * (~32 B per element). Fixed pools (label locks, visited lists) are not counted.
   */
  memoryBreakdown(): MemoryBreakdown {
    const n = this.count, cap = this.capacity, d = this.dim, M = this.M;
    const level0 = 2 * M * 4 + 4;
    const upper = ((M * 4 + 4) * n) / (M - 1);
    return memoryBreakdown({
      vectors: cap * d * 4,
      graph: Math.round(cap * (level0 + 8 + 4 + 40) + upper),
      lists: cap * 8 + n * 32,
    });
  }

  /**
   * hnswlib's markDelete per id: searches skip the node (it still routes them), its memory stays
   * until the index is rebuilt. Ids not held, or already deleted, are skipped.
   */
  async remove(ids: Uint32Array): Promise<number> {
    const index = this.requireIndex();
    let removed = 0;
    for (const id of ids) {
      try {
        index.markDelete(id);
        removed++;
      } catch {
        // hnswlib throws for a label it does not hold or one already deleted: nothing to remove
      }
    }
    this.deleted += removed;
    return removed;
  }

  async close(): Promise<void> {
    this.index = null;
    if (this.snapshotDir) rmSync(this.snapshotDir, { recursive: true, force: true });
    this.snapshotDir = null;
  }

  /**
   * For batch and concurrent search on worker threads (hnswlib-node has no threaded search, so
   * each worker runs searchKnn per query on its own copy): the graph written to a temporary file
   * once, read by each worker; removed by close().
   */
  snapshot(): IndexSnapshot {
    const index = this.requireIndex();
    this.snapshotDir ??= mkdtempSync(join(tmpdir(), 'vqbench-hnsw-'));
    const file = join(this.snapshotDir, `index-${this.count}.bin`);
    index.writeIndexSync(file);
    return indexSnapshot(import.meta.url, 'HnswIndex', { params: this.params, file, dim: this.dim, count: this.count });
  }

  static restore(s: Record<string, unknown>): HnswIndex {
    const h = new HnswIndex(s.params as HnswBuildParams);
    h.dim = s.dim as number;
    h.count = s.count as number;
    h.capacity = h.count;
    h.index = new (loadHnswlib().HierarchicalNSW)(h.metric, h.dim);
    h.index.readIndexSync(s.file as string);
    return h;
  }

  private requireIndex(): HierarchicalNSW {
    if (!this.index) throw new Error('hnsw: build() must be called first');
    return this.index;
  }
}

export const descriptor = defineIndex({
  id: 'hnsw',
  describe: 'HNSW graph over float32 vectors (hnswlib-node, the ann-benchmarks hnswlib entry)',
  buildParams: HNSW_BUILD_PARAMS,
  searchParams: HNSW_SEARCH_PARAMS,
  capabilities: HNSW_CAPABILITIES,
  unavailable: () => {
    try {
      loadHnswlib();
      return null;
    } catch (e) {
      if (e instanceof UnavailableError) return e.message;
      throw e;
    }
  },
  create: (build) => new HnswIndex(build),
  cost: (build, shape, rows) => {
    const d = shape.dim, { M, efConstruction } = build;
    const buildSeconds = (rows * efConstruction * M * d * 4) / RATES.graphFlops;
    return {
      buildSeconds,
      querySeconds: (s) => (numberOr(s.efSearch, 64) * M * d * 2) / RATES.graphFlops,
      addSecondsPerRow: addSeconds(buildSeconds, rows, 1),
    };
  },
  // memoryBreakdown's own formula at capacity = rows (what build allocates); the base is held whole while it builds
  memory: (build, dim, rows) => ({
    indexBytes: Math.round(rows * dim * 4 + rows * (2 * build.M * 4 + 4 + 8 + 4 + 40) + ((build.M * 4 + 4) * rows) / (build.M - 1) + rows * 8 + rows * 32),
    addBytes: 0, trainCopies: 0, chunkCopies: 0,
  }),
  paperMatch: () => ({ method: 'hnswindex(milvus)', sameSetting: true, paperSetting: 'default settings (not stated)' }),
});
