/**
 * ann-benchmarks metrics: recall@k, nearest-neighbour recall, latency percentiles, the recall–QPS
 * Pareto frontier, and the single-thread search loop that measures QPS and per-query latency.
 *
 * recall@k here is the plain set definition, |approx top-k ∩ exact top-k| / k averaged over queries.
 * ann-benchmarks' own `knn` metric also counts an approximate hit whose distance is within
 * epsilon (1e-3) of the true k-th distance (ties at the boundary); with continuous data the two agree
 * almost always, and the set version needs no distances, so it is the one computed here.
 */
import { VqbenchError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import type { SearchOptions, SearchParams, SearchResult, VectorIndex } from '../index/types.js';
import { nonDominated } from './dominance.js';

/** Why a recall could not be measured. */
function noQueries(what: string, k: number, nq: number): string {
  return nq === 0
    ? `${what}@${k} is not defined on 0 queries: give at least one query.`
    : `${what}@${k} is not defined: none of the ${nq} queries has an exact neighbour (is the base empty?).`;
}

function checkShapes(fn: string, approxIds: ArrayLike<number>, exactIds: ArrayLike<number>, nq: number, kApprox: number, kExact: number, k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`${fn}: k must be a positive integer, got ${k}`);
  if (k > kExact) throw new RangeError(`${fn}: k = ${k} exceeds the ${kExact} ground-truth neighbours per query`);
  if (approxIds.length !== nq * kApprox) throw new RangeError(`${fn}: approxIds has ${approxIds.length} ids, expected ${nq} × ${kApprox}`);
  if (exactIds.length !== nq * kExact) throw new RangeError(`${fn}: exactIds has ${exactIds.length} ids, expected ${nq} × ${kExact}`);
}

/**
 * Per-query recall@k: |approx top-k ∩ exact top-k| / (valid exact ids among the first k), one value
 * per query that has a valid exact id, in query order (the values `recallAtK` averages and a
 * bootstrap resamples). `approxIds` is nq × kApprox (best first, padded with −1), `exactIds` nq ×
 * kExact (k ≤ kExact). When kApprox < k the missing answers count as misses; −1 and duplicate ids
 * never count. Empty when no query counts.
 */
export function recallPerQuery(
  approxIds: ArrayLike<number>, exactIds: ArrayLike<number>,
  nq: number, kApprox: number, kExact: number, k: number,
): Float64Array {
  checkShapes('recallAtK', approxIds, exactIds, nq, kApprox, kExact, k);
  const ka = Math.min(k, kApprox);
  const truth = new Set<number>();
  const seen = new Set<number>();
  const out = new Float64Array(nq);
  let counted = 0;
  for (let q = 0; q < nq; q++) {
    truth.clear();
    seen.clear();
    for (let j = 0; j < k; j++) {
      const id = exactIds[q * kExact + j];
      if (id >= 0) truth.add(id);
    }
    if (truth.size === 0) continue;
    let hits = 0;
    for (let j = 0; j < ka; j++) {
      const id = approxIds[q * kApprox + j];
      if (id >= 0 && truth.has(id) && !seen.has(id)) {
        seen.add(id);
        hits++;
      }
    }
    out[counted++] = hits / truth.size;
  }
  return out.subarray(0, counted);
}

/**
 * Mean over queries of |approx top-k ∩ exact top-k| / k (`recallPerQuery` averaged). The
 * denominator is the number of valid (≥ 0) exact ids among the first k, which is k unless the base
 * has fewer than k vectors (a query without any valid exact id is skipped). Throws a VqbenchError
 * (never returns NaN) when no query counts: 0 queries, or none with a valid exact id.
 */
export function recallAtK(
  approxIds: ArrayLike<number>, exactIds: ArrayLike<number>,
  nq: number, kApprox: number, kExact: number, k: number,
): number {
  return meanOfQueries(recallPerQuery(approxIds, exactIds, nq, kApprox, kExact, k), () => noQueries('recall', k, nq));
}

/** The mean of per-query values, summed in query order; a VqbenchError (never NaN) when there are none. */
function meanOfQueries(per: Float64Array, none: () => string): number {
  if (!per.length) throw new VqbenchError(none());
  let sum = 0;
  for (let i = 0; i < per.length; i++) sum += per[i];
  return sum / per.length;
}

/**
 * Per-query hit (1) or miss (0) of the true nearest neighbour (exactIds[q·kExact]) among the first k
 * approximate answers, one value per query with a valid exact nearest neighbour, in query order.
 */
export function nnRecallPerQuery(
  approxIds: ArrayLike<number>, exactIds: ArrayLike<number>,
  nq: number, kApprox: number, kExact: number, k: number,
): Float64Array {
  checkShapes('nnRecallAtK', approxIds, exactIds, nq, kApprox, kExact, 1);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`nnRecallAtK: k must be a positive integer, got ${k}`);
  const ka = Math.min(k, kApprox);
  const out = new Float64Array(nq);
  let counted = 0;
  for (let q = 0; q < nq; q++) {
    const nn = exactIds[q * kExact];
    if (nn < 0) continue;
    let hit = 0;
    for (let j = 0; j < ka; j++) {
      if (approxIds[q * kApprox + j] === nn) {
        hit = 1;
        break;
      }
    }
    out[counted++] = hit;
  }
  return out.subarray(0, counted);
}

/**
 * Fraction of queries whose true nearest neighbour (exactIds[q·kExact]) is among the first k
 * approximate answers (the "1-recall@k" / R@k of the IVFPQ and WRVQ papers). Throws a VqbenchError
 * (never returns NaN) when no query has a valid exact nearest neighbour (0 queries, empty base).
 */
export function nnRecallAtK(
  approxIds: ArrayLike<number>, exactIds: ArrayLike<number>,
  nq: number, kApprox: number, kExact: number, k: number,
): number {
  return meanOfQueries(nnRecallPerQuery(approxIds, exactIds, nq, kApprox, kExact, k), () => noQueries('1-recall', k, nq));
}

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}

/** The p-th quantile (0 ≤ p ≤ 1) of an ascending sample, numpy's default ('linear') interpolation. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new VqbenchError('a latency percentile is not defined on 0 samples: no query was timed.');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantileSorted: p must be in [0, 1], got ${p}`);
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Median, 95th and 99th percentiles (numpy's linear interpolation) and mean of latencies in ms. */
export function latencyPercentiles(samplesMs: ArrayLike<number>): LatencySummary {
  if (samplesMs.length === 0) throw new VqbenchError('latency percentiles are not defined on 0 samples: no query was timed.');
  const s = Float64Array.from(samplesMs).sort();
  if (!Number.isFinite(s[0]) || !Number.isFinite(s[s.length - 1])) throw new VqbenchError(`latency percentiles are not defined: a timing sample is ${Number.isFinite(s[0]) ? s[s.length - 1] : s[0]} ms.`);
  let total = 0;
  for (let i = 0; i < s.length; i++) total += s[i];
  return { p50: quantileSorted(s, 0.5), p95: quantileSorted(s, 0.95), p99: quantileSorted(s, 0.99), mean: total / s.length };
}

export interface ParetoPoint {
  recall: number;
  qps: number;
  label: string;
}

/**
 * The points not dominated by any other (maximize recall and QPS), sorted by recall ascending (QPS
 * then descends). A point is dropped when another has recall ≥ and QPS ≥ with one of them strictly
 * greater; of exact duplicates the first is kept. Points with a NaN coordinate are ignored.
 * (src/eval/pareto.ts takes the directions of any two registry metrics.)
 */
export function paretoFrontier<T extends ParetoPoint>(points: readonly T[]): T[] {
  return nonDominated(points, (p) => p.recall, (p) => p.qps, true, true);
}

export interface MeasureOptions {
  /** Untimed queries run first (cycling through the query set) to warm caches and JITs. Default 100. */
  warmupQueries?: number;
  /** Passed to every search (a filter: filtered search). */
  search?: SearchOptions;
}

export interface SearchMeasurement extends SearchResult {
  /** Queries per second of the timed loop: nq / its total seconds (one query at a time, one thread). */
  qps: number;
  latencyMs: LatencySummary;
  /** Per-query latencies in ms, in query order (for the raw sidecar). */
  samplesMs: Float64Array;
  /** Wall-clock seconds of the timed loop. */
  seconds: number;
}

/**
 * Runs the queries one at a time (ann-benchmarks' single-query mode) after `warmupQueries` untimed
 * ones, timing each with performance.now(); `await` is used only for an index that declares
 * asyncSearch, so a synchronous index is not charged a microtask per query. Threads: this loop is
 * single-threaded; a native index must itself be set to one thread (see faiss.ts).
 */
export async function measureSearch(
  index: VectorIndex, queries: Matrix, k: number,
  params: SearchParams = {}, opts: MeasureOptions = {},
): Promise<SearchMeasurement> {
  const nq = queries.rows;
  if (nq === 0) throw new RangeError('measureSearch: no queries');
  const warmup = Math.max(0, Math.floor(opts.warmupQueries ?? 100));
  const isAsync = index.capabilities.asyncSearch;
  const rows = Array.from({ length: nq }, (_, i) => queries.sliceRows(i, i + 1));

  for (let w = 0; w < warmup; w++) {
    const r = index.search(rows[w % nq], k, params, opts.search);
    if (isAsync) await r;
  }

  const ids = new Int32Array(nq * k);
  const dists = new Float32Array(nq * k);
  const samples = new Float64Array(nq);
  const results: SearchResult[] = new Array(nq);
  const start = performance.now();
  for (let i = 0; i < nq; i++) {
    const t0 = performance.now();
    let r = index.search(rows[i], k, params, opts.search);
    if (isAsync) r = await r;
    samples[i] = performance.now() - t0;
    results[i] = r as SearchResult;
  }
  const seconds = (performance.now() - start) / 1000;

  for (let i = 0; i < nq; i++) {
    const r = results[i];
    if (r === undefined || typeof (r as Partial<SearchResult>).ids !== 'object') {
      throw new TypeError(`measureSearch: ${index.name}.search returned a Promise but capabilities.asyncSearch is false`);
    }
    if (r.nq !== 1 || r.k !== k) throw new RangeError(`measureSearch: ${index.name}.search returned ${r.nq} × ${r.k}, expected 1 × ${k}`);
    ids.set(r.ids, i * k);
    dists.set(r.dists, i * k);
  }
  return { nq, k, ids, dists, qps: nq / seconds, latencyMs: latencyPercentiles(samples), samplesMs: samples, seconds };
}
