/**
 * WebAssembly SIMD (simd128) kernels: the engine behind `innerProducts` for large tiles, the
 * fused nearest / top-k scans that `nearestRows` / `knnRange` of search.ts run, and the ADC
 * kernels of the pq / ivfpq / wrvq indexes (src/index/adc.ts: distance tables, table sums, code
 * scans into top-k heaps). The module (kernels.wasm, built from kernels.c by scripts/build-wasm.sh
 * and checked in) is instantiated synchronously when this file is first imported, once per thread:
 * every worker of parallel.ts gets its own instance and memory.
 *
 * Memory: the module exports its linear memory. Above `__heap_base` come the resident blocks
 * (data read by many calls: `residentRows`, `WasmArray`, `adcBooks`; a first-fit allocator, freed
 * blocks reused), then the scratch of the call in progress (no scratch survives a call, except an
 * `AdcFrame` until the next call). Operands of the one-shot kernels are copied in, results out:
 * O(n·d) copies against O(n·m·d) arithmetic. The memory only grows, up to the resident blocks plus
 * the largest tile seen (bounded by SCRATCH_FLOATS per operand chunk, larger calls are split).
 *
 * Precision: float32 accumulation (as BLAS sgemm / faiss); the JS kernel accumulates in float64.
 *
 * VQBENCH_KERNEL=js disables the wasm path (the JS kernels run everywhere, workers included);
 * VQBENCH_KERNEL=wasm makes a load failure an error instead of a silent fallback.
 */
import { readFileSync } from 'node:fs';
import { innerProductsJs } from '../distance.js';

/** Panel width of the packed operand (NR in kernels.c). */
export const PANEL = 8;
/** Scratch budget (in floats; 64 MB) for one call's operands; larger calls are split into chunks. */
let SCRATCH_FLOATS = 16 * 1024 * 1024;
const PAGE = 65536;
const align64 = (bytes: number) => (bytes + 63) & ~63;

interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
interface KernelExports {
  memory: WasmMemory;
  __heap_base: { value: number };
  pack_panels(y: number, ny: number, ldy: number, d: number, yp: number): void;
  row_norms(x: number, nx: number, ldx: number, d: number, out: number): void;
  ip_tile(x: number, nx: number, ldx: number, yp: number, ny: number, d: number, out: number, ldo: number): void;
  nearest_tile(x: number, nx: number, ldx: number, cp: number, cn: number, nc: number, d: number, scale: number, bestV: number, bestI: number): void;
  nearest_finish(x: number, nx: number, ldx: number, d: number, l2: number, bestV: number): void;
  knn_tile(x: number, nx: number, ldx: number, bp: number, bn: number, nb: number, d: number, scale: number, idOffset: number, k: number, hd: number, hi: number, hn: number, thr: number): void;
  knn_finish(x: number, nx: number, ldx: number, d: number, k: number, l2: number, hd: number, hi: number, hn: number, outD: number, outI: number): void;
  adc_tables(x: number, nx: number, ldx: number, books: number, ks: number, sub: number, ct: number, cn: number, l2: number, out: number, ldo: number): void;
  table_axpy(a: number, b: number, s: number, out: number, n: number): void;
  adc_scan(codes: number, wide: number, n: number, books: number, ks: number, lut: number, scale: number, bias: number, extra: number, ids: number, k: number, hd: number, hi: number, hn: number): void;
  adc_scan_pair(codes: number, wide: number, n: number, books: number, ks: number, a: number, b: number, bScale: number, bias: number, ids: number, k: number, hd: number, hi: number, hn: number): void;
  topk_finish(nq: number, k: number, hd: number, hi: number, hn: number, sign: number): void;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

const mode = (process.env.VQBENCH_KERNEL ?? 'auto').toLowerCase();
let loadError: string | null = null;

function load(): KernelExports | null {
  if (mode === 'js') {
    loadError = 'disabled by VQBENCH_KERNEL=js';
    return null;
  }
  try {
    const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
    if (!WA) throw new Error('WebAssembly is not available');
    const bytes = readFileSync(new URL('./kernels.wasm', import.meta.url));
    // Compilation fails here when the engine lacks SIMD (simd128): then the JS kernels are used.
    return new WA.Instance(new WA.Module(bytes), {}).exports as KernelExports;
  } catch (e) {
    loadError = (e as Error).message;
    if (mode === 'wasm') throw new Error(`VQBENCH_KERNEL=wasm but the wasm kernels failed to load: ${loadError}`);
    return null;
  }
}
const ex: KernelExports | null = load();

let enabled = ex !== null;
const heapBase = ex ? (ex.__heap_base.value + 63) & ~63 : 0;
let f32 = new Float32Array(0);
let i32 = new Int32Array(0);

/** True when the wasm module loaded (SIMD supported, not disabled by VQBENCH_KERNEL=js). */
export function wasmKernelsAvailable(): boolean {
  return ex !== null;
}

/** Whether `innerProducts` (and the fused scans) currently use wasm. */
export function wasmKernelsEnabled(): boolean {
  return enabled;
}

/** Turns the wasm path on or off in this thread (tests, benchmarks); returns the previous state. */
export function setWasmKernelsEnabled(on: boolean): boolean {
  const prev = enabled;
  enabled = on && ex !== null;
  return prev;
}

/** 'wasm-simd128' or 'js (<reason>)': what runs the large tiles in this thread. */
export function kernelDescription(): string {
  return enabled ? 'wasm-simd128' : `js (${ex ? 'wasm disabled' : loadError})`;
}

/** Sets the scratch budget in floats (tests use a tiny one to exercise the chunked paths). */
export function setWasmScratchFloats(n: number): number {
  const prev = SCRATCH_FLOATS;
  SCRATCH_FLOATS = Math.max(1024, Math.floor(n));
  return prev;
}

/** Makes [heapBase, heapBase + bytes) addressable; refreshes the typed views after a grow. */
function reserve(bytes: number): void {
  const e = ex!;
  const need = heapBase + bytes;
  if (need > 0xffff0000) throw new RangeError(`wasm kernels: ${need} bytes exceed the 4 GB wasm32 memory`);
  const have = e.memory.buffer.byteLength;
  if (need > have) e.memory.grow(Math.ceil((need - have) / PAGE));
  if (f32.buffer !== e.memory.buffer) {
    f32 = new Float32Array(e.memory.buffer);
    i32 = new Int32Array(e.memory.buffer);
  }
}

/**
 * Resident blocks (packed centroids, an index's codes and tables: data the kernels read in place on
 * every call) live in [heapBase, residentTop), handed out first-fit from a free list; each call's
 * scratch starts above them. Freed space is reused (and the top given back); the wasm memory
 * itself never shrinks.
 */
let residentTop = heapBase;
/** Free spans below residentTop, sorted by offset, never adjacent (coalesced). */
const freeSpans: { at: number; bytes: number }[] = [];
/** Live blocks: offset → bytes (a double free is ignored). */
const liveBlocks = new Map<number, number>();
/** Bumped whenever a call lays out scratch: an AdcFrame is only valid while it is the latest. */
let scratchEpoch = 0;

/** A 64-byte aligned block of `bytes` in wasm memory, or −1 when it does not fit (4 GB wasm32). */
function residentAlloc(bytes: number): number {
  const size = align64(Math.max(bytes, 1));
  for (let i = 0; i < freeSpans.length; i++) {
    const f = freeSpans[i];
    if (f.bytes < size) continue;
    const at = f.at;
    if (f.bytes === size) freeSpans.splice(i, 1);
    else { f.at += size; f.bytes -= size; }
    liveBlocks.set(at, size);
    return at;
  }
  const at = residentTop;
  if (at + size > 0xffff0000) return -1;
  try {
    reserve(at + size - heapBase);
  } catch {
    return -1; // the engine refused to grow the memory: the caller keeps its data on the JS heap
  }
  residentTop = at + size;
  scratchEpoch++; // the block takes the bottom of the scratch area: a live AdcFrame is void
  liveBlocks.set(at, size);
  return at;
}

function residentFree(at: number): void {
  const size = liveBlocks.get(at);
  if (size === undefined) return;
  liveBlocks.delete(at);
  let i = 0;
  while (i < freeSpans.length && freeSpans[i].at < at) i++;
  freeSpans.splice(i, 0, { at, bytes: size });
  // coalesce with the next, then with the previous span
  if (i + 1 < freeSpans.length && freeSpans[i].at + freeSpans[i].bytes === freeSpans[i + 1].at) {
    freeSpans[i].bytes += freeSpans[i + 1].bytes;
    freeSpans.splice(i + 1, 1);
  }
  if (i > 0 && freeSpans[i - 1].at + freeSpans[i - 1].bytes === freeSpans[i].at) {
    freeSpans[i - 1].bytes += freeSpans[i].bytes;
    freeSpans.splice(i, 1);
    i--;
  }
  // a free span ending at the top gives the top back
  const last = freeSpans[freeSpans.length - 1];
  if (last && last.at + last.bytes === residentTop) {
    residentTop = last.at;
    freeSpans.pop();
  }
}

/** Frees the block of a WasmArray / ResidentRows that was dropped without being freed. */
const reclaim = new FinalizationRegistry<number>((at) => residentFree(at));

/** Bytes held by live resident blocks in this thread (tests, memory reports). */
export function residentBytes(): number {
  let b = 0;
  for (const v of liveBlocks.values()) b += v;
  return b;
}

/** Bump layout of one call's scratch: byte offsets, 64-byte aligned. */
class Layout {
  private top = residentTop;
  constructor() {
    scratchEpoch++;
  }
  take(floats: number): number {
    const at = this.top;
    this.top += (floats * 4 + 63) & ~63;
    return at;
  }
  commit(): void {
    reserve(this.top - heapBase);
  }
}


const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** Copies rows [0, n) of `src` starting at `so` (dimension d) into wasm memory at byte offset `at`. */
function copyIn(src: Float32Array, so: number, n: number, d: number, at: number): void {
  f32.set(src.subarray(so, so + n * d), at >> 2);
}

/** Packs n rows of `src` (from offset so) into panels at `pp`, through a raw copy at `raw`. */
function packIn(src: Float32Array, so: number, n: number, d: number, raw: number, pp: number): void {
  copyIn(src, so, n, d, raw);
  ex!.pack_panels(raw, n, d, d, pp);
}

/**
 * out[i·ldo + j] = x_i · y_j, exactly the contract of `innerProducts` in distance.ts, computed by the
 * wasm SIMD kernel (float32 accumulation). Falls back to the JS kernel when wasm is unavailable.
 */
export function innerProductsWasm(
  x: Float32Array, xo: number, nx: number,
  y: Float32Array, yo: number, ny: number,
  d: number, out: Float32Array, ldo = ny,
): void {
  if (!enabled || nx <= 0 || ny <= 0 || d <= 0) {
    innerProductsJs(x, xo, nx, y, yo, ny, d, out, ldo);
    return;
  }
  // Split so that x chunk + raw y + packed y + out stay within the scratch budget.
  let cb = ny, rb = nx;
  if (nx * d + 2 * roundUp(ny, PANEL) * d + nx * ny > SCRATCH_FLOATS) {
    cb = Math.min(ny, Math.max(PANEL, roundUp(Math.floor(SCRATCH_FLOATS / 4 / d), PANEL)));
    rb = Math.max(1, Math.floor((SCRATCH_FLOATS - 2 * roundUp(cb, PANEL) * d) / (d + cb)));
  }
  for (let j0 = 0; j0 < ny; j0 += cb) {
    const nj = Math.min(cb, ny - j0);
    const L = new Layout();
    const yRaw = L.take(nj * d), yPack = L.take(roundUp(nj, PANEL) * d);
    const xAt = L.take(Math.min(rb, nx) * d), oAt = L.take(Math.min(rb, nx) * nj);
    L.commit();
    packIn(y, yo + j0 * d, nj, d, yRaw, yPack);
    for (let i0 = 0; i0 < nx; i0 += rb) {
      const ni = Math.min(rb, nx - i0);
      copyIn(x, xo + i0 * d, ni, d, xAt);
      ex!.ip_tile(xAt, ni, d, yPack, nj, d, oAt, nj);
      const o = oAt >> 2;
      if (ldo === nj && j0 === 0) {
        out.set(f32.subarray(o, o + ni * nj), i0 * ldo);
      } else {
        for (let i = 0; i < ni; i++) out.set(f32.subarray(o + i * nj, o + (i + 1) * nj), (i0 + i) * ldo + j0);
      }
    }
  }
}

export type ScanMetric = 'l2' | 'ip';

/**
 * Fused "tile + argmin": for rows [start, end) of x, the nearest row of c (squared L2, with
 * cNorms = ||c_j||² or computed when null) or the largest inner product ('ip'), written to
 * outIds / outDist at [start, end). Same contract as `nearestRows` in search.ts. Returns false
 * (writing nothing) when the wasm path is off, so that the caller runs the JS scan instead.
 */
export function nearestRowsFused(
  x: Float32Array, start: number, end: number,
  c: Float32Array, nc: number, d: number,
  metric: ScanMetric, cNorms: Float32Array | null,
  outIds: Int32Array, outDist: Float32Array,
): boolean {
  if (!enabled || nc <= 0 || d <= 0) return false;
  if (end <= start) return true;
  const e = ex!;
  const l2 = metric === 'l2';
  const ncp = roundUp(nc, PANEL);
  // rows per chunk: the x chunk and its two result arrays within the budget
  const rb = Math.max(1, Math.min(end - start, Math.floor(SCRATCH_FLOATS / (d + 2))));
  const L = new Layout();
  const cRaw = L.take(nc * d), cPack = L.take(ncp * d), cn = L.take(ncp);
  const xAt = L.take(rb * d), bv = L.take(rb), bi = L.take(rb);
  L.commit();
  packIn(c, 0, nc, d, cRaw, cPack);
  const cnI = cn >> 2;
  if (!l2) f32.fill(0, cnI, cnI + nc);
  else if (cNorms) f32.set(cNorms.subarray(0, nc), cnI);
  else e.row_norms(cRaw, nc, d, d, cn);
  f32.fill(Infinity, cnI + nc, cnI + ncp);
  for (let i0 = start; i0 < end; i0 += rb) {
    const ni = Math.min(rb, end - i0);
    copyIn(x, i0 * d, ni, d, xAt);
    f32.fill(Infinity, bv >> 2, (bv >> 2) + ni);
    i32.fill(-1, bi >> 2, (bi >> 2) + ni);
    e.nearest_tile(xAt, ni, d, cPack, cn, nc, d, l2 ? -2 : -1, bv, bi);
    e.nearest_finish(xAt, ni, d, d, l2 ? 1 : 0, bv);
    outIds.set(i32.subarray(bi >> 2, (bi >> 2) + ni), i0);
    outDist.set(f32.subarray(bv >> 2, (bv >> 2) + ni), i0);
  }
  return true;
}

/**
 * Fused "tile + top-k threshold": exact k-NN of queries [start, end) among the nb base rows, as
 * `knnRange` in search.ts (squared L2 ascending, or inner product descending; ties by id; rows
 * padded with id −1 when nb < k). The heaps live in wasm memory; a tile's candidates are compared
 * with each query's current k-th distance in SIMD and only the few that beat it are pushed.
 * Returns false (writing nothing) when the wasm path is off.
 */
export function knnRangeFused(
  base: Float32Array, nb: number, baseNorms: Float32Array | null,
  queries: Float32Array, start: number, end: number,
  d: number, k: number, metric: ScanMetric,
  outIds: Int32Array, outDist: Float32Array,
): boolean {
  if (!enabled || nb <= 0 || d <= 0 || k <= 0) return false;
  if (end <= start) return true;
  const e = ex!;
  const l2 = metric === 'l2';
  // base chunk (raw + packed + norms) and query chunk (rows, heaps, outputs) within the budget
  const bc = Math.min(nb, Math.max(PANEL, Math.floor(SCRATCH_FLOATS / (2 * d + 1) / PANEL) * PANEL));
  const qc = Math.max(1, Math.min(end - start, Math.floor(SCRATCH_FLOATS / (d + 4 * k + 2))));
  const bcp = roundUp(bc, PANEL);
  const L = new Layout();
  const bRaw = L.take(bc * d), bPack = L.take(bcp * d), bn = L.take(bcp);
  const xAt = L.take(qc * d), hd = L.take(qc * k), hi = L.take(qc * k), hn = L.take(qc), thr = L.take(qc);
  const od = L.take(qc * k), oi = L.take(qc * k);
  L.commit();
  const chunks = Math.ceil(nb / bc);
  let packed = -1;
  for (let q0 = start; q0 < end; q0 += qc) {
    const nq = Math.min(qc, end - q0);
    copyIn(queries, q0 * d, nq, d, xAt);
    i32.fill(0, hn >> 2, (hn >> 2) + nq);
    f32.fill(Infinity, thr >> 2, (thr >> 2) + nq);
    for (let ch = 0; ch < chunks; ch++) {
      const j0 = ch * bc, nj = Math.min(bc, nb - j0), njp = roundUp(nj, PANEL);
      if (packed !== ch) {
        packIn(base, j0 * d, nj, d, bRaw, bPack);
        const bnI = bn >> 2;
        if (!l2) f32.fill(0, bnI, bnI + nj);
        else if (baseNorms) f32.set(baseNorms.subarray(j0, j0 + nj), bnI);
        else e.row_norms(bRaw, nj, d, d, bn);
        f32.fill(Infinity, bnI + nj, bnI + njp);
        packed = ch;
      }
      e.knn_tile(xAt, nq, d, bPack, bn, nj, d, l2 ? -2 : -1, j0, k, hd, hi, hn, thr);
    }
    e.knn_finish(xAt, nq, d, d, k, l2 ? 1 : 0, hd, hi, hn, od, oi);
    outIds.set(i32.subarray(oi >> 2, (oi >> 2) + nq * k), q0 * k);
    outDist.set(f32.subarray(od >> 2, (od >> 2) + nq * k), q0 * k);
  }
  return true;
}

/** Rows packed into this thread's wasm memory once, for `knnResident`. */
export interface ResidentRows {
  readonly n: number;
  readonly d: number;
  readonly metric: ScanMetric;
  /** Byte offsets in wasm memory: packed panels, then the squared norms (0 for 'ip'), padded with +Infinity. */
  readonly packed: number;
  readonly norms: number;
  readonly start: number;
  readonly end: number;
}

/**
 * Packs n rows of y into this thread's wasm memory (until `releaseResident`), so that
 * single-query scans (a flat index searched one query at a time, an IVF's coarse quantizer) stop
 * copying and packing the whole operand on every call. Null when the wasm kernels are off.
 */
export function residentRows(y: Float32Array, n: number, d: number, metric: ScanMetric): ResidentRows | null {
  if (!enabled || n <= 0 || d <= 0) return null;
  const np = roundUp(n, PANEL);
  const bytes = align64(np * d * 4) + align64(np * 4);
  const start = residentAlloc(bytes);
  if (start < 0) return null;
  const packed = start, norms = packed + align64(np * d * 4), end = start + bytes;
  const L = new Layout(); // the raw copy is scratch above the resident blocks
  const raw = L.take(n * d);
  L.commit();
  copyIn(y, 0, n, d, raw);
  ex!.pack_panels(raw, n, d, d, packed);
  const nI = norms >> 2;
  if (metric === 'l2') ex!.row_norms(raw, n, d, d, norms);
  else f32.fill(0, nI, nI + n);
  f32.fill(Infinity, nI + n, nI + np);
  const r = { n, d, metric, packed, norms, start, end };
  reclaim.register(r, start, r);
  return r;
}

/**
 * Gives the block back (its space is reused by later resident blocks); a second release is a no-op.
 * A block whose ResidentRows is garbage-collected unreleased is given back then.
 */
export function releaseResident(r: ResidentRows): void {
  reclaim.unregister(r);
  residentFree(r.start);
}

/** `knnRangeFused` against resident rows: no copy of the base, one tile call per query chunk. */
export function knnResident(
  r: ResidentRows, queries: Float32Array, start: number, end: number, k: number,
  outIds: Int32Array, outDist: Float32Array,
): void {
  const e = ex!;
  const d = r.d, l2 = r.metric === 'l2';
  const qc = Math.max(1, Math.min(end - start, Math.floor(SCRATCH_FLOATS / (d + 4 * k + 2))));
  const L = new Layout();
  const xAt = L.take(qc * d), hd = L.take(qc * k), hi = L.take(qc * k), hn = L.take(qc), thr = L.take(qc);
  const od = L.take(qc * k), oi = L.take(qc * k);
  L.commit();
  for (let q0 = start; q0 < end; q0 += qc) {
    const nq = Math.min(qc, end - q0);
    copyIn(queries, q0 * d, nq, d, xAt);
    i32.fill(0, hn >> 2, (hn >> 2) + nq);
    f32.fill(Infinity, thr >> 2, (thr >> 2) + nq);
    e.knn_tile(xAt, nq, d, r.packed, r.norms, r.n, d, l2 ? -2 : -1, 0, k, hd, hi, hn, thr);
    e.knn_finish(xAt, nq, d, d, k, l2 ? 1 : 0, hd, hi, hn, od, oi);
    outIds.set(i32.subarray(oi >> 2, (oi >> 2) + nq * k), q0 * k);
    outDist.set(f32.subarray(od >> 2, (od >> 2) + nq * k), q0 * k);
  }
}

// ---- arrays kept in wasm memory -------------------------------------------------------------------

type Typed = Uint8Array | Uint16Array | Int32Array | Float32Array;
type TypedCtor<T extends Typed> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; new (length: number): T; BYTES_PER_ELEMENT: number };


/**
 * A typed array stored in this thread's wasm memory, so that the kernels read it in place (an
 * index's codes, ids, precomputed tables): ONE copy, not a JS array plus a wasm copy. When the
 * module did not load (or the 4 GB wasm32 memory is full) it stays an ordinary JS array (`at` −1)
 * and only the JS kernels can use it. Its block is freed by `free()`, or when the WasmArray is
 * garbage-collected.
 *
 * `array` is a view, valid until the wasm memory next grows (any later kernel call or allocation
 * may grow it): take it again after such calls, never keep it.
 */
export class WasmArray<T extends Typed> {
  /** Byte offset in wasm memory, or −1 when the values are on the JS heap. */
  readonly at: number;
  readonly length: number;
  private readonly js: T | null;
  private readonly ctor: TypedCtor<T>;
  private freed = false;

  private constructor(ctor: TypedCtor<T>, length: number, at: number, js: T | null) {
    this.ctor = ctor;
    this.length = length;
    this.at = at;
    this.js = js;
    if (at >= 0) reclaim.register(this, at, this);
  }

  /** A copy of `src` (in wasm memory when possible). */
  static from<T extends Typed>(src: T): WasmArray<T> {
    const ctor = src.constructor as TypedCtor<T>;
    const at = ex && src.length > 0 ? residentAlloc(src.byteLength) : -1;
    if (at < 0) return new WasmArray(ctor, src.length, -1, src.slice() as T);
    const a = new WasmArray(ctor, src.length, at, null);
    a.array.set(src as never);
    return a;
  }

  /** An empty array. */
  static empty<T extends Typed>(ctor: TypedCtor<T>): WasmArray<T> {
    return new WasmArray(ctor, 0, -1, new ctor(0));
  }

  /** True when the values are in wasm memory (the wasm kernels can read them). */
  get resident(): boolean {
    return this.at >= 0 && !this.freed;
  }

  get bytesPerElement(): number {
    return this.ctor.BYTES_PER_ELEMENT;
  }

  get byteLength(): number {
    return this.length * this.ctor.BYTES_PER_ELEMENT;
  }

  /** The values: a view on wasm memory (see the class note) or the JS array. */
  get array(): T {
    if (this.js) return this.js;
    if (this.freed) throw new Error('WasmArray used after free()');
    return new this.ctor(ex!.memory.buffer, this.at, this.length);
  }

  /** Gives the wasm block back now (the array must not be used afterwards). */
  free(): void {
    if (this.at < 0 || this.freed) return;
    this.freed = true;
    reclaim.unregister(this);
    residentFree(this.at);
  }
}

// ---- ADC: distance tables and code scans (src/index/adc.ts) --------------------------------------

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
  private readonly hd: number;
  private readonly hi: number;
  private readonly hn: number;
  private readonly epoch: number;

  constructor(nq: number, d: number, tl: number, k: number) {
    if (!ex) throw new Error('AdcFrame: the wasm kernels are not available');
    const L = new Layout();
    this.nq = nq; this.d = d; this.tl = tl; this.k = k;
    this.x = L.take(nq * d);
    this.tables = L.take(nq * tl);
    this.lut = L.take(tl);
    this.row = L.take(d);
    this.hd = L.take(nq * k);
    this.hi = L.take(nq * k);
    this.hn = L.take(nq);
    L.commit();
    this.epoch = scratchEpoch;
  }

  private check(): KernelExports {
    if (this.epoch !== scratchEpoch) throw new Error('AdcFrame used after another wasm kernel call reused the scratch');
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
    e.adc_scan(codes.at + start * books * (wide + 1), wide, end - start, books, ks, lut, scale, bias,
      extra ? extra.at + start * 4 : 0, ids.at + start * 4, k, this.hd + q * k * 4, this.hi + q * k * 4, this.hn + q * 4);
  }

  /** `scan` over the sum of tables a + bScale·b without forming it (byte offsets; no extra term). */
  scanPair(
    codes: WasmArray<Uint8Array | Uint16Array>, books: number, ks: number, start: number, end: number,
    a: number, b: number, bScale: number, bias: number, ids: WasmArray<Int32Array>, q: number,
  ): void {
    const e = this.check(), k = this.k;
    const wide = codes.bytesPerElement === 2 ? 1 : 0;
    e.adc_scan_pair(codes.at + start * books * (wide + 1), wide, end - start, books, ks, a, b, bScale, bias,
      ids.at + start * 4, k, this.hd + q * k * 4, this.hi + q * k * 4, this.hn + q * 4);
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
