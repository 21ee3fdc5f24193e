/**
 * Quantize cells (`grid.quantizers`): train one quantizer on a sample of the dataset, encode and
 * decode held-out rows, measure loss and bits (src/run/quantize.ts). Every call into the quantizer
 * registry the runner makes goes through this file (the mteb kind reuses its checks and expansion).
 */
import { rmSync } from 'node:fs';
import { loadSeconds, RATES, type DataShape } from '../../core/cost.js';
import { InputError } from '../../core/errors.js';
import { cartesian } from '../../core/grid.js';
import { didYouMean } from '../../core/names.js';
import { acceptedNames, canonicalName, paramProblem, type ParamValue } from '../../core/params.js';
import {
  QUANTIZERS, QUANTIZER_IDS, createQuantizer, pickQuantizerParams, quantizerDescriptor, resolveQuantizerParams, splitQuantizerSpec, type QuantizerGiven,
} from '../../quant/registry.js';
import type { TrainerKind } from '../../quant/types.js';
import { allValues, atScale, dropUndefined, idPiece, type Grid, type Scale, type Scaled } from '../grid-values.js';
import { show } from '../schema.js';
import { dataOf, num, renameDataset, TIMING_DEFINITIONS, isNumber, isObject } from './common.js';
import type { CellKindDef, DatasetCellConfig, Fail, FieldPath } from './types.js';

/** One entry of `grid.quantizers` (and of an mteb entry's `quantizers`): methods, their parameters (any name a method's descriptor accepts, aliases included) and the job's options. */
export interface QuantizerSpec {
  method: Grid<string>;
  label?: string;
  trainer?: Grid<string>;
  trainSize?: Grid<number>;
  evalSize?: Grid<number>;
  adamIters?: Grid<number>;
  adamLr?: Grid<number>;
  /** Quantizer parameters: books, size, m, nbits, beam, weights, ... (src/quant/<method>.ts descriptors). */
  [param: string]: Grid<ParamValue> | undefined;
}

/** One expanded quantizer configuration: the method, the parameters given for it (as given), the job's options. */
export interface QuantizerChoice {
  method: string;
  trainer?: TrainerKind;
  adamIters?: number;
  adamLr?: number;
  trainSize?: number;
  evalSize?: number;
  [param: string]: unknown;
}

export interface QuantizeConfig extends DatasetCellConfig, QuantizerChoice {
  kind: 'quantize';
  label?: string;
}

/** Fields every quantize job reads, whatever the method (the job's, not the quantizer's). */
const JOB_FIELDS = ['trainer', 'adamIters', 'adamLr', 'trainSize', 'evalSize'] as const;

/** Every parameter name of the registry (canonical names first, then aliases; registry order): an expanded configuration lists them in this order. */
function registryParams(): string[] {
  const ds = Object.values(QUANTIZERS);
  return [...new Set([...ds.flatMap((d) => Object.keys(d.params)), ...ds.flatMap((d) => acceptedNames(d.params))])];
}

const readsParam = (method: string, field: string) => canonicalName(QUANTIZERS[method].params, field) !== null;

/** A `method` value that is a whole spec (`"pq:m=12,nbits=8"`, src/core/spec.ts): its id and its parameters as given, typed; a plain id has none. */
export function splitMethod(method: string): { id: string; params: Record<string, ParamValue> } {
  return /[:(]/.test(method) ? splitQuantizerSpec(method, 'method') : { id: method, params: {} };
}

/** Checks a quantizer entry against the quantizer registry: methods, parameter names and every value against each method's spec. */
export function checkQuantizer(q: QuantizerSpec, at: FieldPath, fail: Fail): void {
  const methods: string[] = [];
  for (const given of allValues(q.method)) {
    let m = given;
    if (/[:(]/.test(given)) {
      let split: { id: string; params: Record<string, ParamValue> };
      try {
        split = splitMethod(given);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        return fail([...at, 'method'], `'${given}' is not a valid spec: ${e.message.replace(/^(method|--[\w-]+): /, '')}`);
      }
      m = split.id;
      const specs = QUANTIZERS[m].params;
      for (const n of Object.keys(split.params)) {
        const clash = Object.keys(q).find((f) => f !== 'method' && canonicalName(specs, f)?.name === canonicalName(specs, n)!.name);
        if (clash) fail([...at, clash], `is also given in the method spec '${given}': give it in one of the two.`);
      }
    }
    if (!Object.hasOwn(QUANTIZERS, m)) fail([...at, 'method'], `names an unknown quantizer '${m}'${didYouMean(m, QUANTIZER_IDS)}; known: ${QUANTIZER_IDS.join(', ')}.`);
    methods.push(m);
  }
  for (const field of Object.keys(q)) {
    if (field === 'method' || field === 'label' || (JOB_FIELDS as readonly string[]).includes(field)) continue;
    const readers = methods.filter((m) => readsParam(m, field));
    if (readers.length === 0) {
      const known = [...new Set([...methods.flatMap((m) => acceptedNames(QUANTIZERS[m].params)), ...JOB_FIELDS, 'method', 'label'])];
      const lead = QUANTIZER_IDS.some((id) => readsParam(id, field)) ? `is not a parameter of ${methods.join(' or ')}` : `is not a known field${didYouMean(field, known)}`;
      fail([...at, field], `${lead} (parameters of ${methods.map((m) => `${m}: ${acceptedNames(QUANTIZERS[m].params).join(', ')}`).join('; ')}; the job's: ${JOB_FIELDS.join(', ')}).`);
    }
    for (const m of readers) {
      const specs = QUANTIZERS[m].params;
      for (const v of allValues(q[field])) {
        if (Object.hasOwn(specs, field)) {
          const problem = paramProblem(specs[field], v);
          if (problem) fail([...at, field], `must be ${problem}, got ${show(v)}.`);
          continue;
        }
        try {
          resolveQuantizerParams(m, { [field]: v as ParamValue }); // an alias: its conversion says what it accepts
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          fail([...at, field], `${show(v)} does not fit ${m}: ${e.message.replace(/^--[\w-]+: /, '')}`);
        }
      }
    }
  }
}

/** Expanded quantizer configurations (parameters a method does not read are dropped from its configurations). */
export function expandQuantizers(q: QuantizerSpec, scale: Scale): QuantizerChoice[] {
  const spec = q as unknown as Record<string, Scaled<unknown> | undefined>;
  const fields = ['method', ...registryParams(), ...JOB_FIELDS].map((f): [string, unknown] => [f, spec[f] === undefined ? undefined : atScale(spec[f], scale)]);
  const seen = new Set<string>();
  const out: QuantizerChoice[] = [];
  for (const combo of cartesian(fields)) {
    const { id, params } = splitMethod(combo.method as string);
    const c: Record<string, unknown> = { method: id, ...params };
    for (const [k, v] of Object.entries(combo)) if (k !== 'method') c[k] = v;
    const method = id;
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

/** The quantizer parameters of a configuration (names as given: canonical or aliases). */
export function quantizerParams(c: QuantizerChoice): QuantizerGiven {
  return pickQuantizerParams(c.method, c);
}

/** Bits per vector of a quantizer configuration (every stored bit), without training it. */
export function quantizerBits(c: QuantizerChoice): number | null {
  try {
    return createQuantizer(c.method, quantizerParams(c)).bitsPerVector;
  } catch {
    return null;
  }
}

/** Seconds of training and encoding: the method's cost model (its descriptor). */
export function quantizeSeconds(c: QuantizerChoice, sh: DataShape, defaults: { trainSize: number; evalSize: number }): number {
  const d = quantizerDescriptor(c.method);
  const params = resolveQuantizerParams(c.method, quantizerParams(c));
  return d.cost(params, {
    shape: sh, trainRows: Math.min(num(c.trainSize, defaults.trainSize), sh.base), evalRows: Math.min(num(c.evalSize, defaults.evalSize), sh.queries),
    trainer: c.trainer ?? 'kmeans',
  });
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
    lossCI: "95% percentile bootstrap interval {lo, hi} of the loss over the held-out rows (1000 resamples seeded by the cell's seed; src/eval/bootstrap.ts)",
    raw: "{rowErrors}: the .npy file (float64, 1-d, relative to the run folder) of ||x − x̂||² of each held-out row, in row order; its mean is the loss",
    bitsPerVector: 'every stored bit per vector: code indices, WRVQ weights (weightBits each: 16 = fp16, the paper; 8 or 4 = ours), any stored scalars (RaBitQ)',
    stages: 'per-stage diagnostics on the held-out rows (rvq, wrvq, avq): loss after each stage, residual norm mean and p10/p50/p90, mean cosine of residual and stage output, per-book perplexity and dead codewords, WRVQ weight histogram (src/eval/stage-diagnostics.ts)',
    paperRatio: "the paper's compression ratio (eqs. 6 and 9), in the paper's own units; null for methods it does not describe (sq, binary, rabitq: no books)",
    codeLayout: 'what one vector stores: code values × bits, plus any stored weights or scalars (books = the code values, size = their levels)',
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
  resultProblem(m) {
  if (!isObject(m)) return 'metrics must be a QuantizeResult object';
  for (const k of ['loss', 'bitsPerVector', 'books', 'size']) if (!isNumber(m[k])) return `metrics.${k} must be a number`;
  if (typeof m.method !== 'string') return 'metrics.method must be a string';
  return null;
  },
  estimate: (c, shape) => RATES.startup + loadSeconds(shape) + quantizeSeconds(c, shape, { trainSize: 50_000, evalSize: 10_000 }),
  async execute(c, ctx) {
    const { runQuantize } = await import('../quantize.js');
    const data = dataOf(ctx, 'quantize');
    // a re-run's raw folder holds this run's files only
    if (ctx.raw) rmSync(ctx.raw.dir, { recursive: true, force: true });
    const r = await runQuantize({
      data, method: c.method, params: quantizerParams(c), trainer: c.trainer,
      trainSize: c.trainSize, evalSize: c.evalSize, adamIters: c.adamIters, adamLr: c.adamLr, seed: c.seed, onProgress: ctx.onProgress,
      ...(ctx.raw && { raw: ctx.raw.dir }),
    });
    if (ctx.raw && r.raw) r.raw.rowErrors = `${ctx.raw.relative}/${r.raw.rowErrors}`;
    return { metrics: renameDataset(r, data, ctx.datasetName), datasetChecksum: r.datasetChecksum };
  },
};
