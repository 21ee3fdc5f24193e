/**
 * The quantizer registry: a frozen map of the descriptors declared in each quantizer's own file.
 * Adding a quantizer is one file plus one line here. An unknown id gets a "did you mean" answer.
 *
 * Every consumer (the `quantize` and `mteb` commands, task files, the estimator) goes through the
 * descriptor's parameter specs: `parseQuantizerSpec('pq:books=12,size=256')` and
 * `createQuantizer('pq', { m: 12 })` resolve names (aliases included), fill defaults and check
 * ranges; `quantizerLabel` writes the canonical spec (`pq:m=12,nbits=8`), which parses back to the
 * same configuration.
 */
import { InputError } from '../core/errors.js';
import { didYouMean } from '../core/names.js';
import { canonicalName, coerceText, resolveParams, type ParamValue, type Resolved } from '../core/params.js';
import { frozenRegistry } from '../core/registry.js';
import { resolveSpecGroups, specLabel, splitSpec } from '../core/spec.js';
import { descriptor as avq } from './avq.js';
import { descriptor as binary } from './binary.js';
import type { CodebookQuantizer } from './codebook-quantizer.js';
import type { QuantizerDescriptor } from './descriptor.js';
import { descriptor as opq } from './opq.js';
import { descriptor as pq } from './pq.js';
import { descriptor as rabitq } from './rabitq.js';
import { descriptor as rvq } from './rvq.js';
import { descriptor as scann } from './scann.js';
import { descriptor as sq } from './sq.js';
import type { QuantizerState } from './types.js';
import { descriptor as wrvq } from './wrvq.js';

/** Every quantizer, one line each; adding one is its file and a line here. */
const LIST = [
  pq,
  rvq,
  avq,
  wrvq,
  sq,
  binary,
  rabitq,
  opq,
  scann,
] as const;

export const QUANTIZERS: Readonly<Record<string, Readonly<QuantizerDescriptor>>> = frozenRegistry('quantizer', LIST as readonly QuantizerDescriptor<any>[], (d) => d.id);
export const QUANTIZER_IDS = Object.keys(QUANTIZERS);

type Listed = (typeof LIST)[number];
/** The registered ids, as a type. */
export type QuantizerId = Listed['id'];
/** The resolved parameters of one quantizer, typed from its descriptor (`pq`: { m, nbits }). */
export type QuantizerParamsOf<I extends QuantizerId> = Resolved<Extract<Listed, { id: I }>['params']>;
/** Parameters as given (canonical names or aliases, numbers or text), before resolving. */
export type QuantizerGiven = Record<string, ParamValue | undefined>;

/** A configured quantizer: its id and its parameters, resolved (canonical names, defaults filled). */
export interface QuantizerConfig {
  id: string;
  params: Record<string, ParamValue>;
}

/** The descriptor of `id`; `what` names the flag or field in the message (`--method`, `--quantizer`). */
export function quantizerDescriptor(id: string, what = '--method'): QuantizerDescriptor {
  const d = Object.hasOwn(QUANTIZERS, id) ? QUANTIZERS[id] : undefined;
  if (!d) throw new InputError(`${what}: unknown quantizer '${id}'${didYouMean(id, QUANTIZER_IDS)}; known: ${QUANTIZER_IDS.join(', ')}.`);
  return d;
}

/** Resolves given parameters of `id` (canonical names or aliases; unknown names and bad values are InputErrors). */
export function resolveQuantizerParams(id: string, given: QuantizerGiven = {}, what = '--method'): Record<string, ParamValue> {
  const d = quantizerDescriptor(id, what);
  return resolveParams(d.params, given, `${id} parameter`) as Record<string, ParamValue>;
}

/** A new, untrained quantizer; `given` is resolved against the descriptor (aliases included, defaults filled). */
export function createQuantizer(id: string, given: QuantizerGiven = {}): CodebookQuantizer {
  const d = quantizerDescriptor(id);
  return d.create(resolveParams(d.params, given, `${id} parameter`));
}

export function quantizerFromJSON(s: QuantizerState): CodebookQuantizer {
  return quantizerDescriptor(s.kind, 'state.kind').fromJSON(s);
}

/**
 * The fields of a mixed record (a task cell's configuration: method, trainer, trainSize, books,
 * beam …) that quantizer `id` accepts as parameters (canonical or alias), unresolved; the others are left out.
 */
export function pickQuantizerParams(id: string, record: Record<string, unknown>): QuantizerGiven {
  const specs = quantizerDescriptor(id).params;
  const out: QuantizerGiven = {};
  for (const [k, v] of Object.entries(record)) if (v !== undefined && canonicalName(specs, k) !== null) out[k] = v as ParamValue;
  return out;
}

/**
 * Parses a quantizer spec, `pq:m=12,nbits=8`, `pq:books=12,size=256`, `wrvq` or `rvq(books=8)`
 * (grammar: src/core/spec.ts), into its id and resolved parameters (canonical names, defaults filled).
 */
export function parseQuantizerSpec(text: string, what = '--quantizer'): QuantizerConfig {
  const raw = splitSpec(text, what);
  const d = quantizerDescriptor(raw.id, what);
  const [params] = resolveSpecGroups(raw, [{ specs: d.params, owner: `${d.id} parameter` }], what);
  return { id: d.id, params: params as Record<string, ParamValue> };
}

/**
 * A spec's id and its parameters as given (names as written, values typed by their specs), every
 * name and value checked: what a task file's `"method": "pq:m=12"` contributes to a cell, field by field.
 */
export function splitQuantizerSpec(text: string, what = '--quantizer'): { id: string; params: Record<string, ParamValue> } {
  const raw = splitSpec(text, what);
  const d = quantizerDescriptor(raw.id, what);
  resolveSpecGroups(raw, [{ specs: d.params, owner: `${d.id} parameter` }], what);
  const params: Record<string, ParamValue> = {};
  for (const [n, v] of raw.params) params[n] = coerceText(d.params[canonicalName(d.params, n)!.name], v) as ParamValue;
  return { id: d.id, params };
}

/** The canonical label of a configured quantizer, every parameter included: `pq:m=12,nbits=8`, `wrvq:books=4,size=256,weights=gain`. */
export function quantizerLabel(id: string, params: QuantizerGiven = {}): string {
  const d = quantizerDescriptor(id);
  return specLabel(d.id, [[d.params, resolveParams(d.params, params, `${id} parameter`)]]);
}
