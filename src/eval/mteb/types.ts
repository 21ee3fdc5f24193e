/**
 * What every MTEB evaluator shares: the encoder callback, the score record, the options, and
 * `encodeDistinct`, which embeds each distinct text of a task once (embedding is the expensive step).
 */
import { InputError } from '../../core/errors.js';
import { assertFinite, type Matrix } from '../../core/matrix.js';
import type { ProgressFn } from '../../core/progress.js';
import type { ClassificationOptions } from './classification.js';
import type { ClusteringOptions } from './clustering.js';
import type { RetrievalOptions } from './retrieval.js';

/** Embeds texts, one row per text in order. Retrieval queries get role 'query', every other text 'document'. */
export type Encode = (texts: string[], role: 'query' | 'document') => Promise<Matrix>;

export interface TaskScores {
  /** The task type's MTEB main metric (or the one the task's meta names). */
  main_score: number;
  /** Metric name → value, with MTEB's names ('accuracy', 'v_measure', 'cos_sim_spearman', 'ndcg_at_10', ...). */
  scores: Record<string, number>;
  /** The main score item by item, when it can be resampled (see ItemizedScore); set by evaluateTask. */
  itemized?: ItemizedScore;
}

/** What a bootstrap of an MTEB score resamples. */
export type ResampledItems = 'queries' | 'pairs' | 'test examples' | 'experiments';

/** One value per item (query, pair, test example, experiment), in the task's order: a per-item file. */
export interface ItemSeries {
  /** File-name piece: 'ndcg_at_10', 'cos_sim', 'gold', ... */
  name: string;
  /** What one value is, e.g. 'nDCG@10 of each query'. */
  what: string;
  values: Float64Array;
}

/**
 * A score as a function of its items, so an interval can resample them. statistic 'mean': the
 * score is the mean of series[0] (their in-order mean equals it, or up to rounding where `what`
 * says so); otherwise the score is recomputed on a resample by `of` (Spearman's ρ of the pairs'
 * similarities against their gold scores, the average precision of their labels, ...), and
 * series[0] and series[1] are what it is computed from.
 */
export interface ItemizedScore {
  /** The metric it stands for (a key of `scores`). */
  metric: string;
  over: ResampledItems;
  /** Number of items. */
  n: number;
  statistic: 'mean' | 'spearman' | 'pearson' | 'ap' | 'weighted f1';
  /** The score of the items at `indices` (n draws with replacement; the identity gives the score itself). */
  of(indices: Uint32Array): number;
  /** The per-item files, the first one the main one. */
  series: ItemSeries[];
  /** More per-item values worth keeping (MRR and MAP of each query, the accuracy of each experiment); not resampled. */
  extra?: ItemSeries[];
}

/** An evaluator's answer: its scores, and the itemized form of each metric that has one (evaluateTask picks the main one). */
export interface EvaluatorScores extends TaskScores {
  itemize?: (metric: string) => ItemizedScore | null;
}

/** An ItemizedScore whose statistic is the mean of series[0]. */
export function meanOfItems(metric: string, over: ResampledItems, series: ItemSeries, extra?: ItemSeries[]): ItemizedScore {
  const x = series.values;
  return {
    metric, over, n: x.length, statistic: 'mean', series: [series], ...(extra && { extra }),
    of(indices) {
      let s = 0;
      for (let i = 0; i < indices.length; i++) s += x[indices[i]];
      return s / indices.length;
    },
  };
}

export interface EvaluateOptions {
  /** Seeds the random choices (classification undersampling, k-means). Default 1234. */
  seed?: number;
  onProgress?: ProgressFn;
  classification?: Omit<ClassificationOptions, 'seed' | 'onProgress'>;
  clustering?: Omit<ClusteringOptions, 'seed'>;
  retrieval?: RetrievalOptions;
}

/** The embeddings of the distinct texts of a list, and for each text of the list the row holding it. */
export interface DistinctEmbeddings {
  matrix: Matrix;
  rowOf: Int32Array;
}

/**
 * Embeds the distinct texts of `texts` in one `encode` call (first occurrences, in order) and maps
 * every text to its row. Checks the encoder's answer: one finite row per text.
 */
export async function encodeDistinct(encode: Encode, texts: readonly string[], role: 'query' | 'document'): Promise<DistinctEmbeddings> {
  const index = new Map<string, number>();
  const distinct: string[] = [];
  const rowOf = new Int32Array(texts.length);
  texts.forEach((t, i) => {
    let r = index.get(t);
    if (r === undefined) {
      r = distinct.length;
      index.set(t, r);
      distinct.push(t);
    }
    rowOf[i] = r;
  });
  const matrix = await encode(distinct, role);
  if (matrix.rows !== distinct.length) {
    throw new Error(`encoder returned ${matrix.rows} embeddings for ${distinct.length} texts`);
  }
  assertFinite(matrix, `embeddings of ${distinct.length} ${role} texts`);
  return { matrix, rowOf };
}

/** Rows rowOf[start..end) of the distinct embeddings, copied into one matrix. */
export function gather(e: DistinctEmbeddings, start = 0, end = e.rowOf.length): Matrix {
  return e.matrix.selectRows(e.rowOf.subarray(start, end));
}

/** InputError unless the list is non-empty. */
export function requireNonEmpty(what: string, n: number): void {
  if (n === 0) throw new InputError(`${what} is empty.`);
}

/** InputError unless the two lengths agree. */
export function requireSameLength(what: string, a: number, b: number, aName: string, bName: string): void {
  if (a !== b) throw new InputError(`${what}: ${a} ${aName} but ${b} ${bName}.`);
}
