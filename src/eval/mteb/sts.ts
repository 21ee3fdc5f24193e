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
import { pearsonOfResample, spearmanOfResample } from './resampled.js';
import { encodeDistinct, gather, requireSameLength, type Encode, type EvaluateOptions, type EvaluatorScores, type ItemizedScore } from './types.js';

/** InputError unless n1 first and n2 second sentences pair up with the gold scores, at least two finite ones. */
function checkPairs(n1: number, n2: number, gold: readonly number[]): void {
  requireSameLength('STS', n1, n2, 'first sentences', 'second sentences');
  requireSameLength('STS', n1, gold.length, 'pairs', 'gold scores');
  if (n1 < 2) throw new InputError(`STS needs at least two pairs to correlate, got ${n1}.`);
  if (gold.some((g) => !Number.isFinite(g))) throw new InputError('STS: a gold score is not a finite number.');
}

export function stsScores(emb1: Matrix, emb2: Matrix, gold: readonly number[]): Record<string, number> {
  return stsDetail(emb1, emb2, gold).scores;
}

/** The scores, and each metric as a statistic of the pairs (its similarity of each pair against the gold scores). */
export function stsDetail(emb1: Matrix, emb2: Matrix, gold: readonly number[]): { scores: Record<string, number>; itemize: (metric: string) => ItemizedScore | null } {
  checkPairs(emb1.rows, emb2.rows, gold);
  const p = pairedScores(emb1, emb2);
  const similarities: Record<string, [Float64Array, string]> = {
    cos_sim: [p.cosine, 'cosine similarity of each pair'],
    euclidean: [p.euclidean.map((v) => -v), 'negated Euclidean distance of each pair'],
    manhattan: [p.manhattan.map((v) => -v), 'negated Manhattan distance of each pair'],
  };
  const scores: Record<string, number> = {};
  for (const [name, [sim]] of Object.entries(similarities)) {
    scores[`${name}_spearman`] = spearman(gold, sim);
    scores[`${name}_pearson`] = pearson(gold, sim);
  }
  const goldValues = Float64Array.from(gold);
  const itemize = (metric: string): ItemizedScore | null => {
    const m = /^(cos_sim|euclidean|manhattan)_(spearman|pearson)$/.exec(metric);
    if (!m) return null;
    const [sim, what] = similarities[m[1]];
    const statistic = m[2] as 'spearman' | 'pearson';
    return {
      metric, over: 'pairs', n: sim.length, statistic,
      of: statistic === 'spearman' ? spearmanOfResample(goldValues, sim) : pearsonOfResample(goldValues, sim),
      series: [{ name: m[1], what, values: sim }, { name: 'gold', what: 'gold similarity score of each pair', values: goldValues }],
    };
  };
  return { scores, itemize };
}

export async function evaluateSTS(data: STSData, encode: Encode, _opts: EvaluateOptions = {}): Promise<EvaluatorScores> {
  const n = data.sentences1.length;
  checkPairs(n, data.sentences2.length, data.scores);
  const e = await encodeDistinct(encode, [...data.sentences1, ...data.sentences2], 'document');
  const { scores, itemize } = stsDetail(gather(e, 0, n), gather(e, n), data.scores);
  return { main_score: scores.cos_sim_spearman, scores, itemize };
}
