/**
 * MTEB scores that do not decompose into a mean over items, as functions of a bootstrap resample
 * (n item indices drawn with replacement; src/eval/bootstrap.ts `bootstrapStatistic`). Each sorts
 * its inputs once; a resample then costs O(n): its indices become multiplicities, and the ranks,
 * correlations and average precision weigh each item by how often it was drawn. On the identity
 * resample each returns the same value, bit for bit, as the plain metric of ./metrics.ts.
 */
import { ascendingOrder, averagePrecision, descendingOrder, multiplicities, pearson, precisionRecallF1, rankAverage } from './metrics.js';

type OfResample = (indices: Uint32Array) => number;

/** Spearman's ρ of (x, y) on a resample of the pairs: Pearson's r of tie-averaged ranks, copies of one pair tied. */
export function spearmanOfResample(x: ArrayLike<number>, y: ArrayLike<number>): OfResample {
  const ox = ascendingOrder(x), oy = ascendingOrder(y);
  const counts = new Float64Array(x.length);
  return (indices) => {
    multiplicities(indices, x.length, counts);
    return pearson(rankAverage(x, counts, ox), rankAverage(y, counts, oy), counts);
  };
}

/** Pearson's r of (x, y) on a resample of the pairs. */
export function pearsonOfResample(x: ArrayLike<number>, y: ArrayLike<number>): OfResample {
  const counts = new Float64Array(x.length);
  return (indices) => pearson(x, y, multiplicities(indices, x.length, counts));
}

/** Average precision of binary `labels` ranked by `scores`, on a resample of the items. */
export function averagePrecisionOfResample(labels: ArrayLike<number>, scores: ArrayLike<number>): OfResample {
  const order = descendingOrder(scores);
  const counts = new Float64Array(labels.length);
  return (indices) => averagePrecision(labels, scores, multiplicities(indices, labels.length, counts), order);
}

/** Weighted F1 (sklearn, zero_division 0) of predictions against gold labels, on a resample of the items. */
export function weightedF1OfResample(gold: ArrayLike<number>, pred: ArrayLike<number>): OfResample {
  const g = new Int32Array(gold.length), p = new Int32Array(pred.length);
  return (indices) => {
    for (let i = 0; i < indices.length; i++) {
      g[i] = gold[indices[i]];
      p[i] = pred[indices[i]];
    }
    return precisionRecallF1(g, p, 'weighted').f1;
  };
}

