/**
 * MTEB BitextMining (AbsTaskBitextMining + BitextMiningEvaluator, v1): for each sentence1, its
 * nearest sentence2 by cosine is the prediction, the gold answer is the sentence2 on the same line.
 * Scores: accuracy, and sklearn's precision / recall / f1 with average 'weighted' and
 * zero_division 0 (what MTEB's code passes; every gold label occurs exactly once, so this equals
 * the macro average over the gold labels). Main score: f1.
 */
import type { Matrix } from '../../core/matrix.js';
import type { BitextMiningData } from '../../data/text/types.js';
import { accuracy, precisionRecallF1 } from './metrics.js';
import { cosineTopK } from './similarity.js';
import { weightedF1OfResample } from './resampled.js';
import { encodeDistinct, gather, meanOfItems, requireNonEmpty, requireSameLength, type Encode, type EvaluateOptions, type EvaluatorScores, type ItemizedScore } from './types.js';

/** Row of emb2 nearest (cosine) to each row of emb1; ties to the lower row. */
export async function nearestByCosine(emb1: Matrix, emb2: Matrix): Promise<Int32Array> {
  const { ids } = await cosineTopK(emb1, emb2, 1);
  return Int32Array.from(ids, (r) => r[0]);
}

/** InputError unless there are sentence pairs and both sides have as many sentences. */
function checkPairs(n1: number, n2: number): void {
  requireNonEmpty('BitextMining: the list of sentence pairs', n1);
  requireSameLength('BitextMining', n1, n2, 'first sentences', 'second sentences');
}

export async function bitextMiningScores(emb1: Matrix, emb2: Matrix): Promise<Record<string, number>> {
  return (await bitextMiningDetail(emb1, emb2)).scores;
}

/** The scores, with accuracy as a mean over the pairs and f1 as a statistic of them (each first sentence's prediction against its own row). */
export async function bitextMiningDetail(emb1: Matrix, emb2: Matrix): Promise<{ scores: Record<string, number>; itemize: (metric: string) => ItemizedScore | null }> {
  checkPairs(emb1.rows, emb2.rows);
  const pred = await nearestByCosine(emb1, emb2);
  const gold = Int32Array.from({ length: emb1.rows }, (_, i) => i);
  const prf = precisionRecallF1(gold, pred, 'weighted');
  const scores = { accuracy: accuracy(gold, pred), precision: prf.precision, recall: prf.recall, f1: prf.f1 };
  const correct = { name: 'correct', what: '1 if the nearest second sentence of each first sentence is its translation, else 0', values: Float64Array.from(pred, (p, i) => (p === i ? 1 : 0)) };
  const nearest = { name: 'nearest', what: 'row of the second sentence nearest to each first sentence (the gold answer is its own row)', values: Float64Array.from(pred) };
  const itemize = (metric: string): ItemizedScore | null => {
    if (metric === 'accuracy') return meanOfItems(metric, 'pairs', correct, [nearest]);
    if (metric !== 'f1') return null;
    return { metric, over: 'pairs', n: gold.length, statistic: 'weighted f1', of: weightedF1OfResample(gold, pred), series: [nearest], extra: [correct] };
  };
  return { scores, itemize };
}

export async function evaluateBitextMining(data: BitextMiningData, encode: Encode, _opts: EvaluateOptions = {}): Promise<EvaluatorScores> {
  const n = data.sentences1.length;
  checkPairs(n, data.sentences2.length);
  const e = await encodeDistinct(encode, [...data.sentences1, ...data.sentences2], 'document');
  const { scores, itemize } = await bitextMiningDetail(gather(e, 0, n), gather(e, n));
  return { main_score: scores.f1, scores, itemize };
}
