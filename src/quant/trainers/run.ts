/**
 * The one entry point of codebook training: checks the training set, runs the quantizer's k-means
 * trainer (the paper's L), then, for trainer 'adam', the gradient fine-tuning (the paper's T),
 * and times the whole.
 */
import type { Matrix } from '../../core/matrix.js';
import { InputError } from '../../core/errors.js';
import type { CodebookQuantizer } from '../codebook-quantizer.js';
import type { TrainOptions, TrainReport } from '../types.js';
import { adamFineTune } from './adam.js';

export const TRAINERS = ['kmeans', 'adam'] as const;

export async function runTrainer(
  q: CodebookQuantizer, x: Matrix, opts: TrainOptions,
  kmeansTrainer: (notes: string[]) => Promise<void>,
): Promise<TrainReport> {
  if (x.rows < q.size) {
    throw new InputError(`--size ${q.size} is larger than the ${x.rows} training rows: k-means needs at least one row per codeword.`);
  }
  const trainer = opts.trainer ?? 'kmeans';
  if (!TRAINERS.includes(trainer)) throw new InputError(`unknown trainer '${trainer}'; use one of: ${TRAINERS.join(', ')}.`);
  const t0 = performance.now();
  const notes: string[] = [];
  await kmeansTrainer(notes);
  if (trainer === 'adam') await adamFineTune(q, x, opts, notes);
  return { seconds: (performance.now() - t0) / 1000, notes };
}
