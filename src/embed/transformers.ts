/**
 * Embedders on transformers.js (`@huggingface/transformers`, ONNX Runtime on the CPU, or on an
 * NVIDIA GPU through onnxruntime-node's CUDA execution provider with `device` cuda / auto, see
 * ./devices.ts): the feature-extraction pipeline, pooled (CLS or mean over the attention mask) and
 * L2-normalized.
 *
 * `bge-large` is the paper's model, BAAI/bge-large-en-v1.5 in its transformers.js conversion
 * (`Xenova/bge-large-en-v1.5`, 1024-d): CLS pooling, L2-normalized, and the bge retrieval instruction
 * "Represent this sentence for searching relevant passages: " prepended to queries (role 'query')
 * only, as BAAI's model card prescribes for short-query → passage retrieval. Any other
 * transformers.js model id works the same way, with mean pooling and no instruction by default.
 *
 * A model comes from `modelPath` (a local folder in the transformers.js layout: config.json,
 * tokenizer.json, tokenizer_config.json and onnx/model.onnx, or onnx/model_quantized.onnx for
 * dtype q8), or by id from transformers.js's local model path or its cache, downloading it from the
 * Hugging Face Hub when `offline` is false and the network allows. Offline, nothing is downloaded:
 * a model that is not there ends in one sentence naming where we looked and how to provide it.
 *
 * Texts are embedded in batches of `batchSize`, longest first so that each batch pads little;
 * the rows come back in the caller's order. Texts longer than the model's maximum length
 * (tokenizer_config.json's model_max_length, 512 for bge) are truncated, as in sentence-transformers.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { InputError, UnavailableError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { getThreads } from '../core/parallel.js';
import type { ProgressFn } from '../core/progress.js';
import { checksum } from '../data/checksum.js';
import { CUDA_INSTALL_HINT, cudaProviderStatus, nativeErrorClause, parseDevice, type CudaStatus, type ResolvedDevice } from './devices.js';
import type { Embedder, EmbedRole } from './types.js';

/** The transformers.js conversion of BAAI/bge-large-en-v1.5 (same weights, ONNX). */
export const BGE_LARGE_MODEL = 'Xenova/bge-large-en-v1.5';
/** BAAI's instruction for retrieval queries (bge v1.5, English). */
export const BGE_QUERY_INSTRUCTION = 'Represent this sentence for searching relevant passages: ';

export type Pooling = 'cls' | 'mean';
export type TransformersDtype = 'fp32' | 'q8';
export const POOLINGS: readonly Pooling[] = ['cls', 'mean'];
export const DTYPES: readonly TransformersDtype[] = ['fp32', 'q8'];

/** Bumped when this file changes the vectors it returns (part of the embedding cache key). */
const CODE_VERSION = '1';

export interface TransformersEmbedderOptions {
  /** Name used in the embedder id and messages; a name with 'bge-' in it gets bge's conventions. Default: the model id, or the folder's name when only `modelPath` is given. */
  name?: string;
  /** Hugging Face model id (transformers.js layout). Default Xenova/bge-large-en-v1.5. */
  model?: string;
  /** A local model folder (config.json, tokenizer.json, tokenizer_config.json, onnx/…); wins over `model`. */
  modelPath?: string;
  /** No download attempt (transformers.js env.allowRemoteModels = false). Default false. */
  offline?: boolean;
  /** fp32 (onnx/model.onnx, default) or q8 (onnx/model_quantized.onnx: ~4× smaller, faster, slightly different vectors). */
  dtype?: string;
  /** cls (bge's convention, default for bge models) or mean over the attention mask (default otherwise). */
  pooling?: string;
  /** L2-normalize each vector. Default true. */
  normalize?: boolean;
  /** Prepended to every text of role 'query'. Default: the bge instruction for bge models, '' otherwise. */
  queryInstruction?: string;
  /** Texts per forward pass. Default 16: larger batches pad more and gain little on a CPU. */
  batchSize?: number;
  /** ONNX Runtime intra-op threads. Default: vqbench's thread count (all cores, or --threads). */
  threads?: number;
  /** cpu (default), cuda (onnxruntime-node's CUDA execution provider; UnavailableError when absent) or auto (cuda, else the CPU with a note on stderr). */
  device?: string;
  /** Tests: what `cudaProviderStatus()` would say (default: ask the installed onnxruntime-node). */
  cudaStatus?: () => CudaStatus;
  /** Where auto's fallback note goes. Default: stderr. */
  onNote?: (line: string) => void;
}

interface Extractor {
  (texts: string[], options: { pooling: Pooling; normalize: boolean }): Promise<{ data: ArrayLike<number>; dims: number[]; dispose?(): void }>;
  model: { config: Record<string, unknown> };
  dispose(): Promise<void>;
}

const isBge = (model: string) => /(^|\/)bge-/i.test(model);
const onnxFile = (dtype: TransformersDtype) => (dtype === 'q8' ? 'model_quantized.onnx' : 'model.onnx');
const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0].replace(/\.$/, '');

function parseDtype(v: string | undefined): TransformersDtype {
  if (v === undefined) return 'fp32';
  if ((DTYPES as readonly string[]).includes(v)) return v as TransformersDtype;
  throw new InputError(`--dtype: expected one of ${DTYPES.join(', ')}, got '${v}'.`);
}

function parsePooling(v: string | undefined, dflt: Pooling): Pooling {
  if (v === undefined) return dflt;
  if ((POOLINGS as readonly string[]).includes(v)) return v as Pooling;
  throw new InputError(`--pooling: expected one of ${POOLINGS.join(', ')}, got '${v}'.`);
}

/** Checks a local model folder before transformers.js sees it, so that a mistake is one sentence. */
function checkModelFolder(dir: string, dtype: TransformersDtype): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new InputError(`--model-path ${dir} does not exist; give a folder in the transformers.js layout (config.json, tokenizer.json, tokenizer_config.json, onnx/${onnxFile(dtype)}).`);
  }
  if (!isDir) throw new InputError(`--model-path ${dir} is not a folder; give a folder in the transformers.js layout (config.json, tokenizer.json, tokenizer_config.json, onnx/${onnxFile(dtype)}).`);
  const need = ['config.json', 'tokenizer.json', 'tokenizer_config.json', join('onnx', onnxFile(dtype))];
  const missing = need.filter((f) => !existsSync(join(dir, f)));
  if (missing.length) {
    throw new InputError(`--model-path ${dir} lacks ${missing.join(', ')}` +
      (dtype === 'q8' && missing.length === 1 ? ' (dtype q8 needs the quantized model; use --dtype fp32 for onnx/model.onnx)' : '') + '.');
  }
}

/** A fingerprint of a local model folder (config, tokenizer, ONNX file size), so that a different model at the same name gets a different cache key. */
function folderFingerprint(dir: string, dtype: TransformersDtype): string {
  const read = (f: string) => readFileSync(join(dir, f));
  return checksum(read('config.json'), read('tokenizer.json'), read('tokenizer_config.json'), String(statSync(join(dir, 'onnx', onnxFile(dtype))).size));
}

let loadQueue: Promise<unknown> = Promise.resolve();

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError(`--batch-size: expected a positive integer, got ${batchSize}.`);
}

export class TransformersEmbedder implements Embedder {
  readonly id: string;
  readonly version: string;
  readonly dim: number;
  readonly model: string;
  readonly pooling: Pooling;
  readonly normalize: boolean;
  readonly queryInstruction: string;
  readonly batchSize: number;
  readonly dtype: TransformersDtype;
  readonly maxLength: number | null;
  /**
   * Where the ONNX session runs. Recorded (manifests, chunk markers) but not part of `id` nor of the
   * cache key: the CUDA and CPU providers compute the same network, and their vectors differ in
   * float rounding only (as different batch sizes do, which are not in the key either), far below
   * what any retrieval or MTEB score resolves. Keeping it out of the key is what lets chunks computed
   * on GPU workers and on CPU workers assemble into one matrix.
   */
  readonly device: ResolvedDevice;

  private constructor(private extractor: Extractor, f: {
    id: string; version: string; dim: number; model: string; pooling: Pooling; normalize: boolean;
    queryInstruction: string; batchSize: number; dtype: TransformersDtype; maxLength: number | null; device: ResolvedDevice;
  }) {
    this.id = f.id;
    this.version = f.version;
    this.dim = f.dim;
    this.model = f.model;
    this.pooling = f.pooling;
    this.normalize = f.normalize;
    this.queryInstruction = f.queryInstruction;
    this.batchSize = f.batchSize;
    this.dtype = f.dtype;
    this.maxLength = f.maxLength;
    this.device = f.device;
  }

  /** The same loaded model with another batch size (bench/embed.ts sweeps batch sizes without reloading); dispose only the original. */
  withBatchSize(batchSize: number): TransformersEmbedder {
    checkBatchSize(batchSize);
    return new TransformersEmbedder(this.extractor, { ...this, batchSize });
  }

  /** Loads the tokenizer and the ONNX session; throws InputError / UnavailableError (one sentence) when the model cannot be had. */
  static async load(opts: TransformersEmbedderOptions = {}): Promise<TransformersEmbedder> {
    const dtype = parseDtype(opts.dtype);
    const modelPath = opts.modelPath !== undefined ? resolve(opts.modelPath) : undefined;
    const modelId = opts.model ?? BGE_LARGE_MODEL;
    // the model's conventions (pooling, instruction) follow its name: the folder's when only a folder is given
    const name = opts.name ?? (modelPath !== undefined && opts.model === undefined ? basename(modelPath) : modelId);
    const bge = isBge(name) || (opts.model !== undefined && isBge(opts.model));
    const pooling = parsePooling(opts.pooling, bge ? 'cls' : 'mean');
    const normalize = opts.normalize ?? true;
    const queryInstruction = opts.queryInstruction ?? (bge ? BGE_QUERY_INSTRUCTION : '');
    const batchSize = opts.batchSize ?? 16;
    checkBatchSize(batchSize);
    const requested = parseDevice(opts.device);
    const note = opts.onNote ?? ((line: string) => process.stderr.write(`${line}\n`));
    let device: ResolvedDevice = 'cpu';
    if (requested !== 'cpu') {
      const status = (opts.cudaStatus ?? cudaProviderStatus)();
      if (status.available) device = 'cuda';
      else if (requested === 'cuda') throw new UnavailableError(`--device cuda: ${status.reason}; ${CUDA_INSTALL_HINT}.`);
      else note(`note: --device auto: ${status.reason}; running on the CPU.`);
    }
    const offline = opts.offline ?? false;
    if (modelPath !== undefined) checkModelFolder(modelPath, dtype);

    const tf = await import('@huggingface/transformers');
    const { env } = tf;
    const source = modelPath ?? modelId;
    if (modelPath === undefined && offline) {
      // transformers.js looks in env.localModelPath/<id>/ and then in its file cache env.cacheDir/<id>/
      const places = [env.localModelPath, env.cacheDir].filter((p): p is string => typeof p === 'string' && p.length > 0).map((p) => join(p, modelId));
      const found = places.some((p) => existsSync(join(p, 'config.json')) && existsSync(join(p, 'onnx', onnxFile(dtype))));
      if (!found) {
        throw new UnavailableError(
          `${name}: model ${modelId} (${onnxFile(dtype)}) is not available offline: looked in ${places.join(' and ')}; ` +
          `download its transformers.js files (config.json, tokenizer.json, tokenizer_config.json, onnx/${onnxFile(dtype)}) where there is a network and pass the folder with --model-path.`,
        );
      }
    }

    // env is global to the library: load one model at a time, with our settings in force.
    const open = (on: ResolvedDevice) => loadQueue.then(async () => {
      const savedRemote = env.allowRemoteModels;
      const savedLog = env.logLevel;
      env.allowRemoteModels = !offline && modelPath === undefined;
      env.logLevel = Math.max(savedLog ?? 0, tf.LogLevel.ERROR); // its "not found locally, trying the Hub" warnings are ours to report
      try {
        return (await tf.pipeline('feature-extraction', source, {
          dtype,
          device: on,
          local_files_only: offline || modelPath !== undefined,
          session_options: { intraOpNumThreads: Math.max(1, opts.threads ?? getThreads()) },
        })) as unknown as Extractor;
      } finally {
        env.allowRemoteModels = savedRemote;
        env.logLevel = savedLog;
      }
    });
    const opened = async (on: ResolvedDevice) => {
      const run = open(on);
      loadQueue = run.catch(() => undefined);
      return run;
    };
    let extractor: Extractor;
    try {
      try {
        extractor = await opened(device);
      } catch (e) {
        // a failure that is not the provider's (a broken model file) is reported as the model's, below
        if (device === 'cpu' || !/cuda|cudnn|provider|shared librar/i.test(String((e as Error)?.message ?? e))) throw e;
        // the provider's files are there but it did not start (no GPU, driver, CUDA 12 or cuDNN 9)
        const why = `onnxruntime-node's CUDA execution provider did not start (${nativeErrorClause(e)})`;
        if (requested === 'cuda') throw new UnavailableError(`--device cuda: ${why}; check the NVIDIA driver, CUDA 12 and cuDNN 9, or use --device cpu.`);
        note(`note: --device auto: ${why}; running on the CPU.`);
        device = 'cpu';
        extractor = await opened(device);
      }
    } catch (e) {
      if (e instanceof UnavailableError) throw e;
      if (modelPath !== undefined) {
        throw new UnavailableError(`${name}: could not load the model in ${modelPath}: ${firstLine(e)}; the folder must hold a transformers.js export (config.json, tokenizer.json, onnx/${onnxFile(dtype)}).`);
      }
      throw new UnavailableError(`${name}: could not load ${modelId} from the Hugging Face Hub (cache ${env.cacheDir}): ${firstLine(e)}; without a network, download it elsewhere and pass the folder with --model-path.`);
    }

    const config = extractor.model.config;
    let dim = typeof config.hidden_size === 'number' ? config.hidden_size : typeof config.d_model === 'number' ? config.d_model : 0;
    if (!dim) {
      const probe = await extractor(['a'], { pooling, normalize });
      dim = probe.dims[probe.dims.length - 1];
    }
    let maxLength: number | null = null;
    const tok = (extractor as unknown as { tokenizer?: { model_max_length?: number } }).tokenizer;
    if (typeof tok?.model_max_length === 'number' && Number.isFinite(tok.model_max_length)) maxLength = tok.model_max_length;

    // id: the name plus everything that changes the vectors and departs from the model's convention
    const parts = [name, dtype];
    if (pooling !== (bge ? 'cls' : 'mean')) parts.push(pooling);
    if (!normalize) parts.push('raw');
    if (queryInstruction !== (bge ? BGE_QUERY_INSTRUCTION : '')) parts.push(`instr-${checksum(queryInstruction).slice(0, 8)}`);
    const version = modelPath !== undefined ? `${CODE_VERSION}+${folderFingerprint(modelPath, dtype)}` : CODE_VERSION;
    return new TransformersEmbedder(extractor, {
      id: parts.join(':'), version, dim, model: source, pooling, normalize, queryInstruction, batchSize, dtype, maxLength, device,
    });
  }

  async embed(texts: string[], role: EmbedRole, onProgress?: ProgressFn): Promise<Matrix> {
    const n = texts.length;
    const out = Matrix.zeros(n, this.dim);
    const prefix = role === 'query' ? this.queryInstruction : '';
    // longest first: a batch pads to its longest text, so similar lengths together waste less
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => texts[b].length - texts[a].length || a - b);
    onProgress?.(0, n);
    for (let s = 0; s < n; s += this.batchSize) {
      const ids = order.slice(s, s + this.batchSize);
      const t = await this.extractor(ids.map((i) => prefix + texts[i]), { pooling: this.pooling, normalize: this.normalize });
      const d = this.dim;
      if (t.dims.length !== 2 || t.dims[0] !== ids.length || t.dims[1] !== d) {
        throw new Error(`${this.id}: the pipeline returned shape [${t.dims.join(', ')}], expected [${ids.length}, ${d}]`);
      }
      const data = t.data as Float32Array;
      for (let k = 0; k < ids.length; k++) out.data.set(data.subarray(k * d, (k + 1) * d), ids[k] * d);
      t.dispose?.();
      onProgress?.(Math.min(n, s + this.batchSize), n);
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.extractor.dispose();
  }
}

export function createTransformersEmbedder(opts: TransformersEmbedderOptions = {}): Promise<TransformersEmbedder> {
  return TransformersEmbedder.load(opts);
}
