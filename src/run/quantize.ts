/**
 * The `vqbench quantize` job: load a dataset, train one quantizer on a seeded sample of its
 * training rows, encode and decode held-out rows (the dataset's queries), and measure loss, bits
 * and time. Plain data in, plain data out; the CLI only parses and prints.
 */
import { InputError, VqbenchError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { Rng } from '../core/rng.js';
import { resolveParams, type ParamSpecs, type Resolved } from '../core/params.js';
import type { ProgressFn } from '../core/progress.js';
import { displayPath } from '../core/paths.js';
import { loadDataset } from '../data/load.js';
import { honestCompressionRatio, paperCompressionRatio, quantizationLoss, rowSquaredErrors } from '../eval/quantization.js';
import { bootstrapMean } from '../eval/bootstrap.js';
import { writePerItem } from '../eval/per-item-files.js';
import { STAGED_METHODS, stageDiagnostics, type StageDiagnostics } from '../eval/stage-diagnostics.js';
import { join } from 'node:path';
import { createQuantizer, quantizerDescriptor, quantizerLabel, resolveQuantizerParams, type QuantizerGiven, type QuantizerId, type QuantizerParamsOf } from '../quant/registry.js';
import { TRAINERS } from '../quant/trainers/run.js';
import type { TrainerKind } from '../quant/types.js';
import { encodeParallel } from '../quant/encode-parallel.js';
import { captureEnvironment, type RunEnvironment } from './env.js';

/** The job's own options (the quantizer's parameters come from its descriptor): the `quantize` command's flags and a task cell's fields. */
export const QUANTIZE_JOB_PARAMS = {
  trainer: {
    default: 'kmeans', choices: TRAINERS,
    describe: "codebook trainer: 'kmeans' (the paper's L: stage-wise / sub-space k-means) or 'adam' (the paper's T: gradient steps on the loss, ~6× the time)",
  },
  trainSize: { default: 50_000, min: 1, describe: 'training rows, a seeded sample of the training split; more = better codebooks, k-means time grows linearly' },
  evalSize: { default: 10_000, min: 1, describe: "held-out rows the loss is measured on (the dataset's first queries)" },
  adamIters: { default: null, type: 'number', min: 1, max: 1_000_000, describe: 'Adam iterations (trainer adam; default 1000)' },
  adamLr: { default: null, type: 'number', integer: false, min: 1e-9, max: 10, describe: 'Adam learning rate (trainer adam; default 0.001); too large diverges' },
} as const satisfies ParamSpecs;

export type QuantizeJobOptions = Resolved<typeof QUANTIZE_JOB_PARAMS>;

export interface QuantizeJob<I extends string = string> {
  /** Registry name or file (.fvecs, .bvecs, .npy, .hdf5). */
  data: string;
  /** Quantizer id (src/quant/registry.ts). */
  method: I;
  /** Its parameters, canonical names or aliases (pq: m / nbits, or books / size); unset ones take the descriptor's defaults. */
  params?: I extends QuantizerId ? Partial<QuantizerParamsOf<I>> & QuantizerGiven : QuantizerGiven;
  /** The job's options (QUANTIZE_JOB_PARAMS); unset ones take their defaults. */
  trainer?: TrainerKind;
  trainSize?: number;
  evalSize?: number;
  adamIters?: number | null;
  adamLr?: number | null;
  seed?: number;
  onProgress?: ProgressFn;
  /** Write the squared error of each held-out row to `<raw>/<rawName>` (float64 .npy, src/eval/per-item-files.ts). */
  raw?: string;
  /** The file's name inside `raw`: a function of the quantizer's canonical spec. Default `row-errors.npy`. */
  rawName?: (spec: string) => string;
}

/** The per-row file's default name inside a raw folder. */
export const ROW_ERRORS_FILE = 'row-errors.npy';

/** A file-name-safe piece for a spec or task name ('pq:m=4,nbits=4' → 'pq_m=4_nbits=4'). */
export function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._=-]+/g, '_').replace(/^\.+/, '_');
}

/** The per-row file of a quantizer in a shared folder (`vqbench quantize --raw DIR`): `<spec>.row-errors.npy`, so that runs of different quantizers sit side by side. */
export function rowErrorsFileName(spec: string): string {
  return `${fileSafe(spec)}.${ROW_ERRORS_FILE}`;
}

export interface QuantizeResult {
  method: string;
  /** The canonical spec of the trained quantizer (as `spec`). */
  label: string;
  /** The canonical spec, every parameter named: `pq:m=12,nbits=8`, `wrvq:books=4,size=256,weights=paper`. */
  spec: string;
  /** The quantizer's resolved parameters (canonical names). */
  params: Record<string, number | string | boolean>;
  dataset: string;
  datasetChecksum: string;
  /** Stored code values per vector (CodeLayout.codes): the books, or the dimensions of per-dimension codes (sq, binary, rabitq). */
  books: number;
  /** Levels of each code value. */
  size: number;
  /** What one vector's code stores, in words: `4 × 8-bit codes + 4 fp16 weights`, `100 × 1-bit levels + 2 float32 scalars (‖r‖, ⟨ō, o⟩)` (absent in older results). */
  codeLayout?: string;
  trainer: TrainerKind;
  weights: string | null;
  beam: number | null;
  bitsPerVector: number;
  /** The paper's ratio (eqs. 6 and 9, its own units); null for methods it does not describe (sq, binary, rabitq). */
  paperRatio: number | null;
  honestRatio: number;
  loss: number;
  relativeLoss: number;
  /** 95% bootstrap interval of the loss over the held-out rows (absent in older results). */
  lossCI?: { lo: number; hi: number };
  /** Per-stage diagnostics on the held-out rows (rvq, wrvq, avq; src/eval/stage-diagnostics.ts): loss after each stage, residual norms, code usage, WRVQ's weights. Absent for other methods and in older results. */
  stages?: StageDiagnostics[];
  /** Where the per-row squared errors went (only when asked): relative to the raw folder, or to the run folder in a cell's result. Their in-order mean is `loss`, bit for bit. */
  raw?: { rowErrors: string };
  trainSeconds: number;
  encodeSeconds: number;
  encodeVectorsPerSecond: number;
  trainRows: number;
  evalRows: number;
  dim: number;
  seed: number;
  notes: string[];
  env: RunEnvironment;
}

export async function runQuantize<I extends string>(job: QuantizeJob<I>): Promise<QuantizeResult> {
  const d = quantizerDescriptor(job.method);
  const params = resolveQuantizerParams(d.id, job.params as QuantizerGiven | undefined);
  const opts = resolveParams(QUANTIZE_JOB_PARAMS, { trainer: job.trainer, trainSize: job.trainSize, evalSize: job.evalSize, adamIters: job.adamIters ?? undefined, adamLr: job.adamLr ?? undefined }, 'quantize option');
  const spec = quantizerLabel(d.id, params);
  const seed = job.seed ?? 1234;
  const ds = await loadDataset(job.data, { seed });
  const notes: string[] = [];
  let train = ds.train;
  if (train.rows > opts.trainSize) train = train.selectRows(new Rng(seed).sample(train.rows, opts.trainSize));
  else if (job.trainSize !== undefined && job.trainSize > train.rows) notes.push(`--train-size ${job.trainSize} exceeds the ${train.rows} training rows: all are used`);
  let evalSet = ds.queries;
  if (evalSet.rows > opts.evalSize) evalSet = evalSet.sliceRows(0, opts.evalSize);

  const q = createQuantizer(d.id, params);
  if (q.minTrainRows > train.rows) {
    const given = d.id === 'pq' ? `--nbits ${Math.log2(q.size)} (size ${q.size})` : `--size ${q.size}`;
    throw new InputError(`${given} needs at least ${q.minTrainRows} training rows, more than the ${train.rows} of ${job.data} (${spec}).`);
  }
  if (d.id === 'pq' && q.books > ds.dim) throw new InputError(`--m ${q.books} exceeds the dimension ${ds.dim} of ${job.data} (${spec}: one sub-space per code).`);
  const trainer = opts.trainer as TrainerKind;
  const report = await q.train(train, { seed, trainer, adamIters: opts.adamIters ?? undefined, adamLr: opts.adamLr ?? undefined, onProgress: job.onProgress });
  const t0 = performance.now();
  const codes = await encodeParallel(q, evalSet);
  const encodeSeconds = (performance.now() - t0) / 1000;
  let measured: { loss: number; relativeLoss: number };
  let decoded: Matrix;
  try {
    decoded = q.decode(codes);
    measured = quantizationLoss(evalSet, decoded); // refuses a loss that is not a number
  } catch (e) {
    if (!(e instanceof VqbenchError)) throw e;
    const hint = trainer === 'adam' && !/zero norm/.test(e.message) ? ' (the Adam training may have diverged: try a smaller --adam-lr)' : '';
    throw new InputError(`${spec} on ${displayPath(job.data)}: ${e.message.replace(/\.$/, '')}${hint}.`);
  }
  const { loss, relativeLoss } = measured;
  const rowErrors = rowSquaredErrors(evalSet, decoded);
  const { lo, hi } = bootstrapMean(rowErrors, { seed, level: 0.95, resamples: 1000 });
  const stages = STAGED_METHODS.includes(d.id) ? stageDiagnostics(q, evalSet, codes).stages : undefined;
  const rawName = job.rawName?.(spec) ?? ROW_ERRORS_FILE;
  const layout = q.codeLayout;
  if (job.raw !== undefined) writePerItem(join(job.raw, rawName), rowErrors);
  return {
    method: d.id,
    label: spec,
    spec,
    params,
    dataset: displayPath(ds.name),
    datasetChecksum: ds.checksum,
    books: layout.codes,
    size: layout.size,
    codeLayout: layout.describe,
    trainer,
    weights: (q.config.weights as string | undefined) ?? null,
    beam: (q.config.beam as number | undefined) ?? null,
    bitsPerVector: q.bitsPerVector,
    paperRatio: paperCompressionRatio(q),
    honestRatio: honestCompressionRatio(q),
    loss,
    relativeLoss,
    lossCI: { lo, hi },
    ...(stages && { stages }),
    ...(job.raw !== undefined && { raw: { rowErrors: rawName } }),
    trainSeconds: report.seconds,
    encodeSeconds,
    encodeVectorsPerSecond: evalSet.rows / encodeSeconds,
    trainRows: train.rows,
    evalRows: evalSet.rows,
    dim: ds.dim,
    seed,
    notes: [...notes, ...report.notes],
    env: captureEnvironment(),
  };
}
