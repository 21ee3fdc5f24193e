/**
 * MTEB Retrieval (AbsTaskRetrieval + RetrievalEvaluator, v1, i.e. BEIR's dense exact search): the
 * queries of qrels (embedded with role 'query') are searched exactly by cosine over the corpus
 * (each document embedded as (title + ' ' + text).trim(), as BEIR / MTEB do) for the top 1000
 * documents; a document whose id equals the query's id is dropped (MTEB's default
 * ignore_identical_ids = true). The ranked lists are scored with trec_eval semantics (see
 * `rankingMetrics`): ndcg / map / recall / precision / mrr at k ∈ {1, 3, 5, 10, 20, 100, 1000};
 * main score ndcg_at_10. MTEB rounds these to 5 decimals; we do not.
 */
import { InputError } from '../../core/errors.js';
import type { Matrix } from '../../core/matrix.js';
import type { ProgressFn } from '../../core/progress.js';
import { retrievalDocText, type RetrievalData } from '../../data/text/types.js';
import { MTEB_K_VALUES, mean, rankingMetricsPerQuery, type RankedList } from './metrics.js';
import { CosineSearch } from './similarity.js';
import { encodeDistinct, gather, meanOfItems, requireNonEmpty, requireSameLength, type Encode, type EvaluateOptions, type EvaluatorScores, type ItemSeries } from './types.js';

export interface RetrievalOptions {
  /** Documents retrieved per query. Default 1000 (MTEB / BEIR), capped at the corpus size. */
  topK?: number;
  /** Cut-offs of the metrics. Default MTEB's [1, 3, 5, 10, 20, 100, 1000]. */
  kValues?: number[];
  /** Drop a retrieved document whose id equals the query id. Default true (MTEB's default). */
  ignoreIdenticalIds?: boolean;
  onProgress?: ProgressFn;
}

/** The documents `corpusIds` are referred to by; InputError for duplicate ids or qrels naming unknown ids. */
function checkIds(queryIds: readonly string[], corpusIds: readonly string[], qrels: Map<string, Map<string, number>>): void {
  const qs = new Set(queryIds), cs = new Set(corpusIds);
  if (qs.size !== queryIds.length) throw new InputError('Retrieval: query ids are not unique.');
  if (cs.size !== corpusIds.length) throw new InputError('Retrieval: corpus ids are not unique.');
  if (qrels.size === 0) throw new InputError('Retrieval: qrels are empty.');
  for (const [qid, docs] of qrels) {
    if (!qs.has(qid)) throw new InputError(`Retrieval: qrels name query '${qid}', which is not among the queries.`);
    for (const [did, grade] of docs) {
      if (!cs.has(did)) throw new InputError(`Retrieval: qrels of query '${qid}' name document '${did}', which is not in the corpus.`);
      if (!Number.isFinite(grade)) throw new InputError(`Retrieval: qrels of query '${qid}' give document '${did}' a grade that is not a number.`);
    }
  }
}

/**
 * Exact cosine search and trec_eval scoring. `queries` row i belongs to queryIds[i], `corpus` row j
 * to corpusIds[j]; only the queries of qrels are scored (and must be among queryIds).
 */
export async function retrievalScores(
  queries: Matrix, corpus: Matrix, queryIds: readonly string[], corpusIds: readonly string[],
  qrels: Map<string, Map<string, number>>, opts: RetrievalOptions = {},
): Promise<Record<string, number>> {
  return averages(await retrievalPerQuery(queries, corpus, queryIds, corpusIds, qrels, opts));
}

/** The mean of each metric's per-query values (rankingMetrics' scores, bit for bit). */
function averages(perQuery: Record<string, Float64Array>): Record<string, number> {
  return Object.fromEntries(Object.entries(perQuery).map(([k, v]) => [k, mean(v)]));
}

/** As `retrievalScores`, metric by metric one value per query of qrels (qrels' order). */
export async function retrievalPerQuery(
  queries: Matrix, corpus: Matrix, queryIds: readonly string[], corpusIds: readonly string[],
  qrels: Map<string, Map<string, number>>, opts: RetrievalOptions = {},
): Promise<Record<string, Float64Array>> {
  requireNonEmpty('Retrieval: the corpus', corpus.rows);
  requireSameLength('Retrieval queries', queries.rows, queryIds.length, 'vectors', 'ids');
  requireSameLength('Retrieval corpus', corpus.rows, corpusIds.length, 'vectors', 'ids');
  if (queries.dim !== corpus.dim) throw new InputError(`Retrieval: query vectors have dimension ${queries.dim}, documents ${corpus.dim}.`);
  checkIds(queryIds, corpusIds, qrels);
  const topK = Math.min(opts.topK ?? 1000, corpus.rows);
  if (!(topK >= 1)) throw new InputError(`Retrieval: topK must be at least 1, got ${opts.topK}.`);
  const ignore = opts.ignoreIdenticalIds ?? true;
  // search only the queries of qrels
  const rowOfQuery = new Map(queryIds.map((id, i) => [id, i]));
  const evalIds = [...qrels.keys()];
  const q = queries.selectRows(evalIds.map((id) => rowOfQuery.get(id)!));
  const run = new Map<string, RankedList>();
  const search = new CosineSearch(corpus);
  const batch = 256;
  for (let s = 0; s < q.rows; s += batch) {
    const e = Math.min(q.rows, s + batch);
    const res = await search.topK(q.sliceRows(s, e), topK, ignore ? (qi, c) => corpusIds[c] === evalIds[s + qi] : undefined);
    for (let i = 0; i < e - s; i++) run.set(evalIds[s + i], { ids: Array.from(res.ids[i], (c) => corpusIds[c]), scores: res.scores[i] });
    opts.onProgress?.(e, q.rows, 'retrieval queries');
  }
  return rankingMetricsPerQuery(run, qrels, opts.kValues ?? MTEB_K_VALUES);
}

const RANKING_NAMES: Record<string, string> = { ndcg: 'nDCG', map: 'MAP', recall: 'recall', precision: 'P', mrr: 'MRR' };

/** The per-query file of a ranking metric: 'ndcg_at_10' → nDCG@10 of each query. */
export function perQuerySeries(metric: string, values: Float64Array): ItemSeries {
  const m = /^(\w+?)_at_(\d+)$/.exec(metric);
  return { name: metric, what: `${m ? `${RANKING_NAMES[m[1]] ?? m[1]}@${m[2]}` : metric} of each query`, values };
}

export async function evaluateRetrieval(data: RetrievalData, encode: Encode, opts: EvaluateOptions = {}): Promise<EvaluatorScores> {
  const { corpus, queries, qrels } = data;
  requireNonEmpty('Retrieval: the corpus', corpus.ids.length);
  requireSameLength('Retrieval corpus', corpus.ids.length, corpus.texts.length, 'ids', 'texts');
  requireSameLength('Retrieval corpus', corpus.ids.length, corpus.titles.length, 'ids', 'titles');
  requireSameLength('Retrieval queries', queries.ids.length, queries.texts.length, 'ids', 'texts');
  checkIds(queries.ids, corpus.ids, qrels);
  // embed only the queries that are scored
  const rowOfQuery = new Map(queries.ids.map((id, i) => [id, i]));
  const evalIds = [...qrels.keys()];
  const qe = await encodeDistinct(encode, evalIds.map((id) => queries.texts[rowOfQuery.get(id)!]), 'query');
  const docs = corpus.texts.map((t, i) => retrievalDocText(corpus.titles[i], t));
  const de = await encodeDistinct(encode, docs, 'document');
  const perQuery = await retrievalPerQuery(gather(qe), gather(de), evalIds, corpus.ids, qrels, { ...opts.retrieval, onProgress: opts.onProgress });
  const scores = averages(perQuery);
  // every ranking metric is a mean over the queries; MRR and MAP at 10 are kept beside the main one
  const itemize = (metric: string) => {
    if (!perQuery[metric]) return null;
    const extra = ['ndcg_at_10', 'mrr_at_10', 'map_at_10'].filter((k) => k !== metric && perQuery[k]).map((k) => perQuerySeries(k, perQuery[k]));
    return meanOfItems(metric, 'queries', perQuerySeries(metric, perQuery[metric]), extra);
  };
  return { main_score: scores.ndcg_at_10, scores, itemize };
}
