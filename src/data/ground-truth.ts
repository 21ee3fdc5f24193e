/**
 * Exact ground truth: the k nearest base rows of every query by float32 exhaustive search (the
 * shared `knn` kernel on all threads), computed once per (dataset checksum, metric, k) and cached
 * under datasets/cache/ground-truth/ as .ivecs (ids) + .fvecs (distances). At least 100
 * neighbours are computed (as ann-benchmarks stores), so later runs with any k ≤ 100 reuse them.
 */
import { existsSync } from 'node:fs';
import { InputError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { knn } from '../core/parallel.js';
import type { ProgressFn } from '../core/progress.js';
import { cacheDir } from './cache.js';
import { readIvecs, readVecs, writeFvecs, writeIvecs } from './fvecs.js';
import type { GroundTruth, VectorDataset } from './types.js';

export const GROUND_TRUTH_MIN_K = 100;
const QUERY_CHUNK = 500;

/** The first k of each row of a ground truth with more columns. */
function firstK(gt: GroundTruth, nq: number, k: number): GroundTruth {
  if (gt.k === k) return gt;
  const ids = new Int32Array(nq * k), dists = new Float32Array(nq * k);
  for (let i = 0; i < nq; i++) {
    ids.set(gt.ids.subarray(i * gt.k, i * gt.k + k), i * k);
    dists.set(gt.dists.subarray(i * gt.k, i * gt.k + k), i * k);
  }
  return { k, ids, dists };
}

export async function groundTruth(ds: VectorDataset, k: number, opts: { onProgress?: ProgressFn; cache?: boolean } = {}): Promise<GroundTruth> {
  const nb = ds.base.rows, nq = ds.queries.rows;
  if (!Number.isInteger(k) || k < 1) throw new InputError(`--k must be a positive integer, got ${k}.`);
  if (k > nb) throw new InputError(`--k ${k} is larger than the ${nb} base rows of ${ds.name}.`);
  const given = ds.groundTruth;
  if (given && given.k >= k && !Number.isNaN(given.dists[0])) return firstK(given, nq, k);
  const metric = ds.metric === 'ip' ? 'ip' : 'l2';
  const K = Math.min(nb, Math.max(k, GROUND_TRUTH_MIN_K));
  const stem = cacheDir('ground-truth', `${ds.checksum}-${metric}-k${K}`);
  const useCache = opts.cache ?? true;
  if (useCache && existsSync(`${stem}.ivecs`) && existsSync(`${stem}.fvecs`)) {
    const ids = readIvecs(`${stem}.ivecs`);
    const dists = readVecs(`${stem}.fvecs`, 'fvecs');
    if (ids.rows === nq && ids.dim === K) return firstK({ k: K, ids: ids.data, dists: dists.data }, nq, k);
  }
  const ids = new Int32Array(nq * K), dists = new Float32Array(nq * K);
  const base = ds.base.toShared(); // once: knn() copies a non-shared base to the workers on every call
  for (let q0 = 0; q0 < nq; q0 += QUERY_CHUNK) {
    const q1 = Math.min(nq, q0 + QUERY_CHUNK);
    const r = await knn(base, ds.queries.sliceRows(q0, q1), K, metric);
    ids.set(r.ids, q0 * K);
    dists.set(r.dists, q0 * K);
    opts.onProgress?.(q1, nq, 'exact search');
  }
  if (useCache) {
    writeIvecs(`${stem}.ivecs`, nq, K, ids);
    writeFvecs(`${stem}.fvecs`, new Matrix(dists, nq, K));
  }
  return firstK({ k: K, ids, dists }, nq, k);
}
