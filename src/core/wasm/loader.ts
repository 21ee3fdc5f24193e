/**
 * Loader of the WebAssembly SIMD kernels: instantiates kernels.wasm (built from kernels.c by
 * scripts/build-wasm.sh and checked in) synchronously when first imported, once per thread (every
 * worker of parallel.ts gets its own instance and memory), and owns the switch between the wasm
 * and the JS kernels.
 *
 * Compilation fails when the engine lacks SIMD (simd128): then the JS kernels are used.
 * VQBENCH_KERNEL=js disables the wasm path (the JS kernels run everywhere, workers included);
 * VQBENCH_KERNEL=wasm makes a load failure an error instead of a silent fallback.
 *
 * The rest of the wasm layer: memory.ts (the allocator of the module's linear memory),
 * kernels.ts (the dense scans), adc-kernels.ts (the ADC tables and code scans), hamming-kernels.ts
 * (the binary index's Hamming scan).
 */
import { readFileSync } from 'node:fs';

/** Panel width of the packed operand (NR in kernels.c). */
export const PANEL = 8;

interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
/** The functions and memory kernels.wasm exports (pointers are byte offsets in its memory). */
export interface KernelExports {
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
  adc_scan_filtered(allowed: number, nAllowed: number, codes: number, wide: number, n: number, books: number, ks: number, lut: number, scale: number, bias: number, extra: number, ids: number, k: number, hd: number, hi: number, hn: number): void;
  adc_scan_gathered(allowed: number, nAllowed: number, codes: number, wide: number, n: number, books: number, ks: number, lut: number, scale: number, bias: number, extra: number, ids: number, k: number, hd: number, hi: number, hn: number): void;
  adc_scan_pair_filtered(allowed: number, nAllowed: number, codes: number, wide: number, n: number, books: number, ks: number, a: number, b: number, bScale: number, bias: number, ids: number, k: number, hd: number, hi: number, hn: number): void;
  adc_scan_weighted(runs: number, nruns: number, weights: number, wideW: number, wt: number, ws: number, codes: number, wide: number, books: number, ks: number, lut: number, scale: number, bias: number, extra: number, ids: number, k: number, hd: number, hi: number, hn: number): void;
  adc_scan_weighted_filtered(allowed: number, nAllowed: number, runs: number, nruns: number, weights: number, wideW: number, wt: number, ws: number, codes: number, wide: number, books: number, ks: number, lut: number, scale: number, bias: number, extra: number, ids: number, k: number, hd: number, hi: number, hn: number): void;
  topk_finish(nq: number, k: number, hd: number, hi: number, hn: number, sign: number): void;
  hamming_scan(codes: number, n: number, w: number, q: number, idOffset: number, k: number, hd: number, hi: number, hn: number): void;
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

/** This thread's instance of the module, or null when it did not load (or VQBENCH_KERNEL=js). */
export const kernelExports: KernelExports | null = load();

let enabled = kernelExports !== null;

/** True when the wasm module loaded (SIMD supported, not disabled by VQBENCH_KERNEL=js). */
export function wasmKernelsAvailable(): boolean {
  return kernelExports !== null;
}

/** Whether `innerProducts` (and the fused scans) currently use wasm. */
export function wasmKernelsEnabled(): boolean {
  return enabled;
}

/** Turns the wasm path on or off in this thread (tests, benchmarks); returns the previous state. */
export function setWasmKernelsEnabled(on: boolean): boolean {
  const prev = enabled;
  enabled = on && kernelExports !== null;
  return prev;
}

/** 'wasm-simd128' or 'js (<reason>)': what runs the large tiles in this thread. */
export function kernelDescription(): string {
  return enabled ? 'wasm-simd128' : `js (${kernelExports ? 'wasm disabled' : loadError})`;
}
