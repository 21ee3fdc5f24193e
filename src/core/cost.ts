/**
 * The machine rates every cost model shares (method descriptors' `cost`, the run estimator), measured
 * on this project's reference machine (2-core AMD EPYC, wasm SIMD kernels; results/reference/). A
 * cost model turns a method's loops into seconds with them: an estimate printed with its source,
 * never a result.
 */

/** Rows and dimension a cell works on (known without loading the data: headers only). */
export interface DataShape {
  base: number;
  queries: number;
  dim: number;
}

export const RATES = Object.freeze({
  /** Dense distance tiles on all threads (k-means, encoding, exact search), flop/s. */
  kernelFlops: 1.5e10,
  /** ADC table lookups per second, one thread. */
  lookups: 5e8,
  /** HNSW distance work, one thread (pointer chasing), flop/s. */
  graphFlops: 2e9,
  /** Process start and module load of a cell, seconds. */
  startup: 1.5,
});

/** k-means iterations the cost models assume (faiss's 25 stop early on real data). */
export const KMEANS_ITERS = 10;

/** Flops of k-means with k centroids on n rows of d dims (faiss samples at most 256 rows per centroid). */
export function kmeansFlops(n: number, k: number, d: number, iters = KMEANS_ITERS): number {
  return 2 * Math.min(n, 256 * k) * k * d * iters;
}

/** Seconds to load a dataset's base rows (parsing excluded: cached float32). */
export function loadSeconds(sh: DataShape): number {
  return 0.3 + (sh.base * sh.dim * 4) / 1e8;
}
