import type { Matrix } from '../core/matrix.js';
import type { ProgressFn } from '../core/progress.js';

/** Retrieval queries may get an instruction prefix (bge); everything else is a document. */
export type EmbedRole = 'query' | 'document';

export interface Embedder {
  /** Registry id plus anything that changes the vectors, e.g. 'bge-large:fp32', 'use-lite', 'glove-avg'. */
  readonly id: string;
  /** Bumped when the embedding code changes the vectors; part of the cache key. */
  readonly version: string;
  readonly dim: number;
  /** Where it runs ('cpu', 'cuda'), when it has a choice: recorded beside the vectors, not part of the cache key (see transformers.ts). */
  readonly device?: string;
  /** Texts per model call, for embedders that batch. */
  readonly batchSize?: number;
  /** Rows are L2-normalized when the model's convention says so (bge, use-lite); one row per text. */
  embed(texts: string[], role: EmbedRole, onProgress?: ProgressFn): Promise<Matrix>;
  /** Frees model sessions / tensors. */
  dispose?(): Promise<void>;
}
