/**
 * k-means (Lloyd), faiss-style: at most `maxPointsPerCentroid` × k training points (a seeded
 * sample, as faiss's max_points_per_centroid = 256), random or k-means++ initialisation, a fixed
 * number of iterations, and empty clusters repaired by splitting a large cluster in two (faiss's
 * split_clusters). `spherical` renormalises centroids after each update (faiss's spherical k-means,
 * used for codebooks of unit directions) and assigns by largest inner product.
 * The assignment step is the shared `nearest` kernel, run on all threads.
 */
import { Matrix, normalizeRows } from './matrix.js';
import { getThreads, nearest } from './parallel.js';
import { Rng } from './rng.js';
import { l2sq } from './distance.js';
import { pca, pcaApply, pcaReverse } from './pca.js';
import type { ProgressFn } from './progress.js';

export interface KMeansOptions {
  /** Number of centroids. */
  k: number;
  /** Lloyd iterations. Default 25 (faiss's default). */
  iters?: number;
  /** Default 1234. */
  seed?: number;
  /** 'random' (k distinct sample points, faiss's default), 'kmeans++', or explicit initial centroids. */
  init?: 'random' | 'kmeans++' | Matrix;
  /** Subsample the training set to this many points per centroid. Default 256; 0 = use all. */
  maxPointsPerCentroid?: number;
  /** Unit-norm centroids, assignment by inner product. Default false. */
  spherical?: boolean;
  onProgress?: ProgressFn;
}

export interface KMeansResult {
  centroids: Matrix;
  /** Final assignment of the training points actually used (after subsampling), and its inertia. */
  assign: Int32Array;
  inertia: number;
  iterations: number;
  /** How many times an empty cluster was repaired by splitting another. */
  splits: number;
  /** Rows of x used (the sample), so callers can relate `assign` to x. */
  sample: Uint32Array | null;
}

const SPLIT_EPS = 1 / 1024;

/** faiss's max_points_per_centroid: at most maxPerCentroid·k rows (default 256; 0 = all), a seeded sample. */
function trainingSample(x: Matrix, k: number, maxPerCentroid = 256, rng: Rng): { data: Matrix; sample: Uint32Array | null } {
  if (k < 1 || k > x.rows) throw new RangeError(`k-means: k = ${k} must be between 1 and the ${x.rows} training rows`);
  if (maxPerCentroid > 0 && x.rows > k * maxPerCentroid) {
    const sample = rng.sample(x.rows, k * maxPerCentroid);
    return { data: x.selectRows(sample), sample };
  }
  return { data: x, sample: null };
}

export async function kmeans(x: Matrix, opts: KMeansOptions): Promise<KMeansResult> {
  const { k } = opts;
  const iters = opts.iters ?? 25;
  const rng = new Rng(opts.seed ?? 1234);
  const spherical = opts.spherical ?? false;
  const sampled = trainingSample(x, k, opts.maxPointsPerCentroid, rng);
  const sample = sampled.sample;
  let data = sampled.data;
  // the assignment runs on worker threads, which read the rows from shared memory: copy them there
  // once, not once per iteration (nearest() would copy a non-shared matrix on every call)
  if (getThreads() > 1 && 2 * data.rows * k * data.dim >= 2e8) data = data.toShared();
  const n = data.rows, d = data.dim;

  let centroids: Matrix;
  if (opts.init instanceof Matrix) {
    if (opts.init.rows !== k || opts.init.dim !== d) throw new RangeError(`k-means: init is ${opts.init.rows}×${opts.init.dim}, expected ${k}×${d}`);
    centroids = opts.init.clone();
  } else if (opts.init === 'kmeans++') {
    centroids = kmeansPlusPlus(data, k, rng);
  } else {
    centroids = data.selectRows(rng.sample(n, k));
  }
  if (spherical) normalizeRows(centroids);

  const metric = spherical ? 'ip' : 'l2';
  const sums = new Float64Array(k * d);
  const counts = new Int32Array(k);
  let splits = 0;
  let assign: Int32Array = new Int32Array(n);
  for (let it = 0; it < iters; it++) {
    assign = (await nearest(data, centroids, metric)).ids;
    // update: mean of the assigned points
    sums.fill(0);
    counts.fill(0);
    const xd = data.data;
    for (let i = 0; i < n; i++) {
      const c = assign[i];
      counts[c]++;
      const o = c * d, xo = i * d;
      for (let j = 0; j < d; j++) sums[o + j] += xd[xo + j];
    }
    const cd = centroids.data;
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue;
      const inv = 1 / counts[c];
      for (let j = 0; j < d; j++) cd[c * d + j] = sums[c * d + j] * inv;
    }
    splits += splitEmptyClusters(centroids, counts, n, rng);
    if (spherical) normalizeRows(centroids);
    opts.onProgress?.(it + 1, iters);
  }
  // Final assignment against the returned centroids, so that assign and inertia describe them.
  const final = await nearest(data, centroids, metric);
  assign = final.ids;
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += l2sq(data.data, i * d, centroids.data, assign[i] * d, d);
  return { centroids, assign, inertia, iterations: iters, splits, sample };
}

/**
 * faiss's split_clusters: each empty cluster takes a copy of a cluster chosen with probability
 * proportional to its size beyond one point; the two copies are pushed apart symmetrically and
 * share the points.
 */
function splitEmptyClusters(centroids: Matrix, counts: Int32Array, n: number, rng: Rng): number {
  const k = centroids.rows, d = centroids.dim, cd = centroids.data;
  let splits = 0;
  for (let ci = 0; ci < k; ci++) {
    if (counts[ci] !== 0) continue;
    let cj = 0;
    for (;;) {
      const p = (counts[cj] - 1) / (n - k);
      if (rng.float() < p) break;
      cj = (cj + 1) % k;
    }
    for (let j = 0; j < d; j++) {
      const v = cd[cj * d + j];
      if (j % 2 === 0) {
        cd[ci * d + j] = v * (1 + SPLIT_EPS);
        cd[cj * d + j] = v * (1 - SPLIT_EPS);
      } else {
        cd[ci * d + j] = v * (1 - SPLIT_EPS);
        cd[cj * d + j] = v * (1 + SPLIT_EPS);
      }
    }
    counts[ci] = counts[cj] >> 1;
    counts[cj] -= counts[ci];
    splits++;
  }
  return splits;
}

/** k-means++ seeding (Arthur & Vassilvitskii): each new centre drawn ∝ squared distance to the nearest chosen one. */
function kmeansPlusPlus(x: Matrix, k: number, rng: Rng): Matrix {
  const n = x.rows, d = x.dim;
  const out = Matrix.zeros(k, d);
  const best = new Float64Array(n).fill(Infinity);
  let chosen = rng.int(n);
  for (let c = 0; c < k; c++) {
    out.data.set(x.row(chosen), c * d);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const v = l2sq(x.data, i * d, out.data, c * d, d);
      if (v < best[i]) best[i] = v;
      total += best[i];
    }
    if (c + 1 === k) break;
    let r = rng.float() * total;
    chosen = n - 1;
    for (let i = 0; i < n; i++) {
      r -= best[i];
      if (r <= 0) { chosen = i; break; }
    }
  }
  return out;
}

export interface ProgressiveKMeansOptions extends Omit<KMeansOptions, 'init' | 'spherical'> {
  /** Steps of growing dimension (faiss progressive_dim_steps). Default 10. */
  steps?: number;
}

/**
 * faiss's ProgressiveDimClustering (the default codebook trainer of its ResidualQuantizer): the
 * (sampled) rows are rotated into their principal basis, then k-means runs `steps` times on the
 * first d^((1+s)/steps) principal coordinates, each run starting from the previous centroids padded
 * with zeros, and the centroids are rotated back. Coarse structure is fixed in few dimensions
 * first, which avoids the poor local minima of k-means in high dimension. `iters` is per step.
 */
export async function progressiveKmeans(x: Matrix, opts: ProgressiveKMeansOptions): Promise<KMeansResult> {
  const { k } = opts;
  const steps = opts.steps ?? 10;
  const { data, sample } = trainingSample(x, k, opts.maxPointsPerCentroid, new Rng(opts.seed ?? 1234));
  const d = data.dim, n = data.rows;
  const p = pca(data);
  const y = pcaApply(p, data);
  let centroids: Matrix | null = null;
  let splits = 0, iterations = 0;
  for (let s = 0; s < steps; s++) {
    const di = s === steps - 1 ? d : Math.max(1, Math.min(d, Math.floor(Math.pow(d, (1 + s) / steps))));
    const sub = Matrix.zeros(n, di, getThreads() > 1);
    for (let i = 0; i < n; i++) sub.data.set(y.data.subarray(i * d, i * d + di), i * di);
    let init: Matrix | undefined;
    if (centroids) {
      init = Matrix.zeros(k, di);
      const dp = centroids.dim;
      for (let c = 0; c < k; c++) init.data.set(centroids.data.subarray(c * dp, c * dp + dp), c * di);
    }
    const r = await kmeans(sub, {
      k, iters: opts.iters, seed: (opts.seed ?? 1234) + s, init, maxPointsPerCentroid: 0,
      onProgress: (i, t) => opts.onProgress?.(s * t + i, steps * t, `progressive k-means, ${di} of ${d} dimensions`),
    });
    centroids = r.centroids;
    splits += r.splits;
    iterations += r.iterations;
  }
  const back = pcaReverse(p, centroids!);
  const final = await nearest(data, back);
  let inertia = 0;
  for (const v of final.dists) inertia += v;
  return { centroids: back, assign: final.ids, inertia, iterations, splits, sample };
}
