/**
 * The rate–distortion bound (`grid.rdBound`): the Gaussian bound of the data's covariance
 * (src/eval/rate-distortion.ts), evaluated at the given rates and at the bits per vector of the
 * task's quantize cells on the same dataset, so the report can draw it beside their losses.
 */
import { loadSeconds, RATES, type DataShape } from '../../core/cost.js';
import { Rng } from '../../core/rng.js';
import { loadDataset } from '../../data/load.js';
import { gaussianRateDistortion, RD_DEFINITION } from '../../eval/rate-distortion.js';
import { dropUndefined } from '../grid-values.js';
import { dataOf, num, TIMING_DEFINITIONS, isNumber, isObject } from './common.js';
import { quantizerBits, type QuantizeConfig } from './quantize.js';
import type { CellKindDef, DatasetCellConfig } from './types.js';

/** `grid.rdBound`. */
export interface RdBoundSpec {
  rows?: number;
  bits?: number[];
  curvePoints?: number;
}

export interface RdBoundConfig extends DatasetCellConfig {
  kind: 'rd-bound';
  /** Training rows the covariance is estimated on (a seeded sample). */
  rows: number;
  /** Rates (bits per vector) the bound is evaluated at. */
  bits: number[];
  curvePoints?: number;
}

function rdBoundSeconds(c: RdBoundConfig, sh: DataShape): number {
  const n = Math.min(num(c.rows, 50_000), sh.base);
  return RATES.startup + loadSeconds(sh) + (n * sh.dim * sh.dim) / 5e8 + (20 * sh.dim ** 3) / 5e8;
}

export const rdBoundKind: CellKindDef<'rd-bound', 'rdBound', RdBoundSpec, RdBoundConfig> = {
  kind: 'rd-bound',
  gridKey: 'rdBound',
  describe: "the Gaussian rate–distortion bound of the data's covariance, at the quantize cells' bits",
  perDataset: true,
  schema: { $ref: '#/$defs/rdBound' },
  definitions: {
    distortion: RD_DEFINITION,
    relativeDistortion: 'distortion / mean ||x||² (comparable with relativeLoss)',
    bits: 'bits per vector (rate R)',
    ...TIMING_DEFINITIONS,
  },
  check() {
    // the schema says it all
  },
  expand(section, ctx) {
    const ds = ctx.dataset!;
    const quantizeBits = ctx.earlier.filter((c) => c.kind === 'quantize').map((c) => quantizerBits(c.config as QuantizeConfig)).filter((b): b is number => b !== null);
    const bits = [...new Set([...(section.bits ?? []), ...quantizeBits])].sort((a, b) => a - b);
    return [{
      at: ['grid', 'rdBound'],
      pieces: ['rd-bound', ds.slug],
      config: dropUndefined<RdBoundConfig>({
        kind: 'rd-bound', dataset: ds.name, subset: ds.subset, seed: ctx.seed, scale: ctx.scale,
        rows: section.rows ?? ctx.preset.trainSize ?? 50_000, bits, curvePoints: section.curvePoints,
      }),
    }];
  },
  resultProblem(m) {
  if (!isObject(m)) return 'metrics must be an object';
  if (Array.isArray(m.rates) || Array.isArray(m.distortion)) {
    if (!Array.isArray(m.rates) || !Array.isArray(m.distortion) || m.rates.length !== m.distortion.length) return 'metrics.rates and metrics.distortion must be lists of the same length';
    if (![...m.rates, ...m.distortion].every(isNumber)) return 'metrics.rates and metrics.distortion must hold numbers';
    return null;
  }
  const pts = m.curve ?? m.points;
  if (!Array.isArray(pts)) return 'metrics needs rates and distortion (or a curve of {bits, distortion})';
  if (!pts.every((p) => isObject(p) && isNumber(p.bits) && isNumber(p.distortion))) return 'every curve point needs numeric bits and distortion';
  return null;
  },
  estimate: rdBoundSeconds,
  async execute(c, ctx) {
    const ds = await loadDataset(dataOf(ctx, 'rd-bound'), { seed: c.seed });
    const train = ds.train.rows > c.rows ? ds.train.selectRows(new Rng(c.seed).sample(ds.train.rows, c.rows)) : ds.train;
    ctx.onProgress?.(0, 1, 'covariance');
    const bound = gaussianRateDistortion(train, c.bits, { curvePoints: c.curvePoints });
    ctx.onProgress?.(1, 1, 'covariance');
    return { metrics: { dataset: ctx.datasetName, datasetChecksum: ds.checksum, trainRows: train.rows, seed: c.seed, ...bound }, datasetChecksum: ds.checksum };
  },
};
