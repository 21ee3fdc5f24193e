/**
 * Asymmetric distance computation (ADC), the one kernel set behind the pq, ivfpq and wrvq indexes:
 * the query stays in float, the base is codes, and a distance is a sum of table lookups.
 *
 *  - `dotTables` / `l2Tables`: per-query lookup tables, books × size entries per query, laid out
 *    [query][book][codeword] in one flat Float32Array (query i, book m, codeword j at
 *    (i·books + m)·size + j). They are computed per query or block of queries, never per
 *    candidate: by the wasm table kernel when the codebooks are resident (below), else through the
 *    shared `innerProducts` kernel or, for a few queries, direct JS loops.
 *  - `scanSum`, `scanSumPair`, `scanWeighted`: scan a contiguous run of codes (row-major, `books`
 *    codes per vector, Uint8Array when size ≤ 256) and offer every vector to a TopK heap. All
 *    three keep "smaller is better": callers negate tables for inner-product search.
 *
 * Nothing is allocated inside the scans; the heap's current worst is cached so a rejected
 * candidate costs one comparison.
 *
 * WebAssembly (src/core/wasm/kernels.c): the tables (`adc_tables`, with the codebooks held in wasm
 * memory by `residentBooks`) and the scans `scanSum` / `scanSumPair` / `scanWeighted` with their heaps
 * (`adc_scan`, `adc_scan_pair`, `adc_scan_weighted`, through an `AdcFrame`, over codes, weights and
 * ids held in wasm memory as `WasmArray`s)
 * run in wasm SIMD when the kernels are enabled; the JS functions here are the fallback and the
 * reference. The wasm scans perform the same double-precision operations in the same order and
 * keep the same heap, so they return the same results bit for bit for the same tables; the wasm
 * tables accumulate in float32 (the JS ones round differently in the last bit).
 */
import { innerProducts } from '../core/distance.js';
import { decodeHalfArray } from '../core/fp16.js';
import type { TopK } from '../core/topk.js';
import { AdcFrame, adcBooks, type AdcBooks } from '../core/wasm/adc-kernels.js';
import { wasmKernelsAvailable, wasmKernelsEnabled } from '../core/wasm/loader.js';
import { WasmArray } from '../core/wasm/memory.js';

export { AdcFrame, adcBooksBytes, freeAdcBooks, residentFilter, sparseFilter, type AdcBooks } from '../core/wasm/adc-kernels.js';
export { WasmArray };

/** Codes as stored by the indexes: one byte per code when the codebook size allows it. */
export type CodeArray = Uint8Array | Uint16Array;

/** The codebook shape ADC needs (a CodebookQuantizer satisfies it). */
export interface CodebookSet {
  readonly size: number;
  readonly codebooks: readonly Float32Array[];
  readonly subOffset: readonly number[];
  readonly subDim: readonly number[];
}

/** All fp16 values, indexed by bit pattern: the scans decode WRVQ's weights with one lookup. */
export const HALF_TABLE: Float32Array = decodeHalfArray(Uint16Array.from({ length: 65536 }, (_, i) => i));

/** Codes as a Uint8Array when size ≤ 256 (a copy), else the Uint16Array itself. */
export function packCodes(codes: Uint16Array, size: number): CodeArray {
  return size <= 256 ? Uint8Array.from(codes) : codes;
}

/** An empty code array of the right width for `size`. */
export function allocCodes(n: number, size: number): CodeArray {
  return size <= 256 ? new Uint8Array(n) : new Uint16Array(n);
}

/** ||c_mj||² of every codeword, laid out m·size + j. */
export function codewordNormsSq(cb: CodebookSet): Float32Array {
  const books = cb.codebooks.length, ks = cb.size;
  const out = new Float32Array(books * ks);
  for (let m = 0; m < books; m++) {
    const c = cb.codebooks[m], sd = cb.subDim[m];
    for (let j = 0; j < ks; j++) {
      let s = 0;
      for (let t = j * sd, e = t + sd; t < e; t++) s += c[t] * c[t];
      out[m * ks + j] = s;
    }
  }
  return out;
}

/**
 * The codebooks (and ||c||², `codewordNormsSq(cb)`) copied into wasm memory for the table kernel,
 * or null when the wasm kernels are unavailable. Take it once per trained codebook set (an index at
 * build time) and give it back with `freeAdcBooks`.
 */
export function residentBooks(cb: CodebookSet, cNorms: Float32Array): AdcBooks | null {
  return adcBooks(cb.codebooks, cb.size, cb.subOffset, cb.subDim, cNorms);
}

/** Queries per wasm table call when tables are copied out (bounds the scratch). */
const WASM_TABLE_BLOCK = 64;

/** `dotTables` / `l2Tables` through the wasm kernel: the same layout, copied out to `out`. */
function tablesWasm(books: AdcBooks, x: Float32Array, dim: number, q0: number, nq: number, l2: boolean, out: Float32Array): void {
  const tl = books.books * books.ks;
  const f = new AdcFrame(Math.min(nq, WASM_TABLE_BLOCK), dim, tl, 1);
  for (let b = 0; b < nq; b += WASM_TABLE_BLOCK) {
    const nb = Math.min(WASM_TABLE_BLOCK, nq - b);
    f.load(x, (q0 + b) * dim, nb);
    f.computeTables(books, nb, l2);
    f.readTables(nb, out, b * tl);
  }
}

/** True when every book spans the whole space (RVQ / WRVQ), false for sub-spaces (PQ). */
function fullSpace(cb: CodebookSet, dim: number): boolean {
  for (let m = 0; m < cb.codebooks.length; m++) if (cb.subOffset[m] !== 0 || cb.subDim[m] !== dim) return false;
  return true;
}

/** Up to this many queries, sub-space tables are computed by direct loops (see dotTables). */
const SMALL_QUERY_BLOCK = 4;

/** Codebook (size × sd, row-major) transposed to sd × size, made once per codebook array. */
const transposed = new WeakMap<Float32Array, Float32Array>();
function transposedCodebook(c: Float32Array, ks: number, sd: number): Float32Array {
  let t = transposed.get(c);
  if (!t) {
    t = new Float32Array(ks * sd);
    for (let j = 0; j < ks; j++) for (let u = 0; u < sd; u++) t[u * ks + j] = c[j * sd + u];
    transposed.set(c, t);
  }
  return t;
}

/**
 * Dot-product tables of queries [q0, q0 + nq) of x (row-major, dimension dim):
 * out[(i·books + m)·size + j] = x_{q0+i}[sub-space m] · C_m[j]. `scratch` (≥ nq · max subDim
 * floats) holds the sub-space columns of the block; pass one to avoid an allocation per call.
 * With `resident` (`residentBooks(cb, ·)`) and the wasm kernels on, the wasm table kernel runs
 * (except for many queries against whole-space books, where the packed inner-product tiles win).
 */
export function dotTables(
  x: Float32Array, dim: number, q0: number, nq: number,
  cb: CodebookSet, out: Float32Array, scratch?: Float32Array, resident?: AdcBooks | null,
): void {
  const books = cb.codebooks.length, ks = cb.size, ld = books * ks;
  const full = fullSpace(cb, dim);
  if (resident && wasmKernelsEnabled() && (!full || nq <= SMALL_QUERY_BLOCK)) {
    tablesWasm(resident, x, dim, q0, nq, false, out);
    return;
  }
  if (full) {
    for (let m = 0; m < books; m++) innerProducts(x, q0 * dim, nq, cb.codebooks[m], 0, ks, dim, out.subarray(m * ks), ld);
    return;
  }
  if (nq <= SMALL_QUERY_BLOCK) {
    // a few queries against short sub-vectors: one contiguous multiply-add run over the codewords per
    // coordinate (transposed codebooks), instead of a tile call per sub-space
    for (let m = 0; m < books; m++) {
      const ct = transposedCodebook(cb.codebooks[m], ks, cb.subDim[m]), sd = cb.subDim[m];
      for (let i = 0; i < nq; i++) {
        const xo = (q0 + i) * dim + cb.subOffset[m], o = (i * books + m) * ks;
        out.fill(0, o, o + ks);
        for (let t = 0; t < sd; t++) {
          const xv = x[xo + t], to = t * ks;
          for (let j = 0; j < ks; j++) out[o + j] += xv * ct[to + j];
        }
      }
    }
    return;
  }
  let maxSub = 0;
  for (let m = 0; m < books; m++) maxSub = Math.max(maxSub, cb.subDim[m]);
  const sub = scratch && scratch.length >= nq * maxSub ? scratch : new Float32Array(nq * maxSub);
  for (let m = 0; m < books; m++) {
    const off = cb.subOffset[m], sd = cb.subDim[m];
    for (let i = 0; i < nq; i++) {
      const src = (q0 + i) * dim + off;
      for (let t = 0; t < sd; t++) sub[i * sd + t] = x[src + t];
    }
    innerProducts(sub, 0, nq, cb.codebooks[m], 0, ks, sd, out.subarray(m * ks), ld);
  }
}

/**
 * Squared-L2 tables: out[(i·books + m)·size + j] = ||x_{q0+i}[sub-space m] − C_m[j]||², as
 * ||x_m||² + ||c||² − 2 x_m·c over `dotTables` (faiss's compute_distance_tables does the same).
 * `cNorms` is `codewordNormsSq(cb)`; `resident` as for `dotTables`.
 */
export function l2Tables(
  x: Float32Array, dim: number, q0: number, nq: number,
  cb: CodebookSet, cNorms: Float32Array, out: Float32Array, scratch?: Float32Array, resident?: AdcBooks | null,
): void {
  if (resident && wasmKernelsEnabled() && (!fullSpace(cb, dim) || nq <= SMALL_QUERY_BLOCK)) {
    tablesWasm(resident, x, dim, q0, nq, true, out);
    return;
  }
  dotTables(x, dim, q0, nq, cb, out, scratch);
  const books = cb.codebooks.length, ks = cb.size;
  for (let i = 0; i < nq; i++) {
    for (let m = 0; m < books; m++) {
      const off = (q0 + i) * dim + cb.subOffset[m], sd = cb.subDim[m];
      let qn = 0;
      for (let t = off, e = off + sd; t < e; t++) qn += x[t] * x[t];
      const o = (i * books + m) * ks, cm = m * ks;
      for (let j = 0; j < ks; j++) {
        const v = qn + cNorms[cm + j] - 2 * out[o + j];
        out[o + j] = v > 0 ? v : 0;
      }
    }
  }
}

/** out[0 .. n) = a[ao ..] + scale · b[bo ..] (IVF-PQ: a list's precomputed term plus the query's). */
export function sumTables(out: Float32Array, a: Float32Array, ao: number, b: Float32Array, bo: number, scale: number, n: number): void {
  let u = 0;
  for (; u + 3 < n; u += 4) {
    out[u] = a[ao + u] + scale * b[bo + u];
    out[u + 1] = a[ao + u + 1] + scale * b[bo + u + 1];
    out[u + 2] = a[ao + u + 2] + scale * b[bo + u + 2];
    out[u + 3] = a[ao + u + 3] + scale * b[bo + u + 3];
  }
  for (; u < n; u++) out[u] = a[ao + u] + scale * b[bo + u];
}

/**
 * Vectors at positions [start, end) of `codes` (books codes each), scored
 *   bias + extra[position] + scale · Σ_m lut[lo + m·size + code_m]
 * (`extra` optional: a stored per-vector term such as IVF-PQ's ||r||² + 2 c·r), each offered to
 * heap row `hq` under id ids[position]. `scale` folds a constant factor (−2, −1) into the scan, so
 * the query's table never needs a pass of its own.
 */
export function scanSum(
  codes: CodeArray, books: number, ks: number, start: number, end: number,
  lut: Float32Array, lo: number, scale: number, bias: number, extra: Float32Array | null,
  ids: Int32Array, heap: TopK, hq: number,
): void {
  let worst = heap.worst(hq);
  const ks2 = 2 * ks, ks3 = 3 * ks, ks4 = 4 * ks;
  for (let i = start, o = start * books; i < end; i++, o += books) {
    let s0 = 0, s1 = 0;
    let m = 0, t = lo;
    for (; m + 3 < books; m += 4, t += ks4) {
      s0 += lut[t + codes[o + m]] + lut[t + ks + codes[o + m + 1]];
      s1 += lut[t + ks2 + codes[o + m + 2]] + lut[t + ks3 + codes[o + m + 3]];
    }
    for (; m < books; m++, t += ks) s0 += lut[t + codes[o + m]];
    let s = bias + scale * (s0 + s1);
    if (extra !== null) s += extra[i];
    if (s < worst) {
      heap.push(hq, s, ids[i]);
      worst = heap.worst(hq);
    }
  }
}

/**
 * `scanSum` over the sum of two tables, without materialising it: bias + Σ_m (a[ao + m·size + c_m]
 * + bScale · b[bo + m·size + c_m]). IVF-PQ with precomputed tables: a = the list's fixed term, b = the
 * query's term; cheaper than adding the tables when the list is shorter than the codebook.
 */
export function scanSumPair(
  codes: CodeArray, books: number, ks: number, start: number, end: number,
  a: Float32Array, ao: number, b: Float32Array, bo: number, bScale: number, bias: number,
  ids: Int32Array, heap: TopK, hq: number,
): void {
  let worst = heap.worst(hq);
  for (let i = start, o = start * books; i < end; i++, o += books) {
    let s0 = bias, s1 = 0;
    let m = 0, ta = ao, tb = bo;
    for (; m + 1 < books; m += 2, ta += 2 * ks, tb += 2 * ks) {
      const c0 = codes[o + m], c1 = codes[o + m + 1] + ks;
      s0 += a[ta + c0] + bScale * b[tb + c0];
      s1 += a[ta + c1] + bScale * b[tb + c1];
    }
    if (m < books) {
      const c0 = codes[o + m];
      s0 += a[ta + c0] + bScale * b[tb + c0];
    }
    const s = s0 + s1;
    if (s < worst) {
      heap.push(hq, s, ids[i]);
      worst = heap.worst(hq);
    }
  }
}

/**
 * How stored weights read as numbers: weight (book m, stored value v) = table[m·stride + v]. fp16
 * patterns: HALF_TABLE, stride 0 (one table for every book); WRVQ's 8- or 4-bit weights: level
 * indices into each stage's learned levels, one table of 2^bits values per book.
 */
export interface WeightTable {
  table: Float32Array;
  stride: number;
}

/** The fp16 weights' table. */
export const HALF_WEIGHTS: WeightTable = { table: HALF_TABLE, stride: 0 };

let halfResident: WasmArray<Float32Array> | null = null;

/**
 * HALF_TABLE in wasm memory for the wasm weighted scan (`AdcFrame.scanWeighted`): one copy per
 * thread (256 KB, kept, shared by every index like the JS table), or null when it cannot be resident.
 */
export function residentHalfTable(): WasmArray<Float32Array> | null {
  if (halfResident === null && wasmKernelsAvailable()) {
    const a = WasmArray.from(HALF_TABLE);
    if (a.resident) halfResident = a;
  }
  return halfResident;
}

/**
 * Weighted ADC (WRVQ, paper eq. 14): vector i scores
 *   normScale·norms[i] + bias + dotScale · Σ_m w_im · dots[lo + m·size + c_im]
 * with w_im the stored weight read through `wt` (fp16 patterns or level indices) and dots the query's dot-product table.
 * L2: normScale 1, bias ||q||², dotScale −2 (so the score is ||x̂ − q||²); inner product:
 * normScale 0, bias 0, dotScale −1 (the score is −q·x̂).
 */
export function scanWeighted(
  codes: CodeArray, weights: Uint8Array | Uint16Array, norms: Float32Array, books: number, ks: number,
  start: number, end: number,
  dots: Float32Array, lo: number, normScale: number, bias: number, dotScale: number,
  ids: Int32Array, heap: TopK, hq: number, wt: WeightTable = HALF_WEIGHTS,
): void {
  const H = wt.table, ws = wt.stride;
  let worst = heap.worst(hq);
  for (let i = start, o = start * books; i < end; i++, o += books) {
    let s0 = 0, s1 = 0;
    let m = 0, t = lo, h = 0;
    for (; m + 1 < books; m += 2, t += 2 * ks, h += 2 * ws) {
      s0 += H[h + weights[o + m]] * dots[t + codes[o + m]];
      s1 += H[h + ws + weights[o + m + 1]] * dots[t + ks + codes[o + m + 1]];
    }
    if (m < books) s0 += H[h + weights[o + m]] * dots[t + codes[o + m]];
    let s = bias + dotScale * (s0 + s1);
    if (normScale !== 0) s += normScale * norms[i];
    if (s < worst) {
      heap.push(hq, s, ids[i]);
      worst = heap.worst(hq);
    }
  }
}

/** ADC distance of one stored vector (tests and re-checks): the single-vector form of `scanWeighted`. */
export function weightedScore(
  codes: CodeArray, weights: Uint8Array | Uint16Array, norms: Float32Array, books: number, ks: number, i: number,
  dots: Float32Array, lo: number, normScale: number, bias: number, dotScale: number, wt: WeightTable = HALF_WEIGHTS,
): number {
  let s = 0;
  for (let m = 0; m < books; m++) s += wt.table[m * wt.stride + weights[i * books + m]] * dots[lo + m * ks + codes[i * books + m]];
  return (normScale !== 0 ? normScale * norms[i] : 0) + bias + dotScale * s;
}

// ---- inverted lists: vectors kept sorted by a list key, so every list's codes are contiguous ----

export type RowArray = Uint8Array | Uint16Array | Int32Array | Uint32Array | Float32Array;

/** Positions 0..n−1 sorted by key (stable: ties keep their order). */
export function sortByKey(keys: Float64Array): Uint32Array {
  const order = new Uint32Array(keys.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => keys[a] - keys[b] || a - b);
}

/**
 * Merges a sorted old sequence (keys `oldKeys`) with a new batch (keys `newKeys`, any order):
 * returns, for every merged position, its source: p ≥ 0 is old position p, p < 0 is new row −p − 1.
 * Old rows come before new rows of the same key, and new rows keep their batch order.
 */
export function mergeSorted(oldKeys: Float64Array, newKeys: Float64Array): Int32Array {
  const order = sortByKey(newKeys);
  const n0 = oldKeys.length, n1 = newKeys.length;
  const source = new Int32Array(n0 + n1);
  let a = 0, b = 0, p = 0;
  while (a < n0 && b < n1) {
    if (oldKeys[a] <= newKeys[order[b]]) source[p++] = a++;
    else source[p++] = -order[b++] - 1;
  }
  while (a < n0) source[p++] = a++;
  while (b < n1) source[p++] = -order[b++] - 1;
  return source;
}

/** Rows (`stride` values each) of old and new arrays placed in merged order (see mergeSorted). */
export function gatherRows<T extends RowArray>(source: Int32Array, oldArr: T | null, newArr: T, stride: number): T {
  const out = new (newArr.constructor as new (n: number) => T)(source.length * stride);
  for (let p = 0; p < source.length; p++) {
    const s = source[p];
    if (stride === 1) {
      out[p] = s >= 0 ? oldArr![s] : newArr[-s - 1];
      continue;
    }
    const src = s >= 0 ? oldArr! : newArr;
    const r = s >= 0 ? s : -s - 1;
    for (let t = 0, o = p * stride, so = r * stride; t < stride; t++) out[o + t] = src[so + t];
  }
  return out;
}

/** CSR offsets of a sorted key sequence over integer keys [0, nlist): list l is starts[l]..starts[l+1]. */
export function listStarts(sortedKeys: ArrayLike<number>, nlist: number): Uint32Array {
  const starts = new Uint32Array(nlist + 1);
  for (let i = 0; i < sortedKeys.length; i++) starts[sortedKeys[i] + 1]++;
  for (let l = 0; l < nlist; l++) starts[l + 1] += starts[l];
  return starts;
}
