/**
 * WebAssembly SIMD (simd128) kernels: the engine behind `innerProducts` for large tiles, and the
 * fused nearest / top-k scans that `nearestRows` / `knnRange` of search.ts run. The module (kernels.wasm, built from kernels.c
 * by scripts/build-wasm.sh and checked in) is instantiated synchronously when this file is first
 * imported, once per thread: every worker of parallel.ts gets its own instance and memory.
 *
 * Memory: the module exports its linear memory; everything above `__heap_base` is scratch owned
 * by the call in progress (no allocation survives a call). Operands are copied in, results out:
 * O(n·d) copies against O(n·m·d) arithmetic. The memory only grows, up to the size of the largest
 * tile seen (bounded by SCRATCH_FLOATS per operand chunk, larger calls are split).
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
 * Resident rows (packed once, reused by every later call: a flat index's base, IVF centroids) sit
 * in [heapBase, residentTop); each call's scratch starts above them.
 */
let residentTop = heapBase;

/** Bump layout of one call's scratch: byte offsets, 64-byte aligned. */
class Layout {
  private top = residentTop;
  take(floats: number): number {
    const at = this.top;
    this.top += (floats * 4 + 63) & ~63;
    return at;
  }
  commit(): void {
    reserve(this.top - heapBase);
  }
}

const align64 = (bytes: number) => (bytes + 63) & ~63;

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
 * Packs n rows of y into this thread's wasm memory for good (until `releaseResident`), so that
 * single-query scans (a flat index searched one query at a time, an IVF's coarse quantizer) stop
 * copying and packing the whole operand on every call. Null when the wasm kernels are off.
 */
export function residentRows(y: Float32Array, n: number, d: number, metric: ScanMetric): ResidentRows | null {
  if (!enabled || n <= 0 || d <= 0) return null;
  const np = roundUp(n, PANEL);
  const start = residentTop;
  const packed = start, norms = packed + align64(np * d * 4), end = norms + align64(np * 4);
  reserve(end - heapBase + align64(n * d * 4)); // the raw copy is scratch above the new block
  const raw = end;
  copyIn(y, 0, n, d, raw);
  ex!.pack_panels(raw, n, d, d, packed);
  const nI = norms >> 2;
  if (metric === 'l2') ex!.row_norms(raw, n, d, d, norms);
  else f32.fill(0, nI, nI + n);
  f32.fill(Infinity, nI + n, nI + np);
  residentTop = end;
  return { n, d, metric, packed, norms, start, end };
}

/** Gives the block back when it is the last one taken (otherwise it stays until the thread ends). */
export function releaseResident(r: ResidentRows): void {
  if (r.end === residentTop) residentTop = r.start;
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
