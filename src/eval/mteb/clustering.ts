/**
 * MTEB Clustering (AbsTaskClustering + ClusteringEvaluator, v1): for each clustering set, k-means
 * with k = the number of distinct labels on the set's embeddings, then the V-measure of the
 * assignment against the labels; the task's score is the mean over the sets (and their std).
 *
 * MTEB fits sklearn's MiniBatchKMeans (batch_size 500, n_init 'auto' = one k-means++ start). We
 * run our own k-means (core/kmeans.ts: Lloyd, full batch, one k-means++ start, a fixed number of
 * iterations, all rows): same objective and seeding, no mini-batch noise, so scores can differ
 * from MTEB's by the run-to-run spread of k-means itself (MiniBatchKMeans is not deterministic
 * across implementations either).
 */
import { InputError } from '../../core/errors.js';
import { kmeans } from '../../core/kmeans.js';
import type { Matrix } from '../../core/matrix.js';
import type { ProgressFn } from '../../core/progress.js';
import type { ClusteringData } from '../../data/text/types.js';
import { labelIndex, mean, std, vMeasure } from './metrics.js';
import { encodeDistinct, gather, meanOfItems, requireNonEmpty, requireSameLength, type Encode, type EvaluateOptions, type EvaluatorScores } from './types.js';

export interface ClusteringOptions {
  /** Lloyd iterations. Default 50. */
  iters?: number;
  /** k-means++ starts per set; the lowest inertia is kept. Default 1 (MTEB's n_init for k-means++). */
  nInit?: number;
  seed?: number;
  onProgress?: ProgressFn;
}

/** V-measure (with homogeneity and completeness) of k-means on one set, k = number of distinct labels. */
export async function clusterSetScores(
  x: Matrix, labels: readonly (string | number)[], opts: ClusteringOptions = {},
): Promise<{ v_measure: number; homogeneity: number; completeness: number; inertia: number }> {
  requireNonEmpty('Clustering: a clustering set', x.rows);
  requireSameLength('Clustering set', x.rows, labels.length, 'vectors', 'labels');
  const { ids, classes } = labelIndex(labels as (string | number)[]);
  if (classes.length < 2) throw new InputError('Clustering: a clustering set has one label only; it needs at least two.');
  const seed = opts.seed ?? 1234;
  let best: { assign: Int32Array; inertia: number } | null = null;
  for (let s = 0; s < Math.max(1, opts.nInit ?? 1); s++) {
    const r = await kmeans(x, { k: classes.length, init: 'kmeans++', iters: opts.iters ?? 50, seed: seed + 7919 * s, maxPointsPerCentroid: 0 });
    if (!best || r.inertia < best.inertia) best = r;
  }
  return { ...vMeasure(ids, best!.assign), inertia: best!.inertia };
}

/** Mean and std of the V-measure over the sets. */
export async function clusteringScores(sets: { x: Matrix; labels: readonly (string | number)[] }[], opts: ClusteringOptions = {}): Promise<Record<string, number>> {
  const v = await clusteringPerSet(sets, opts);
  return { v_measure: mean(v), v_measure_std: std(v) };
}

/** The V-measure of each set (what `clusteringScores` averages). */
export async function clusteringPerSet(sets: { x: Matrix; labels: readonly (string | number)[] }[], opts: ClusteringOptions = {}): Promise<Float64Array> {
  requireNonEmpty('Clustering: the list of clustering sets', sets.length);
  const seed = opts.seed ?? 1234;
  const v: number[] = [];
  for (let i = 0; i < sets.length; i++) {
    v.push((await clusterSetScores(sets[i].x, sets[i].labels, { ...opts, seed: seed + i })).v_measure);
    opts.onProgress?.(i + 1, sets.length, 'clustering sets');
  }
  return Float64Array.from(v);
}

export async function evaluateClustering(data: ClusteringData, encode: Encode, opts: EvaluateOptions = {}): Promise<EvaluatorScores> {
  requireNonEmpty('Clustering: the list of clustering sets', data.sets.length);
  const texts: string[] = [];
  const bounds: number[] = [0];
  for (const [i, s] of data.sets.entries()) {
    requireSameLength(`Clustering set ${i}`, s.texts.length, s.labels.length, 'texts', 'labels');
    requireNonEmpty(`Clustering set ${i}`, s.texts.length);
    if (new Set(s.labels).size < 2) throw new InputError(`Clustering set ${i} has one label only; it needs at least two.`);
    texts.push(...s.texts);
    bounds.push(texts.length);
  }
  const e = await encodeDistinct(encode, texts, 'document');
  const sets = data.sets.map((s, i) => ({ x: gather(e, bounds[i], bounds[i + 1]), labels: s.labels }));
  const v = await clusteringPerSet(sets, { ...opts.clustering, seed: opts.seed, onProgress: opts.onProgress });
  const scores = { v_measure: mean(v), v_measure_std: std(v) };
  // the task's score is a mean over its sets (MTEB's experiments): an interval needs at least two
  const itemize = (metric: string) => (metric === 'v_measure' && v.length >= 2 ? meanOfItems(metric, 'experiments', { name: 'v_measure', what: 'V-measure of each clustering set', values: v }) : null);
  return { main_score: scores.v_measure, scores, itemize };
}
