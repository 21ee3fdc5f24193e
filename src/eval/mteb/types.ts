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
