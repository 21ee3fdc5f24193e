/**
 * Exact ground truth: the k nearest base rows of every query by float32 exhaustive search (the
 * shared `knn` kernel on all threads), computed once per (dataset checksum, metric, k) and cached
 * under datasets/cache/ground-truth/ as .ivecs (ids) + .fvecs (distances). At least 100
 * neighbours are computed (as ann-benchmarks stores), so later runs with any k ≤ 100 reuse them.
 *
 * A result is checked before it is cached (ids in range and distinct per query, distances finite
 * and sorted, and a few queries' nearest neighbour recomputed by brute force), so a broken
 * computation (e.g. kernels that skipped rows) is an error, never a cached ground truth. Each file
 * is a cache entry with a completion marker and checksum (src/core/cache-entry.ts): a truncated or
 * corrupt file is recomputed. A base too large to hold is searched chunk by chunk, resumably, by
 * src/data/ground-truth-streamed.ts into the same cache entries.
 */
import { readCacheEntry, removeCacheEntry, writeCacheEntry } from '../core/cache-entry.js';
import { dot, l2sq } from '../core/distance.js';
import { InputError, VqbenchError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { knn } from '../core/parallel.js';
import type { ProgressFn } from '../core/progress.js';
import { dirname } from 'node:path';
import { assertFreeSpace } from '../core/disk-space.js';
import { cacheDir } from './cache.js';
import type { GroundTruth, VectorDataset } from './types.js';

export const GROUND_TRUTH_MIN_K = 100;
const QUERY_CHUNK = 500;

/** The first k of each row of a ground truth with more columns. */
export function firstK(gt: GroundTruth, nq: number, k: number): GroundTruth {
  if (gt.k === k) return gt;
  const ids = new Int32Array(nq * k), dists = new Float32Array(nq * k);
  for (let i = 0; i < nq; i++) {
    ids.set(gt.ids.subarray(i * gt.k, i * gt.k + k), i * k);
    dists.set(gt.dists.subarray(i * gt.k, i * gt.k + k), i * k);
  }
  return { k, ids, dists };
}

/** What a dataset's ground truth needs to know, in memory or streamed. */
export interface GroundTruthSubject {
  name: string;
  metric: VectorDataset['metric'];
  checksum: string;
  base: { rows: number };
  queries: { rows: number };
  groundTruth?: GroundTruth;
}

/**
 * The first steps of both ground-truth paths: k checked against the base, the dataset's own
 * neighbours when they cover k (`given`), else the metric, the K computed and the cache stem.
 */
export function groundTruthRequest(ds: GroundTruthSubject, k: number): { given: GroundTruth } | { given: null; metric: 'l2' | 'ip'; K: number; stem: string } {
  const nb = ds.base.rows, nq = ds.queries.rows;
  if (!Number.isInteger(k) || k < 1) throw new InputError(`--k must be a positive integer, got ${k}.`);
  if (k > nb) throw new InputError(`--k ${k} is larger than the ${nb} base rows of ${ds.name}.`);
  const given = ds.groundTruth;
  if (given && given.k >= k && !Number.isNaN(given.dists[0])) return { given: firstK(given, nq, k) };
  const metric = ds.metric === 'ip' ? 'ip' : 'l2';
  const K = Math.min(nb, Math.max(k, GROUND_TRUTH_MIN_K));
  return { given: null, metric, K, stem: groundTruthStem(ds.checksum, metric, K) };
}

export async function groundTruth(ds: VectorDataset, k: number, opts: { onProgress?: ProgressFn; cache?: boolean } = {}): Promise<GroundTruth> {
  const nq = ds.queries.rows;
  const req = groundTruthRequest(ds, k);
  if (req.given) return req.given;
  const { metric, K, stem } = req;
  const useCache = opts.cache ?? true;
  if (useCache) {
    const cached = readCachedGroundTruth(stem, nq, K);
    if (cached) return firstK(cached, nq, k);
    assertGroundTruthFits(stem, nq, K, ds.name, 0);
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
  checkExactResult(ds.name, base, ds.queries, K, metric, ids, dists);
  if (useCache) {
    writeCacheEntry(`${stem}.ivecs`, encodeRows(nq, K, ids));
    writeCacheEntry(`${stem}.fvecs`, encodeRows(nq, K, dists));
    removeCacheEntry(`${stem}.partial`); // a streamed run's checkpoint of the same result, if one was stopped
  }
  return firstK({ k: K, ids, dists }, nq, k);
}

/** Throws one sentence (nothing written) when the cache cannot hold the ground truth's two files plus `extraBytes`. */
export function assertGroundTruthFits(stem: string, nq: number, K: number, name: string, extraBytes: number): void {
  assertFreeSpace(dirname(stem), 2 * nq * (K + 1) * 4 + extraBytes, `the exact ground truth of ${name} (${nq} queries × ${K} neighbours)`);
}

/** The cache files of a ground truth, without extension: one key for in-memory and streamed runs of the same data. */
export function groundTruthStem(checksum: string, metric: 'l2' | 'ip', K: number): string {
  return cacheDir('ground-truth', `${checksum}-${metric}-k${K}`);
}

/** nq rows of K values as .ivecs / .fvecs (each row: int32 K, then K 4-byte values, little-endian). */
export function encodeRows(nq: number, K: number, values: Int32Array | Float32Array): Uint8Array {
  const buf = new ArrayBuffer(nq * (K + 1) * 4);
  const v = new DataView(buf);
  const float = values instanceof Float32Array;
  for (let i = 0; i < nq; i++) {
    const at = i * (K + 1) * 4;
    v.setInt32(at, K, true);
    for (let j = 0; j < K; j++) {
      if (float) v.setFloat32(at + 4 + j * 4, values[i * K + j], true);
      else v.setInt32(at + 4 + j * 4, values[i * K + j], true);
    }
  }
  return new Uint8Array(buf);
}

function decodeRows(buf: Buffer, nq: number, K: number, float: boolean): Int32Array | Float32Array | null {
  if (buf.byteLength !== nq * (K + 1) * 4) return null;
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = float ? new Float32Array(nq * K) : new Int32Array(nq * K);
  for (let i = 0; i < nq; i++) {
    const at = i * (K + 1) * 4;
    if (v.getInt32(at, true) !== K) return null;
    for (let j = 0; j < K; j++) out[i * K + j] = float ? v.getFloat32(at + 4 + j * 4, true) : v.getInt32(at + 4 + j * 4, true);
  }
  return out;
}

/** The cached ground truth of nq × K, when both files are complete and intact; else null (recomputed). */
export function readCachedGroundTruth(stem: string, nq: number, K: number): GroundTruth | null {
  const a = readCacheEntry(`${stem}.ivecs`);
  const b = a && readCacheEntry(`${stem}.fvecs`);
  if (!a || !b) return null;
  const ids = decodeRows(a.data, nq, K, false) as Int32Array | null;
  const dists = decodeRows(b.data, nq, K, true) as Float32Array | null;
  return ids && dists ? { k: K, ids, dists } : null;
}

/**
 * Throws unless (ids, dists) look like an exact k-NN result of queries over base: every id in range
 * and distinct within its query, every distance finite and in order, and the first neighbour of a
 * few queries equal to a brute-force recomputation. Catches kernels that computed nothing.
 */
export function checkExactResult(name: string, base: Matrix, queries: Matrix, K: number, metric: 'l2' | 'ip', ids: Int32Array, dists: Float32Array): void {
  checkNeighbourLists(name, base.rows, queries.rows, K, metric, ids, dists);
  const nearest = new BruteForceNearest(queries, metric);
  nearest.scan(base);
  nearest.check(name, dists, K);
}

function failedCheck(name: string, q: number, why: string): never {
  throw new VqbenchError(`the exact ground truth of ${name} failed its check (query ${q}: ${why}), so it was not cached; the search kernels are broken.`);
}

/** Every id in [0, nb) and distinct within its query, every distance finite and in order. */
export function checkNeighbourLists(name: string, nb: number, nq: number, K: number, metric: 'l2' | 'ip', ids: Int32Array, dists: Float32Array): void {
  const seen = new Int32Array(nb).fill(-1);
  for (let q = 0; q < nq; q++) {
    for (let j = 0; j < K; j++) {
      const id = ids[q * K + j], dist = dists[q * K + j];
      if (!(id >= 0 && id < nb)) failedCheck(name, q, `neighbour id ${id} outside [0, ${nb})`);
      if (seen[id] === q) failedCheck(name, q, `neighbour ${id} listed twice`);
      seen[id] = q;
      if (!Number.isFinite(dist)) failedCheck(name, q, `distance ${dist}`);
      if (j > 0 && (metric === 'l2' ? dist < dists[q * K + j - 1] : dist > dists[q * K + j - 1])) failedCheck(name, q, 'distances out of order');
    }
  }
}

/**
 * The nearest base row of a few sample queries by plain brute force (the reference the fast
 * kernels are checked against), fed the base in chunks; its state can be saved with a checkpoint.
 */
export class BruteForceNearest {
  readonly samples: number[];
  best: number[];
  /** ‖b‖² (or |b·b|) of each sample's best row: float32 rounding of the kernels grows with the norms. */
  bestNorm: number[];

  constructor(readonly queries: Matrix, readonly metric: 'l2' | 'ip') {
    const nq = queries.rows, n = Math.min(nq, 4);
    this.samples = Array.from({ length: n }, (_, s) => Math.floor((s * nq) / n));
    this.best = this.samples.map(() => (metric === 'l2' ? Infinity : -Infinity));
    this.bestNorm = this.samples.map(() => 0);
  }

  /** Offers the base rows of `chunk`. */
  scan(chunk: Matrix): void {
    const d = chunk.dim, qd = this.queries.data, bd = chunk.data, l2 = this.metric === 'l2';
    this.samples.forEach((q, s) => {
      let best = this.best[s], at = -1;
      for (let i = 0; i < chunk.rows; i++) {
        const v = l2 ? l2sq(qd, q * d, bd, i * d, d) : dot(qd, q * d, bd, i * d, d);
        if (l2 ? v < best : v > best) { best = v; at = i; }
      }
      if (at >= 0) {
        this.best[s] = best;
        this.bestNorm[s] = dot(bd, at * d, bd, at * d, d);
      }
    });
  }

  /** Throws unless each sample's first distance in `dists` (K per query) is its brute-force nearest. */
  check(name: string, dists: Float32Array, K: number): void {
    const d = this.queries.dim, qd = this.queries.data;
    this.samples.forEach((q, s) => {
      const best = this.best[s];
      const scale = 1 + Math.abs(best) + dot(qd, q * d, qd, q * d, d) + this.bestNorm[s];
      const got = dists[q * K];
      if (!(Math.abs(got - best) <= 1e-4 * scale)) failedCheck(name, q, `nearest distance ${got}, brute force gives ${best}`);
    });
  }
}
