/**
 * Seeded bootstrap confidence intervals over per-item values: queries for recall / nDCG, rows for
 * the quantization loss, examples for MTEB scores.
 *
 * Method: the percentile bootstrap. Each of `resamples` replicates draws n items with replacement
 * (one index draw loop accumulating a sum; no allocation per replicate) and records its mean; the
 * interval is the (1 − level)/2 and (1 + level)/2 quantiles of the sorted replicate means, with
 * numpy's default linear interpolation (`quantileSorted` of ./ann.ts). Percentile intervals were
 * chosen over BCa or studentized ones because they need nothing but the replicates, are what
 * ann-benchmarks-style and MTEB-style reports usually quote, and are honest for the means of bounded
 * values (recall, scores) at the item counts a benchmark has (hundreds or more); they stay inside the
 * range of the data (no interval below 0 for a recall) and are slightly too narrow for very small n.
 *
 * The paired version (two methods scored on the same items) resamples the item-wise differences
 * a[i] − b[i], so what the items share cancels; the difference is called significant when its
 * interval excludes 0.
 *
 * A statistic that is no mean of per-item values (Spearman's ρ of STS pairs, the average precision
 * of labelled pairs) is recomputed on each resample instead (`bootstrapStatistic`); its paired
 * version evaluates both methods' statistics on the same resampled indices
 * (`pairedBootstrapStatistic`). Every bootstrap here draws from one stream of indices, so for one
 * seed and n they all resample the same items.
 */
import { InputError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { quantileSorted } from './ann.js';

export interface BootstrapOptions {
  /** Number of bootstrap replicates; at least 100. Default 1000. */
  resamples?: number;
  /** Seed of the resampling (src/core/rng.ts): the same seed gives the same interval. */
  seed: number;
  /** Coverage of the interval, in (0, 1). Default 0.95. */
  level?: number;
}

export interface BootstrapInterval {
  /** The mean of the values (not of the replicates). */
  mean: number;
  lo: number;
  hi: number;
  resamples: number;
  level: number;
  method: 'percentile';
}

export interface PairedBootstrapDiff {
  /** mean(a) − mean(b). */
  diff: number;
  lo: number;
  hi: number;
  /** The interval excludes 0. */
  significant: boolean;
  resamples: number;
  level: number;
  method: 'percentile';
}

type Values = Float64Array | Float32Array | readonly number[];

function checkOptions(opts: BootstrapOptions): { resamples: number; level: number; seed: number } {
  const resamples = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 100) throw new InputError(`a bootstrap needs an integer number of resamples of at least 100, got ${resamples}.`);
  if (!(level > 0 && level < 1)) throw new InputError(`a bootstrap confidence level must lie strictly between 0 and 1, got ${level}.`);
  if (!Number.isFinite(opts.seed)) throw new InputError(`a bootstrap needs a finite seed, got ${opts.seed}.`);
  return { resamples, level, seed: opts.seed };
}

function toChecked(values: Values, what: string): Float64Array {
  if (values.length === 0) throw new InputError(`a bootstrap interval is not defined on 0 items: give at least one value.`);
  const x = values instanceof Float64Array ? values : Float64Array.from(values);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new InputError(`a bootstrap interval needs finite values, but ${what}[${i}] is ${x[i]}.`);
  }
  return x;
}

/** Sum in index order (the same order as a plain loop, so the mean matches one computed that way). */
function meanOf(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/**
 * The stream of resampled item indices: xoshiro128** (the generator of src/core/rng.ts) seeded by
 * four words of Rng(seed), inlined in the fill loop (a method call per draw costs ~4× the whole
 * loop). Every bootstrap of this file draws its replicates from it, so for one seed and n the mean,
 * paired and statistic bootstraps resample the same items.
 */
class ResampleStream {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    const rng = new Rng(seed);
    this.s0 = rng.nextU32() | 0;
    this.s1 = rng.nextU32() | 0;
    this.s2 = rng.nextU32() | 0;
    this.s3 = rng.nextU32() | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Fills `out` with uniform draws from [0, out.length) (one replicate: n items with replacement). */
  fill(out: Uint32Array): void {
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const n = out.length;
    const scale = n / 4294967296; // uniform u32 → index in [0, n)
    for (let i = 0; i < n; i++) {
      const m = Math.imul(s1, 5);
      const u = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      out[i] = Math.floor(u * scale);
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }
}

/** The (1 − level)/2 and (1 + level)/2 quantiles (numpy linear) of the replicates; sorts them in place. */
function percentiles(replicates: Float64Array, level: number): { lo: number; hi: number } {
  replicates.sort();
  const alpha = (1 - level) / 2;
  return { lo: quantileSorted(replicates, alpha), hi: quantileSorted(replicates, 1 - alpha) };
}

/** The percentile interval of the replicate means of x. */
function percentileInterval(x: Float64Array, resamples: number, level: number, seed: number): { lo: number; hi: number } {
  const n = x.length;
  const stream = new ResampleStream(seed);
  const idx = new Uint32Array(n);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    stream.fill(idx);
    let s = 0;
    for (let i = 0; i < n; i++) s += x[idx[i]];
    means[r] = s / n;
  }
  return percentiles(means, level);
}

/** The mean of `values` and its percentile bootstrap interval (see the file comment). */
export function bootstrapMean(values: Values, opts: BootstrapOptions): BootstrapInterval {
  const { resamples, level, seed } = checkOptions(opts);
  const x = toChecked(values, 'values');
  const mean = meanOf(x);
  const { lo, hi } = percentileInterval(x, resamples, level, seed);
  return { mean, lo, hi, resamples, level, method: 'percentile' };
}

/** mean(a) − mean(b) for two methods scored on the same items, with the paired bootstrap interval. */
export function pairedBootstrapDiff(a: Values, b: Values, opts: BootstrapOptions): PairedBootstrapDiff {
  const { resamples, level, seed } = checkOptions(opts);
  if (a.length !== b.length) throw new InputError(`a paired bootstrap needs both methods scored on the same items, but one has ${a.length} values and the other ${b.length}.`);
  const xa = toChecked(a, 'a'), xb = toChecked(b, 'b');
  const d = new Float64Array(xa.length);
  for (let i = 0; i < d.length; i++) d[i] = xa[i] - xb[i];
  const diff = meanOf(xa) - meanOf(xb);
  const { lo, hi } = percentileInterval(d, resamples, level, seed);
  return { diff, lo, hi, significant: !(lo <= 0 && 0 <= hi), resamples, level, method: 'percentile' };
}

/** A statistic of a resample: `indices` holds n item indices drawn with replacement (the identity for the point estimate). */
/**
 * mean(a) − mean(b) of two independent samples (scored on different items, so that item-wise
 * differences do not exist: other queries, rows or examples), with its percentile interval: each
 * replicate resamples n_a items of a and n_b of b, independently, from one seeded stream.
 */
export function unpairedBootstrapDiff(a: Values, b: Values, opts: BootstrapOptions): PairedBootstrapDiff {
  const { resamples, level, seed } = checkOptions(opts);
  const xa = toChecked(a, 'a'), xb = toChecked(b, 'b');
  const stream = new ResampleStream(seed);
  const ia = new Uint32Array(xa.length), ib = new Uint32Array(xb.length);
  const diffs = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    stream.fill(ia);
    stream.fill(ib);
    let sa = 0, sb = 0;
    for (let i = 0; i < ia.length; i++) sa += xa[ia[i]];
    for (let i = 0; i < ib.length; i++) sb += xb[ib[i]];
    diffs[r] = sa / ia.length - sb / ib.length;
  }
  const { lo, hi } = percentiles(diffs, level);
  return { diff: meanOf(xa) - meanOf(xb), lo, hi, significant: !(lo <= 0 && 0 <= hi), resamples, level, method: 'percentile' };
}

export type ResampledStatistic = (indices: Uint32Array) => number;

export interface StatisticInterval {
  /** The statistic on all items (indices 0 … n−1). */
  value: number;
  lo: number;
  hi: number;
  resamples: number;
  level: number;
  method: 'percentile';
}

/** The identity resample 0 … n−1. */
function allItems(n: number): Uint32Array {
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  return idx;
}

/** Replicates of `stat` over `resamples` resamples of n items; a replicate that is not a finite number is an InputError naming `what`. */
function statisticReplicates(n: number, stat: ResampledStatistic, resamples: number, seed: number, what: string): Float64Array {
  const stream = new ResampleStream(seed);
  const idx = new Uint32Array(n);
  const out = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    stream.fill(idx);
    const v = stat(idx);
    if (!Number.isFinite(v)) throw new InputError(`a bootstrap of ${what} met a resample on which it is not defined (${v}): ${n} items are too few or too uniform to resample.`);
    out[r] = v;
  }
  return out;
}

function checkItems(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new InputError(`a bootstrap interval is not defined on ${n} items: give at least one.`);
}

/**
 * A statistic that does not decompose into a mean of per-item values (Spearman's ρ, average
 * precision): resample the n items `resamples` times, recompute it on each resample, and take the
 * percentile interval of the replicates. Same stream as `bootstrapMean` (for a seed and n, the same
 * resamples).
 */
export function bootstrapStatistic(n: number, stat: ResampledStatistic, opts: BootstrapOptions): StatisticInterval {
  const { resamples, level, seed } = checkOptions(opts);
  checkItems(n);
  const value = stat(allItems(n));
  if (!Number.isFinite(value)) throw new InputError(`a bootstrap interval needs a finite statistic, but it is ${value} on all ${n} items.`);
  const { lo, hi } = percentiles(statisticReplicates(n, stat, resamples, seed, 'the statistic'), level);
  return { value, lo, hi, resamples, level, method: 'percentile' };
}

/**
 * stat a − stat b for two methods scored on the same n items, with the paired bootstrap interval:
 * each replicate evaluates both statistics on the same resampled indices and keeps their
 * difference, so what the items share cancels (identical inputs give the interval [0, 0]).
 */
export function pairedBootstrapStatistic(n: number, a: ResampledStatistic, b: ResampledStatistic, opts: BootstrapOptions): PairedBootstrapDiff {
  const { resamples, level, seed } = checkOptions(opts);
  checkItems(n);
  const all = allItems(n);
  const va = a(all), vb = b(all);
  if (!Number.isFinite(va) || !Number.isFinite(vb)) throw new InputError(`a paired bootstrap needs finite statistics, but they are ${va} and ${vb} on all ${n} items.`);
  const diffOf: ResampledStatistic = (idx) => a(idx) - b(idx);
  const { lo, hi } = percentiles(statisticReplicates(n, diffOf, resamples, seed, 'the difference of the statistics'), level);
  return { diff: va - vb, lo, hi, significant: !(lo <= 0 && 0 <= hi), resamples, level, method: 'percentile' };
}
