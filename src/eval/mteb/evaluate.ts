/**
 * `evaluateTask`: one MTEB task in, its scores out. A registry maps each task type to its
 * evaluator (one file per type); each evaluator embeds the task's distinct texts once through
 * `encode` and follows MTEB's protocol for the type (see the file of each type).
 *
 * main_score is the metric the task's meta names (TaskMeta.mainScore), or the type's MTEB default
 * when the meta names none: Classification accuracy, Clustering v_measure, STS cos_sim_spearman,
 * PairClassification cos_sim_ap, BitextMining f1, Reranking map, Retrieval ndcg_at_10. Names of
 * later MTEB versions are accepted too ('cosine_spearman', 'cosine_ap', 'mrr', 'similarity_*').
 *
 * `itemized` is the main score item by item (types.ts ItemizedScore: per-query nDCG, per-test-example
 * correctness, per-pair similarities and gold, per-set V-measure) when it can be resampled; the
 * intervals of ./intervals.ts resample it.
 */
import { InputError } from '../../core/errors.js';
import { DEFAULT_MAIN_SCORE } from '../../data/text/meta.js';
import type { TaskType, TextTask } from '../../data/text/types.js';
import { evaluateBitextMining } from './bitext-mining.js';
import { evaluateClassification } from './classification.js';
import { evaluateClustering } from './clustering.js';
import { evaluatePairClassification } from './pair-classification.js';
import { evaluateReranking } from './reranking.js';
import { evaluateRetrieval } from './retrieval.js';
import { evaluateSTS } from './sts.js';
import type { Encode, EvaluateOptions, EvaluatorScores, TaskScores } from './types.js';

export type { Encode, EvaluateOptions, ItemizedScore, ItemSeries, ResampledItems, TaskScores } from './types.js';

type DataOf<T extends TaskType> = Extract<TextTask, { meta: { type: T } }>['data'];
type Evaluator<T extends TaskType> = (data: DataOf<T>, encode: Encode, opts: EvaluateOptions) => Promise<EvaluatorScores>;

/** Task type → evaluator, and the metric MTEB reports as main_score for it (one table: src/data/text/meta.ts). */
export const EVALUATORS: { [T in TaskType]: { evaluate: Evaluator<T>; mainScore: string } } = {
  Classification: { evaluate: evaluateClassification, mainScore: DEFAULT_MAIN_SCORE.Classification },
  Clustering: { evaluate: evaluateClustering, mainScore: DEFAULT_MAIN_SCORE.Clustering },
  STS: { evaluate: evaluateSTS, mainScore: DEFAULT_MAIN_SCORE.STS },
  PairClassification: { evaluate: evaluatePairClassification, mainScore: DEFAULT_MAIN_SCORE.PairClassification },
  BitextMining: { evaluate: evaluateBitextMining, mainScore: DEFAULT_MAIN_SCORE.BitextMining },
  Reranking: { evaluate: evaluateReranking, mainScore: DEFAULT_MAIN_SCORE.Reranking },
  Retrieval: { evaluate: evaluateRetrieval, mainScore: DEFAULT_MAIN_SCORE.Retrieval },
};

/** The key of `scores` that `name` denotes: itself, or its MTEB v1 spelling. */
export function resolveMetricName(name: string, scores: Record<string, number>): string | null {
  if (name in scores) return name;
  const candidates = [
    name.replace(/^cosine_/, 'cos_sim_'),
    name.replace(/^similarity_/, 'cos_sim_'), // the model's own similarity is cosine here
    name === 'mrr' ? 'mrr_at_10' : name,
    name === 'ap' ? 'cos_sim_ap' : name, // task.json files prepared before the names were unified
    name.replace(/^spearman$/, 'cos_sim_spearman').replace(/^pearson$/, 'cos_sim_pearson'),
  ];
  return candidates.find((c) => c in scores) ?? null;
}

export async function evaluateTask(task: TextTask, encode: Encode, opts: EvaluateOptions = {}): Promise<TaskScores> {
  const entry = EVALUATORS[task.meta.type] as { evaluate: Evaluator<TaskType>; mainScore: string } | undefined;
  if (!entry) throw new InputError(`Task ${task.meta.name}: unknown task type '${task.meta.type}'.`);
  const { scores, itemize } = await entry.evaluate(task.data as never, encode, opts);
  const wanted = task.meta.mainScore || entry.mainScore;
  const key = resolveMetricName(wanted, scores);
  if (key === null) {
    throw new InputError(`Task ${task.meta.name}: main score '${wanted}' is not a ${task.meta.type} metric (${Object.keys(scores).join(', ')}).`);
  }
  const itemized = itemize?.(key) ?? null;
  return { main_score: scores[key], scores, ...(itemized && { itemized }) };
}
