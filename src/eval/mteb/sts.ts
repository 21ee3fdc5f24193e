/**
 * MTEB STS (AbsTaskSTS + STSEvaluator, v1): the cosine similarity of each pair's embeddings, and
 * the negated Euclidean and Manhattan distances, correlated with the gold scores: Spearman (the
 * main score, cos_sim_spearman) and Pearson. MTEB first rescales the gold scores to [0, 1], which
 * changes neither correlation, so they are used as given.
 */
import { InputError } from '../../core/errors.js';
import type { Matrix } from '../../core/matrix.js';
import type { STSData } from '../../data/text/types.js';
import { pearson, spearman } from './metrics.js';
import { pairedScores } from './similarity.js';
import { encodeDistinct, gather, requireSameLength, type Encode, type EvaluateOptions, type TaskScores } from './types.js';

export function stsScores(emb1: Matrix, emb2: Matrix, gold: readonly number[]): Record<string, number> {
  requireSameLength('STS', emb1.rows, emb2.rows, 'first sentences', 'second sentences');
  requireSameLength('STS', emb1.rows, gold.length, 'pairs', 'gold scores');
  if (emb1.rows < 2) throw new InputError(`STS needs at least two pairs to correlate, got ${emb1.rows}.`);
  if (gold.some((g) => !Number.isFinite(g))) throw new InputError('STS: a gold score is not a finite number.');
  const p = pairedScores(emb1, emb2);
  const negEuclidean = p.euclidean.map((v) => -v), negManhattan = p.manhattan.map((v) => -v);
  return {
    cos_sim_spearman: spearman(gold, p.cosine),
    cos_sim_pearson: pearson(gold, p.cosine),
    euclidean_spearman: spearman(gold, negEuclidean),
    euclidean_pearson: pearson(gold, negEuclidean),
    manhattan_spearman: spearman(gold, negManhattan),
    manhattan_pearson: pearson(gold, negManhattan),
  };
}

export async function evaluateSTS(data: STSData, encode: Encode, _opts: EvaluateOptions = {}): Promise<TaskScores> {
  const n = data.sentences1.length;
  requireSameLength('STS', n, data.sentences2.length, 'first sentences', 'second sentences');
  requireSameLength('STS', n, data.scores.length, 'pairs', 'gold scores');
  if (n < 2) throw new InputError(`STS needs at least two pairs to correlate, got ${n}.`);
  if (data.scores.some((g) => !Number.isFinite(g))) throw new InputError('STS: a gold score is not a finite number.');
  const e = await encodeDistinct(encode, [...data.sentences1, ...data.sentences2], 'document');
  const scores = stsScores(gather(e, 0, n), gather(e, n), data.scores);
  return { main_score: scores.cos_sim_spearman, scores };
}
