/**
 * MTEB Reranking (AbsTaskReranking + RerankingEvaluator, v1): for each sample, the cosine of the
 * query with each of its positive and negative candidates; the sample's average precision
 * (sklearn's average_precision_score, ties entering together) and reciprocal rank within the top
 * 10 (candidates sorted by descending cosine, ties in input order); map (main score) and mrr_at_10
 * are their means. Samples without a positive or without a negative are skipped, as MTEB does.
 * Queries are embedded with the role 'query' (MTEB v1 uses the model's query encoder), candidates
 * as documents.
 */
import { InputError } from '../../core/errors.js';
import type { Matrix } from '../../core/matrix.js';
import type { RerankingData } from '../../data/text/types.js';
import { averagePrecision, mean, reciprocalRankAtK } from './metrics.js';
import { cosine, rowNorms } from './similarity.js';
import { encodeDistinct, meanOfItems, requireNonEmpty, type Encode, type EvaluateOptions, type EvaluatorScores } from './types.js';

/** One sample as rows: the query's row of `queries`, its candidates' rows of `docs`. */
export interface RerankingSample { query: number; positive: readonly number[]; negative: readonly number[] }

export function rerankingScores(queries: Matrix, docs: Matrix, samples: readonly RerankingSample[], mrrAt = 10): Record<string, number> {
  const perSample = rerankingPerSample(queries, docs, samples, mrrAt);
  return Object.fromEntries(Object.entries(perSample).map(([k, v]) => [k, mean(v)]));
}

/** The values `rerankingScores` averages: map and mrr_at_k, one value per scored sample (samples without a positive or a negative skipped). */
export function rerankingPerSample(queries: Matrix, docs: Matrix, samples: readonly RerankingSample[], mrrAt = 10): Record<string, Float64Array> {
  requireNonEmpty('Reranking: the list of samples', samples.length);
  if (queries.dim !== docs.dim) throw new InputError(`Reranking: query vectors have dimension ${queries.dim}, candidates ${docs.dim}.`);
  const qn = rowNorms(queries), dn = rowNorms(docs);
  const aps: number[] = [], rrs: number[] = [];
  for (const s of samples) {
    if (s.positive.length === 0 || s.negative.length === 0) continue;
    const cand = [...s.positive, ...s.negative];
    const rel = cand.map((_, i) => (i < s.positive.length ? 1 : 0));
    const scores = cand.map((c) => cosine(queries, s.query, qn[s.query], docs, c, dn[c]));
    const order = cand.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
    aps.push(averagePrecision(rel, scores));
    rrs.push(reciprocalRankAtK(order, rel, mrrAt));
  }
  if (aps.length === 0) throw new InputError('Reranking: no sample has both a positive and a negative candidate.');
  return { map: Float64Array.from(aps), [`mrr_at_${mrrAt}`]: Float64Array.from(rrs) };
}

export async function evaluateReranking(data: RerankingData, encode: Encode, _opts: EvaluateOptions = {}): Promise<EvaluatorScores> {
  requireNonEmpty('Reranking: the list of samples', data.samples.length);
  // queries with the query role (MTEB v1 uses the model's query encoder), candidates as documents;
  // each distinct text embedded once per role
  const queryTexts: string[] = [];
  const docTexts: string[] = [];
  const samples: RerankingSample[] = [];
  for (const s of data.samples) {
    const q = queryTexts.push(s.query) - 1;
    const p0 = docTexts.push(...s.positive) - s.positive.length;
    const n0 = docTexts.push(...s.negative) - s.negative.length;
    samples.push({ query: q, positive: s.positive.map((_, i) => p0 + i), negative: s.negative.map((_, i) => n0 + i) });
  }
  if (!samples.some((s) => s.positive.length > 0 && s.negative.length > 0)) {
    throw new InputError('Reranking: no sample has both a positive and a negative candidate.');
  }
  const eq = await encodeDistinct(encode, queryTexts, 'query');
  const ed = await encodeDistinct(encode, docTexts, 'document');
  const rows = (ids: readonly number[]) => ids.map((i) => ed.rowOf[i]);
  const mapped = samples.map((s) => ({ query: eq.rowOf[s.query], positive: rows(s.positive), negative: rows(s.negative) }));
  const perSample = rerankingPerSample(eq.matrix, ed.matrix, mapped);
  const scores = Object.fromEntries(Object.entries(perSample).map(([k, v]) => [k, mean(v)]));
  const what: Record<string, string> = { map: 'average precision of the candidates of each query', mrr_at_10: 'reciprocal rank (within the top 10) of the first positive candidate of each query' };
  const series = (k: string) => ({ name: k, what: what[k], values: perSample[k] });
  const itemize = (metric: string) => (perSample[metric] ? meanOfItems(metric, 'queries', series(metric), Object.keys(perSample).filter((k) => k !== metric).map(series)) : null);
  return { main_score: scores.map, scores, itemize };
}
