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

/** InputError unless n1 first and n2 second sentences pair up with the gold scores, at least two finite ones. */
function checkPairs(n1: number, n2: number, gold: readonly number[]): void {
  requireSameLength('STS', n1, n2, 'first sentences', 'second sentences');
  requireSameLength('STS', n1, gold.length, 'pairs', 'gold scores');
  if (n1 < 2) throw new InputError(`STS needs at least two pairs to correlate, got ${n1}.`);
  if (gold.some((g) => !Number.isFinite(g))) throw new InputError('STS: a gold score is not a finite number.');
}

export function stsScores(emb1: Matrix, emb2: Matrix, gold: readonly number[]): Record<string, number> {
  checkPairs(emb1.rows, emb2.rows, gold);
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
  checkPairs(n, data.sentences2.length, data.scores);
  const e = await encodeDistinct(encode, [...data.sentences1, ...data.sentences2], 'document');
  const scores = stsScores(gather(e, 0, n), gather(e, n), data.scores);
  return { main_score: scores.cos_sim_spearman, scores };
}
