/**
 * The fused wasm scans with the contracts of search.ts / parallel.ts, so that they can be dropped
 * in: `nearestRowsWasm` ≡ `nearestRows`, `knnRangeWasm` ≡ `knnRange` (falling back to them when
 * the wasm kernels are off), task functions for worker threads, and `nearestWasm` / `knnWasm`
 * ≡ `nearest` / `knn` of parallel.ts, split over the same worker pool.
 *
 * Through plain `innerProducts`, search.ts already gets the wasm tile kernel; the fused versions
 * also skip the tile's round trip through JS memory and the per-element JS scan (argmin, or the
 * comparison with the k-th distance), which matters most for small d.
 */
import { Matrix } from '../matrix.js';
import { getThreads, parallelRows, shared, type KernelJob } from '../parallel.js';
import { rowNormsSq } from '../distance.js';
import { knnRange, nearestRows, type Metric } from '../search.js';
import { knnRangeFused, nearestRowsFused } from './kernels.js';

/** `nearestRows` of search.ts, through the fused wasm argmin when available. */
export function nearestRowsWasm(
  x: Float32Array, start: number, end: number,
  c: Float32Array, nc: number, d: number,
  metric: Metric, cNorms: Float32Array | null,
  outIds: Int32Array, outDist: Float32Array,
): void {
  if (!nearestRowsFused(x, start, end, c, nc, d, metric, cNorms, outIds, outDist)) {
    nearestRows(x, start, end, c, nc, d, metric, cNorms, outIds, outDist);
  }
}

/** `knnRange` of search.ts, through the fused wasm top-k scan when available. */
export function knnRangeWasm(
  base: Float32Array, nb: number, baseNorms: Float32Array | null,
  queries: Float32Array, start: number, end: number,
  d: number, k: number, metric: Metric,
  outIds: Int32Array, outDist: Float32Array,
): void {
  if (!knnRangeFused(base, nb, baseNorms, queries, start, end, d, k, metric, outIds, outDist)) {
    knnRange(base, nb, baseNorms, queries, start, end, d, k, metric, outIds, outDist);
  }
}

type TaskArgs = Record<string, any>;

/** Worker entry points (parallel.ts runs them on row ranges of shared arrays). */
export function nearestWasmTask(a: TaskArgs, start: number, end: number): void {
  nearestRowsWasm(a.x, start, end, a.c, a.nc, a.d, a.metric, a.cNorms, a.ids, a.dists);
}

export function knnWasmTask(a: TaskArgs, start: number, end: number): void {
  knnRangeWasm(a.base, a.nb, a.baseNorms, a.queries, start, end, a.d, a.k, a.metric, a.ids, a.dists);
}

const THIS_MODULE = import.meta.url;

/** `nearest` of parallel.ts with the fused wasm scan. */
export async function nearestWasm(
  x: Matrix, c: Matrix, metric: Metric = 'l2', cNorms?: Float32Array,
): Promise<{ ids: Int32Array; dists: Float32Array }> {
  const ids = new Int32Array(new SharedArrayBuffer(x.rows * 4));
  const dists = new Float32Array(new SharedArrayBuffer(x.rows * 4));
  const norms = metric === 'l2' ? cNorms ?? rowNormsSq(c.data, c.rows, c.dim) : null;
  const flops = 2 * x.rows * c.rows * x.dim;
  const big = getThreads() > 1 && flops >= 2e8;
  const xd = big ? shared(x.data) : x.data;
  const job: KernelJob = { module: THIS_MODULE, fn: 'nearestWasmTask', args: { x: xd, c: c.data, nc: c.rows, d: x.dim, metric, cNorms: norms, ids, dists } };
  await parallelRows(job, x.rows, flops, (s, e) => nearestRowsWasm(xd, s, e, c.data, c.rows, x.dim, metric, norms, ids, dists));
  return { ids, dists };
}

/** `knn` of parallel.ts with the fused wasm top-k scan. */
export async function knnWasm(
  base: Matrix, queries: Matrix, k: number, metric: Metric = 'l2',
): Promise<{ ids: Int32Array; dists: Float32Array }> {
  const ids = new Int32Array(new SharedArrayBuffer(queries.rows * k * 4));
  const dists = new Float32Array(new SharedArrayBuffer(queries.rows * k * 4));
  const flops = 2 * base.rows * queries.rows * base.dim;
  const big = getThreads() > 1 && flops >= 2e8;
  const bd = big ? shared(base.data) : base.data;
  const qd = big ? shared(queries.data) : queries.data;
  const norms = metric === 'l2' ? rowNormsSq(bd, base.rows, base.dim, big ? new Float32Array(new SharedArrayBuffer(base.rows * 4)) : undefined) : null;
  const job: KernelJob = { module: THIS_MODULE, fn: 'knnWasmTask', args: { base: bd, nb: base.rows, baseNorms: norms, queries: qd, d: base.dim, k, metric, ids, dists } };
  await parallelRows(job, queries.rows, flops, (s, e) => knnRangeWasm(bd, base.rows, norms, qd, s, e, base.dim, k, metric, ids, dists));
  return { ids, dists };
}
