/**
 * Loader of the optional native exact k-NN kernel (knn.cc: sgemm blocks through OpenBLAS, then the
 * wasm kernel's threshold + bounded-heap selection; the same results as the wasm kernel, bit for bit), built by scripts/build-native.sh into
 * build/native/knn.node. Loaded once per thread (each kernel worker of parallel.ts loads it too;
 * the addon is context-aware), it is the first choice of `knnRange` (search.ts); the wasm kernel
 * is the fallback and the JS scan the reference.
 *
 * VQBENCH_NATIVE_KERNELS=0 turns it off (so does VQBENCH_KERNEL=js: JS kernels everywhere);
 * VQBENCH_NATIVE_KERNELS=1 makes a load failure an error instead of a silent fallback.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Metric } from '../search.js';
import { kernelDescription } from '../wasm/loader.js';

interface NativeKnn {
  knn(
    base: Float32Array, nb: number, baseNorms: Float32Array | null,
    queries: Float32Array, start: number, end: number, d: number, k: number, l2: boolean,
    outIds: Int32Array, outDist: Float32Array,
  ): void;
  nearest(
    x: Float32Array, start: number, end: number, c: Float32Array, nc: number, cNorms: Float32Array | null,
    d: number, l2: boolean, outIds: Int32Array, outDist: Float32Array,
  ): void;
  info(): string;
  calls(): number;
  nearestCalls(): number;
  variant(name?: string): string;
  variants(): string[];
}

/** The addon's path: build/native/knn.node at the repository's root (same depth from src/ and dist/). */
export const NATIVE_KNN_PATH = fileURLToPath(new URL('../../../build/native/knn.node', import.meta.url));

let loadError: string | null = null;

function load(env: NodeJS.ProcessEnv): NativeKnn | null {
  const want = (env.VQBENCH_NATIVE_KERNELS ?? '').trim();
  if (want === '0') {
    loadError = 'disabled by VQBENCH_NATIVE_KERNELS=0';
    return null;
  }
  if ((env.VQBENCH_KERNEL ?? '').toLowerCase() === 'js') {
    loadError = 'disabled by VQBENCH_KERNEL=js';
    return null;
  }
  try {
    if (!existsSync(NATIVE_KNN_PATH)) throw new Error('not built (npm run setup, or bash scripts/build-native.sh)');
    return createRequire(import.meta.url)(NATIVE_KNN_PATH) as NativeKnn;
  } catch (e) {
    loadError = String((e as Error).message).split('\n')[0];
    if (want === '1') throw new Error(`VQBENCH_NATIVE_KERNELS=1 but the native k-NN kernel failed to load: ${loadError}`);
    return null;
  }
}

const addon = load(process.env);
let enabled = addon !== null;

/** True when the addon loaded in this thread (built, not disabled by the environment). */
export function nativeKnnAvailable(): boolean {
  return addon !== null;
}

/** Turns the native path on or off in this thread (tests, benchmarks); returns the previous state. */
export function setNativeKnnEnabled(on: boolean): boolean {
  const prev = enabled;
  enabled = on && addon !== null;
  return prev;
}

export function nativeKnnEnabled(): boolean {
  return enabled;
}

/** 'native (OpenBLAS Haswell, avx512 scan, 1 thread per call)' when it runs, else null; `nativeKnnUnavailable` says why not. */
export function nativeKnnDescription(): string | null {
  return enabled ? `native (${addon!.info()})` : null;
}

/** What runs exact k-NN (`knnRange`) in this thread: the native kernel's description, else the wasm loader's ('wasm-simd128', 'js (...)'). */
export function knnKernelDescription(): string {
  return nativeKnnDescription() ?? kernelDescription();
}

/** Calls of the native kernel so far in this process, every thread included (0 when it did not load). */
export function nativeKnnCalls(): number {
  return addon ? addon.calls() : 0;
}

/** Calls of the native nearest-centroid kernel so far in this process, every thread included (0 when it did not load). */
export function nativeNearestCalls(): number {
  return addon ? addon.nearestCalls() : 0;
}

/** The scan variants of the native kernel this CPU can run, best first ('avx512', 'avx2', 'scalar'); [] when it did not load. */
export function nativeKnnScanVariants(): string[] {
  return addon ? addon.variants() : [];
}

/** Picks the native kernel's scan variant for the whole process (tests compare them); returns the previous one. */
export function setNativeKnnScanVariant(name: string): string {
  const prev = addon!.variant();
  addon!.variant(name);
  return prev;
}

/** Why the native kernel is not used in this thread, or null when it is. */
export function nativeKnnUnavailable(): string | null {
  return enabled ? null : addon ? 'turned off in this thread' : loadError;
}

/**
 * Exact k-NN of queries [start, end) among the nb base rows, with the contract of `knnRange` in
 * search.ts, computed by the native kernel; false (writing nothing) when it is off or not built.
 */
export function knnRangeNative(
  base: Float32Array, nb: number, baseNorms: Float32Array | null,
  queries: Float32Array, start: number, end: number,
  d: number, k: number, metric: Metric,
  outIds: Int32Array, outDist: Float32Array,
): boolean {
  if (!enabled || nb <= 0 || d <= 0 || k <= 0) return false;
  if (end <= start) return true;
  addon!.knn(base, nb, metric === 'l2' ? baseNorms : null, queries, start, end, d, k, metric === 'l2', outIds, outDist);
  return true;
}

/**
 * For rows [start, end) of x, the nearest row of c with the contract of `nearestRows` in search.ts
 * (first j on ties), computed by the native kernel; false (writing nothing) when it is off or not built.
 */
export function nearestRowsNative(
  x: Float32Array, start: number, end: number,
  c: Float32Array, nc: number, d: number,
  metric: Metric, cNorms: Float32Array | null,
  outIds: Int32Array, outDist: Float32Array,
): boolean {
  if (!enabled || nc <= 0 || d <= 0) return false;
  if (end <= start) return true;
  addon!.nearest(x, start, end, c, nc, metric === 'l2' ? cNorms : null, d, metric === 'l2', outIds, outDist);
  return true;
}
