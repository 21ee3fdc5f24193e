/**
 * The embedder registry: a frozen map from id to its description and an async factory. Adding an
 * embedder is one file plus one entry here. An id that is not registered but looks like a Hugging
 * Face model id (it contains '/') is run by transformers.js; anything else gets "did you mean".
 */
import { InputError } from '../core/errors.js';
import { parseDevice, type ResolvedDevice } from './devices.js';
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
  /** cpu (default), cuda or auto; an embedder that runs on the CPU only refuses cuda and takes auto as cpu. */
  device?: string;
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
  /** Devices it can run on besides the CPU, or why it runs on the CPU only (the --device cuda sentence). */
  gpu: { devices: ResolvedDevice[] } | { why: string };
  /** Does it embed texts in batches (so --batch-size means something)? */
  batches: boolean;
  create(opts: EmbedderOptions): Promise<Embedder>;
}

const entries: EmbedderEntry[] = [
  {
    id: 'bge-large',
    describe: `BAAI bge-large-en-v1.5 (${BGE_LARGE_MODEL}) on transformers.js: CLS pooling, L2-normalized, query instruction; the paper's model`,
    dim: 1024,
    textsPerSecond: 8, // not measured here (no weights offline): 24 layers × 1024 wide on 2 cores, ~25× use-lite's work per token
    loadSeconds: 10,
    gpu: { devices: ['cuda'] },
    batches: true,
    create: (o) => createTransformersEmbedder({ ...o, name: 'bge-large', model: BGE_LARGE_MODEL }),
  },
  {
    id: 'use-lite',
    describe: 'Universal Sentence Encoder Lite (TensorFlow.js, weights in node_modules), 512-d, L2-normalized',
    dim: 512,
    textsPerSecond: 90, // bench:embed, 2,000 WordNet glosses (results/reference/)
    loadSeconds: 3,
    gpu: { why: "TensorFlow.js's WebAssembly backend" },
    batches: true,
    create: (o) => createUseLiteEmbedder({ batchSize: o.batchSize }),
  },
  {
    id: 'glove-avg',
    describe: 'mean of GloVe 6B 100-d word vectors (MTEB average_word_embeddings_glove baseline), L2-normalized',
    dim: 100,
    textsPerSecond: 100_000, // bench:embed; the word table loads once (cached matrix)
    loadSeconds: 2,
    gpu: { why: 'a word-vector look-up in JavaScript' },
    batches: false,
    create: async () => createGloveAvgEmbedder(),
  },
  {
    id: 'precomputed',
    describe: 'vectors read from a .npy / .fvecs file (--vectors), row i for text i',
    dim: null,
    textsPerSecond: 1_000_000, // a lookup by (role, text)
    loadSeconds: 0.5,
    gpu: { why: 'vectors read from a file, no model' },
    batches: false,
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
 * The options an embedder of the registry can honour: --device cuda on a CPU-only embedder and
 * --batch-size on one that does not batch are refused in one sentence; --device auto on a CPU-only
 * embedder is the CPU (with the note auto prints when it falls back).
 */
function checkOptions(e: EmbedderEntry, opts: EmbedderOptions): EmbedderOptions {
  const device = parseDevice(opts.device);
  if (opts.batchSize !== undefined && !e.batches) throw new InputError(`--batch-size: ${e.id} does not embed in batches; leave the flag out.`);
  if ('why' in e.gpu && device !== 'cpu') {
    if (device === 'cuda') throw new InputError(`--device cuda: ${e.id} runs on the CPU only (${e.gpu.why}); use --device cpu.`);
    process.stderr.write(`note: --device auto: ${e.id} runs on the CPU only (${e.gpu.why}); running on the CPU.\n`);
    return { ...opts, device: 'cpu' };
  }
  return opts;
}

/** Checks that `id` names an embedder (registered, or a transformers.js model id) without loading it. */
export function checkEmbedderId(id: string, flag = '--model'): void {
  if (embedderEntry(id) || id.includes('/')) return;
  throw new InputError(`${flag}: unknown embedder '${id}'${didYouMean(id, EMBEDDER_IDS)}; known: ${EMBEDDER_IDS.join(', ')}, or a transformers.js model id such as Xenova/all-MiniLM-L6-v2.`);
}

/**
 * Creates (and loads) an embedder. A registered id, or a Hugging Face model id such as
 * 'Xenova/all-MiniLM-L6-v2' (transformers.js); else an InputError with the known ids.
 */
export async function createEmbedder(id: string, opts: EmbedderOptions = {}, flag = '--model'): Promise<Embedder> {
  const e = embedderEntry(id);
  if (e) return e.create(checkOptions(e, opts));
  checkEmbedderId(id, flag);
  return createTransformersEmbedder({ ...opts, name: id, model: id });
}
