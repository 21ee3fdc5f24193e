/**
 * Flat scans over per-dimension codes: the `sq` index (scalar codes, faiss IndexScalarQuantizer) and
 * the `binary` index (sign bits compared by Hamming distance, sentence-transformers' binary search),
 * each optionally followed by rescoring (sentence-transformers' recipe): the top r·k of the scan are
 * re-ranked by the float query against their reconstructions, and the best k returned.
 *
 * - sq: integer types by ADC with PQ's kernels (src/index/adc.ts; one table of 2^bits entries per
 *   dimension, wasm tables and scan), fp16 / bf16 by looking each code up in the 16-bit value table
 *   (JS); no decoded copy of the base. query=float (faiss: the float query against the
 *   reconstructions) or query=codes (the query quantized too, as an int8 · int8 search does;
 *   rescoring then restores the float query).
 * - binary: the query's bits against the base's packed bits (in wasm memory), popcount of the XOR:
 *   the wasm kernel's i64.popcnt over 64-bit words when the kernels load, else JS over 32-bit words,
 *   the same answers either way (src/core/hamming.ts). Without rescoring the distances returned are the
 *   Hamming distance h turned into the sign-bit angle estimate θ = π·h/d (2 − 2 cos θ for l2, cos θ
 *   for ip), unbiased only for unit vectors under a random rotation; the order is Hamming's.
 *
 * The index holds its quantizer (src/quant/sq.ts, src/quant/binary.ts) and never encodes by itself.
 */
import { Matrix } from '../core/matrix.js';
import { TopK } from '../core/topk.js';
import { hammingTopK, packBits } from '../core/hamming.js';
import { innerProducts } from '../core/distance.js';
import { RATES } from '../core/cost.js';
import { resolveParams, type ParamSpecs, type Resolved } from '../core/params.js';
import { specLabel } from '../core/spec.js';
import { BinaryQuantizer, descriptor as binaryQuantizer, type BinaryRotation } from '../quant/binary.js';
import { ScalarQuantizer, SQ_BITS, descriptor as sqQuantizer, type SqType } from '../quant/sq.js';
import type { CodebookQuantizer } from '../quant/codebook-quantizer.js';
import type { Codes, QuantizerState } from '../quant/types.js';
import { encodeParallel } from '../quant/encode-parallel.js';
import { wasmKernelsEnabled } from '../core/wasm/loader.js';
import {
  AdcFrame, WasmArray, adcBooksBytes, codewordNormsSq, dotTables, freeAdcBooks, l2Tables, packCodes, residentBooks, scanSum, type AdcBooks,
} from './adc.js';
import { addSeconds, checkDim, checkK, resolveIds } from './checks.js';
import { keepMask, keepRows, replaceResident } from './remove.js';
import { defineIndex } from './descriptor.js';
import { trainSample } from './train-sample.js';
import { indexSnapshot } from './snapshot.js';
import {
  memoryBreakdown, type BuildOptions, type BuildReport, type IndexCapabilities, type IndexMetric,
  type IndexSnapshot, type MemoryBreakdown, type SearchParams, type SearchResult, type VectorIndex,
} from './types.js';

const METRIC = { default: 'l2', choices: ['l2', 'ip'], describe: "'l2' (squared L2, ascending) or 'ip' (inner product, descending). Default l2." } as const;

const RESCORE = {
  default: 0, min: 0, max: 1000, integer: false,
  describe: 'rescoring factor r: re-rank the top r·k of the scan by the float query against their reconstructions (sentence-transformers\' rescore_multiplier). Default 0: no rescoring',
} as const;

export const SQ_INDEX_BUILD_PARAMS = { ...sqQuantizer.params, metric: METRIC } as const satisfies ParamSpecs;
export const SQ_INDEX_SEARCH_PARAMS = {
  query: {
    default: 'float', choices: ['float', 'codes'],
    describe: "the scan's query: 'float' (faiss: the float query against the reconstructions, default) or 'codes' (the query quantized too, an int8 · int8 search)",
  },
  rescore: RESCORE,
} as const satisfies ParamSpecs;

export const BINARY_INDEX_BUILD_PARAMS = { ...binaryQuantizer.params, metric: METRIC } as const satisfies ParamSpecs;
export const BINARY_INDEX_SEARCH_PARAMS = { rescore: RESCORE } as const satisfies ParamSpecs;

/**
 * Encoding runs on all threads; the scans on one. Exact bytes: the codes (and ids). batch: worker
 * threads restore a snapshot and split the queries (src/index/search-modes.ts).
 */
export const FLAT_CODES_CAPABILITIES: IndexCapabilities = Object.freeze<IndexCapabilities>({
  add: true, remove: true, filter: false, batch: true, threads: true, metrics: ['l2', 'ip'], asyncSearch: false, exactMemory: true,
});

/** Default rows the quantizer learns its ranges / rotation on (a seeded sample of the base). */
export const FLAT_CODES_TRAIN_ROWS = 65536;

type Kind = 'sq' | 'binary';

export class FlatCodesIndex implements VectorIndex {
  readonly metric: IndexMetric;
  readonly capabilities: IndexCapabilities = FLAT_CODES_CAPABILITIES;
  readonly quantizer: CodebookQuantizer;
  private dim = 0;
  private n = 0;
  /** sq: one code per dimension (bytes, or 16-bit patterns for fp16/bf16), in wasm memory where the ADC scan reads them. */
  private sqCodes: WasmArray<Uint8Array | Uint16Array> = WasmArray.empty(Uint8Array);
  /** binary: the bits packed in 32-bit words, in wasm memory where the Hamming kernel reads them. */
  private bits: WasmArray<Uint32Array> = WasmArray.empty(Uint32Array);
  private ids: WasmArray<Int32Array> = WasmArray.empty(Int32Array);
  /** Position of each id, when add() was given ids other than the positions. */
  private positionOf: Map<number, number> | null = null;
  /** sq integer types: the levels in wasm memory for the table kernel, and their squares. */
  private adcBooks: AdcBooks | null = null;
  private levelNorms: Float32Array = new Float32Array(0);

  constructor(readonly name: Kind, private readonly params: Record<string, string | number>) {
    this.metric = params.metric as IndexMetric;
    this.quantizer = name === 'sq'
      ? new ScalarQuantizer(params.type as SqType, params.calibration as 'minmax' | 'percentile', params.percentile as number)
      : new BinaryQuantizer(params.rotation as BinaryRotation, params.itqIters as number);
  }

  get label(): string {
    return specLabel(this.name, [[this.name === 'sq' ? SQ_INDEX_BUILD_PARAMS : BINARY_INDEX_BUILD_PARAMS, this.params]]);
  }

  get bitsPerVector(): number {
    return this.dim ? this.quantizer.bitsPerVector : 0;
  }

  get size(): number {
    return this.n;
  }

  /** 32-bit words of one binary code row. */
  private get words(): number {
    return Math.ceil(this.dim / 32);
  }

  async build(x: Matrix, opts: BuildOptions = {}): Promise<BuildReport> {
    const t0 = performance.now();
    const notes: string[] = [];
    const train = trainSample(x, opts.trainRows ?? FLAT_CODES_TRAIN_ROWS, opts.seed ?? 1234, notes);
    const r = await this.quantizer.train(train, { seed: opts.seed ?? 1234, onProgress: opts.onProgress });
    notes.push(...r.notes);
    this.dim = x.dim;
    this.n = 0;
    this.release();
    if (this.name === 'sq' && this.quantizer.size > 256) this.sqCodes = WasmArray.empty(Uint16Array); // fp16, bf16: 16-bit patterns
    else if (this.name === 'sq') {
      this.levelNorms = codewordNormsSq(this.quantizer);
      this.adcBooks = residentBooks(this.quantizer, this.levelNorms);
    }
    await this.append(x, resolveIds(x.rows, 0, undefined, this.name));
    return { seconds: (performance.now() - t0) / 1000, notes };
  }

  async add(x: Matrix, ids?: Uint32Array): Promise<void> {
    this.requireBuilt();
    checkDim(x.dim, this.dim, 'added vectors', this.name);
    await this.append(x, resolveIds(x.rows, this.n, ids, this.name));
  }

  private async append(x: Matrix, ids: Int32Array): Promise<void> {
    const c = await encodeParallel(this.quantizer, x);
    if (this.name === 'binary') this.bits = replaceResident(this.bits, concatTyped(this.bits.array, packBits(c.codes, c.n, this.dim)));
    else this.sqCodes = replaceResident(this.sqCodes, concatTyped(this.sqCodes.array, packCodes(c.codes, this.quantizer.size)));
    for (let i = 0; i < ids.length && !this.positionOf; i++) if (ids[i] !== this.n + i) this.positionOf = new Map(Array.from(this.ids.array, (id, p) => [id, p]));
    if (this.positionOf) ids.forEach((id, i) => this.positionOf!.set(id, this.n + i));
    this.ids = replaceResident(this.ids, concatTyped(this.ids.array, ids));
    this.n += x.rows;
  }

  /** Drops the codes (bits) and ids of these ids, the rest in order; the id → position map is rebuilt when there is one. */
  async remove(ids: Uint32Array): Promise<number> {
    this.requireBuilt();
    const { keep, removed } = keepMask(this.ids.array, ids);
    if (removed === 0) return 0;
    const kept = this.n - removed;
    if (this.name === 'binary') this.bits = replaceResident(this.bits, keepRows(this.bits.array, keep, this.words, kept));
    else this.sqCodes = replaceResident(this.sqCodes, keepRows(this.sqCodes.array, keep, this.dim, kept));
    this.ids = replaceResident(this.ids, keepRows(this.ids.array, keep, 1, kept));
    this.n = kept;
    // positions moved: the map is needed unless the ids are again the positions
    const stored = this.ids.array;
    let custom = false;
    for (let p = 0; p < kept && !custom; p++) custom = stored[p] !== p;
    this.positionOf = custom ? new Map(Array.from(stored, (id, p) => [id, p])) : null;
    return removed;
  }

  /** The code rows at the given positions as a Codes object, for the quantizer's decoder. */
  private codeRows(rows: ArrayLike<number>): Codes {
    const d = this.dim, out = new Uint16Array(rows.length * d);
    if (this.name === 'binary') {
      const w = this.words, bits = this.bits.array;
      for (let t = 0; t < rows.length; t++) {
        const o = rows[t] * w;
        for (let j = 0; j < d; j++) out[t * d + j] = (bits[o + (j >>> 5)] >>> (j & 31)) & 1;
      }
    } else {
      const codes = this.sqCodes.array;
      for (let t = 0; t < rows.length; t++) out.set(codes.subarray(rows[t] * d, rows[t] * d + d), t * d);
    }
    return { n: rows.length, books: d, codes: out };
  }

  search(q: Matrix, k: number, params: SearchParams = {}): SearchResult {
    const p = resolveParams(this.name === 'sq' ? SQ_INDEX_SEARCH_PARAMS : BINARY_INDEX_SEARCH_PARAMS, params, `${this.name} search parameter`) as Record<string, string | number>;
    this.requireBuilt();
    checkK(k, this.n, this.name);
    checkDim(q.dim, this.dim, 'queries', this.name);
    const r = p.rescore as number;
    const kScan = r > 0 ? Math.min(this.n, Math.max(k, Math.ceil(r * k))) : k;
    const scanQuery = p.query === 'codes' ? this.quantizer.decode(this.quantizer.encode(q)) : q;
    const scanned = this.name === 'binary' ? this.hammingScan(q, kScan)
      : this.quantizer.size <= 256 ? this.adcScan(scanQuery, kScan) : this.halfScan(scanQuery, kScan).sort();
    if (r > 0) return this.rescore(q, scanned.ids, kScan, k);
    if (this.name === 'binary') return this.hammingResult(q.rows, k, scanned);
    return this.finish(q.rows, k, scanned);
  }

  /**
   * sq integer types: the top kScan of every query by ADC over the codes, one books = dim, 2^bits
   * entries table per query (PQ's kernels with 1-d sub-spaces: wasm tables and scan when the kernels
   * load, else the JS ones). Returned as positions with "smaller is better" scores, sorted.
   */
  private adcScan(q: Matrix, kScan: number): { ids: Int32Array; dists: Float32Array } {
    const books = this.dim, ks = this.quantizer.size, tl = books * ks, ip = this.metric === 'ip';
    const ids = new Int32Array(q.rows * kScan), dists = new Float32Array(q.rows * kScan);
    const block = Math.min(ADC_QUERY_BLOCK, q.rows);
    if (this.adcBooks && this.sqCodes.resident && this.ids.resident && wasmKernelsEnabled()) {
      const f = new AdcFrame(block, q.dim, tl, kScan);
      for (let q0 = 0; q0 < q.rows; q0 += ADC_QUERY_BLOCK) {
        const nq = Math.min(ADC_QUERY_BLOCK, q.rows - q0);
        f.load(q.data, q0 * q.dim, nq);
        f.computeTables(this.adcBooks, nq, !ip);
        for (let i = 0; i < nq; i++) f.scan(this.sqCodes as WasmArray<Uint8Array>, books, ks, 0, this.n, f.table(i), ip ? -1 : 1, 0, null, this.ids, i);
        f.finish(nq, false, ids, dists, q0);
      }
    } else {
      const heap = new TopK(q.rows, kScan), lut = new Float32Array(block * tl), codes = this.sqCodes.array, stored = this.ids.array;
      for (let q0 = 0; q0 < q.rows; q0 += ADC_QUERY_BLOCK) {
        const nq = Math.min(ADC_QUERY_BLOCK, q.rows - q0);
        if (ip) dotTables(q.data, q.dim, q0, nq, this.quantizer, lut);
        else l2Tables(q.data, q.dim, q0, nq, this.quantizer, this.levelNorms, lut);
        for (let i = 0; i < nq; i++) scanSum(codes, books, ks, 0, this.n, lut, i * tl, ip ? -1 : 1, 0, null, stored, heap, q0 + i);
      }
      const sorted = heap.sort();
      ids.set(sorted.ids);
      dists.set(sorted.dists);
    }
    // the scans report ids: back to positions
    if (this.positionOf) for (let i = 0; i < ids.length; i++) if (ids[i] >= 0) ids[i] = this.positionOf.get(ids[i])!;
    return { ids, dists };
  }

  /**
   * fp16 / bf16: the top kScan of every query against the reconstructions of the base (ids are
   * positions), in "smaller is better" scores: each code looked up in the 16-bit value table (a
   * 2^16-entry ADC table per dimension would not pay), no decoded copy of the base.
   */
  private halfScan(q: Matrix, kScan: number): TopK {
    const d = this.dim, ip = this.metric === 'ip', n = this.n;
    const values = this.quantizer.codebooks[0]; // every dimension reads the one value table
    const codes = this.sqCodes.array;
    const heap = new TopK(q.rows, kScan);
    for (let i = 0; i < q.rows; i++) {
      const qo = i * d, x = q.data;
      let worst = heap.worst(i);
      for (let t = 0; t < n; t++) {
        const o = t * d;
        let s = 0;
        if (ip) for (let j = 0; j < d; j++) s -= x[qo + j] * values[codes[o + j]];
        else for (let j = 0; j < d; j++) { const e = x[qo + j] - values[codes[o + j]]; s += e * e; }
        if (s < worst) {
          heap.push(i, s, t);
          worst = heap.worst(i);
        }
      }
    }
    return heap;
  }

  /** The top kScan of every query by Hamming distance between sign bits (ids are positions), sorted. */
  private hammingScan(q: Matrix, kScan: number): { ids: Int32Array; dists: Float32Array } {
    const qBits = packBits(this.quantizer.encode(q).codes, q.rows, this.dim);
    return hammingTopK(this.bits, this.n, this.words, qBits, q.rows, kScan);
  }

  /**
   * The best k of each query's kScan candidates by the float query against their reconstructions
   * (the quantizer's own decoder), returned as real distances.
   */
  private rescore(q: Matrix, cand: Int32Array, kScan: number, k: number): SearchResult {
    const d = this.dim, ip = this.metric === 'ip';
    const heap = new TopK(q.rows, k);
    const rec = new Float32Array(kScan);
    for (let i = 0; i < q.rows; i++) {
      const mine = cand.subarray(i * kScan, (i + 1) * kScan);
      const valid = mine.indexOf(-1) < 0 ? mine : mine.subarray(0, mine.indexOf(-1));
      const x = this.quantizer.decode(this.codeRows(valid));
      innerProducts(q.data, i * d, 1, x.data, 0, valid.length, d, rec, valid.length);
      const qn = ip ? 0 : rowNorms(q.data.subarray(i * d, (i + 1) * d), 1, d)[0];
      const xn = ip ? null : rowNorms(x.data, valid.length, d);
      for (let t = 0; t < valid.length; t++) heap.push(i, ip ? -rec[t] : qn + xn![t] - 2 * rec[t], valid[t]);
    }
    return this.finish(q.rows, k, heap.sort());
  }

  /** Positions → ids; "smaller is better" scores → distances (l2, clamped at 0) or inner products. */
  private finish(nq: number, k: number, s: { ids: Int32Array; dists: Float32Array }): SearchResult {
    const ip = this.metric === 'ip';
    const ids = new Int32Array(nq * k), dists = new Float32Array(nq * k);
    const kIn = s.ids.length / nq, stored = this.ids.array;
    for (let i = 0; i < nq; i++) {
      for (let j = 0; j < k; j++) {
        const pos = s.ids[i * kIn + j], v = s.dists[i * kIn + j];
        ids[i * k + j] = pos < 0 ? -1 : stored[pos];
        dists[i * k + j] = pos < 0 ? (ip ? -Infinity : Infinity) : ip ? -v : Math.max(0, v);
      }
    }
    return { nq, k, ids, dists };
  }

  /** Hamming distances as the sign-bit angle estimate θ = π·h/d, in the metric's units. */
  private hammingResult(nq: number, k: number, s: { ids: Int32Array; dists: Float32Array }): SearchResult {
    const angle = { ids: s.ids, dists: new Float32Array(s.dists.length) };
    const ip = this.metric === 'ip';
    for (let i = 0; i < s.dists.length; i++) {
      const c = Math.cos((Math.PI * s.dists[i]) / this.dim);
      angle.dists[i] = ip ? -c : 2 - 2 * c;
    }
    return this.finish(nq, k, angle);
  }

  memoryBytes(): number {
    return this.memoryBreakdown().total;
  }

  memoryBreakdown(): MemoryBreakdown {
    // shared by every vector: the per-bit means (+ the rotation in float64 and float32, and the centre) or the levels / value table
    const q = this.quantizer, d = this.dim;
    const sharedBytes = !d ? 0
      : q instanceof BinaryQuantizer ? 4 * 2 * d + (q.rotation ? (8 + 4) * d * d + 8 * d : 0)
      : SQ_BITS[(q as ScalarQuantizer).type] === 16 ? 4 * 65536 : 4 * d * q.size;
    const lookup = this.positionOf ? 8 * this.positionOf.size : 0; // the id → position map of custom ids (two numbers per entry, at least)
    return memoryBreakdown({ codes: this.sqCodes.byteLength + this.bits.byteLength, lists: this.ids.byteLength + lookup, codebooks: sharedBytes + this.levelNorms.byteLength + adcBooksBytes(this.adcBooks) });
  }

  async close(): Promise<void> {
    this.release();
    this.dim = 0;
  }

  /** For batch and concurrent search on worker threads: the quantizer, codes and ids (shared). */
  snapshot(): IndexSnapshot {
    this.requireBuilt();
    return indexSnapshot(import.meta.url, 'FlatCodesIndex', {
      name: this.name, params: this.params, dim: this.dim, n: this.n, quantizer: this.quantizer.toJSON(),
      sqCodes: this.sqCodes.array, bits: this.bits.array, ids: this.ids.array, positionOf: this.positionOf ? [...this.positionOf] : null,
    });
  }

  static restore(s: Record<string, unknown>): FlatCodesIndex {
    const index = new FlatCodesIndex(s.name as Kind, s.params as Record<string, string | number>);
    const state = s.quantizer as QuantizerState;
    Object.assign(index.quantizer, index.name === 'sq' ? ScalarQuantizer.fromJSON(state) : BinaryQuantizer.fromJSON(state));
    index.dim = s.dim as number;
    index.n = s.n as number;
    if (index.name === 'sq' && index.quantizer.size <= 256) {
      index.levelNorms = codewordNormsSq(index.quantizer);
      index.adcBooks = residentBooks(index.quantizer, index.levelNorms);
    }
    index.sqCodes = WasmArray.from(s.sqCodes as Uint8Array | Uint16Array);
    index.bits = WasmArray.from(s.bits as Uint32Array);
    index.ids = WasmArray.from(s.ids as Int32Array);
    index.positionOf = s.positionOf ? new Map(s.positionOf as [number, number][]) : null;
    return index;
  }

  private release(): void {
    freeAdcBooks(this.adcBooks);
    this.adcBooks = null;
    this.levelNorms = new Float32Array(0);
    this.sqCodes.free();
    this.ids.free();
    this.sqCodes = WasmArray.empty(Uint8Array);
    this.ids = WasmArray.empty(Int32Array);
    this.bits.free();
    this.bits = WasmArray.empty(Uint32Array);
    this.positionOf = null;
    this.n = 0;
  }

  private requireBuilt(): void {
    if (!this.dim) throw new Error(`${this.name}: index used before build()`);
  }
}

export { packBits, popcount32 } from '../core/hamming.js';

/** a then b in one new array of a's type. */
function concatTyped<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array>(a: T, b: ArrayLike<number>): T {
  const out = new (a.constructor as new (n: number) => T)(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Queries whose ADC tables are computed together. */
const ADC_QUERY_BLOCK = 64;

function rowNorms(x: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = i * d, e = j + d; j < e; j++) s += x[j] * x[j];
    out[i] = s;
  }
  return out;
}

/** The rescoring work per query: r·k reconstructions and their distances. */
function rescoreSeconds(search: Record<string, unknown>, d: number, perRow: number): number {
  const r = typeof search.rescore === 'number' ? search.rescore : 0;
  return (r * 10 * (perRow + 2 * d)) / RATES.kernelFlops;
}

export const sqDescriptor = defineIndex({
  id: 'sq',
  describe: 'scalar-quantized codes (sq: fp16, bf16, int8, int4 ...) scanned flat against the float query (faiss IndexScalarQuantizer), optional float rescoring of the top r·k',
  buildParams: SQ_INDEX_BUILD_PARAMS,
  searchParams: SQ_INDEX_SEARCH_PARAMS,
  capabilities: FLAT_CODES_CAPABILITIES,
  unavailable: () => null,
  create: (build) => new FlatCodesIndex('sq', build as Record<string, string | number>),
  cost: (build, shape, rows) => {
    const d = shape.dim;
    const train = sqQuantizer.cost(build, { shape, trainRows: Math.min(rows, FLAT_CODES_TRAIN_ROWS), evalRows: rows, trainer: 'kmeans' });
    return {
      buildSeconds: train,
      // one level lookup and a multiply-add per dimension per base row, in JS (counted as table lookups)
      querySeconds: (s) => (2 * rows * d) / RATES.lookups + rescoreSeconds(s, d, d),
      addSecondsPerRow: addSeconds(train, rows, 1),
    };
  },
});

export const binaryDescriptor = defineIndex({
  id: 'binary',
  describe: 'sign bits (binary, rotation none or itq) scanned flat by Hamming distance, optional float rescoring of the top r·k (sentence-transformers\' binary + rescore)',
  buildParams: BINARY_INDEX_BUILD_PARAMS,
  searchParams: BINARY_INDEX_SEARCH_PARAMS,
  capabilities: FLAT_CODES_CAPABILITIES,
  unavailable: () => null,
  create: (build) => new FlatCodesIndex('binary', build as Record<string, string | number>),
  cost: (build, shape, rows) => {
    const d = shape.dim, rotated = build.rotation === 'itq';
    const train = binaryQuantizer.cost(build, { shape, trainRows: Math.min(rows, FLAT_CODES_TRAIN_ROWS), evalRows: rows, trainer: 'kmeans' });
    return {
      buildSeconds: train,
      // one XOR + popcount per 32-bit word per base row (counted as table lookups; the wasm kernel does two words per popcount)
      querySeconds: (s) => (rows * Math.ceil(d / 32) * 4) / RATES.lookups + rescoreSeconds(s, d, rotated ? 2 * d * d : d),
      addSecondsPerRow: addSeconds(train, rows, 1),
    };
  },
});
