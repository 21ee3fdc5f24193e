/**
 * The seeded training sample every trained index draws (one draw for a matrix and for a row source,
 * so a chunked build trains on the rows `build(x)` trains on), and `build(x)` of an index with a
 * chunked build: train on that sample, add x, end the build.
 */
import { InputError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { Rng } from '../core/rng.js';
import type { BuildOptions, BuildReport, ChunkedBuild, VectorIndex } from './types.js';

/** A seeded sample of at most `rows` rows of x (all of x when it is smaller). */
export function trainSample(x: Matrix, rows: number, seed: number, notes: string[]): Matrix {
  const picked = trainSampleRows(x.rows, rows, seed, notes);
  return picked ? x.selectRows(picked) : x;
}

/**
 * The rows (in draw order) of the seeded training sample of `rows` out of `total`, or null when all
 * are used; one draw for a matrix (trainSample) and a row source (src/index/chunked-build.ts).
 */
export function trainSampleRows(total: number, rows: number, seed: number, notes: string[]): Uint32Array | null {
  if (!Number.isInteger(rows) || rows < 1) throw new InputError(`--train-rows: expected a positive integer, got ${rows}.`);
  if (total <= rows) return null;
  notes.push(`trained on a seeded sample of ${rows} of ${total} rows`);
  return new Rng(seed).sample(total, rows);
}

/** `build(x)` as the chunked build's steps: train on the seeded sample of x, add x, endBuild. */
export async function buildInSteps(index: Pick<VectorIndex, 'add'> & ChunkedBuild, x: Matrix, opts: BuildOptions = {}): Promise<BuildReport> {
  const t0 = performance.now();
  const notes: string[] = [];
  const train = trainSample(x, opts.trainRows ?? index.defaultTrainRows(), opts.seed ?? 1234, notes);
  notes.push(...(await index.train(train, opts)).notes);
  await index.add(x);
  notes.push(...index.endBuild());
  return { seconds: (performance.now() - t0) / 1000, notes };
}
