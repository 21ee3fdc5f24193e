/**
 * The `vqbench quantize` job: load a dataset, train one quantizer on a seeded sample of its
 * training rows, encode and decode held-out rows (the dataset's queries), and measure loss, bits
 * and time. Plain data in, plain data out; the CLI only parses and prints.
 */
import { InputError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { ProgressFn } from '../core/progress.js';
import { displayPath } from '../core/paths.js';
import { loadDataset } from '../data/load.js';
import { honestCompressionRatio, paperCompressionRatio, quantizationLoss } from '../eval/quantization.js';
import { createQuantizer, quantizerEntry, type QuantizerParams } from '../quant/registry.js';
import type { TrainerKind } from '../quant/types.js';
import { encodeParallel } from '../quant/encode-parallel.js';
import { captureEnvironment, type RunEnvironment } from './env.js';

export interface QuantizeJob extends QuantizerParams {
  /** Registry name or file (.fvecs, .bvecs, .npy, .hdf5). */
  data: string;
  method: string;
  trainer?: TrainerKind;
  /** Training rows, a seeded sample of the dataset's training split. Default 50,000. */
  trainSize?: number;
  /** Held-out rows the loss is measured on (the dataset's queries). Default 10,000. */
  evalSize?: number;
  seed?: number;
  adamIters?: number;
  adamLr?: number;
  onProgress?: ProgressFn;
}

export interface QuantizeResult {
  method: string;
  label: string;
  dataset: string;
  datasetChecksum: string;
  books: number;
  size: number;
  trainer: TrainerKind;
  weights: string | null;
  beam: number | null;
  bitsPerVector: number;
  paperRatio: number;
  honestRatio: number;
  loss: number;
  relativeLoss: number;
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

function positiveInt(v: number | undefined, flag: string): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new InputError(`${flag} must be a positive integer, got ${v}.`);
}

export async function runQuantize(job: QuantizeJob): Promise<QuantizeResult> {
  const entry = quantizerEntry(job.method);
  positiveInt(job.books, '--books');
  positiveInt(job.size, '--size');
  positiveInt(job.trainSize, '--train-size');
  positiveInt(job.evalSize, '--eval-size');
  positiveInt(job.beam, '--beam');
  if (job.size !== undefined && (job.size < 2 || job.size > 65536)) throw new InputError(`--size must be between 2 and 65536, got ${job.size}.`);
  const seed = job.seed ?? 1234;
  const ds = await loadDataset(job.data, { seed });
  const notes: string[] = [];
  let train = ds.train;
  const trainSize = job.trainSize ?? 50_000;
  if (train.rows > trainSize) train = train.selectRows(new Rng(seed).sample(train.rows, trainSize));
  else if (job.trainSize !== undefined && job.trainSize > train.rows) notes.push(`--train-size ${job.trainSize} exceeds the ${train.rows} training rows: all are used`);
  let evalSet = ds.queries;
  const evalSize = job.evalSize ?? 10_000;
  if (evalSet.rows > evalSize) evalSet = evalSet.sliceRows(0, evalSize);
  const size = job.size ?? 256;
  if (size > train.rows) throw new InputError(`--size ${size} is larger than the ${train.rows} training rows of ${job.data}.`);
  if (entry.id === 'pq' && (job.books ?? 4) > ds.dim) throw new InputError(`--books ${job.books} exceeds the dimension ${ds.dim} of ${job.data}.`);

  const q = createQuantizer(entry.id, job);
  const trainer = job.trainer ?? 'kmeans';
  const report = await q.train(train, { seed, trainer, adamIters: job.adamIters, adamLr: job.adamLr, onProgress: job.onProgress });
  const t0 = performance.now();
  const codes = await encodeParallel(q, evalSet);
  const encodeSeconds = (performance.now() - t0) / 1000;
  const { loss, relativeLoss } = quantizationLoss(evalSet, q.decode(codes));
  return {
    method: entry.id,
    label: q.label,
    dataset: displayPath(ds.name),
    datasetChecksum: ds.checksum,
    books: q.books,
    size: q.size,
    trainer,
    weights: (q.config.weights as string | undefined) ?? null,
    beam: (q.config.beam as number | undefined) ?? null,
    bitsPerVector: q.bitsPerVector,
    paperRatio: paperCompressionRatio(q),
    honestRatio: honestCompressionRatio(q),
    loss,
    relativeLoss,
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
