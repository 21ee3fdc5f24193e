/**
 * The WRVQ paper's three-layer inverted index (§2 of WRVQ-PAPER.md), around a
 * WeightedResidualQuantizer (src/quant/wrvq.ts), which does all the encoding.
 *
 * Build: train the quantizer on a seeded sample, encode the base on all threads, store per vector
 * its codes, weights and ||x̂||² (float32; in wasm memory, where the wasm scan reads them), and sort the vectors by code prefix
 * (c1, c2, …, c_{1+fuzzyBooks}): cell c1 holds a run of buckets, bucket = one sub-cell prefix, and
 * every bucket's codes are contiguous.
 *
 * Search, per query:
 *  1. Exact match layer: C1 is the coarse quantizer; the `nprobe` non-empty cells whose approximate
 *     centre w̄1[j]·c1_j is nearest to q (paper: 1).
 *  2. Fuzzy match layer (fuzzyBooks = 1 or 2): the query residual r = q − w̄1·c1 is compared with
 *     the sub-cell centres w̄2·c2 (or w̄2·c2 + w̄3·c3 for two books) of the cell's non-empty
 *     sub-cells, w̄ being one approximate weight per codeword fixed at build time (the mean fp16
 *     weight of the base vectors that chose it); the `fuzzyK` best sub-cells per probed cell are
 *     kept (0 = all). Dot products come from the query's table plus codebook Gram tables
 *     (C1·C2, C1·C3, C2·C3, fixed at build time), so this layer costs O(sub-cells), not O(d).
 *  3. Search layer: every vector of the kept sub-cells scored with ADC, paper eq. 14:
 *     ||x̂ − q||² = ||x̂||² + ||q||² − 2 Σ_i w_i (c_i · q), one books × size dot table per query
 *     (computed for a block of queries at once) and the fp16 weights decoded by table lookup: the
 *     wasm `adc_scan_weighted`, one call per query over its kept runs, or the JS `scanWeighted` (the
 *     reference, the same results bit for bit) when the kernels are off (`setWrvqWasmScan(false)`).
 *     Optionally (`rerank` build flag) the best `rerankK` are re-scored exactly on stored floats.
 *
 * Inner-product metric: cells and sub-cells by q·(w̄·c), vectors by q·x̂ = Σ_i w_i (c_i · q).
 *
 * Weights (`weightBits`, passed to the quantizer): 16 stores fp16 patterns (the paper); 8 or 4
 * (ours) store each weight as the index of its stage's learned level, one byte each (4-bit indices
 * are not packed two to a byte: the scan reads bytes), read through a per-book table of the
 * levels. bitsPerVector counts weightBits per weight; memory counts the bytes held.
 */
import { Matrix } from '../core/matrix.js';
import { innerProducts, dot, l2sq, rowNormsSq } from '../core/distance.js';
import { TopK } from '../core/topk.js';
import { InputError } from '../core/errors.js';
import { WeightedResidualQuantizer, WEIGHT_BITS, WEIGHT_RULES, descriptor as wrvqQuantizer, nearestLevel, type WeightRule } from '../quant/wrvq.js';
import { encodeParallel } from '../quant/encode-parallel.js';
import type { Codes, QuantizerState, TrainerKind } from '../quant/types.js';
import { indexSnapshot } from './snapshot.js';
import {
  AdcFrame, HALF_TABLE, HALF_WEIGHTS, WasmArray, adcBooksBytes, codewordNormsSq, dotTables, freeAdcBooks, gatherRows, mergeSorted, packCodes,
  residentBooks, residentFilter, residentHalfTable, scanWeighted, type AdcBooks, type CodeArray, type WeightTable,
} from './adc.js';
import { wasmKernelsEnabled } from '../core/wasm/loader.js';
import { RATES, kmeansFlops } from '../core/cost.js';
import { NBITS_AS_SIZE, resolveParams, type ParamSpecs, type Resolved } from '../core/params.js';
import { specLabel } from '../core/spec.js';
import { addSeconds, checkDim, checkK, numberOr, resolveIds } from './checks.js';
import { keepMask, keepRows, replaceResident } from './remove.js';
import { defineIndex } from './descriptor.js';
import { codeBytes, codebookBytes } from './memory-budget.js';
import { PAPER_4X256, finishHeap } from './pq.js';
import { buildInSteps } from './train-sample.js';
import {
  memoryBreakdown, type BuildOptions, type BuildReport, type IndexCapabilities, type IndexMetric,
  type ChunkedBuild, type MemoryBreakdown, type IndexSnapshot, type SearchOptions, type SearchParams, type SearchResult, type VectorIndex,
} from './types.js';

export const WRVQ_BUILD_PARAMS = {
  books: { default: 4, min: 1, aliases: ['m'], describe: 'Codebooks (stages); C1 is the coarse quantizer. Default 4 (the paper\'s 4×256).' },
  size: { default: 256, min: 2, max: 65536, aliases: [NBITS_AS_SIZE], describe: 'Codewords per codebook = cells of the exact layer. Default 256.' },
  weights: { default: 'paper', choices: WEIGHT_RULES, describe: "Weight rule: 'paper' (residual length, eq. 8) or 'gain' (projection). Default paper." },
  weightBits: wrvqQuantizer.params.weightBits,
  trainer: { default: 'kmeans', choices: ['kmeans', 'adam'], describe: "Codebook training: 'kmeans' (the paper's L) or 'adam' (the paper's T). Default kmeans." },
  fuzzyBooks: { default: 1, min: 0, max: 2, describe: 'Codebooks after C1 used by the fuzzy layer (0, 1 or 2 = combinations c2+c3). Default 1; 0 = no fuzzy layer.' },
  rerank: { default: false, describe: 'Store the float vectors and re-score the best rerankK ADC candidates exactly (costs 32·d bits per vector, counted). Default false.' },
  metric: { default: 'l2', choices: ['l2', 'ip'], describe: "'l2' or 'ip'. Default l2." },
} as const satisfies ParamSpecs;

export const WRVQ_SEARCH_PARAMS = {
  nprobe: { default: 1, min: 1, describe: 'Cells of C1 visited per query (paper: 1). More = higher recall, slower; at most size.' },
  fuzzyK: { default: 16, min: 0, describe: 'Sub-cells kept per visited cell by the fuzzy layer; 0 = all. Default 16; more = higher recall, slower.' },
  rerankK: { default: 100, min: 1, describe: 'ADC candidates re-scored exactly when the index was built with rerank (at least k). Default 100.' },
} as const satisfies ParamSpecs;

export type WrvqBuildParams = Partial<Resolved<typeof WRVQ_BUILD_PARAMS>>;
export type WrvqSearchParams = Partial<Resolved<typeof WRVQ_SEARCH_PARAMS>>;

/**
 * Dot tables for a block of queries are computed together; training and encoding run on all threads.
 * batch: worker threads restore a snapshot and split the queries (src/index/search-modes.ts).
 */
export const WRVQ_CAPABILITIES: IndexCapabilities = Object.freeze<IndexCapabilities>({
  add: true, remove: true, filter: true, batch: true, threads: true, metrics: ['l2', 'ip'], asyncSearch: false, exactMemory: true, chunkedBuild: true,
});

/** Default training sample (k-means caps each codebook at 256 points per codeword anyway). */
export const WRVQ_DEFAULT_TRAIN_ROWS = 65536;
const QUERY_BLOCK = 64;

/** Whether the search uses the wasm weighted scan when it can (else the JS scan, the reference). */
let wasmScan = true;

/**
 * Turns wrvq's wasm weighted scan on or off in this thread (the tables and everything else unchanged:
 * benchmarks compare the two scans in one run, tests compare their results); returns the previous state.
 */
export function setWrvqWasmScan(on: boolean): boolean {
  const prev = wasmScan;
  wasmScan = on;
  return prev;
}
const DECODE_CHUNK = 4096;

export class WrvqIndex implements VectorIndex, ChunkedBuild {
  readonly name = 'wrvq';
  readonly metric: IndexMetric;
  readonly capabilities: IndexCapabilities = WRVQ_CAPABILITIES;
  private readonly params: Resolved<typeof WRVQ_BUILD_PARAMS>;
  readonly quantizer: WeightedResidualQuantizer;
  readonly trainer: TrainerKind;
  readonly fuzzyBooks: number;
  readonly rerank: boolean;
  private dim = 0;
  /** Approximate weight per codeword (book m, codeword j at m·size + j), fixed at build time. */
  private wbar: Float32Array = new Float32Array(0);
  /** Between `train` and `endBuild`: the weight sums w̄ is drawn from; null once built. */
  private weightSums: WeightSums | null = null;
  private cwNorms: Float32Array = new Float32Array(0);
  /** The codebooks in wasm memory: single queries get their dot tables from the wasm table kernel. */
  private books: AdcBooks | null = null;
  /** Gram tables C_a · C_b (size × size): g12 for fuzzyBooks ≥ 1, g13 and g23 for 2. */
  private g12: Float32Array = new Float32Array(0);
  private g13: Float32Array = new Float32Array(0);
  private g23: Float32Array = new Float32Array(0);
  /** Cell c1 holds buckets cellStart[c1]..cellStart[c1+1]; bucket b holds rows bucketStart[b]..bucketStart[b+1]. */
  private cellStart: Uint32Array = new Uint32Array(1);
  private bucketKey: Uint32Array = new Uint32Array(0);
  private bucketStart: Uint32Array = new Uint32Array(1);
  /** Codes, weights, norms and ids are held in wasm memory (WasmArray: one copy), where the wasm scan reads them in place. */
  private codes: WasmArray<CodeArray> = WasmArray.empty(Uint8Array);
  /** fp16 patterns (weightBits 16) or level indices (8, 4), read through weightTable. */
  private weights: WasmArray<Uint8Array | Uint16Array> = WasmArray.empty(Uint16Array);
  private weightTable: WeightTable = HALF_WEIGHTS;
  /** The level table in wasm memory (weightBits 8, 4; the fp16 table is one per thread, `residentHalfTable`). */
  private levelsResident: WasmArray<Float32Array> | null = null;
  /** ||x̂||² per row (l2 only). */
  private norms: WasmArray<Float32Array> = WasmArray.empty(Float32Array);
  private ids: WasmArray<Int32Array> = WasmArray.empty(Int32Array);
  /** Float vectors (rerank only), and the row numbers 0..n−1 the scan reports in their place. */
  private vectors: Float32Array | null = null;
  private rowIds: WasmArray<Int32Array> | null = null;

  constructor(params: WrvqBuildParams = {}) {
    const p = resolveParams(WRVQ_BUILD_PARAMS, params, 'wrvq build parameter');
    this.params = p;
    this.metric = p.metric as IndexMetric;
    this.trainer = p.trainer as TrainerKind;
    this.fuzzyBooks = p.fuzzyBooks;
    this.rerank = p.rerank;
    if (p.fuzzyBooks > p.books - 1) {
      throw new InputError(`--fuzzyBooks: wrvq with ${p.books} books can use at most ${p.books - 1} fuzzy codebooks, got ${p.fuzzyBooks}.`);
    }
    if (!WEIGHT_BITS.includes(p.weightBits)) throw new InputError(`--weight-bits: wrvq build parameter 'weightBits' must be 16 (fp16, the paper's), 8 or 4, got ${p.weightBits}.`);
    this.quantizer = new WeightedResidualQuantizer(p.books, p.size, p.weights as WeightRule, p.weightBits);
  }

  get label(): string {
    return specLabel('wrvq', [[WRVQ_BUILD_PARAMS, this.params]]);
  }

  /** books·(log2 size + weightBits) for codes and weights, + 32 for ||x̂||² (l2), + 32·d with rerank. */
  get bitsPerVector(): number {
    return this.quantizer.bitsPerVector + (this.metric === 'l2' ? 32 : 0) + (this.rerank ? 32 * this.dim : 0);
  }

  get size(): number {
    return this.ids.length;
  }

  /** Number of non-empty sub-cells (buckets). */
  get buckets(): number {
    return this.bucketKey.length;
  }

  async build(x: Matrix, opts: BuildOptions = {}): Promise<BuildReport> {
    return buildInSteps(this, x, opts);
  }

  defaultTrainRows(): number {
    return WRVQ_DEFAULT_TRAIN_ROWS;
  }

  /**
   * Trains the quantizer on `train` and derives the codebook tables; the index is then empty and
   * collects the weights of the rows added until `endBuild()` (w̄, the mean weight per codeword,
   * is drawn from the whole base).
   */
  async train(train: Matrix, opts: BuildOptions = {}): Promise<BuildReport> {
    const t0 = performance.now();
    const notes: string[] = [];
    const q = this.quantizer;
    if (train.rows < q.size) throw new InputError(`--size: wrvq needs at least size = ${q.size} training rows, got ${train.rows}.`);
    const r = await q.train(train, { seed: opts.seed ?? 1234, trainer: this.trainer, onProgress: opts.onProgress });
    notes.push(...r.notes);
    this.dim = train.dim;
    this.cwNorms = codewordNormsSq(q);
    freeAdcBooks(this.books);
    this.books = residentBooks(q, this.cwNorms);
    const S = q.size, d = train.dim;
    const gram = (a: number, b: number) => {
      const g = new Float32Array(S * S);
      innerProducts(q.codebooks[a], 0, S, q.codebooks[b], 0, S, d, g);
      return g;
    };
    this.g12 = this.fuzzyBooks >= 1 ? gram(0, 1) : new Float32Array(0);
    this.g13 = this.fuzzyBooks >= 2 ? gram(0, 2) : new Float32Array(0);
    this.g23 = this.fuzzyBooks >= 2 ? gram(1, 2) : new Float32Array(0);

    this.setWeightTable(weightTableOf(q));
    this.freeRows();
    this.weights = q.weightBits < 16 ? WasmArray.empty(Uint8Array) : WasmArray.empty(Uint16Array);
    this.vectors = null;
    this.weightSums = new WeightSums(q.books, S);
    this.wbar = this.weightSums.means();
    return { seconds: (performance.now() - t0) / 1000, notes };
  }

  endBuild(): string[] {
    this.weightSums = null; // w̄ stays as the build's rows made it; later adds do not move it
    const S = this.quantizer.size;
    let emptyCells = 0;
    for (let c = 0; c < S; c++) if (this.cellStart[c] === this.cellStart[c + 1]) emptyCells++;
    return [`${S - emptyCells} non-empty cells, ${this.buckets} non-empty sub-cells (prefix of ${1 + this.fuzzyBooks} codes)`];
  }

  async add(x: Matrix, ids?: Uint32Array): Promise<void> {
    if (!this.dim) throw new Error('wrvq: add() before build()');
    checkDim(x.dim, this.dim, 'added vectors', 'wrvq');
    const newIds = resolveIds(x.rows, this.size, ids, 'wrvq');
    const codes = await encodeParallel(this.quantizer, x);
    if (this.weightSums) {
      // during a build: w̄ follows the rows added so far (cheap: books × size values)
      this.weightSums.add(codes);
      this.wbar = this.weightSums.means();
    }
    this.append(x, codes, newIds);
  }

  /**
   * Drops these ids: codes, weights, norms, ids (and stored floats) compacted in their sorted order,
   * then the cell and bucket offsets rebuilt; w̄ stays as built. Memory shrinks with them.
   */
  async remove(ids: Uint32Array): Promise<number> {
    if (!this.dim) throw new Error('wrvq: remove() before build()');
    const { keep, removed } = keepMask(this.ids.array, ids);
    if (removed === 0) return 0;
    const kept = this.size - removed, B = this.quantizer.books;
    this.codes = replaceResident(this.codes, keepRows(this.codes.array, keep, B, kept));
    this.weights = replaceResident(this.weights, keepRows(this.weights.array, keep, B, kept));
    if (this.metric === 'l2') this.norms = replaceResident(this.norms, keepRows(this.norms.array, keep, 1, kept));
    this.ids = replaceResident(this.ids, keepRows(this.ids.array, keep, 1, kept));
    if (this.vectors) {
      this.vectors = keepRows(this.vectors, keep, this.dim, kept);
      this.rowIds = replaceResident(this.rowIds!, Int32Array.from({ length: kept }, (_, p) => p));
    }
    this.rebuildBuckets();
    return removed;
  }

  /** Sort key of a row: its code prefix (c1, …, c_{1+fuzzyBooks}) in mixed radix `size`. */
  private keyOf(codes: ArrayLike<number>, row: number): number {
    const B = this.quantizer.books, S = this.quantizer.size;
    let key = 0;
    for (let f = 0; f <= this.fuzzyBooks; f++) key = key * S + codes[row * B + f];
    return key;
  }

  /** Merges encoded rows into the sorted storage and rebuilds the cell / bucket offsets. */
  private append(x: Matrix, c: Codes, ids: Int32Array): void {
    const q = this.quantizer, B = q.books, S = q.size;
    const n0 = this.size, n1 = x.rows;
    const weights = c.weights!;
    let norms = new Float32Array(0);
    if (this.metric === 'l2') {
      // ||x̂||² of the decoded vectors (fp16-rounded weights, as the scan uses them)
      norms = new Float32Array(n1);
      for (let s = 0; s < n1; s += DECODE_CHUNK) {
        const e = Math.min(n1, s + DECODE_CHUNK);
        const xh = q.decode({ n: e - s, books: B, codes: c.codes.subarray(s * B, e * B), weights: weights.subarray(s * B, e * B) });
        rowNormsSq(xh.data, e - s, x.dim, norms.subarray(s, e));
      }
    }
    const oldCodes = this.codes.array;
    const oldKeys = new Float64Array(n0);
    for (let p = 0; p < n0; p++) oldKeys[p] = this.keyOf(oldCodes, p);
    const newKeys = new Float64Array(n1);
    for (let i = 0; i < n1; i++) newKeys[i] = this.keyOf(c.codes, i);
    const source = mergeSorted(oldKeys, newKeys);
    const old = n0 > 0;
    // merged on the JS heap (the views stay valid: nothing grows the wasm memory meanwhile), then moved in
    const codesAll = gatherRows(source, old ? oldCodes : null, packCodes(c.codes, S), B);
    const weightsAll = gatherRows<Uint8Array | Uint16Array>(source, old ? this.weights.array : null, this.storedWeights(weights), B);
    const normsAll = this.metric === 'l2' ? gatherRows(source, old ? this.norms.array : null, norms, 1) : null;
    const idsAll = gatherRows(source, old ? this.ids.array : null, ids, 1);
    this.codes = replaceResident(this.codes, codesAll);
    this.weights = replaceResident(this.weights, weightsAll);
    if (normsAll) this.norms = replaceResident(this.norms, normsAll);
    this.ids = replaceResident(this.ids, idsAll);
    if (this.rerank) {
      this.vectors = gatherRows(source, this.vectors, x.data, x.dim);
      const n = n0 + n1;
      const rowIds = new Int32Array(n);
      for (let p = 0; p < n; p++) rowIds[p] = p;
      this.rowIds?.free();
      this.rowIds = WasmArray.from(rowIds);
    }
    this.rebuildBuckets();
  }

  /** The codes' fp16 weights as this index stores them: as they are, or their stage's level index. */
  private storedWeights(fp16: Uint16Array): Uint8Array | Uint16Array {
    const q = this.quantizer, B = q.books;
    if (q.weightBits === 16) return fp16;
    const out = new Uint8Array(fp16.length);
    // the quantizer coded each weight to one of its stage's fp16-exact levels: found exactly
    for (let i = 0; i < fp16.length; i++) out[i] = nearestLevel(q.weightLevels[i % B], HALF_TABLE[fp16[i]]);
    return out;
  }

  private rebuildBuckets(): void {
    const S = this.quantizer.size, n = this.size, codes = this.codes.array;
    const sub = S ** this.fuzzyBooks;
    let nb = 0, prev = -1;
    for (let p = 0; p < n; p++) {
      const k = this.keyOf(codes, p);
      if (k !== prev) { nb++; prev = k; }
    }
    const bucketKey = new Uint32Array(nb), bucketStart = new Uint32Array(nb + 1), cellStart = new Uint32Array(S + 1);
    let b = -1;
    prev = -1;
    for (let p = 0; p < n; p++) {
      const k = this.keyOf(codes, p);
      if (k !== prev) {
        b++;
        prev = k;
        bucketKey[b] = k % sub;
        bucketStart[b] = p;
        cellStart[Math.floor(k / sub) + 1]++;
      }
    }
    bucketStart[nb] = n;
    for (let c = 0; c < S; c++) cellStart[c + 1] += cellStart[c];
    this.bucketKey = bucketKey;
    this.bucketStart = bucketStart;
    this.cellStart = cellStart;
  }

  search(q: Matrix, k: number, params: SearchParams = {}, opts: SearchOptions = {}): SearchResult {
    const p = resolveParams(WRVQ_SEARCH_PARAMS, params, 'wrvq search parameter');
    if (!this.dim) throw new Error('wrvq: search() before build()');
    const Q = this.quantizer, B = Q.books, S = Q.size, tl = B * S, d = this.dim;
    if (p.nprobe > S) throw new InputError(`--nprobe: wrvq has size = ${S} cells, so nprobe must be ≤ ${S}, got ${p.nprobe}.`);
    checkK(k, this.size, 'wrvq');
    checkDim(q.dim, d, 'queries', 'wrvq');
    const nq = q.rows, nprobe = p.nprobe;
    const ip = this.metric === 'ip';
    const reranking = this.rerank && this.vectors !== null;
    const kk = reranking ? Math.min(this.size, Math.max(k, p.rerankK)) : k;
    const F = this.fuzzyBooks, fuzzyK = p.fuzzyK;
    const normScale = ip ? 0 : 1, dotScale = ip ? -1 : -2;
    const wt = this.weightTable;

    // filtered: the heap drops candidates the filter does not allow (re-ranked scans push row numbers, so the bitmap goes over rows)
    const allowed = opts.filter ? (reranking ? this.allowedRows(opts.filter.allowed) : opts.filter.allowed) : null;
    // the wasm scan (adc_scan_weighted) when the kernels are on and everything it reads is in wasm memory; else the JS scan
    const onWasm = wasmKernelsEnabled() && wasmScan;
    const bits = onWasm && allowed ? residentFilter(allowed) : null;
    const wtR = onWasm ? this.residentWeightTable() : null;
    const wasm = onWasm && wtR !== null && this.wasmReady() && (!allowed || bits !== null);
    const heap = wasm ? null : new TopK(nq, kk, allowed);
    const out = wasm ? { ids: new Int32Array(nq * kk), dists: new Float32Array(nq * kk) } : null;
    // sized for the block actually searched: a single query must not allocate (and zero) 64 tables
    const T = new Float32Array(Math.min(QUERY_BLOCK, nq) * tl);
    const runs = new Uint32Array(2 * nprobe * Math.max(1, fuzzyK));
    const { cellStart } = this;
    for (let q0 = 0; q0 < nq; q0 += QUERY_BLOCK) {
      const nb = Math.min(QUERY_BLOCK, nq - q0);
      dotTables(q.data, d, q0, nb, Q, T, undefined, this.books);
      const cells = new TopK(nb, nprobe);
      const subs = F > 0 && fuzzyK > 0 ? new TopK(nb * nprobe, fuzzyK) : null;
      let f: AdcFrame | null = null;
      if (wasm) {
        // after the table kernel's call (it reuses the scratch): the block's tables and heaps in a frame
        f = new AdcFrame(nb, d, tl, kk, runs.length >> 1);
        f.allowed = bits;
        f.load(q.data, q0 * d, nb);
        f.write(f.table(0), T, 0, nb * tl);
      }
      // JS scan: views of the stored arrays, taken after the last call that could grow the wasm memory
      const codes = f ? null : this.codes.array, weights = f ? null : this.weights.array, norms = f ? null : this.norms.array;
      const scanIds = f ? null : (reranking ? this.rowIds! : this.ids).array;
      for (let i = 0; i < nb; i++) {
        const qi = q0 + i, to = i * tl;
        const qn = ip ? 0 : dot(q.data, qi * d, q.data, qi * d, d);
        const nr = this.probe(T, to, i, cells, nprobe, subs, fuzzyK, ip, cellStart, runs);
        // 3. search layer: ADC (eq. 14) over the kept sub-cells' rows (the wasm scan takes all the query's runs in one call)
        if (f) f.scanWeighted(runs, nr, this.codes, this.weights, wtR!, wt.stride, B, S, f.table(i), dotScale, qn, ip ? null : this.norms, reranking ? this.rowIds! : this.ids, i);
        else for (let r = 0; r < nr; r++) scanWeighted(codes!, weights!, norms!, B, S, runs[2 * r], runs[2 * r + 1], T, to, normScale, qn, dotScale, scanIds!, heap!, qi, wt);
      }
      if (f) f.finish(nb, ip && !reranking, out!.ids, out!.dists, q0);
    }
    if (!reranking) return out ? { nq, k, ...out } : finishHeap(heap!, ip);
    // the candidates in (score, id) order on both paths, so the exact re-scores are pushed in the same order
    return this.rerankExact(q, k, out ? out.ids : heap!.sort().ids, kk, ip);
  }

  /**
   * Layers 1 and 2 for query row i of a block (dot table at T[to]): the row runs [s, e) the search
   * layer scans, in order, written to `runs` as (s, e) pairs; returns how many.
   */
  private probe(
    T: Float32Array, to: number, i: number, cells: TopK, nprobe: number, subs: TopK | null, fuzzyK: number, ip: boolean,
    cellStart: Uint32Array, runs: Uint32Array,
  ): number {
    const S = this.quantizer.size, { wbar, cwNorms, bucketKey, bucketStart } = this;
    // 1. exact match layer: distance to the approximate cell centre w̄1·c1 (||q||² left out)
    for (let c = 0; c < S; c++) {
      if (cellStart[c] === cellStart[c + 1]) continue;
      const w = wbar[c];
      const v = ip ? -w * T[to + c] : w * w * cwNorms[c] - 2 * w * T[to + c];
      cells.push(i, v, c);
    }
    let nr = 0;
    for (let pr = 0; pr < nprobe; pr++) {
      const c = cells.ids[i * nprobe + pr];
      if (c < 0) continue;
      const b0 = cellStart[c], b1 = cellStart[c + 1];
      if (!subs || b1 - b0 <= fuzzyK) {
        // no fuzzy layer (or it would keep everything): the cell's rows are one contiguous run
        runs[2 * nr] = bucketStart[b0];
        runs[2 * nr + 1] = bucketStart[b1];
        nr++;
        continue;
      }
      // 2. fuzzy match layer: rank the cell's sub-cells by distance of r = q − w̄1·c1 to their centres
      const h = i * nprobe + pr, w1 = wbar[c];
      for (let b = b0; b < b1; b++) subs.push(h, this.subCellScore(T, to, c, w1, bucketKey[b], ip), b);
      for (let t = 0; t < fuzzyK; t++) {
        const b = subs.ids[h * fuzzyK + t];
        if (b < 0) continue;
        runs[2 * nr] = bucketStart[b];
        runs[2 * nr + 1] = bucketStart[b + 1];
        nr++;
      }
    }
    return nr;
  }

  /** Whether everything the wasm scan reads is in wasm memory. */
  private wasmReady(): boolean {
    return this.books !== null && this.codes.resident && this.weights.resident && this.ids.resident
      && (this.metric === 'ip' || this.norms.resident) && (this.rowIds === null || this.rowIds.resident);
  }

  /** The weight table in wasm memory (the fp16 table shared per thread, or this index's levels), or null. */
  private residentWeightTable(): WasmArray<Float32Array> | null {
    if (this.weightTable === HALF_WEIGHTS) return residentHalfTable();
    return this.levelsResident?.resident ? this.levelsResident : null;
  }

  private setWeightTable(t: WeightTable): void {
    this.weightTable = t;
    this.levelsResident?.free();
    this.levelsResident = t === HALF_WEIGHTS ? null : WasmArray.from(t.table);
  }

  /** Gives the stored rows' wasm blocks back and leaves the index empty. */
  private freeRows(): void {
    for (const a of [this.codes, this.weights, this.norms, this.ids]) a.free();
    this.rowIds?.free();
    this.codes = WasmArray.empty(Uint8Array);
    this.weights = WasmArray.empty(Uint16Array);
    this.norms = WasmArray.empty(Float32Array);
    this.ids = WasmArray.empty(Int32Array);
    this.rowIds = null;
  }

  /**
   * Fuzzy-layer score of sub-cell `key` of cell c (weight w1 = w̄1[c]) for the query whose dot table
   * starts at T[to]: ||r − centre||² − ||r||² with r = q − w̄1·c1 and centre = w̄2·c2 (+ w̄3·c3);
   * for 'ip', −q·centre. Smaller is better.
   */
  private subCellScore(T: Float32Array, to: number, c: number, w1: number, key: number, ip: boolean): number {
    const S = this.quantizer.size, wbar = this.wbar, n = this.cwNorms;
    if (this.fuzzyBooks === 1) {
      const j2 = key, w2 = wbar[S + j2];
      return ip ? -w2 * T[to + S + j2] : w2 * w2 * n[S + j2] - 2 * w2 * (T[to + S + j2] - w1 * this.g12[c * S + j2]);
    }
    const j2 = Math.floor(key / S), j3 = key - j2 * S;
    const w2 = wbar[S + j2], w3 = wbar[2 * S + j3];
    if (ip) return -w2 * T[to + S + j2] - w3 * T[to + 2 * S + j3];
    const rc2 = T[to + S + j2] - w1 * this.g12[c * S + j2];
    const rc3 = T[to + 2 * S + j3] - w1 * this.g13[c * S + j3];
    return w2 * w2 * n[S + j2] + w3 * w3 * n[2 * S + j3] + 2 * w2 * w3 * this.g23[j2 * S + j3] - 2 * w2 * rc2 - 2 * w3 * rc3;
  }

  /** The approximate weights w̄ (book m, codeword j at m·size + j), a copy. */
  get approximateWeights(): Float32Array {
    return this.wbar.slice();
  }

  /**
   * The sub-cells of cell c as the fuzzy layer sees them for query q: their codes (c2 or c2, c3)
   * and ||q − (w̄1·c1 + w̄2·c2 (+ w̄3·c3))||² (l2) or −q·centre (ip). For tests and inspection.
   */
  subCells(q: Float32Array, c: number): { codes: number[][]; scores: number[] } {
    const Q = this.quantizer, S = Q.size, d = this.dim, ip = this.metric === 'ip';
    const T = new Float32Array(Q.books * S);
    dotTables(q, d, 0, 1, Q, T, undefined, this.books);
    const w1 = this.wbar[c];
    const base = ip ? -w1 * T[c] : dot(q, 0, q, 0, d) + w1 * w1 * this.cwNorms[c] - 2 * w1 * T[c];
    const codes: number[][] = [], scores: number[] = [];
    for (let b = this.cellStart[c]; b < this.cellStart[c + 1]; b++) {
      const key = this.bucketKey[b];
      codes.push(this.fuzzyBooks === 1 ? [key] : [Math.floor(key / S), key % S]);
      scores.push(base + this.subCellScore(T, 0, c, w1, key, ip));
    }
    return { codes, scores };
  }

  /** A filter's bitmap over ids as one over stored rows (re-ranking scans), kept for the last bitmap and ids seen. */
  private allowedRows(allowed: Uint8Array): Uint8Array {
    const c = this.rowFilter;
    if (c && c.allowed === allowed && c.ids === this.ids) return c.rows;
    const ids = this.ids.array, rows = new Uint8Array(ids.length);
    for (let p = 0; p < rows.length; p++) rows[p] = allowed[ids[p]] === 1 ? 1 : 0;
    this.rowFilter = { allowed, ids: this.ids, rows };
    return rows;
  }

  private rowFilter: { allowed: Uint8Array; ids: WasmArray<Int32Array>; rows: Uint8Array } | null = null;

  /** Re-scores the ADC candidates (row numbers, kk per query in `rows`) on the stored float vectors. */
  private rerankExact(q: Matrix, k: number, rows: Int32Array, kk: number, ip: boolean): SearchResult {
    const d = this.dim, x = this.vectors!, ids = this.ids.array;
    const out = new TopK(q.rows, k);
    for (let i = 0; i < q.rows; i++) {
      for (let t = 0; t < kk; t++) {
        const row = rows[i * kk + t];
        if (row < 0) continue;
        const v = ip ? -dot(q.data, i * d, x, row * d, d) : l2sq(q.data, i * d, x, row * d, d);
        out.push(i, v, ids[row]);
      }
    }
    return finishHeap(out, ip);
  }

  /** The ADC distance (eq. 14) the scan gives to the vector with id `id`, for tests and checks. */
  adcDistance(q: Float32Array, id: number): number {
    const row = this.ids.array.indexOf(id);
    if (row < 0) throw new RangeError(`wrvq: no vector with id ${id}`);
    const Q = this.quantizer, B = Q.books, d = this.dim, weights = this.weights.array, codes = this.codes.array;
    let s = 0;
    for (let m = 0; m < B; m++) {
      s += this.weightTable.table[m * this.weightTable.stride + weights[row * B + m]] * dot(q, 0, Q.codebooks[m], codes[row * B + m] * d, d);
    }
    return this.metric === 'ip' ? s : this.norms.array[row] + dot(q, 0, q, 0, d) - 2 * s;
  }

  /** For batch and concurrent search on worker threads: the quantizer and every array the search reads (shared). */
  snapshot(): IndexSnapshot {
    if (!this.dim) throw new Error('wrvq: snapshot() before build()');
    const { params, dim, wbar, cwNorms, g12, g13, g23, cellStart, bucketKey, bucketStart, vectors } = this;
    return indexSnapshot(import.meta.url, 'WrvqIndex', {
      params, quantizer: this.quantizer.toJSON(),
      fields: { dim, wbar, cwNorms, g12, g13, g23, cellStart, bucketKey, bucketStart, vectors },
      rows: {
        codes: this.codes.array, weights: this.weights.array, norms: this.norms.array, ids: this.ids.array, rowIds: this.rowIds?.array ?? null,
      },
    });
  }

  static restore(s: Record<string, unknown>): WrvqIndex {
    const index = new WrvqIndex(s.params as WrvqBuildParams);
    Object.assign(index.quantizer, WeightedResidualQuantizer.fromJSON(s.quantizer as QuantizerState));
    Object.assign(index, s.fields);
    const r = s.rows as { codes: CodeArray; weights: Uint8Array | Uint16Array; norms: Float32Array; ids: Int32Array; rowIds: Int32Array | null };
    index.codes = WasmArray.from(r.codes);
    index.weights = WasmArray.from(r.weights);
    index.norms = WasmArray.from(r.norms);
    index.ids = WasmArray.from(r.ids);
    index.rowIds = r.rowIds ? WasmArray.from(r.rowIds) : null;
    index.books = residentBooks(index.quantizer, index.cwNorms);
    index.setWeightTable(weightTableOf(index.quantizer));
    return index;
  }

  /** Gives the wasm copies back (codebooks, stored rows, level table); the index is then empty. */
  async close(): Promise<void> {
    freeAdcBooks(this.books);
    this.books = null;
    this.freeRows();
    this.setWeightTable(HALF_WEIGHTS);
  }

  memoryBytes(): number {
    return this.memoryBreakdown().total;
  }

  memoryBreakdown(): MemoryBreakdown {
    const cb = this.quantizer.codebooks.reduce((s, c) => s + c.byteLength, 0) + this.wbar.byteLength
      + this.cwNorms.byteLength + this.g12.byteLength + this.g13.byteLength + this.g23.byteLength + adcBooksBytes(this.books)
      // the fp16 table is shared by every index; a level table is held twice (JS and wasm)
      + (this.weightTable === HALF_WEIGHTS ? 0 : this.weightTable.table.byteLength + (this.levelsResident?.byteLength ?? 0));
    return memoryBreakdown({
      codes: this.codes.byteLength + this.weights.byteLength + this.norms.byteLength,
      lists: this.ids.byteLength + this.cellStart.byteLength + this.bucketKey.byteLength + this.bucketStart.byteLength
        + (this.rowIds?.byteLength ?? 0),
      codebooks: cb,
      vectors: this.vectors?.byteLength ?? 0,
    });
  }
}

/** How the index reads its stored weights: the fp16 table, or each stage's levels (2^weightBits per book). */
function weightTableOf(q: WeightedResidualQuantizer): WeightTable {
  if (q.weightBits === 16) return HALF_WEIGHTS;
  const L = 2 ** q.weightBits, table = new Float32Array(q.books * L);
  q.weightLevels.forEach((levels, m) => table.set(levels.subarray(0, L), m * L));
  return { table, stride: L };
}

/**
 * w̄[m·size + j]: the mean fp16 weight of the vectors whose book-m code is j (the book's overall
 * mean weight for a codeword nobody chose).
 */
export function meanWeights(c: Codes, size: number): Float32Array {
  const sums = new WeightSums(c.books, size);
  sums.add(c);
  return sums.means();
}

/** The running sums behind meanWeights, added to batch by batch (in row order: the same sums as one batch). */
export class WeightSums {
  private readonly sum: Float64Array;
  private readonly cnt: Uint32Array;
  private readonly bookSum: Float64Array;
  private n = 0;

  constructor(readonly books: number, readonly size: number) {
    this.sum = new Float64Array(books * size);
    this.cnt = new Uint32Array(books * size);
    this.bookSum = new Float64Array(books);
  }

  add(c: Codes): void {
    const B = this.books, size = this.size, { sum, cnt, bookSum } = this;
    for (let i = 0; i < c.n; i++) {
      for (let m = 0; m < B; m++) {
        const w = HALF_TABLE[c.weights![i * B + m]];
        const u = m * size + c.codes[i * B + m];
        sum[u] += w;
        cnt[u]++;
        bookSum[m] += w;
      }
    }
    this.n += c.n;
  }

  means(): Float32Array {
    const B = this.books, size = this.size, n = this.n;
    const out = new Float32Array(B * size);
    for (let m = 0; m < B; m++) {
      const fallback = n ? this.bookSum[m] / n : 1;
      for (let j = 0; j < size; j++) {
        const u = m * size + j;
        out[u] = this.cnt[u] ? this.sum[u] / this.cnt[u] : fallback;
      }
    }
    return out;
  }
}

export const descriptor = defineIndex({
  id: 'wrvq',
  describe: "the WRVQ paper's three-layer index: exact (C1 cells), fuzzy (sub-cells), ADC search (eq. 14)",
  buildParams: WRVQ_BUILD_PARAMS,
  searchParams: WRVQ_SEARCH_PARAMS,
  capabilities: WRVQ_CAPABILITIES,
  unavailable: () => null,
  create: (build) => new WrvqIndex(build),
  memory: (build, dim, rows) => {
    const B = build.books, S = build.size, F = build.fuzzyBooks;
    const perRow = B * codeBytes(S) + B * (build.weightBits === 16 ? 2 : 1) + (build.metric === 'l2' ? 4 : 0) + 4 + (build.rerank ? dim * 4 + 4 : 0);
    const buckets = Math.min(rows, S ** (1 + F)); // non-empty sub-cells: at most this many
    const grams = (F >= 1 ? 1 : 0) + (F >= 2 ? 2 : 0);
    const tables = codebookBytes(B * dim, B, S) + 2 * B * S * 4 + grams * S * S * 4 + (build.weightBits < 16 ? 2 * B * 2 ** build.weightBits * 4 : 0);
    return {
      indexBytes: rows * perRow + (S + 1) * 4 + buckets * 8 + tables,
      addBytes: rows * (perRow + 20), // the merged arrays, and the sort keys and merge order of old and new rows
      trainCopies: 3, // sample, residuals, the workers' shared copy
      chunkCopies: 2, // chunk, the encoders' shared copy
    };
  },
  cost: (build, shape, rows) => {
    const d = shape.dim, train = Math.min(rows, 65_536), { books, size } = build;
    const t = build.trainer === 'adam' ? 6 : 1;
    const buildSeconds = (t * books * kmeansFlops(train, size, d) + 2 * rows * size * d * books) / RATES.kernelFlops;
    return {
      buildSeconds,
      querySeconds: (s) => (2 * size * d * 2) / RATES.kernelFlops + (Math.min(1, numberOr(s.nprobe, 1) / size) * rows * books) / RATES.lookups,
      addSecondsPerRow: addSeconds(buildSeconds, rows),
    };
  },
  paperMatch: (build) => {
    const adam = build.trainer === 'adam';
    return {
      method: adam ? 'WRVQ(T)' : 'WRVQ(L)',
      sameSetting: build.books === 4 && build.size === 256,
      paperSetting: `${PAPER_4X256}, ${adam ? '(T) residual fine-tuning + Adam' : '(L) linear residual fine-tuning'}`,
    };
  },
});
