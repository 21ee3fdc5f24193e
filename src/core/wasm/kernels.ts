/**
 * The dense wasm SIMD (simd128) kernels: typed JS wrappers of kernels.wasm's tile functions, the
 * engine behind `innerProducts` (distance.ts) for large tiles and the fused nearest / top-k scans
 * that `nearestRows` / `knnRange` of search.ts run. Each wrapper lays out its scratch (memory.ts),
 * copies the operands in, runs the tiles and copies the results out; each returns false / falls
 * back to the JS kernel when the wasm path is off (loader.ts).
 *
 * Precision: float32 accumulation (as BLAS sgemm / faiss); the JS kernel accumulates in float64.
 */
import { innerProductsJs } from '../distance-js.js';
import { PANEL, kernelExports as ex, wasmKernelsEnabled } from './loader.js';
import { Layout, copyIn, f32, i32, roundUp, scratchFloats, type ResidentRows } from './memory.js';

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
  if (!wasmKernelsEnabled() || nx <= 0 || ny <= 0 || d <= 0) {
    innerProductsJs(x, xo, nx, y, yo, ny, d, out, ldo);
    return;
  }
  // Split so that x chunk + raw y + packed y + out stay within the scratch budget.
  let cb = ny, rb = nx;
  if (nx * d + 2 * roundUp(ny, PANEL) * d + nx * ny > scratchFloats()) {
    cb = Math.min(ny, Math.max(PANEL, roundUp(Math.floor(scratchFloats() / 4 / d), PANEL)));
    rb = Math.max(1, Math.floor((scratchFloats() - 2 * roundUp(cb, PANEL) * d) / (d + cb)));
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
  if (!wasmKernelsEnabled() || nc <= 0 || d <= 0) return false;
  if (end <= start) return true;
  const e = ex!;
  const l2 = metric === 'l2';
  const ncp = roundUp(nc, PANEL);
  // rows per chunk: the x chunk and its two result arrays within the budget
  const rb = Math.max(1, Math.min(end - start, Math.floor(scratchFloats() / (d + 2))));
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
  if (!wasmKernelsEnabled() || nb <= 0 || d <= 0 || k <= 0) return false;
  if (end <= start) return true;
  const e = ex!;
  const l2 = metric === 'l2';
  // base chunk (raw + packed + norms) and query chunk (rows, heaps, outputs) within the budget
  const bc = Math.min(nb, Math.max(PANEL, Math.floor(scratchFloats() / (2 * d + 1) / PANEL) * PANEL));
  const qc = Math.max(1, Math.min(end - start, Math.floor(scratchFloats() / (d + 4 * k + 2))));
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

/** `knnRangeFused` against resident rows: no copy of the base, one tile call per query chunk. */
export function knnResident(
  r: ResidentRows, queries: Float32Array, start: number, end: number, k: number,
  outIds: Int32Array, outDist: Float32Array,
): void {
  const e = ex!;
  const d = r.d, l2 = r.metric === 'l2';
  const qc = Math.max(1, Math.min(end - start, Math.floor(scratchFloats() / (d + 4 * k + 2))));
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

