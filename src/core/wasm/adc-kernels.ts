/**
 * The ADC wasm kernels of the pq / ivfpq / wrvq indexes (src/index/adc.ts): a codebook set copied
 * into wasm memory (`adcBooks`) and the typed wrappers of kernels.wasm's distance tables, table
 * sums, code scans into top-k heaps and heap finish (`AdcFrame`, one ADC search's scratch).
 */
import { kernelExports as ex, type KernelExports } from './loader.js';
import { Layout, WasmArray, currentScratchEpoch, f32, i32 } from './memory.js';

/**
 * A codebook set in wasm memory for `adc_tables`: each book transposed (subDim × size, a row per
 * coordinate), the books one after another; the (offset, dim) of every sub-space; ||c||² of every
 * codeword (book m, codeword j at m·size + j).
 */
export interface AdcBooks {
  readonly books: number;
  readonly ks: number;
  readonly dim: number;
  readonly ct: WasmArray<Float32Array>;
  readonly sub: WasmArray<Int32Array>;
  readonly cn: WasmArray<Float32Array>;
}

/** Copies a codebook set into wasm memory; null when the wasm kernels are unavailable. */
export function adcBooks(
  codebooks: readonly Float32Array[], ks: number, subOffset: readonly number[], subDim: readonly number[], cNorms: Float32Array,
): AdcBooks | null {
  if (!ex) return null;
  const books = codebooks.length;
  let total = 0, dim = 0;
  for (let m = 0; m < books; m++) {
    total += subDim[m] * ks;
    dim = Math.max(dim, subOffset[m] + subDim[m]);
  }
  const t = new Float32Array(total);
  const sub = new Int32Array(2 * books);
  for (let m = 0, o = 0; m < books; m++) {
    const c = codebooks[m], sd = subDim[m];
    for (let j = 0; j < ks; j++) for (let u = 0; u < sd; u++) t[o + u * ks + j] = c[j * sd + u];
    o += sd * ks;
    sub[2 * m] = subOffset[m];
    sub[2 * m + 1] = sd;
  }
  const r = { books, ks, dim, ct: WasmArray.from(t), sub: WasmArray.from(sub), cn: WasmArray.from(cNorms) };
  if (!r.ct.resident || !r.sub.resident || !r.cn.resident) {
    freeAdcBooks(r);
    return null;
  }
  return r;
}

/** Bytes of wasm memory an AdcBooks holds (0 for null), for the indexes' memory reports. */
export function adcBooksBytes(b: AdcBooks | null): number {
  return b ? b.ct.byteLength + b.sub.byteLength + b.cn.byteLength : 0;
}

export function freeAdcBooks(b: AdcBooks | null): void {
  if (!b) return;
  b.ct.free();
  b.sub.free();
  b.cn.free();
}

/**
 * The scratch of one ADC search in wasm memory, for a block of up to `nq` queries: the query rows,
 * one table per query (`tl` floats), a spare table (`lut`: a list's summed table, a residual's
 * table), and a top-k heap per query. All scans of the block push into the heaps; `finish` sorts
 * them out. The frame shares the scratch area with every other kernel call: it is valid until the
 * next one (a use after that throws), so compute coarse probes and the like before creating it.
 */
export class AdcFrame {
  readonly nq: number;
  readonly d: number;
  readonly tl: number;
  readonly k: number;
  /** Byte offsets: query rows, the queries' tables, the spare table, the spare row (d floats). */
  readonly x: number;
  readonly tables: number;
  readonly lut: number;
  readonly row: number;
  /** Byte offset of the row runs a weighted scan takes (`runs` (start, end) pairs), and that capacity. */
  readonly runs: number;
  readonly maxRuns: number;
  private readonly hd: number;
  private readonly hi: number;
  private readonly hn: number;
  private readonly epoch: number;

  constructor(nq: number, d: number, tl: number, k: number, runs = 0) {
    if (!ex) throw new Error('AdcFrame: the wasm kernels are not available');
    const L = new Layout();
    this.nq = nq; this.d = d; this.tl = tl; this.k = k;
    this.x = L.take(nq * d);
    this.tables = L.take(nq * tl);
    this.lut = L.take(tl);
    this.row = L.take(d);
    this.maxRuns = runs;
    this.runs = L.take(2 * runs);
    this.hd = L.take(nq * k);
    this.hi = L.take(nq * k);
    this.hn = L.take(nq);
    L.commit();
    this.epoch = currentScratchEpoch();
  }

  /** A filtered search's bitmap over ids in wasm memory (`residentFilter`): the scans then keep only allowed ids. */
  allowed: WasmArray<Uint8Array> | null = null;
  /** The filter keeps few ids (see `sparseFilter`): `scan` gathers the allowed rows before scoring them. */
  sparse = false;

  private check(): KernelExports {
    if (this.epoch !== currentScratchEpoch()) throw new Error('AdcFrame used after another wasm kernel call reused the scratch');
    return ex!;
  }

  /** Byte offset of query i's table. */
  table(i: number): number {
    return this.tables + i * this.tl * 4;
  }

  /** Copies nq query rows (dimension d) of x from element xo, and empties their heaps. */
  load(x: Float32Array, xo: number, nq: number): void {
    this.check();
    f32.set(x.subarray(xo, xo + nq * this.d), this.x >> 2);
    i32.fill(0, this.hn >> 2, (this.hn >> 2) + nq);
  }

  /** Copies n floats of src (from element so) to byte offset `at` of the frame (e.g. `row`). */
  write(at: number, src: Float32Array, so: number, n: number): void {
    this.check();
    f32.set(src.subarray(so, so + n), at >> 2);
  }

  /**
   * Tables of nq rows at byte offset `rows` (default: the loaded queries), `ldo` floats apart from
   * byte offset `out` (default: the queries' tables): dot products, or squared L2 when l2.
   */
  computeTables(b: AdcBooks, nq: number, l2: boolean, rows = this.x, out = this.tables): void {
    this.check().adc_tables(rows, nq, this.d, b.books, b.ks, b.sub.at, b.ct.at, b.cn.at, l2 ? 1 : 0, out, this.tl);
  }

  /** Copies the tables of nq queries out (row-major, tl floats each) into out[oo ..]. */
  readTables(nq: number, out: Float32Array, oo = 0): void {
    this.check();
    const t = this.tables >> 2;
    out.set(f32.subarray(t, t + nq * this.tl), oo);
  }

  /** out = a + s·b over the tl floats of a table (byte offsets). */
  axpy(a: number, b: number, s: number, out: number): void {
    this.check().table_axpy(a, b, s, out, this.tl);
  }

  /**
   * ADC scan of rows [start, end) of resident codes (books codes each, size ks), each scored
   * bias + scale·Σ_m lut[m·ks + code] (+ extra[row]) and offered to query q's heap under ids[row].
   */
  scan(
    codes: WasmArray<Uint8Array | Uint16Array>, books: number, ks: number, start: number, end: number,
    lut: number, scale: number, bias: number, extra: WasmArray<Float32Array> | null, ids: WasmArray<Int32Array>, q: number,
  ): void {
    const e = this.check(), k = this.k;
    const wide = codes.bytesPerElement === 2 ? 1 : 0;
    const args = [codes.at + start * books * (wide + 1), wide, end - start, books, ks, lut, scale, bias,
      extra ? extra.at + start * 4 : 0, ids.at + start * 4, k, this.hd + q * k * 4, this.hi + q * k * 4, this.hn + q * 4] as const;
    if (this.allowed && this.sparse) e.adc_scan_gathered(this.allowed.at, this.allowed.length, ...args);
    else if (this.allowed) e.adc_scan_filtered(this.allowed.at, this.allowed.length, ...args);
    else e.adc_scan(...args);
  }

  /** `scan` over the sum of tables a + bScale·b without forming it (byte offsets; no extra term). */
  scanPair(
    codes: WasmArray<Uint8Array | Uint16Array>, books: number, ks: number, start: number, end: number,
    a: number, b: number, bScale: number, bias: number, ids: WasmArray<Int32Array>, q: number,
  ): void {
    const e = this.check(), k = this.k;
    const wide = codes.bytesPerElement === 2 ? 1 : 0;
    const args = [codes.at + start * books * (wide + 1), wide, end - start, books, ks, a, b, bScale, bias,
      ids.at + start * 4, k, this.hd + q * k * 4, this.hi + q * k * 4, this.hn + q * 4] as const;
    if (this.allowed) e.adc_scan_pair_filtered(this.allowed.at, this.allowed.length, ...args);
    else e.adc_scan_pair(...args);
  }

  /**
   * Weighted ADC scan (WRVQ, `scanWeighted` in src/index/adc.ts) of the row runs [runs[2r], runs[2r+1]),
   * r < nr, of resident codes and weights (books each), in one call: row scored
   * bias + scale·Σ_m wt[m·stride + weight] · lut[m·ks + code] (+ extra[row], ||x̂||² for l2), offered to
   * query q's heap under ids[row], run after run; the weights read through the resident table `wt`
   * (the fp16 table, stride 0, or per-book levels). A filter goes through the filtering push as
   * `scan`'s (a sparse one too: the weighted scan has no gathering form). At most `maxRuns` runs.
   */
  scanWeighted(
    runs: Uint32Array, nr: number, codes: WasmArray<Uint8Array | Uint16Array>, weights: WasmArray<Uint8Array | Uint16Array>,
    wt: WasmArray<Float32Array>, stride: number, books: number, ks: number,
    lut: number, scale: number, bias: number, extra: WasmArray<Float32Array> | null, ids: WasmArray<Int32Array>, q: number,
  ): void {
    const e = this.check(), k = this.k;
    if (nr > this.maxRuns) throw new RangeError(`AdcFrame.scanWeighted: ${nr} runs, the frame holds ${this.maxRuns}`);
    i32.set(runs.subarray(0, 2 * nr), this.runs >> 2);
    const wide = codes.bytesPerElement === 2 ? 1 : 0, wideW = weights.bytesPerElement === 2 ? 1 : 0;
    const x = extra ? extra.at : 0, hd = this.hd + q * k * 4, hi = this.hi + q * k * 4, hn = this.hn + q * 4;
    if (this.allowed) {
      e.adc_scan_weighted_filtered(this.allowed.at, this.allowed.length, this.runs, nr, weights.at, wideW, wt.at, stride, codes.at, wide, books, ks, lut, scale, bias, x, ids.at, k, hd, hi, hn);
    } else {
      e.adc_scan_weighted(this.runs, nr, weights.at, wideW, wt.at, stride, codes.at, wide, books, ks, lut, scale, bias, x, ids.at, k, hd, hi, hn);
    }
  }

  /**
   * Sorts the heaps of nq queries ascending by (score, id), pads with (±Infinity, −1), negates the
   * scores when `negate` (inner product), and copies them to outIds / outDists from row `row0`.
   */
  finish(nq: number, negate: boolean, outIds: Int32Array, outDists: Float32Array, row0: number): void {
    const e = this.check(), k = this.k;
    e.topk_finish(nq, k, this.hd, this.hi, this.hn, negate ? -1 : 1);
    outIds.set(i32.subarray(this.hi >> 2, (this.hi >> 2) + nq * k), row0 * k);
    outDists.set(f32.subarray(this.hd >> 2, (this.hd >> 2) + nq * k), row0 * k);
  }
}

/** A filter keeping under 1/8 of the rows is sparse: testing ids before scoring beats scoring every code. */
export function sparseFilter(kept: number, rows: number): boolean {
  return kept * 8 < rows;
}

/** The last filter bitmap copied into wasm memory, kept while searches repeat it (one at a time: the previous is freed). */
let lastFilter: { bits: Uint8Array; resident: WasmArray<Uint8Array> } | null = null;

/**
 * `bits` (a filter's bitmap over ids) in wasm memory for AdcFrame.allowed, copied once per bitmap;
 * null when it cannot be resident (the caller then takes the JS scans). Call it before creating the
 * frame: the copy may grow the memory.
 */
export function residentFilter(bits: Uint8Array): WasmArray<Uint8Array> | null {
  if (lastFilter?.bits === bits) return lastFilter.resident;
  lastFilter?.resident.free();
  lastFilter = null;
  const resident = WasmArray.from(bits);
  if (!resident.resident) {
    resident.free();
    return null;
  }
  lastFilter = { bits, resident };
  return resident;
}
