/**
 * Quantize cells (`grid.quantizers`): train one quantizer on a sample of the dataset, encode and
 * decode held-out rows, measure loss and bits (src/run/quantize.ts). Every call into the quantizer
 * registry the runner makes goes through this file (the mteb kind reuses its checks and expansion).
 */
import { kmeansFlops, loadSeconds, RATES, type DataShape } from '../../core/cost.js';
import { cartesian } from '../../core/grid.js';
import { didYouMean } from '../../core/names.js';
import { QUANTIZERS, QUANTIZER_IDS, createQuantizer } from '../../quant/registry.js';
import type { TrainerKind } from '../../quant/types.js';
import { WEIGHT_RULES, type WeightRule } from '../../quant/wrvq.js';
import { allValues, atScale, dropUndefined, idPiece, type Grid, type Scale, type Scaled } from '../grid-values.js';
import { show } from '../schema.js';
import { dataOf, num, renameDataset, TIMING_DEFINITIONS } from './common.js';
import type { CellKindDef, DatasetCellConfig, Fail, FieldPath } from './types.js';

/** One entry of `grid.quantizers` (and of an mteb entry's `quantizers`). */
export interface QuantizerSpec {
  method: Grid<string>;
  books?: Grid<number>;
  size?: Grid<number>;
  beam?: Grid<number>;
  weights?: Grid<string>;
  trainer?: Grid<string>;
  trainSize?: Grid<number>;
  evalSize?: Grid<number>;
  adamIters?: Grid<number>;
  adamLr?: Grid<number>;
  label?: string;
}

/** One expanded quantizer configuration: the method and the fields given for it. */
export interface QuantizerChoice {
  method: string;
  books?: number;
  size?: number;
  beam?: number;
  weights?: WeightRule;
  trainer?: TrainerKind;
  adamIters?: number;
  adamLr?: number;
  trainSize?: number;
  evalSize?: number;
}

export interface QuantizeConfig extends DatasetCellConfig, QuantizerChoice {
  kind: 'quantize';
  label?: string;
}

/** Fields every quantize job reads, whatever the method (the job's, not the quantizer's). */
const JOB_FIELDS = ['trainer', 'adamIters', 'adamLr', 'trainSize', 'evalSize'] as const;

/** The registry's parameters (union over methods, registry order): an expanded configuration lists them in this order. */
function registryParams(): string[] {
  return [...new Set(Object.values(QUANTIZERS).flatMap((e) => e.params as readonly string[]))];
}

const readsParam = (method: string, field: string) => (QUANTIZERS[method].params as readonly string[]).includes(field);

/** Checks a quantizer entry against the quantizer registry. */
export function checkQuantizer(q: QuantizerSpec, at: FieldPath, fail: Fail): void {
  const methods = allValues(q.method);
  for (const m of methods) {
    if (!Object.hasOwn(QUANTIZERS, m)) fail([...at, 'method'], `names an unknown quantizer '${m}'${didYouMean(m, QUANTIZER_IDS)}; known: ${QUANTIZER_IDS.join(', ')}.`);
  }
  for (const field of Object.keys(q)) {
    if (field === 'method' || field === 'label' || (JOB_FIELDS as readonly string[]).includes(field)) continue;
    if (!methods.some((m) => readsParam(m, field))) {
      fail([...at, field], `is not a parameter of ${methods.join(' or ')} (${methods.map((m) => `${m}: ${QUANTIZERS[m].params.join(', ')}`).join('; ')}).`);
    }
  }
  for (const w of allValues(q.weights)) if (!(WEIGHT_RULES as readonly string[]).includes(w)) fail([...at, 'weights'], `must be one of ${WEIGHT_RULES.map((r) => `'${r}'`).join(', ')}, got ${show(w)}.`);
}

/** Expanded quantizer configurations (parameters a method does not read are dropped from its configurations). */
export function expandQuantizers(q: QuantizerSpec, scale: Scale): QuantizerChoice[] {
  const spec = q as unknown as Record<string, Scaled<unknown> | undefined>;
  const fields = ['method', ...registryParams(), ...JOB_FIELDS].map((f): [string, unknown] => [f, spec[f] === undefined ? undefined : atScale(spec[f], scale)]);
  const seen = new Set<string>();
  const out: QuantizerChoice[] = [];
  for (const c of cartesian(fields)) {
    const method = c.method as string;
    for (const f of registryParams()) if (!readsParam(method, f)) delete c[f];
    const key = JSON.stringify(c);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(c as unknown as QuantizerChoice);
    }
  }
  return out;
}

/** The id pieces of a configuration: its label, its method, then `name-value` of every field given. */
export function quantizerPieces(c: QuantizerChoice, label: string | undefined): string[] {
  const given = Object.entries(c).filter(([k]) => k !== 'method');
  return [...(label ? [label] : []), c.method, ...given.map(([k, v]) => idPiece(k, v))];
}

/** Bits per vector of a quantizer configuration (every stored bit), without training it. */
export function quantizerBits(c: QuantizerChoice): number | null {
  try {
    return createQuantizer(c.method, c).bitsPerVector;
  } catch {
    return null;
  }
}

/** Seconds of training and encoding (the cost model, see src/core/cost.ts). */
function quantizeSeconds(c: QuantizeConfig, sh: DataShape): number {
  const evalRows = Math.min(num(c.evalSize, 10_000), sh.queries);
  const n = Math.min(num(c.trainSize, 50_000), sh.base);
  const b = num(c.books, 4), s = num(c.size, 256), d = sh.dim;
  const beam = num(c.beam, c.method === 'rvq' ? 5 : 1);
  let flops: number;
  if (c.method === 'pq') flops = b * kmeansFlops(n, s, d / b) + 2 * evalRows * s * d;
  else if (c.method === 'wrvq') flops = b * kmeansFlops(n, s, d) + 2 * (n + evalRows) * s * d * b;
  else flops = b * (kmeansFlops(n, s, d) + 2 * n * s * d * beam) + 2 * evalRows * s * d * b * beam;
  if (c.method === 'avq') flops *= 8;
  if (c.trainer === 'adam') flops *= 6;
  return flops / RATES.kernelFlops;
}

export const quantizeKind: CellKindDef<'quantize', 'quantizers', QuantizerSpec[], QuantizeConfig> = {
  kind: 'quantize',
  gridKey: 'quantizers',
  describe: 'train a quantizer on a sample of the dataset, measure loss and bits on held-out rows',
  perDataset: true,
  schema: { type: 'array', items: { $ref: '#/$defs/quantizer' } },
  definitions: {
    loss: 'mean ||x − x̂||² over the held-out rows (paper eq. 5)',
    relativeLoss: 'loss / mean ||x||² of the held-out rows (1 = no better than x̂ = 0)',
    bitsPerVector: 'every stored bit per vector: code indices and WRVQ fp16 weights (16 bits each)',
    paperRatio: "the paper's compression ratio (eqs. 6 and 9), in the paper's own units",
    honestRatio: '32·d / bitsPerVector: float32 bits over every stored bit',
    trainSeconds: 'wall seconds of codebook training',
    encodeSeconds: 'wall seconds to encode the held-out rows',
    ...TIMING_DEFINITIONS,
  },
  check(section, at, fail) {
    section.forEach((q, i) => checkQuantizer(q, [...at, i], fail));
  },
  expand(section, ctx) {
    const ds = ctx.dataset!;
    return section.flatMap((q, i) => expandQuantizers(q, ctx.scale).map((c) => ({
      at: ['grid', 'quantizers', i],
      pieces: ['quantize', ds.slug, ...quantizerPieces(c, q.label)],
      config: dropUndefined<QuantizeConfig>({
        kind: 'quantize', dataset: ds.name, subset: ds.subset, seed: ctx.seed, scale: ctx.scale, ...c, ...(q.label && { label: q.label }),
        trainSize: c.trainSize ?? ctx.preset.trainSize, evalSize: c.evalSize ?? ctx.preset.evalSize,
      }),
    })));
  },
  estimate: (c, shape) => RATES.startup + loadSeconds(shape) + quantizeSeconds(c, shape),
  async execute(c, ctx) {
    const { runQuantize } = await import('../quantize.js');
    const data = dataOf(ctx, 'quantize');
    const r = await runQuantize({
      data, method: c.method, books: c.books, size: c.size, beam: c.beam, weights: c.weights, trainer: c.trainer,
      trainSize: c.trainSize, evalSize: c.evalSize, adamIters: c.adamIters, adamLr: c.adamLr, seed: c.seed, onProgress: ctx.onProgress,
    });
    return { metrics: renameDataset(r, data, ctx.datasetName), datasetChecksum: r.datasetChecksum };
  },
};
