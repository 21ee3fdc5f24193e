/**
 * Intervals of MTEB scores: the 95% percentile bootstrap of a variant's main score, and the paired
 * bootstrap of a quantized variant's difference from the original on the same items
 * (src/eval/bootstrap.ts). A score that is a mean over items (nDCG@10 over queries, accuracy over
 * test examples, V-measure over clustering sets) resamples its per-item values; one that is not
 * (Spearman's ρ, average precision, weighted F1 over pairs) is recomputed on each resample. The
 * paired interval draws the same items for both variants.
 */
import { InputError } from '../../core/errors.js';
import { bootstrapMean, bootstrapStatistic, pairedBootstrapDiff, pairedBootstrapStatistic } from '../bootstrap.js';
import type { ItemizedScore, ResampledItems } from './types.js';

export const MTEB_RESAMPLES = 1000;
export const MTEB_LEVEL = 0.95;

export interface ScoreInterval {
  lo: number;
  hi: number;
  resamples: number;
  level: number;
  method: 'percentile';
  /** What was resampled. */
  over: ResampledItems;
}

export interface DeltaInterval extends ScoreInterval {
  /** The difference it brackets: quantized main score − original main score. */
  diff: number;
  /** The interval excludes 0. */
  significant: boolean;
}

/** The bootstrap interval of an itemized score, seeded. */
export function mainScoreInterval(s: ItemizedScore, seed: number): ScoreInterval {
  const opts = { seed, resamples: MTEB_RESAMPLES, level: MTEB_LEVEL };
  const r = s.statistic === 'mean' ? bootstrapMean(s.series[0].values, opts) : bootstrapStatistic(s.n, s.of, opts);
  return { lo: r.lo, hi: r.hi, resamples: r.resamples, level: r.level, method: r.method, over: s.over };
}

/** The paired bootstrap interval of quantized − original, both itemized over the same items. */
export function deltaInterval(quantized: ItemizedScore, original: ItemizedScore, seed: number): DeltaInterval {
  if (quantized.n !== original.n || quantized.over !== original.over || quantized.statistic !== original.statistic) {
    throw new InputError(`a paired interval needs both variants scored on the same items, but one has ${quantized.n} ${quantized.over} (${quantized.statistic}) and the other ${original.n} ${original.over} (${original.statistic}).`);
  }
  const opts = { seed, resamples: MTEB_RESAMPLES, level: MTEB_LEVEL };
  const r = quantized.statistic === 'mean'
    ? pairedBootstrapDiff(quantized.series[0].values, original.series[0].values, opts)
    : pairedBootstrapStatistic(quantized.n, quantized.of, original.of, opts);
  return { diff: r.diff, lo: r.lo, hi: r.hi, significant: r.significant, resamples: r.resamples, level: r.level, method: r.method, over: quantized.over };
}
