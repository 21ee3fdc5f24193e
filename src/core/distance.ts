/**
 * The distance kernels: every distance, dot product and nearest-neighbour scan in vqbench calls
 * these. Flat Float32Arrays with explicit offsets, no allocation inside loops, and register
 * blocking (4 rows × 4 columns per tile) so each loaded value feeds four multiply-adds.
 */
import { dot, innerProductsJs } from './distance-js.js';
import { innerProductsWasm } from './wasm/kernels.js';
import { wasmKernelsEnabled } from './wasm/loader.js';

export { dot, innerProductsJs };

/** ||a[ao..ao+d) − b[bo..bo+d)||² */
export function l2sq(a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let k = 0;
  for (; k + 3 < d; k += 4) {
    const t0 = a[ao + k] - b[bo + k];
    const t1 = a[ao + k + 1] - b[bo + k + 1];
    const t2 = a[ao + k + 2] - b[bo + k + 2];
    const t3 = a[ao + k + 3] - b[bo + k + 3];
    s0 += t0 * t0;
    s1 += t1 * t1;
    s2 += t2 * t2;
    s3 += t3 * t3;
  }
  for (; k < d; k++) {
    const t = a[ao + k] - b[bo + k];
    s0 += t * t;
  }
  return s0 + s1 + (s2 + s3);
}

/** Squared L2 norm of each of the n rows of x (dimension d). */
export function rowNormsSq(x: Float32Array, n: number, d: number, out: Float32Array = new Float32Array(n)): Float32Array {
  for (let i = 0; i < n; i++) out[i] = dot(x, i * d, x, i * d, d);
  return out;
}

/**
 * Tiles with at least this many multiply-adds (nx·ny·d) go to the WebAssembly SIMD kernel
 * (src/core/wasm/), smaller ones stay in JS: below it the copies into wasm memory and the call
 * overhead eat the gain (measured: wasm wins from ~1–4·10³ multiply-adds, see bench/kernels.ts).
 */
export const WASM_MIN_WORK = 4096;

/**
 * out[i·ldo + j] = x_i · y_j for rows i of x in [0, nx) and rows j of y in [0, ny).
 * x and y are row-major with dimension d, starting at offsets xo and yo; ldo defaults to ny.
 * Large tiles run in the wasm SIMD kernel (float32 accumulation, like BLAS) unless
 * VQBENCH_KERNEL=js; the pure-JS kernel `innerProductsJs` (float64 accumulation) is the fallback.
 */
export function innerProducts(
  x: Float32Array, xo: number, nx: number,
  y: Float32Array, yo: number, ny: number,
  d: number, out: Float32Array, ldo = ny,
): void {
  if (nx * ny * d >= WASM_MIN_WORK && wasmKernelsEnabled()) innerProductsWasm(x, xo, nx, y, yo, ny, d, out, ldo);
  else innerProductsJs(x, xo, nx, y, yo, ny, d, out, ldo);
}

