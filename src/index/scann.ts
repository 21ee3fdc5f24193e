/**
 * The `scann` index: ScaNN's anisotropic PQ codes (src/quant/scann.ts) of the whole base scanned
 * with ADC for maximum inner product (one m × 2^nbits table of q·codeword per query, PQ's kernels of
 * src/index/adc.ts), then optionally ScaNN's reordering: the top r·k of the scan re-scored by the
 * float query against the original vectors, the best k returned (`rescore`, as sq/binary's: the
 * factor r, 0 = none). Rescoring against the reconstructions, as the sq/binary indexes do, would
 * change nothing here (ADC already scores q·x̂ exactly), so the float base is kept for it and counted
 * under `vectors` (bits per vector stay the codes' m × nbits, what the scan reads).
 *
 * Inner product only: the anisotropic loss weighs the error parallel to each vector because that is
 * what moves its inner products; metric=l2 is refused with a sentence (use `pq` for L2).
 */
import { Matrix } from '../core/matrix.js';
import { TopK } from '../core/topk.js';
import { dot } from '../core/distance.js';
import { InputError } from '../core/errors.js';
import { RATES } from '../core/cost.js';
import { resolveParams, type ParamSpecs, type Resolved } from '../core/params.js';
import { specLabel } from '../core/spec.js';
import { wasmKernelsEnabled } from '../core/wasm/loader.js';
import { AnisotropicQuantizer, descriptor as scannQuantizer } from '../quant/scann.js';
import { encodeParallel } from '../quant/encode-parallel.js';
import {
  AdcFrame, WasmArray, adcBooksBytes, codewordNormsSq, dotTables, freeAdcBooks, packCodes, residentBooks, scanSum,
  type AdcBooks, type CodeArray,
} from './adc.js';
import { addSeconds, checkDim, checkK, resolveIds } from './checks.js';
import { defineIndex } from './descriptor.js';
import { PQ_DEFAULT_TRAIN_ROWS, QUERY_BLOCK } from './pq.js';
import { trainSample } from './train-sample.js';
import { indexSnapshot } from './snapshot.js';
import type { QuantizerState } from '../quant/types.js';
import {
  memoryBreakdown, type BuildOptions, type BuildReport, type IndexCapabilities, type IndexMetric,
  type IndexSnapshot, type MemoryBreakdown, type SearchParams, type SearchResult, type VectorIndex,
} from './types.js';

export const SCANN_BUILD_PARAMS = {
  ...scannQuantizer.params,
  metric: { default: 'ip', choices: ['ip', 'l2'], describe: "'ip' (inner product, descending; the only one: the codes are trained for it). Default ip." },
} as const satisfies ParamSpecs;

export const SCANN_SEARCH_PARAMS = {
  rescore: {
    default: 0, min: 0, max: 1000, integer: false,
    describe: "rescoring factor r (ScaNN's reordering): re-rank the top r·k of the scan by the float query against the original vectors. Default 0: no rescoring",
  },
} as const satisfies ParamSpecs;

export type ScannBuildParams = Partial<Resolved<typeof SCANN_BUILD_PARAMS>>;

/**
 * Tables for a block of queries are computed together; encoding runs on all threads. batch: worker
 * threads restore a snapshot and split the queries (src/index/search-modes.ts).
 */
export const SCANN_CAPABILITIES: IndexCapabilities = Object.freeze<IndexCapabilities>({
  add: true, remove: false, filter: false, batch: true, threads: true, metrics: ['ip'], asyncSearch: false, exactMemory: true,
});

export class ScannIndex implements VectorIndex {
  readonly name = 'scann';
  readonly metric: IndexMetric = 'ip';
  readonly capabilities: IndexCapabilities = SCANN_CAPABILITIES;
  readonly quantizer: AnisotropicQuantizer;
  private readonly params: Resolved<typeof SCANN_BUILD_PARAMS>;
  private dim = 0;
  private n = 0;
  /** Codes and their row positions (what the scan reports) in wasm memory when the kernels load. */
  private codes: WasmArray<CodeArray> = WasmArray.empty(Uint8Array);
  private positions: WasmArray<Int32Array> = WasmArray.empty(Int32Array);
  /** The ids of the rows when add() was given ids other than the positions; null otherwise. */
  private ids: Int32Array | null = null;
  /** The float base, for rescoring (n × d). */
  private vectors = new Float32Array(0);
  private books: AdcBooks | null = null;

  constructor(params: ScannBuildParams = {}) {
    const p = resolveParams(SCANN_BUILD_PARAMS, params, 'scann build parameter');
    if (p.metric !== 'ip') throw new InputError(`--metric ${p.metric}: the scann index scores inner products only (its anisotropic codes are trained for them); use metric=ip, or the pq index for l2.`);
    this.params = p;
    this.quantizer = scannQuantizer.create(p) as AnisotropicQuantizer;
  }

  get label(): string {
    return specLabel('scann', [[SCANN_BUILD_PARAMS, this.params]]);
  }

  get bitsPerVector(): number {
    return this.quantizer.bitsPerVector;
  }

  get size(): number {
    return this.n;
  }

  async build(x: Matrix, opts: BuildOptions = {}): Promise<BuildReport> {
    const t0 = performance.now();
    const notes: string[] = [];
    const q = this.quantizer;
    if (q.books > x.dim) throw new InputError(`--m: scann needs m ≤ the dimension ${x.dim}, got ${q.books}.`);
    const train = trainSample(x, opts.trainRows ?? PQ_DEFAULT_TRAIN_ROWS, opts.seed ?? 1234, notes);
    if (train.rows < q.size) throw new InputError(`--nbits: scann needs at least 2^nbits = ${q.size} training rows, got ${train.rows}.`);
    const r = await q.train(train, { seed: opts.seed ?? 1234, onProgress: opts.onProgress });
    notes.push(...r.notes);
    this.release();
    this.dim = x.dim;
    this.books = residentBooks(q, codewordNormsSq(q));
    await this.append(x, resolveIds(x.rows, 0, undefined, 'scann'));
    return { seconds: (performance.now() - t0) / 1000, notes };
  }

  async add(x: Matrix, ids?: Uint32Array): Promise<void> {
    this.requireBuilt();
    checkDim(x.dim, this.dim, 'added vectors', 'scann');
    await this.append(x, resolveIds(x.rows, this.n, ids, 'scann'));
  }

  private async append(x: Matrix, ids: Int32Array): Promise<void> {
    const c = await encodeParallel(this.quantizer, x);
    const n0 = this.n, n1 = n0 + x.rows, books = this.quantizer.books;
    const fresh = packCodes(c.codes, this.quantizer.size);
    const codes = new (fresh.constructor as new (n: number) => CodeArray)(n1 * books);
    codes.set(this.codes.array);
    codes.set(fresh, n0 * books);
    const vectors = new Float32Array(n1 * this.dim);
    vectors.set(this.vectors);
    vectors.set(x.data.subarray(0, x.rows * this.dim), n0 * this.dim);
    // ids other than the positions: keep them (positions are what the scan reports)
    let custom = this.ids !== null;
    for (let i = 0; i < ids.length && !custom; i++) custom = ids[i] !== n0 + i;
    if (custom) {
      const all = new Int32Array(n1);
      if (this.ids) all.set(this.ids);
      else for (let i = 0; i < n0; i++) all[i] = i;
      all.set(ids, n0);
      this.ids = all;
    }
    this.codes.free();
    this.positions.free();
    this.codes = WasmArray.from(codes);
    this.positions = WasmArray.from(Int32Array.from({ length: n1 }, (_, i) => i));
    this.vectors = vectors;
    this.n = n1;
  }

  search(q: Matrix, k: number, params: SearchParams = {}): SearchResult {
    const { rescore } = resolveParams(SCANN_SEARCH_PARAMS, params, 'scann search parameter');
    this.requireBuilt();
    checkK(k, this.n, 'scann');
    checkDim(q.dim, this.dim, 'queries', 'scann');
    const kScan = rescore > 0 ? Math.min(this.n, Math.max(k, Math.ceil(rescore * k))) : k;
    const scanned = this.scan(q, kScan);
    return rescore > 0 ? this.rescore(q, scanned, kScan, k) : this.finish(q.rows, k, scanned);
  }

  /** The top kScan positions of every query by ADC (q·x̂), as "smaller is better" scores −q·x̂, sorted. */
  private scan(q: Matrix, kScan: number): { ids: Int32Array; dists: Float32Array } {
    const books = this.quantizer.books, ks = this.quantizer.size, tl = books * ks;
    const block = Math.min(QUERY_BLOCK, q.rows);
    if (wasmKernelsEnabled() && this.books && this.codes.resident && this.positions.resident) {
      const f = new AdcFrame(block, q.dim, tl, kScan);
      const ids = new Int32Array(q.rows * kScan), dists = new Float32Array(q.rows * kScan);
      for (let q0 = 0; q0 < q.rows; q0 += QUERY_BLOCK) {
        const nq = Math.min(QUERY_BLOCK, q.rows - q0);
        f.load(q.data, q0 * q.dim, nq);
        f.computeTables(this.books, nq, false);
        for (let i = 0; i < nq; i++) f.scan(this.codes, books, ks, 0, this.n, f.table(i), -1, 0, null, this.positions, i);
        f.finish(nq, false, ids, dists, q0);
      }
      return { ids, dists };
    }
    const heap = new TopK(q.rows, kScan);
    const lut = new Float32Array(block * tl);
    const scratch = new Float32Array(block * Math.max(...this.quantizer.subDim));
    const codes = this.codes.array, positions = this.positions.array;
    for (let q0 = 0; q0 < q.rows; q0 += QUERY_BLOCK) {
      const nq = Math.min(QUERY_BLOCK, q.rows - q0);
      dotTables(q.data, q.dim, q0, nq, this.quantizer, lut, scratch);
      for (let i = 0; i < nq; i++) scanSum(codes, books, ks, 0, this.n, lut, i * tl, -1, 0, null, positions, heap, q0 + i);
    }
    return heap.sort();
  }

  /** The best k of each query's kScan candidates by the exact inner product with the original vectors. */
  private rescore(q: Matrix, cand: { ids: Int32Array }, kScan: number, k: number): SearchResult {
    const d = this.dim, v = this.vectors;
    const heap = new TopK(q.rows, k);
    for (let i = 0; i < q.rows; i++) {
      for (let t = 0; t < kScan; t++) {
        const pos = cand.ids[i * kScan + t];
        if (pos >= 0) heap.push(i, -dot(q.data, i * d, v, pos * d, d), pos);
      }
    }
    return this.finish(q.rows, k, heap.sort());
  }

  /** Positions → ids, −q·x scores → inner products. */
  private finish(nq: number, k: number, s: { ids: Int32Array; dists: Float32Array }): SearchResult {
    const kIn = s.ids.length / nq;
    const ids = new Int32Array(nq * k), dists = new Float32Array(nq * k);
    for (let i = 0; i < nq; i++) {
      for (let j = 0; j < k; j++) {
        const pos = s.ids[i * kIn + j];
        ids[i * k + j] = pos < 0 ? -1 : this.ids ? this.ids[pos] : pos;
        dists[i * k + j] = pos < 0 ? -Infinity : -s.dists[i * kIn + j];
      }
    }
    return { nq, k, ids, dists };
  }

  memoryBytes(): number {
    return this.memoryBreakdown().total;
  }

  memoryBreakdown(): MemoryBreakdown {
    const q = this.quantizer;
    const cb = q.codebooks.reduce((s, c) => s + c.byteLength, 0) + adcBooksBytes(this.books);
    return memoryBreakdown({
      codes: this.codes.byteLength, lists: this.positions.byteLength + (this.ids?.byteLength ?? 0), codebooks: cb, vectors: this.vectors.byteLength,
    });
  }

  async close(): Promise<void> {
    this.release();
    this.dim = 0;
  }

  /** For batch and concurrent search on worker threads: the quantizer, codes, positions, ids and vectors (shared). */
  snapshot(): IndexSnapshot {
    this.requireBuilt();
    return indexSnapshot(import.meta.url, 'ScannIndex', {
      params: this.params, quantizer: this.quantizer.toJSON(), dim: this.dim, n: this.n,
      codes: this.codes.array, positions: this.positions.array, ids: this.ids, vectors: this.vectors,
    });
  }

  static restore(s: Record<string, unknown>): ScannIndex {
    const index = new ScannIndex(s.params as ScannBuildParams);
    Object.assign(index.quantizer, AnisotropicQuantizer.fromJSON(s.quantizer as QuantizerState));
    index.dim = s.dim as number;
    index.n = s.n as number;
    index.books = residentBooks(index.quantizer, codewordNormsSq(index.quantizer));
    index.codes = WasmArray.from(s.codes as CodeArray);
    index.positions = WasmArray.from(s.positions as Int32Array);
    index.ids = s.ids as Int32Array | null;
    index.vectors = s.vectors as typeof index.vectors;
    return index;
  }

  private release(): void {
    freeAdcBooks(this.books);
    this.books = null;
    this.codes.free();
    this.positions.free();
    this.codes = WasmArray.empty(Uint8Array);
    this.positions = WasmArray.empty(Int32Array);
    this.ids = null;
    this.vectors = new Float32Array(0);
    this.n = 0;
  }

  private requireBuilt(): void {
    if (!this.dim) throw new Error('scann: index used before build()');
  }
}

export const descriptor = defineIndex({
  id: 'scann',
  describe: "ScaNN's anisotropic PQ codes scanned flat with ADC for inner product, optional rescoring of the top r·k against the original vectors (ScaNN's reordering)",
  buildParams: SCANN_BUILD_PARAMS,
  searchParams: SCANN_SEARCH_PARAMS,
  capabilities: SCANN_CAPABILITIES,
  unavailable: () => null,
  create: (build) => new ScannIndex(build),
  cost: (build, shape, rows) => {
    const d = shape.dim, m = build.m, k = 2 ** build.nbits;
    const buildSeconds = scannQuantizer.cost(build, { shape, trainRows: Math.min(rows, PQ_DEFAULT_TRAIN_ROWS), evalRows: rows, trainer: 'kmeans' });
    return {
      buildSeconds,
      querySeconds: (s) => (rows * m) / RATES.lookups + (2 * k * d) / RATES.kernelFlops
        + ((typeof s.rescore === 'number' ? s.rescore : 0) * 10 * 2 * d) / RATES.kernelFlops,
      addSecondsPerRow: addSeconds(buildSeconds, rows),
    };
  },
});
