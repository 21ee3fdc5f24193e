/**
 * The metric registry: ann-benchmarks' metric set (ann_benchmarks/plotting/metrics.py), computed
 * from one raw result file (src/eval/raw-results.ts, `vqbench index --raw`) and the exact ground
 * truth, plus vqbench's own set recall and nearest-neighbour recall.
 *
 * Conventions, ann-benchmarks' own:
 * - distances are ann-benchmarks' (euclidean ‖q − x‖, angular 1 − cos, ip −q·x), ascending;
 *   `annTruth` converts vqbench's ground truth (squared L2 / 2·(1 − cos) / inner product) to them;
 * - `count` (k) is the run's k unless `opts.k` says otherwise; a run that returned fewer than k
 *   answers, padding ids (−1) and +inf distances count as misses (`d <= t` is false for +inf);
 * - the thresholds are computed in float64 from the float32 distances stored in the files
 *   (`D[k-1] + 1e-3`, `D[k-1] · (1 + ε)`), and each returned float32 distance is compared with them.
 *
 * vqbench's rule is that a metric is never NaN or infinite: where ann-benchmarks would give
 * `inf` (rel's denominator < 0.01) or cannot compute a value (an attribute missing), the value is
 * `null`, "not defined", and the definition says when.
 */
import { frozenRegistry } from '../core/registry.js';
import { VqbenchError } from '../core/errors.js';
import type { DatasetMetric, GroundTruth } from '../data/types.js';
import { nnRecallAtK, nnRecallPerQuery, quantileSorted, recallAtK, recallPerQuery } from './ann.js';
import type { AnnResult } from './raw-results.js';

/** One raw result: returned ids (nq × k, −1 padded), their exact distances (+inf padded), seconds per query, attributes. */
export type RawRun = Pick<AnnResult, 'neighbors' | 'distances' | 'times' | 'nq' | 'k' | 'attrs'>;

/**
 * The exact ground truth of the run's queries in ann-benchmarks' distance convention: nq × k ids
 * and distances (ascending). It may hold more queries than the run: the run's queries are its
 * first `run.nq` rows (as `vqbench index --queries` takes them).
 */
export interface MetricTruth {
  nq: number;
  k: number;
  ids: Int32Array;
  dists: Float32Array | Float64Array;
}

export interface MetricOptions {
  /** ann-benchmarks' `count`: the number of neighbours scored. Default: the run's k. */
  k?: number;
}

/** What a table, chart, Pareto frontier or comparison needs to know of a metric. */
export interface MetricInfo {
  /** ann-benchmarks' key (`k-nn`, `qps`, ...) or vqbench's (`recall`, `nnRecall`, `loss`, ...). */
  id: string;
  /** A short display name. */
  name: string;
  /** What it means, exactly (and when it is null). */
  definition: string;
  unit: string;
  higherIsBetter: boolean;
  /**
   * What the value depends on: 'quality' (the answers only: the same on any machine), 'timing'
   * (the machine and its load: never compare two machine fingerprints) or 'size' (the index).
   */
  family: 'quality' | 'timing' | 'size';
}

/** A metric computed from an index's raw results (ann-benchmarks' set and vqbench's recalls). */
export interface MetricDef extends MetricInfo {
  /** The value, or null when it is not defined for this run (never NaN or infinite). */
  compute(run: RawRun, truth: MetricTruth, opts?: MetricOptions): number | null;
  /**
   * For a metric that is a mean over queries: the per-query values it averages, in query order
   * (what a bootstrap interval or a paired difference resamples). Absent for the others.
   */
  perQuery?(run: RawRun, truth: MetricTruth, opts?: MetricOptions): Float64Array;
}

/** ann-benchmarks' k-nn tolerance and epsilon / largeepsilon factors. */
export const KNN_EPSILON = 1e-3;
export const EPSILON = 0.01;
export const LARGE_EPSILON = 0.1;
/** rel is not defined (ann-benchmarks: inf) when the sum of the true distances is below this. */
export const REL_MIN_DENOMINATOR = 0.01;

/**
 * vqbench's ground truth (`groundTruth`: squared L2 ascending for l2 and angular data, whose vectors
 * are normalized, so 2·(1 − cos); inner product descending for ip) as ann-benchmarks' distances,
 * stored as float32 as ann-benchmarks' datasets store them: √d, d / 2, −d. Keeps the first `nq` queries.
 */
export function annTruth(gt: GroundTruth, nq: number, metric: DatasetMetric): MetricTruth {
  if (gt.ids.length < nq * gt.k || gt.dists.length < nq * gt.k) throw new RangeError(`annTruth: the ground truth holds ${gt.ids.length / gt.k} queries, fewer than ${nq}`);
  const n = nq * gt.k;
  const dists = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const d = gt.dists[i];
    dists[i] = metric === 'l2' ? Math.sqrt(Math.max(0, d)) : metric === 'angular' ? Math.max(0, d) / 2 : -d;
  }
  return { nq, k: gt.k, ids: gt.ids.slice(0, n), dists };
}

function countOf(run: RawRun, truth: MetricTruth, opts: MetricOptions | undefined): number {
  const k = opts?.k ?? run.k;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`metric: k must be a positive integer, got ${k}`);
  if (k > truth.k) throw new RangeError(`metric: k = ${k} exceeds the ${truth.k} ground-truth neighbours per query`);
  if (truth.nq < run.nq) throw new RangeError(`metric: the ground truth has ${truth.nq} queries, the run ${run.nq}`);
  if (truth.ids.length < truth.nq * truth.k || truth.dists.length < truth.nq * truth.k) throw new RangeError(`metric: the ground truth holds fewer than ${truth.nq} × ${truth.k} values`);
  return k;
}

/** Query q's true distances (the first truth.k), ascending. */
function sortedTruth(truth: MetricTruth, q: number): Float64Array {
  return Float64Array.from(truth.dists.subarray(q * truth.k, (q + 1) * truth.k)).sort();
}

/** ann-benchmarks' get_recall_values per query: #{first k returned d ≤ threshold(D)} / k. */
function thresholdRecallPerQuery(run: RawRun, truth: MetricTruth, opts: MetricOptions | undefined, threshold: (kth: number) => number): Float64Array {
  const k = countOf(run, truth, opts);
  const ka = Math.min(k, run.k);
  const out = new Float64Array(run.nq);
  for (let q = 0; q < run.nq; q++) {
    const t = threshold(sortedTruth(truth, q)[k - 1]);
    let actual = 0;
    for (let j = 0; j < ka; j++) if (run.distances[q * run.k + j] <= t) actual++;
    out[q] = actual / k;
  }
  return out;
}

/** ann-benchmarks' get_recall_values: the mean over queries (the per-query counts summed first, as it does, then / nq / k). */
function thresholdRecall(run: RawRun, truth: MetricTruth, opts: MetricOptions | undefined, threshold: (kth: number) => number): number {
  const k = countOf(run, truth, opts);
  const per = thresholdRecallPerQuery(run, truth, opts, threshold);
  let total = 0;
  for (let q = 0; q < per.length; q++) total += Math.round(per[q] * k);
  return total / run.nq / k;
}

function numAttr(run: RawRun, name: string): number | null {
  const v = run.attrs[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function qps(run: RawRun): number | null {
  const t = numAttr(run, 'best_search_time');
  return t !== null && t > 0 ? 1 / t : null;
}

/** numpy's percentile (linear interpolation) of the per-query times, in ms; null when a time is not finite. */
function percentileMs(run: RawRun, p: number): number | null {
  if (run.times.length === 0) return null;
  const s = Float64Array.from(run.times).sort();
  if (!Number.isFinite(s[0]) || !Number.isFinite(s[s.length - 1])) return null;
  return quantileSorted(s, p / 100) * 1000;
}

/** recallAtK / nnRecallAtK, null (not defined) when no query has a valid exact neighbour. */
function orNull(f: () => number): number | null {
  try {
    return f();
  } catch (e) {
    if (e instanceof VqbenchError) return null;
    throw e;
  }
}

/** The arguments ./ann.ts's id recalls take for one run: returned ids, the run's truth ids, nq, both k's and the count scored. */
function idArgs(run: RawRun, truth: MetricTruth, opts: MetricOptions | undefined) {
  return [run.neighbors, truth.ids.subarray(0, run.nq * truth.k), run.nq, run.k, truth.k, countOf(run, truth, opts)] as const;
}

/** `compute` and `perQuery` of a recall over ids (recall@k, nnRecall@k) from its averaged and per-query forms in ./ann.ts. */
function idRecall(mean: typeof recallAtK, perQuery: typeof recallPerQuery): Pick<MetricDef, 'compute' | 'perQuery'> {
  return {
    compute: (run, truth, opts) => {
      const args = idArgs(run, truth, opts);
      return orNull(() => mean(...args));
    },
    perQuery: (run, truth, opts) => perQuery(...idArgs(run, truth, opts)),
  };
}

const percentile = (id: string, p: number): MetricDef => ({
  id, name: `p${p} latency`, unit: 'ms', higherIsBetter: false, family: 'timing',
  definition: `the ${p}th percentile of the per-query search times (numpy's linear interpolation), in milliseconds (ann-benchmarks' ${id}); null when a time is not finite`,
  compute: (run) => percentileMs(run, p),
});

const LIST: MetricDef[] = [
  {
    id: 'k-nn', name: 'Recall', unit: 'fraction', higherIsBetter: true, family: 'quality',
    definition: `ann-benchmarks' k-nn recall: per query, the number of the first k returned neighbours whose distance is ≤ D[k-1] + ${KNN_EPSILON} (D = the true distances sorted ascending), over k; averaged over queries. Ties at the k-th distance count, so it can exceed the set recall; padding (-1, +inf) counts as a miss`,
    compute: (run, truth, opts) => thresholdRecall(run, truth, opts, (kth) => kth + KNN_EPSILON),
    perQuery: (run, truth, opts) => thresholdRecallPerQuery(run, truth, opts, (kth) => kth + KNN_EPSILON),
  },
  {
    id: 'epsilon', name: 'Epsilon 0.01 Recall', unit: 'fraction', higherIsBetter: true, family: 'quality',
    definition: `ann-benchmarks' epsilon recall: per query, the number of the first k returned neighbours whose distance is ≤ (1 + ${EPSILON})·D[k-1], over k; averaged over queries; padding counts as a miss`,
    compute: (run, truth, opts) => thresholdRecall(run, truth, opts, (kth) => kth * (1 + EPSILON)),
    perQuery: (run, truth, opts) => thresholdRecallPerQuery(run, truth, opts, (kth) => kth * (1 + EPSILON)),
  },
  {
    id: 'largeepsilon', name: 'Epsilon 0.1 Recall', unit: 'fraction', higherIsBetter: true, family: 'quality',
    definition: `ann-benchmarks' largeepsilon recall: as epsilon with (1 + ${LARGE_EPSILON})·D[k-1]`,
    compute: (run, truth, opts) => thresholdRecall(run, truth, opts, (kth) => kth * (1 + LARGE_EPSILON)),
    perQuery: (run, truth, opts) => thresholdRecallPerQuery(run, truth, opts, (kth) => kth * (1 + LARGE_EPSILON)),
  },
  {
    id: 'rel', name: 'Relative Error', unit: 'ratio', higherIsBetter: false, family: 'quality',
    definition: `ann-benchmarks' rel: the sum over all queries of the first k returned distances over the sum of the first k true distances. Null (not defined; ann-benchmarks reports inf) when that denominator is < ${REL_MIN_DENOMINATOR} or a returned distance is infinite (padding)`,
    compute: (run, truth, opts) => {
      const k = countOf(run, truth, opts);
      let found = 0, closest = 0;
      for (let q = 0; q < run.nq; q++) {
        const D = sortedTruth(truth, q);
        for (let j = 0; j < k; j++) closest += D[j];
        if (run.k < k) return null; // missing answers are padding: an infinite numerator
        for (let j = 0; j < k; j++) found += run.distances[q * run.k + j];
      }
      if (!(closest >= REL_MIN_DENOMINATOR) || !Number.isFinite(found)) return null;
      return found / closest;
    },
  },
  {
    id: 'qps', name: 'Queries per second', unit: '1/s', higherIsBetter: true, family: 'timing',
    definition: "ann-benchmarks' qps: 1 / the best_search_time attribute (mean seconds per query of the best run); null when the attribute is missing or not positive",
    compute: (run) => qps(run),
  },
  percentile('p50', 50),
  percentile('p95', 95),
  percentile('p99', 99),
  percentile('p999', 99.9),
  {
    id: 'build', name: 'Build time', unit: 's', higherIsBetter: false, family: 'timing',
    definition: "ann-benchmarks' build: the build_time attribute, seconds to build the index; null when missing",
    compute: (run) => numAttr(run, 'build_time'),
  },
  {
    id: 'indexsize', name: 'Index size', unit: 'kB', higherIsBetter: false, family: 'size',
    definition: "ann-benchmarks' indexsize: the index_size attribute, the index's size in kB; null when missing",
    compute: (run) => numAttr(run, 'index_size'),
  },
  {
    id: 'queriessize', name: 'Index size / QPS', unit: 'kB·s', higherIsBetter: false, family: 'timing',
    definition: "ann-benchmarks' queriessize: indexsize / qps; null when either is",
    compute: (run) => {
      const size = numAttr(run, 'index_size'), q = qps(run);
      return size === null || q === null ? null : size / q;
    },
  },
  {
    id: 'recall', name: 'Set recall', unit: 'fraction', higherIsBetter: true, family: 'quality',
    definition: "vqbench's recall@k: |first k returned ids ∩ true top-k ids| / k, averaged over queries (ids only, no distance ties; -1 padding and duplicates never count); null when no query has a true neighbour",
    ...idRecall(recallAtK, recallPerQuery),
  },
  {
    id: 'nnRecall', name: 'NN recall', unit: 'fraction', higherIsBetter: true, family: 'quality',
    definition: "vqbench's nnRecall@k (1-recall@k): the fraction of queries whose true nearest neighbour is among the first k returned ids; null when no query has a true neighbour",
    ...idRecall(nnRecallAtK, nnRecallPerQuery),
  },
];

/** Every metric by id (ann-benchmarks' ids first, then vqbench's), frozen. */
export const METRICS = frozenRegistry('metric', LIST, (m) => m.id);
export const METRIC_IDS: readonly string[] = Object.freeze(LIST.map((m) => m.id));

/** Every metric of one run, in registry order: id → value (null = not defined). */
export function computeAll(run: RawRun, truth: MetricTruth, opts?: MetricOptions): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const id of METRIC_IDS) {
    const v = METRICS[id].compute(run, truth, opts);
    out[id] = v === null || Number.isFinite(v) ? v : null;
  }
  return out;
}

/**
 * The metrics that are not computed from an index's raw results but belong in the same tables,
 * charts and comparisons: a quantizer's loss and bits, an MTEB task's main score, the repeated
 * timings' median. Their values come from the cells (and their per-item files).
 */
const OTHER: MetricInfo[] = [
  {
    id: 'loss', name: 'Loss', unit: 'squared L2 per vector', higherIsBetter: false, family: 'quality',
    definition: 'mean over the evaluation rows of ||x − x̂||², the squared Euclidean distance between a vector and its reconstruction (the paper\'s quantization loss)',
  },
  {
    id: 'bitsPerVector', name: 'Bits per vector', unit: 'bits', higherIsBetter: false, family: 'size',
    definition: 'the bits stored per vector: codes plus any per-vector scalars (norms, weights), not the shared codebooks',
  },
  {
    id: 'mainScore', name: 'MTEB main score', unit: 'score', higherIsBetter: true, family: 'quality',
    definition: "the MTEB task's main score (nDCG@10 for retrieval, Spearman of cosine similarities for STS, accuracy for classification, ...), on the task's test split",
  },
  {
    id: 'qpsMedian', name: 'QPS (median of runs)', unit: '1/s', higherIsBetter: true, family: 'timing',
    definition: 'the median over the timed runs (--runs) of queries per second, one query at a time on one thread',
  },
  {
    id: 'filteredRecall', name: 'Filtered recall@10', unit: 'fraction', higherIsBetter: true, family: 'quality',
    definition: "recall@10 of a filtered search (VectorDBBench's label filter: only rows carrying the query's label may be returned) against the exact 10 nearest neighbours among the rows carrying the label, averaged over queries",
  },
  {
    id: 'filteredQps', name: 'Filtered QPS (median of runs)', unit: '1/s', higherIsBetter: true, family: 'timing',
    definition: 'the median over the timed runs of queries per second of the filtered search, one query at a time on one thread, its runs interleaved with the unfiltered ones',
  },
  {
    id: 'selectivity', name: 'Selectivity', unit: 'share of rows kept', higherIsBetter: true, family: 'quality',
    definition: "the share of base rows a filter keeps (VectorDBBench's label_{p}p carried by p of the rows); 1 − VectorDBBench's filter_rate",
  },
  {
    id: 'batchQps', name: 'Batch QPS', unit: '1/s', higherIsBetter: true, family: 'timing',
    definition: "queries per second of batch mode (ann-benchmarks' --batch): the queries / wall seconds of one call of all of them on the record's batchThreads threads, the fastest of the timed runs",
  },
  {
    id: 'concurrentQps', name: 'QPS under concurrency', unit: '1/s', higherIsBetter: true, family: 'timing',
    definition: "VectorDBBench's QPS at a concurrency level: queries done by all clients / wall seconds from the synced start to the last client's stop (measured directly, not 1 / latency)",
  },
  {
    id: 'concurrentP50', name: 'p50 latency under concurrency', unit: 'ms', higherIsBetter: false, family: 'timing',
    definition: "the median latency of every client's queries at a concurrency level (numpy's linear interpolation)",
  },
  {
    id: 'concurrentP95', name: 'p95 latency under concurrency', unit: 'ms', higherIsBetter: false, family: 'timing',
    definition: "the 95th percentile latency of every client's queries at a concurrency level",
  },
  {
    id: 'concurrentP99', name: 'p99 latency under concurrency', unit: 'ms', higherIsBetter: false, family: 'timing',
    definition: "the 99th percentile latency of every client's queries at a concurrency level",
  },
  {
    id: 'serialP99', name: 'Serial p99 latency', unit: 'ms', higherIsBetter: false, family: 'timing',
    definition: "VectorDBBench's serial p99: the 99th percentile latency of the single-query pass (the fastest of the timed runs), beside the concurrency levels",
  },
];

const INFO = frozenRegistry('metric', [...LIST, ...OTHER], (m) => m.id);

/** A metric's name, unit, direction, family and definition: every registry metric and the cells' own (loss, bitsPerVector, mainScore, qpsMedian, filteredRecall, filteredQps, batch and concurrency timings, selectivity). */
export function metricInfo(id: string): MetricInfo {
  if (!Object.hasOwn(INFO, id)) throw new RangeError(`metricInfo: unknown metric '${id}'`);
  return INFO[id];
}

/** Whether `a` is better than `b` for the metric (its direction). */
export function isBetter(id: string, a: number, b: number): boolean {
  return metricInfo(id).higherIsBetter ? a > b : a < b;
}
