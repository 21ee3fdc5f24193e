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
import { encodeDistinct, gather, requireNonEmpty, requireSameLength, type Encode, type EvaluateOptions, type TaskScores } from './types.js';

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
  checkPairs(emb1.rows, emb2.rows);
  const pred = await nearestByCosine(emb1, emb2);
  const gold = Int32Array.from({ length: emb1.rows }, (_, i) => i);
  const prf = precisionRecallF1(gold, pred, 'weighted');
  return { accuracy: accuracy(gold, pred), precision: prf.precision, recall: prf.recall, f1: prf.f1 };
}

export async function evaluateBitextMining(data: BitextMiningData, encode: Encode, _opts: EvaluateOptions = {}): Promise<TaskScores> {
  const n = data.sentences1.length;
  checkPairs(n, data.sentences2.length);
  const e = await encodeDistinct(encode, [...data.sentences1, ...data.sentences2], 'document');
  const scores = await bitextMiningScores(gather(e, 0, n), gather(e, n));
  return { main_score: scores.f1, scores };
}
