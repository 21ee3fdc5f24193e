/**
 * The embedder registry: a frozen map from id to its description and an async factory. Adding an
 * embedder is one file plus one entry here. An id that is not registered but looks like a Hugging
 * Face model id (it contains '/') is run by transformers.js; anything else gets "did you mean".
 */
import { InputError } from '../core/errors.js';
import { didYouMean } from '../core/names.js';
import { frozenRegistry } from '../core/registry.js';
import { createGloveAvgEmbedder } from './glove-avg.js';
import { createPrecomputedEmbedder } from './precomputed.js';
import { BGE_LARGE_MODEL, createTransformersEmbedder } from './transformers.js';
import type { Embedder } from './types.js';
import { createUseLiteEmbedder } from './use-lite.js';

/** Every option any embedder reads; each embedder ignores the ones that are not its own. */
export interface EmbedderOptions {
  /** transformers.js: a local model folder (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx). */
  modelPath?: string;
  /** transformers.js: never download (env.allowRemoteModels = false). Default false. */
  offline?: boolean;
  /** transformers.js: fp32 (default) or q8. */
  dtype?: string;
  /** transformers.js: cls or mean (default: cls for bge models, mean otherwise). */
  pooling?: string;
  /** transformers.js: L2-normalize (default true); precomputed: normalize the stored rows (default false). */
  normalize?: boolean;
  /** transformers.js: prefix of query texts (default: the bge instruction for bge models, none otherwise). */
  queryInstruction?: string;
  /** transformers.js (default 16) and use-lite (default 32): texts per model call. */
  batchSize?: number;
  /** transformers.js: ONNX Runtime threads (default: vqbench's thread count). */
  threads?: number;
  /** precomputed: the .npy / .fvecs file, row i ↔ text i. */
  vectors?: string;
}

export interface EmbedderEntry {
  id: string;
  describe: string;
  /** Output dimension, when fixed by the id (null: depends on the model or file). */
  dim: number | null;
  /** Texts per second on the reference machine (2 cores; bench/embed.ts), for the run estimator. */
  textsPerSecond: number;
  /** Seconds to load the model once per process, for the run estimator. */
  loadSeconds: number;
  create(opts: EmbedderOptions): Promise<Embedder>;
}

const entries: EmbedderEntry[] = [
  {
    id: 'bge-large',
    describe: `BAAI bge-large-en-v1.5 (${BGE_LARGE_MODEL}) on transformers.js: CLS pooling, L2-normalized, query instruction; the paper's model`,
    dim: 1024,
    textsPerSecond: 8, // not measured here (no weights offline): 24 layers × 1024 wide on 2 cores, ~25× use-lite's work per token
    loadSeconds: 10,
    create: (o) => createTransformersEmbedder({ ...o, name: 'bge-large', model: BGE_LARGE_MODEL }),
  },
  {
    id: 'use-lite',
    describe: 'Universal Sentence Encoder Lite (TensorFlow.js, weights in node_modules), 512-d, L2-normalized',
    dim: 512,
    textsPerSecond: 90, // bench:embed, 2,000 WordNet glosses (results/reference/)
    loadSeconds: 3,
    create: (o) => createUseLiteEmbedder({ batchSize: o.batchSize }),
  },
  {
    id: 'glove-avg',
    describe: 'mean of GloVe 6B 100-d word vectors (MTEB average_word_embeddings_glove baseline), L2-normalized',
    dim: 100,
    textsPerSecond: 100_000, // bench:embed; the word table loads once (cached matrix)
    loadSeconds: 2,
    create: async () => createGloveAvgEmbedder(),
  },
  {
    id: 'precomputed',
    describe: 'vectors read from a .npy / .fvecs file (--vectors), row i for text i',
    dim: null,
    textsPerSecond: 1_000_000, // a lookup by (role, text)
    loadSeconds: 0.5,
    create: async (o) => createPrecomputedEmbedder({ vectors: o.vectors, normalize: o.normalize }),
  },
];

export const EMBEDDERS = frozenRegistry('embedder', entries, (e) => e.id);
/** The paper's model. */
export const DEFAULT_EMBEDDER = 'bge-large';
export const EMBEDDER_IDS = Object.keys(EMBEDDERS);

/** The registry entry of `id`, or undefined when it is not registered. */
export function embedderEntry(id: string): Readonly<EmbedderEntry> | undefined {
  return Object.hasOwn(EMBEDDERS, id) ? EMBEDDERS[id] : undefined;
}

/**
 * Creates (and loads) an embedder. A registered id, or a Hugging Face model id such as
 * 'Xenova/all-MiniLM-L6-v2' (transformers.js); else an InputError with the known ids.
 */
export async function createEmbedder(id: string, opts: EmbedderOptions = {}, flag = '--model'): Promise<Embedder> {
  const e = embedderEntry(id);
  if (e) return e.create(opts);
  if (id.includes('/')) return createTransformersEmbedder({ ...opts, name: id, model: id });
  throw new InputError(`${flag}: unknown embedder '${id}'${didYouMean(id, EMBEDDER_IDS)}; known: ${EMBEDDER_IDS.join(', ')}, or a transformers.js model id such as Xenova/all-MiniLM-L6-v2.`);
}
