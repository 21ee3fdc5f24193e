/**
 * Any faiss index through faiss-node, named by a faiss index_factory string ('Flat', 'IVF1024,PQ50',
 * 'HNSW32', 'PQ50', 'OPQ16_64,IVF256,PQ16', ...). Untrained indexes are trained on a seeded sample
 * of the base (`trainRows`), then every vector is added; search returns faiss's squared L2 or inner
 * products unchanged.
 *
 * Search-time parameters (nprobe, efSearch, ...) and the OpenMP thread count need three methods that
 * stock faiss-node 0.5.1 lacks — `setParameter` (faiss::ParameterSpace), `Index.setNumThreads` /
 * `Index.getNumThreads` — plus exception handling (stock faiss-node aborts the whole process when faiss
 * throws in train / add / search). scripts/build-faiss-node.sh compiles them in; with a stock build
 * this adapter still runs with the index's defaults, but refuses search parameters (UnavailableError)
 * and guards the known abort (too few training rows) itself.
 *
 * Threads: search runs with `threads` OpenMP threads (default 1, ann-benchmarks' single-thread QPS);
 * training and adding use `buildThreads`, also 1 by default: on the 2-core development machine, with
 * other work running, faiss's PQ training was 7–8× slower on 2 OpenMP threads than on 1 (libgomp's
 * spinning threads compete with OpenBLAS's and with each other). Raise it on a larger, idle machine.
 * The setting is process-wide in OpenMP; it is re-applied when another FaissIndex changed it.
 *
 * Note: for 'PQm' and 'IVFn,PQm' faiss also trains polysemous codes, which is slow (about a minute
 * for 600 vectors here); 'PQmnp' skips it and is what ann-benchmarks-style sweeps usually want.
 */
import { createRequire } from 'node:module';
import { InputError, UnavailableError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { Rng } from '../core/rng.js';
import { RATES, kmeansFlops } from '../core/cost.js';
import { resolveParams, type ParamSpecs, type Resolved } from '../core/params.js';
import { specLabel } from '../core/spec.js';
import { addSeconds, checkDim, numberOr } from './checks.js';
import { keepMask, keepRows } from './remove.js';
import { defineIndex, type IndexCost, type PaperMatch } from './descriptor.js';
import { factoryLayout, parseFactory, trainsPolysemous, type FactoryParts } from './faiss-factory.js';
import { PAPER_4X256 } from './pq.js';
import { indexSnapshot } from './snapshot.js';
import {
  memoryBreakdown,
  type BuildOptions, type BuildReport, type IndexCapabilities, type IndexMetric, type MemoryBreakdown,
  type IndexSnapshot, type SearchParams, type SearchResult, type VectorIndex,
} from './types.js';

type FaissModule = typeof import('faiss-node');
type FaissNative = InstanceType<FaissModule['Index']>;

/** The vqbench extras compiled in by scripts/build-faiss-node.sh (absent from stock faiss-node). */
interface FaissExtras {
  setParameter?(name: string, value: number): void;
}
interface FaissStaticExtras {
  setNumThreads?(n: number): void;
  getNumThreads?(): number;
}

let faiss: FaissModule | null = null;
let defaultThreads = 0;
let currentThreads = 0;

/** Loads faiss-node once; an UnavailableError with the loader's message if it cannot load. */
export function loadFaiss(): FaissModule {
  if (faiss) return faiss;
  try {
    faiss = createRequire(import.meta.url)('faiss-node') as FaissModule;
  } catch (e) {
    throw new UnavailableError(
      `faiss-node cannot be loaded (${(e as Error).message.split('\n')[0]}); build it with npm run build:faiss-node (needs libfaiss-dev).`,
    );
  }
  const s = faiss.Index as unknown as FaissStaticExtras;
  defaultThreads = s.getNumThreads ? s.getNumThreads() : 0;
  currentThreads = defaultThreads;
  return faiss;
}

export interface FaissFeatures {
  /** Index#setParameter (nprobe, efSearch, ...) is compiled in. */
  setParameter: boolean;
  /** Index.setNumThreads / getNumThreads are compiled in. */
  threads: boolean;
  /** OpenMP's default thread count when faiss-node was loaded (0 if unknown). */
  defaultThreads: number;
}

let cachedFeatures: FaissFeatures | null = null;

/** What the loaded faiss-node can do beyond the stock API (the vqbench extras of scripts/build-faiss-node.sh). */
export function faissFeatures(): FaissFeatures {
  if (cachedFeatures) return cachedFeatures;
  const f = loadFaiss();
  const s = f.Index as unknown as FaissStaticExtras;
  cachedFeatures = Object.freeze({
    setParameter: typeof (f.Index.prototype as unknown as FaissExtras).setParameter === 'function',
    threads: typeof s.setNumThreads === 'function',
    defaultThreads,
  });
  return cachedFeatures;
}

function setThreads(n: number): boolean {
  const s = loadFaiss().Index as unknown as FaissStaticExtras;
  if (!s.setNumThreads) return false;
  if (n !== currentThreads) {
    s.setNumThreads(n);
    currentThreads = n;
  }
  return true;
}

export const FAISS_BUILD_PARAMS = {
  factory: { default: 'Flat', describe: "faiss index_factory string, e.g. 'IVF1024,PQ50', 'HNSW32', 'PQ16np'. Default Flat (exact search)." },
  metric: { default: 'l2', choices: ['l2', 'ip'], describe: "'l2' (squared L2) or 'ip' (inner product). Default l2." },
  searchThreads: { default: 1, min: 1, describe: 'OpenMP threads for search. Default 1: single-thread QPS, as ann-benchmarks measures.' },
  buildThreads: { default: 1, min: 1, describe: 'OpenMP threads for train and add. Default 1; more can be faster on an idle many-core machine.' },
} as const satisfies ParamSpecs;

/** Search parameters, set through faiss's ParameterSpace; each applies to the factory components that know it. */
export const FAISS_SEARCH_PARAMS = {
  nprobe: { default: 1, min: 1, aliases: ['nprobes'], describe: "Inverted lists visited (IVF indexes). faiss's default 1: more = better recall, slower." },
  efSearch: { default: 16, min: 1, describe: "HNSW candidate list size (HNSW indexes). faiss's default 16: more = better recall, slower." },
  max_codes: { default: 0, min: 0, describe: 'IVF: stop after scanning this many codes (0 = no limit).' },
  k_factor: { default: 1, min: 1, integer: false, describe: 'IndexRefine: re-rank k·k_factor candidates exactly. Default 1.' },
  quantizer_nprobe: { default: 1, min: 1, describe: 'nprobe of an IVF coarse quantizer that is itself an IVF index.' },
  quantizer_efSearch: { default: 16, min: 1, describe: 'efSearch of an HNSW coarse quantizer (IVF…_HNSW).' },
} as const satisfies ParamSpecs;
const FAISS_SEARCH_NAMES = Object.keys(FAISS_SEARCH_PARAMS);

export type FaissBuildParams = Partial<Resolved<typeof FAISS_BUILD_PARAMS>>;

/** Omitted nprobe / efSearch go back to faiss's defaults, so a sweep cell never inherits the previous value. */
export const FAISS_SEARCH_DEFAULTS: Readonly<Record<string, number>> = Object.freeze({ nprobe: 1, efSearch: 16 });

/** Default training sample: every row up to this many (faiss subsamples k-means to 256 points per centroid itself). */
export const FAISS_DEFAULT_TRAIN_ROWS = 100_000;

/**
 * faiss-node: batches go to faiss in one call (search(nq) on OpenMP threads); concurrent clients
 * restore the serialized index in worker threads; add is supported; memory is estimated from the
 * factory; remove = remove_ids for the flat-code factories only (faissRemoveUnsupported).
 */
export const FAISS_CAPABILITIES: IndexCapabilities = Object.freeze<IndexCapabilities>({
  add: true, remove: true, filter: false, batch: true, threads: true, metrics: ['l2', 'ip'], asyncSearch: false, exactMemory: false,
});

export class FaissIndex implements VectorIndex {
  readonly name = 'faiss';
  readonly metric: IndexMetric;
  readonly capabilities: IndexCapabilities = FAISS_CAPABILITIES;
  readonly factory: string;
  private readonly params: Resolved<typeof FAISS_BUILD_PARAMS>;
  readonly threads: number;
  readonly buildThreads: number;
  private index: FaissNative | null = null;
  private dim = 0;
  private count = 0;
  /** faiss label → user id, only once a non-sequential id was added (faiss-node has no add_with_ids). */
  private idMap: Int32Array | null = null;
  private applied = new Map<string, number>();
  private serializedBytes: { count: number; bytes: number } | null = null;
  /** OpenMP threads of the batch search in progress (searchBatch), else null: `threads`. */
  private batchThreads: number | null = null;

  constructor(params: FaissBuildParams = {}) {
    const p = resolveParams(FAISS_BUILD_PARAMS, params, 'faiss build parameter');
    this.factory = p.factory.trim();
    this.params = { ...p, factory: this.factory };
    if (!this.factory) throw new InputError('--factory: the faiss factory string is empty.');
    this.metric = p.metric as IndexMetric;
    this.threads = p.searchThreads;
    this.buildThreads = p.buildThreads;
  }

  get label(): string {
    return specLabel('faiss', [[FAISS_BUILD_PARAMS, this.params]]);
  }

  get size(): number {
    return this.count;
  }

  get bitsPerVector(): number {
    if (!this.dim) return NaN;
    const s = factoryLayout(this.factory, this.dim, this.metric);
    return s.understood ? s.codeBytes * 8 : NaN;
  }

  async build(x: Matrix, opts: BuildOptions = {}): Promise<BuildReport> {
    const t0 = performance.now();
    const f = loadFaiss();
    const feat = faissFeatures();
    const notes: string[] = [];
    this.dim = x.dim;
    this.count = 0;
    this.idMap = null;
    this.applied.clear();
    this.serializedBytes = null;
    const metricType = this.metric === 'ip' ? f.MetricType.METRIC_INNER_PRODUCT : f.MetricType.METRIC_L2;
    try {
      this.index = f.Index.fromFactory(x.dim, this.factory, metricType);
    } catch (e) {
      throw new InputError(`--factory '${this.factory}' was rejected by faiss: ${faissMessage(e)}`);
    }
    const index = this.index;

    if (feat.threads) {
      setThreads(this.buildThreads);
      notes.push(`faiss OpenMP threads: ${this.buildThreads} for train/add, ${this.threads} for search (machine default ${defaultThreads})`);
    } else {
      notes.push('faiss-node lacks setNumThreads (stock build): faiss uses its default OpenMP threads; rebuild with npm run build:faiss-node');
    }

    if (!index.isTrained()) {
      const shape = factoryLayout(this.factory, x.dim, this.metric);
      const want = opts.trainRows ?? Math.min(x.rows, Math.max(FAISS_DEFAULT_TRAIN_ROWS, shape.minTrainRows));
      const rows = Math.min(want, x.rows);
      if (rows < shape.minTrainRows) {
        throw new InputError(
          `--factory '${this.factory}' needs at least ${shape.minTrainRows} training vectors, but only ${rows} are available (trainRows / base size).`,
        );
      }
      const seed = opts.seed ?? 1234;
      const sample = rows === x.rows ? x : x.selectRows(new Rng(seed).sample(x.rows, rows).sort());
      if (trainsPolysemous(parseFactory(this.factory))) {
        notes.push(`'${this.factory}' trains polysemous codes (slow); append np (e.g. PQ16np) to skip that`);
      }
      opts.onProgress?.(0, 1, 'faiss train');
      try {
        index.train(Array.from(sample.data));
      } catch (e) {
        throw new InputError(`--factory '${this.factory}': faiss failed to train on ${rows} vectors: ${faissMessage(e)}`);
      }
      opts.onProgress?.(1, 1, 'faiss train');
      notes.push(`trained on ${rows} of ${x.rows} vectors (seeded sample, seed ${seed}); faiss's k-means subsamples to 256 points per centroid with its own fixed seed`);
    }
    this.addChunks(x, opts);
    if (feat.threads) setThreads(this.threads);
    return { seconds: (performance.now() - t0) / 1000, notes };
  }

  async add(x: Matrix, ids?: Uint32Array): Promise<void> {
    this.requireIndex();
    checkDim(x.dim, this.dim, 'added vectors', 'faiss');
    if (ids && ids.length !== x.rows) throw new InputError(`faiss: add() got ${x.rows} vectors but ${ids.length} ids.`);
    const start = this.count;
    if (ids && (this.idMap || ids.some((id, i) => id !== start + i))) {
      const map = new Int32Array(start + x.rows);
      if (this.idMap) map.set(this.idMap.subarray(0, start));
      else for (let i = 0; i < start; i++) map[i] = i;
      map.set(ids, start);
      this.idMap = map;
    } else if (this.idMap) {
      const map = new Int32Array(start + x.rows);
      map.set(this.idMap.subarray(0, start));
      for (let i = 0; i < x.rows; i++) map[start + i] = start + i;
      this.idMap = map;
    }
    if (faissFeatures().threads) setThreads(this.buildThreads);
    this.addChunks(x, {});
    if (faissFeatures().threads) setThreads(this.threads);
  }

  /**
   * faiss remove_ids on a flat-code index (Flat, PQ, SQ, behind OPQ / PCA): faiss compacts its
   * storage, so the labels after a removed one shift down; the label → id map follows it.
   */
  async remove(ids: Uint32Array): Promise<number> {
    const index = this.requireIndex();
    const why = faissRemoveUnsupported(this.factory);
    if (why) throw new InputError(why);
    const map = this.idMap ?? Int32Array.from({ length: this.count }, (_, p) => p);
    const { keep, removed } = keepMask(map, ids);
    if (removed === 0) return 0;
    const labels: number[] = [];
    for (let p = 0; p < keep.length; p++) if (!keep[p]) labels.push(p);
    const n = index.removeIds(labels);
    if (n !== removed) throw new Error(`faiss: remove_ids removed ${n} of ${removed} labels`);
    this.idMap = keepRows(map, keep, 1, this.count - removed);
    this.count -= removed;
    this.serializedBytes = null;
    return removed;
  }

  private addChunks(x: Matrix, opts: BuildOptions): void {
    const index = this.requireIndex();
    const chunk = Math.max(1, Math.floor((1 << 22) / Math.max(1, x.dim))); // ≤ 4M numbers per JS array
    for (let i0 = 0; i0 < x.rows; i0 += chunk) {
      const i1 = Math.min(x.rows, i0 + chunk);
      try {
        index.add(Array.from(x.data.subarray(i0 * x.dim, i1 * x.dim)));
      } catch (e) {
        throw new InputError(`--factory '${this.factory}': faiss failed to add vectors: ${faissMessage(e)}`);
      }
      this.count += i1 - i0;
      opts.onProgress?.(i1, x.rows, 'faiss add');
    }
    this.serializedBytes = null;
  }

  search(q: Matrix, k: number, params: SearchParams = {}): SearchResult {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`faiss.search: k must be a positive integer, got ${k}`);
    const index = this.requireIndex();
    checkDim(q.dim, this.dim, 'queries', 'faiss');
    this.applyParams(params);
    if (faissFeatures().threads) setThreads(this.batchThreads ?? this.threads);
    const ip = this.metric === 'ip';
    const ids = new Int32Array(q.rows * k).fill(-1);
    const dists = new Float32Array(q.rows * k).fill(ip ? -Infinity : Infinity);
    const kk = Math.min(k, this.count);
    if (kk === 0 || q.rows === 0) return { nq: q.rows, k, ids, dists };
    const r = index.search(Array.from(q.data), kk);
    const map = this.idMap;
    for (let i = 0; i < q.rows; i++) {
      for (let j = 0; j < kk; j++) {
        const label = r.labels[i * kk + j];
        if (label < 0) continue; // faiss pads with −1 (and ±FLT_MAX): keep our ±Infinity
        ids[i * k + j] = map ? map[label] : label;
        dists[i * k + j] = r.distances[i * kk + j];
      }
    }
    return { nq: q.rows, k, ids, dists };
  }

  /** Sets each given parameter through ParameterSpace (only when its value changed); resets omitted nprobe / efSearch. */
  private applyParams(params: SearchParams): void {
    const index = this.requireIndex() as FaissNative & FaissExtras;
    const wanted = new Map<string, number>();
    // validated against the table; only the parameters given (and resets) are sent to faiss
    resolveParams(FAISS_SEARCH_PARAMS, params, 'faiss search parameter');
    for (const [key, v] of Object.entries(params)) if (v !== undefined && FAISS_SEARCH_NAMES.includes(key)) wanted.set(key, Number(v));
    // a parameter set earlier and now omitted goes back to faiss's default, so a sweep cell never inherits the previous one
    for (const [key, v] of this.applied) {
      if (!wanted.has(key) && key in FAISS_SEARCH_DEFAULTS && v !== FAISS_SEARCH_DEFAULTS[key]) wanted.set(key, FAISS_SEARCH_DEFAULTS[key]);
    }
    for (const [key, v] of wanted) {
      if (this.applied.get(key) === v) continue;
      if (typeof index.setParameter !== 'function') {
        if (!this.applied.has(key) && FAISS_SEARCH_DEFAULTS[key] === v) continue; // asking for the default is fine
        throw new UnavailableError(
          `faiss-node was built without setParameter, so ${key} cannot be set; rebuild it with npm run build:faiss-node.`,
        );
      }
      try {
        index.setParameter(key, v);
      } catch (e) {
        throw new InputError(`faiss: search parameter ${key}=${v} does not apply to --factory '${this.factory}': ${faissMessage(e)}`);
      }
      this.applied.set(key, v);
    }
  }

  memoryBytes(): number {
    return this.memoryBreakdown().total;
  }

  /**
   * An estimate from the factory string: codes n × code bytes (raw float vectors for Flat / HNSW),
   * inverted-list ids n × 8 B plus 32 B per list, coarse centroids, PQ / SQ codebooks, OPQ / PCA
   * matrices and IVFPQ precomputed tables; HNSW links ≈ n × (2M + M/(M − 1)) × 4 B plus levels and
   * offsets. A factory with a component this parser does not know is estimated by its serialized size
   * (faiss's write_index), put under `codes`.
   */
  memoryBreakdown(): MemoryBreakdown {
    if (!this.index || !this.dim) return memoryBreakdown({});
    const n = this.count;
    const s = factoryLayout(this.factory, this.dim, this.metric);
    const idMapBytes = this.idMap ? this.idMap.length * 4 : 0;
    if (!s.understood) {
      if (!this.serializedBytes || this.serializedBytes.count !== n) {
        this.serializedBytes = { count: n, bytes: this.index.toBuffer().length };
      }
      return memoryBreakdown({ codes: this.serializedBytes.bytes, lists: idMapBytes });
    }
    const hnswLinks = (M: number, nodes: number) => nodes * ((2 * M + M / (M - 1)) * 4 + 4 + 8);
    const codes = n * s.codeBytes;
    return memoryBreakdown({
      codes: s.rawVectors ? 0 : codes,
      vectors: s.rawVectors ? codes : 0,
      lists: (s.ivf ? n * 8 + s.ivf * 32 : 0) + idMapBytes,
      graph: Math.round((s.hnswM ? hnswLinks(s.hnswM, n) : 0) + (s.ivfHnswM ? hnswLinks(s.ivfHnswM, s.ivf) : 0)),
      codebooks: s.fixedBytes,
    });
  }

  async close(): Promise<void> {
    this.index = null;
  }

  /** Batch mode: faiss's own search(nq) on `threads` OpenMP threads (the searchThreads parameter is restored after). */
  async searchBatch(q: Matrix, k: number, params: SearchParams = {}, threads = 1): Promise<SearchResult> {
    this.batchThreads = threads;
    try {
      return this.search(q, k, params);
    } finally {
      this.batchThreads = null;
      if (faissFeatures().threads) setThreads(this.threads);
    }
  }

  /** For concurrent clients on worker threads: faiss's serialized index (shared bytes) and the parameters set so far. */
  snapshot(): IndexSnapshot {
    const bytes = this.requireIndex().toBuffer();
    return indexSnapshot(import.meta.url, 'FaissIndex', {
      params: this.params, dim: this.dim, count: this.count, idMap: this.idMap, applied: [...this.applied],
      bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    });
  }

  static restore(s: Record<string, unknown>): FaissIndex {
    const index = new FaissIndex(s.params as FaissBuildParams);
    const bytes = s.bytes as Uint8Array;
    index.index = loadFaiss().Index.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    index.dim = s.dim as number;
    index.count = s.count as number;
    index.idMap = s.idMap as Int32Array | null;
    index.applied = new Map(s.applied as [string, number][]);
    if (faissFeatures().threads) setThreads(index.threads);
    return index;
  }

  private requireIndex(): FaissNative {
    if (!this.index) throw new Error('faiss: build() must be called first');
    return this.index;
  }
}

/**
 * Null when faiss-node can remove from this factory's index, else the sentence why not: only flat-code
 * indexes (Flat, PQ, SQ, optionally behind OPQ / PCA / L2norm) keep labels that follow the rows. IVF
 * keeps its labels but faiss-node has no add_with_ids, so a later add would reuse labels still held;
 * HNSW has no remove_ids at all (faiss aborts the process, so it must never be called).
 */
export function faissRemoveUnsupported(factory: string): string | null {
  const parts = parseFactory(factory.trim());
  const bad = parts.components.find((c) => !['flat', 'pq', 'sq', 'opq', 'pca', 'l2norm'].includes(c.kind));
  if (!bad) return null;
  const why = bad.kind === 'hnsw' ? 'faiss HNSW indexes have no remove_ids'
    : bad.kind === 'ivf' ? "faiss-node has no add_with_ids, so after remove_ids an IVF index would give new rows labels it still holds"
    : `vqbench removes only from Flat, PQ and SQ factories (their labels follow the rows), not from its ${bad.kind === 'unknown' ? `'${bad.text}'` : bad.kind} component`;
  return `deletes are not supported by faiss --factory '${factory.trim()}': ${why}; use a Flat, PQ or SQ factory.`;
}

/** faiss's own sentence from an exception ("Error in <signature> at file:line: <message>"). */
function faissMessage(e: unknown): string {
  const msg = (e as Error)?.message ?? String(e);
  const m = msg.match(/^Error in .*? at [^:]+:\d+: (.*)$/s);
  return (m ? m[1] : msg).trim();
}

/** The cost model of a factory: HNSW graph inserts, IVF k-means + list scans, PQ scans, else a flat scan. */
export function faissCost(f: FactoryParts, d: number, rows: number): IndexCost {
  const train = Math.min(rows, 65_536);
  const pq = f.pq?.m ?? 0;
  if (f.hnswM) {
    const buildSeconds = (0.6 * rows * 40 * f.hnswM * d * 4) / RATES.graphFlops;
    return { buildSeconds, querySeconds: (s) => (numberOr(s.efSearch, 16) * f.hnswM * d * 2) / RATES.graphFlops, addSecondsPerRow: addSeconds(buildSeconds, rows, 1) };
  }
  if (f.nlist) {
    const m = pq || d;
    const buildSeconds = (3 * (kmeansFlops(train, f.nlist, d) + (pq ? pq * kmeansFlops(train, 256, d / pq) : 0)) + 2 * rows * (f.nlist + 256) * d) / RATES.kernelFlops;
    return {
      buildSeconds,
      querySeconds: (s) => (2 * f.nlist * d) / RATES.kernelFlops + (0.5 * Math.min(1, numberOr(s.nprobe, 1) / f.nlist) * rows * m) / RATES.lookups,
      addSecondsPerRow: addSeconds(buildSeconds, rows, 1),
    };
  }
  if (pq) {
    const buildSeconds = (3 * pq * kmeansFlops(train, 256, d / pq)) / RATES.kernelFlops;
    return { buildSeconds, querySeconds: () => (rows * pq) / (3 * RATES.lookups), addSecondsPerRow: addSeconds(buildSeconds, rows, 1) };
  }
  const buildSeconds = 0.05 + (rows * d * 4) / 1e9; // a flat index copies the vectors in
  return { buildSeconds, querySeconds: () => (2 * rows * d) / (RATES.kernelFlops / 6), addSecondsPerRow: addSeconds(buildSeconds, rows, 1) };
}

/** The paper's row of a factory: HNSW → hnswindex, IVF…,PQ → ivfpqindex, PQ → pqindex (4 × 256 = PQ4 or PQ4x8). */
export function faissPaperMatch(f: FactoryParts): PaperMatch | null {
  const plain = f.components.every((c) => c.kind === 'ivf' || c.kind === 'pq');
  const is4x256 = plain && f.pq?.m === 4 && f.pq.nbits === 8 && f.ivfHnswM === 0;
  if (f.hnswM) return { method: 'hnswindex(milvus)', sameSetting: true, paperSetting: 'default settings (not stated)' };
  if (f.nlist && f.pq) return { method: 'ivfpqindex(milvus)', sameSetting: is4x256, paperSetting: PAPER_4X256 };
  if (f.pq && f.components.length === 1) return { method: 'pqindex(milvus)', sameSetting: is4x256, paperSetting: PAPER_4X256 };
  return null;
}

export const descriptor = defineIndex({
  id: 'faiss',
  describe: 'any faiss index_factory string (faiss-node built against Debian libfaiss), e.g. IVF1024,PQ50 or HNSW32',
  buildParams: FAISS_BUILD_PARAMS,
  searchParams: FAISS_SEARCH_PARAMS,
  capabilities: FAISS_CAPABILITIES,
  unavailable: () => {
    try {
      loadFaiss();
      return null;
    } catch (e) {
      if (e instanceof UnavailableError) return e.message;
      throw e;
    }
  },
  removeUnsupported: (build) => faissRemoveUnsupported(build.factory),
  create: (build) => new FaissIndex(build),
  cost: (build, shape, rows) => faissCost(parseFactory(build.factory.trim()), shape.dim, rows),
  paperMatch: (build) => faissPaperMatch(parseFactory(build.factory.trim())),
});
