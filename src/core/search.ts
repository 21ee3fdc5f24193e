/**
 * Exhaustive nearest-neighbour kernels built on `innerProducts`: the assignment step of k-means and
 * every encoder (`nearestRows`), and exact k-NN search (`knnRange`). Both work on a row range so
 * that `parallel.ts` can split them over worker threads; both use ||x−y||² = ||x||² + ||y||² − 2x·y
 * over tiles, as faiss does. Long row ranges run in the fused WebAssembly SIMD scans when they
 * load (same contracts, float32 accumulation); the JS scans are the fallback and the reference.
 * Exact k-NN and the nearest-row assignment run first in the optional native kernel
 * (native/knn-native.ts: OpenBLAS sgemm blocks, the wasm kernels' selection, the same results bit
 * for bit) when it is built.
 */
import { WASM_MIN_WORK, innerProducts, rowNormsSq } from './distance.js';
import { TopK } from './topk.js';
import { knnRangeNative, nearestRowsNative, setNativeKnnEnabled } from './native/knn-native.js';
import { knnRangeFused, nearestRowsFused } from './wasm/kernels.js';

export type Metric = 'l2' | 'ip';

const ROW_BLOCK = 128;
const COL_BLOCK = 1024;

/**
 * For rows [start, end) of x (dimension d), the index of the nearest row of c (nc rows) and the
 * squared L2 distance to it (metric 'l2', cNorms = ||c_j||²) or the largest inner product ('ip').
 */
export function nearestRows(
  x: Float32Array, start: number, end: number,
  c: Float32Array, nc: number, d: number,
  metric: Metric, cNorms: Float32Array | null,
  outIds: Int32Array, outDist: Float32Array,
): void {
  // the same size rule as innerProducts: below it, the copies into wasm memory cost more than they save
  if ((end - start) * nc * d >= WASM_MIN_WORK) {
    if (nearestRowsNative(x, start, end, c, nc, d, metric, cNorms, outIds, outDist)) return;
    if (nearestRowsFused(x, start, end, c, nc, d, metric, cNorms, outIds, outDist)) return;
  }
  nearestRowsJs(x, start, end, c, nc, d, metric, cNorms, outIds, outDist);
}

/** The JS scan behind `nearestRows`: inner-product tiles, then an argmin per row. */
export function nearestRowsJs(
  x: Float32Array, start: number, end: number,
  c: Float32Array, nc: number, d: number,
  metric: Metric, cNorms: Float32Array | null,
  outIds: Int32Array, outDist: Float32Array,
): void {
  const cb = Math.min(nc, COL_BLOCK);
  const tile = new Float32Array(ROW_BLOCK * cb);
  const l2 = metric === 'l2';
  if (l2 && !cNorms) cNorms = rowNormsSq(c, nc, d);
  for (let i0 = start; i0 < end; i0 += ROW_BLOCK) {
    const bi = Math.min(ROW_BLOCK, end - i0);
    for (let i = 0; i < bi; i++) {
      outIds[i0 + i] = -1;
      outDist[i0 + i] = l2 ? Infinity : -Infinity;
    }
    for (let j0 = 0; j0 < nc; j0 += cb) {
      const bj = Math.min(cb, nc - j0);
      innerProducts(x, i0 * d, bi, c, j0 * d, bj, d, tile, bj);
      for (let i = 0; i < bi; i++) {
        const o = i * bj;
        let best = outIds[i0 + i];
        if (l2) {
          // compare ||c||² − 2x·c; ||x||² is added once at the end
          let bestV = best < 0 ? Infinity : outDist[i0 + i];
          for (let j = 0; j < bj; j++) {
            const v = cNorms![j0 + j] - 2 * tile[o + j];
            if (v < bestV) { bestV = v; best = j0 + j; }
          }
          outDist[i0 + i] = bestV;
        } else {
          let bestV = outDist[i0 + i];
          for (let j = 0; j < bj; j++) {
            const v = tile[o + j];
            if (v > bestV) { bestV = v; best = j0 + j; }
          }
          outDist[i0 + i] = bestV;
        }
        outIds[i0 + i] = best;
      }
    }
    if (l2) {
      for (let i = 0; i < bi; i++) {
        const r = i0 + i;
        let xn = 0;
        for (let k = r * d, e = k + d; k < e; k++) xn += x[k] * x[k];
        outDist[r] = Math.max(0, outDist[r] + xn);
      }
    }
  }
}

/**
 * Exact k-NN of queries [start, end) among all nb base rows: writes ids and distances (squared L2,
 * ascending; or inner products, descending) into rows [start, end) of outIds / outDist (k per row).
 */
export function knnRange(
  base: Float32Array, nb: number, baseNorms: Float32Array | null,
  queries: Float32Array, start: number, end: number,
  d: number, k: number, metric: Metric,
  outIds: Int32Array, outDist: Float32Array,
): void {
  if ((end - start) * nb * d >= WASM_MIN_WORK) {
    if (knnRangeNative(base, nb, baseNorms, queries, start, end, d, k, metric, outIds, outDist)) return;
    if (knnRangeFused(base, nb, baseNorms, queries, start, end, d, k, metric, outIds, outDist)) return;
  }
  knnRangeJs(base, nb, baseNorms, queries, start, end, d, k, metric, outIds, outDist);
}

/** The JS scan behind `knnRange`: inner-product tiles, then a bounded heap per query (only rows with allowed[row] = 1 when given). */
export function knnRangeJs(
  base: Float32Array, nb: number, baseNorms: Float32Array | null,
  queries: Float32Array, start: number, end: number,
  d: number, k: number, metric: Metric,
  outIds: Int32Array, outDist: Float32Array,
  allowed: Uint8Array | null = null,
): void {
  const l2 = metric === 'l2';
  if (l2 && !baseNorms) baseNorms = rowNormsSq(base, nb, d);
  const qb = 64;
  const bb = Math.min(nb, 4096);
  const tile = new Float32Array(qb * bb);
  for (let q0 = start; q0 < end; q0 += qb) {
    const nq = Math.min(qb, end - q0);
    const heap = new TopK(nq, k, allowed); // allowed: rows not passing the filter never enter the top-k
    for (let j0 = 0; j0 < nb; j0 += bb) {
      const nj = Math.min(bb, nb - j0);
      innerProducts(queries, q0 * d, nq, base, j0 * d, nj, d, tile, nj);
      for (let i = 0; i < nq; i++) {
        const o = i * nj;
        let worst = heap.worst(i);
        for (let j = 0; j < nj; j++) {
          // heap keeps "smaller is better": ||b||² − 2q·b for l2, −q·b for ip
          const v = l2 ? baseNorms![j0 + j] - 2 * tile[o + j] : -tile[o + j];
          if (v < worst) {
            heap.push(i, v, j0 + j);
            worst = heap.worst(i);
          }
        }
      }
    }
    const { ids, dists } = heap.sort();
    for (let i = 0; i < nq; i++) {
      const q = q0 + i;
      let qn = 0;
      if (l2) for (let t = q * d, e = t + d; t < e; t++) qn += queries[t] * queries[t];
      for (let j = 0; j < k; j++) {
        outIds[q * k + j] = ids[i * k + j];
        const v = dists[i * k + j];
        outDist[q * k + j] = l2 ? Math.max(0, v + qn) : -v;
      }
    }
  }
}

type TaskArgs = Record<string, any>;

/**
 * Worker entry points (see parallel.ts): the same kernels on a row range of shared arrays. `a.native`
 * false: the caller had the native kernel off (setNativeKnnEnabled), so the worker runs the wasm kernel too.
 */
export function nearestTask(a: TaskArgs, start: number, end: number): void {
  const was = a.native === false ? setNativeKnnEnabled(false) : null;
  try {
    nearestRows(a.x, start, end, a.c, a.nc, a.d, a.metric, a.cNorms, a.ids, a.dists);
  } finally {
    if (was !== null) setNativeKnnEnabled(was);
  }
}

/** `a.native` as in nearestTask. */
export function knnTask(a: TaskArgs, start: number, end: number): void {
  const was = a.native === false ? setNativeKnnEnabled(false) : null;
  try {
    knnRange(a.base, a.nb, a.baseNorms, a.queries, start, end, a.d, a.k, a.metric, a.ids, a.dists);
  } finally {
    if (was !== null) setNativeKnnEnabled(was);
  }
}
