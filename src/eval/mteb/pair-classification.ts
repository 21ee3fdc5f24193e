/**
 * MTEB PairClassification (AbsTaskPairClassification + PairClassificationEvaluator, v1): for each
 * similarity (cos_sim, and as MTEB also reports: manhattan and euclidean distances, dot product),
 * the average precision of the pairs' label against it (main score: cos_sim_ap), and the best
 * accuracy and F1 over thresholds (MTEB's find_best_acc_and_threshold / find_best_f1_and_threshold)
 * with their thresholds; max_* is the best of each metric over the similarities.
 */
import { InputError } from '../../core/errors.js';
import type { Matrix } from '../../core/matrix.js';
import type { PairClassificationData } from '../../data/text/types.js';
import { averagePrecision, bestAccuracyThreshold, bestF1Threshold } from './metrics.js';
import { pairedScores } from './similarity.js';
import { averagePrecisionOfResample } from './resampled.js';
import { encodeDistinct, gather, requireNonEmpty, requireSameLength, type Encode, type EvaluateOptions, type EvaluatorScores, type ItemizedScore } from './types.js';

/** InputError unless n1 first and n2 second sentences pair up with the labels, both 0 and 1 among them. */
function checkPairs(n1: number, n2: number, labels: readonly number[]): void {
  requireNonEmpty('PairClassification: the list of pairs', n1);
  requireSameLength('PairClassification', n1, n2, 'first sentences', 'second sentences');
  requireSameLength('PairClassification', n1, labels.length, 'pairs', 'labels');
  let pos = 0;
  for (const l of labels) {
    if (l !== 0 && l !== 1) throw new InputError(`PairClassification: labels must be 0 or 1, got ${JSON.stringify(l)}.`);
    pos += l;
  }
  if (pos === 0 || pos === labels.length) throw new InputError(`PairClassification: every pair has label ${labels[0]}; both labels 0 and 1 are needed.`);
}

export function pairClassificationScores(emb1: Matrix, emb2: Matrix, labels: readonly number[]): Record<string, number> {
  return pairClassificationDetail(emb1, emb2, labels).scores;
}

/** The scores, and each average precision as a statistic of the pairs (its similarity of each pair against the labels). */
export function pairClassificationDetail(emb1: Matrix, emb2: Matrix, labels: readonly number[]): { scores: Record<string, number>; itemize: (metric: string) => ItemizedScore | null } {
  checkPairs(emb1.rows, emb2.rows, labels);
  const p = pairedScores(emb1, emb2);
  const out: Record<string, number> = {};
  const best: Record<string, number> = {};
  const kinds: [string, Float64Array, boolean][] = [
    ['cos_sim', p.cosine, true], ['manhattan', p.manhattan, false], ['euclidean', p.euclidean, false], ['dot', p.dot, true],
  ];
  for (const [name, s, higherIsMoreSimilar] of kinds) {
    const acc = bestAccuracyThreshold(s, labels, higherIsMoreSimilar);
    const f1 = bestF1Threshold(s, labels, higherIsMoreSimilar);
    const m: Record<string, number> = {
      accuracy: acc.accuracy, accuracy_threshold: acc.threshold,
      f1: f1.f1, f1_threshold: f1.threshold, precision: f1.precision, recall: f1.recall,
      ap: averagePrecision(labels, higherIsMoreSimilar ? s : s.map((v) => -v)),
    };
    for (const [k, v] of Object.entries(m)) {
      out[`${name}_${k}`] = v;
      if (!k.endsWith('threshold')) best[k] = Math.max(best[k] ?? -Infinity, v);
    }
  }
  for (const [k, v] of Object.entries(best)) out[`max_${k}`] = v;
  const gold = Float64Array.from(labels);
  const itemize = (metric: string): ItemizedScore | null => {
    const kind = kinds.find(([name]) => metric === `${name}_ap`);
    if (!kind) return null;
    const [name, s, higherIsMoreSimilar] = kind;
    const sim = higherIsMoreSimilar ? s : s.map((v) => -v); // what averagePrecision ranks by
    const what = `${higherIsMoreSimilar ? '' : 'negated '}${{ cos_sim: 'cosine similarity', manhattan: 'Manhattan distance', euclidean: 'Euclidean distance', dot: 'dot product' }[name]} of each pair`;
    return {
      metric, over: 'pairs', n: sim.length, statistic: 'ap', of: averagePrecisionOfResample(gold, sim),
      series: [{ name, what, values: sim }, { name: 'gold', what: 'gold label of each pair (1 = paraphrase / duplicate, 0 = not)', values: gold }],
    };
  };
  return { scores: out, itemize };
}

export async function evaluatePairClassification(data: PairClassificationData, encode: Encode, _opts: EvaluateOptions = {}): Promise<EvaluatorScores> {
  const n = data.sentences1.length;
  checkPairs(n, data.sentences2.length, data.labels);
  const e = await encodeDistinct(encode, [...data.sentences1, ...data.sentences2], 'document');
  const { scores, itemize } = pairClassificationDetail(gather(e, 0, n), gather(e, n), data.labels);
  return { main_score: scores.cos_sim_ap, scores, itemize };
}
