/**
 * The unpaired bootstrap of a difference of means, for `vqbench compare` when the two sides were
 * scored on different items (other queries, rows or examples), so that item-wise differences do
 * not exist. Each replicate draws n_a items of `a` and n_b of `b` with replacement, independently,
 * and records mean(a*) − mean(b*); the interval is the percentile interval of those replicates
 * (numpy's linear interpolation), as src/eval/bootstrap.ts computes the paired one.
 */
import { InputError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { quantileSorted } from '../eval/ann.js';

export interface UnpairedBootstrapDiff {
  /** mean(a) − mean(b). */
  diff: number;
  lo: number;
  hi: number;
  /** The interval excludes 0. */
  significant: boolean;
  resamples: number;
  level: number;
}

function mean(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

function resampledMean(x: Float64Array, rng: Rng): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[rng.int(x.length)];
  return s / x.length;
}

/** mean(a) − mean(b) of two independent samples, with its seeded percentile bootstrap interval. */
export function unpairedBootstrapDiff(a: Float64Array, b: Float64Array, opts: { seed: number; resamples?: number; level?: number }): UnpairedBootstrapDiff {
  const resamples = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 100) throw new InputError(`a bootstrap needs an integer number of resamples of at least 100, got ${resamples}.`);
  if (!(level > 0 && level < 1)) throw new InputError(`a bootstrap confidence level must lie strictly between 0 and 1, got ${level}.`);
  if (a.length === 0 || b.length === 0) throw new InputError('an unpaired bootstrap needs at least one value on each side.');
  for (const [name, x] of [['a', a], ['b', b]] as const) {
    for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) throw new InputError(`a bootstrap interval needs finite values, but ${name}[${i}] is ${x[i]}.`);
  }
  const rng = new Rng(opts.seed);
  const diffs = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) diffs[r] = resampledMean(a, rng) - resampledMean(b, rng);
  diffs.sort();
  const alpha = (1 - level) / 2;
  const lo = quantileSorted(diffs, alpha), hi = quantileSorted(diffs, 1 - alpha);
  return { diff: mean(a) - mean(b), lo, hi, significant: !(lo <= 0 && 0 <= hi), resamples, level };
}
