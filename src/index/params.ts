/**
 * Named, defaulted parameters of the indexes (lancedb / faiss SearchParameters style): each index
 * declares its build and search parameters once, as a `ParamSpecs` table (default, description,
 * allowed values), and resolves what the user gave against it. Unknown names and bad values are
 * InputErrors naming the flag (`--nprobe`), with "did you mean" for typos. The registry shows the
 * same tables to the CLI, so a parameter is described in exactly one place.
 */
import { InputError } from '../core/errors.js';
import { didYouMean } from '../core/names.js';
import type { SearchParams } from './types.js';

export type ParamValue = number | string | boolean;

export interface ParamSpec {
  default: ParamValue;
  /** What the parameter does, its default and what it trades. */
  describe: string;
  /** Allowed values of a string parameter. */
  choices?: readonly string[];
  /** Numbers: integer only (default true), inclusive bounds. */
  integer?: boolean;
  min?: number;
  max?: number;
}

export type ParamSpecs = Readonly<Record<string, ParamSpec>>;

/** The resolved values: every declared name present, typed after its default. */
export type Resolved<S extends ParamSpecs> = { [K in keyof S]: S[K]['default'] extends number ? number : S[K]['default'] extends boolean ? boolean : string };

/** The flag a parameter is given with on the command line. */
export function flag(name: string): string {
  return `--${name}`;
}

function coerce(name: string, spec: ParamSpec, v: unknown, owner: string): ParamValue {
  const f = flag(name);
  if (typeof spec.default === 'number') {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'boolean' ? NaN : (v as number);
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new InputError(`${f}: ${owner} expects a number, got '${String(v)}'.`);
    if ((spec.integer ?? true) && !Number.isInteger(n)) throw new InputError(`${f}: ${owner} expects an integer, got ${n}.`);
    if (spec.min !== undefined && n < spec.min) throw new InputError(`${f}: ${owner} needs a value ≥ ${spec.min}, got ${n}.`);
    if (spec.max !== undefined && n > spec.max) throw new InputError(`${f}: ${owner} needs a value ≤ ${spec.max}, got ${n}.`);
    return n;
  }
  if (typeof spec.default === 'boolean') {
    if (typeof v === 'boolean') return v;
    if (v === 1 || v === 'true' || v === '1' || v === 'yes') return true;
    if (v === 0 || v === 'false' || v === '0' || v === 'no') return false;
    throw new InputError(`${f}: ${owner} expects true or false, got '${String(v)}'.`);
  }
  const s = String(v);
  if (spec.choices && !spec.choices.includes(s)) {
    throw new InputError(`${f}: ${owner} expects one of ${spec.choices.join(', ')}, got '${s}'${didYouMean(s, spec.choices)}.`);
  }
  return s;
}

/**
 * Fills defaults and checks every given value against `specs`; `owner` names the index and the kind
 * of parameter in messages ("ivfpq search parameter"). Undefined values count as not given.
 */
export function resolveParams<S extends ParamSpecs>(specs: S, given: Record<string, unknown> | undefined, owner: string): Resolved<S> {
  const known = Object.keys(specs);
  const out: Record<string, ParamValue> = {};
  for (const [name, v] of Object.entries(given ?? {})) {
    if (v === undefined) continue;
    const spec = specs[name];
    if (!spec) {
      throw new InputError(`${flag(name)}: unknown ${owner} '${name}'${didYouMean(name, known)}; known: ${known.join(', ') || '(none)'}.`);
    }
    out[name] = coerce(name, spec, v, `${owner} '${name}'`);
  }
  for (const name of known) if (!(name in out)) out[name] = specs[name].default;
  return out as Resolved<S>;
}

/** The common check of `search(q, k)`: k a positive integer not above the number of vectors. */
export function checkK(k: number, size: number, index: string): void {
  if (!Number.isInteger(k) || k < 1) throw new InputError(`--k: ${index} needs k to be a positive integer, got ${k}.`);
  if (k > size) throw new InputError(`--k: ${index} holds ${size} vectors, fewer than k = ${k}.`);
}

/** Query / insert dimension against the index's. */
export function checkDim(got: number, want: number, what: string, index: string): void {
  if (got !== want) throw new InputError(`${what} have dimension ${got} but the ${index} index was built on dimension ${want}.`);
}

/** Ids of an `add`: the given ones (checked) or size, size+1, ... */
export function resolveIds(n: number, size: number, ids: Uint32Array | undefined, index: string): Int32Array {
  if (!ids) {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = size + i;
    return out;
  }
  if (ids.length !== n) throw new InputError(`${index}: add() got ${n} vectors but ${ids.length} ids.`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (ids[i] > 0x7fffffff) throw new InputError(`${index}: add() id ${ids[i]} does not fit in 31 bits.`);
    out[i] = ids[i];
  }
  return out;
}

/** `name=value` pairs of a canonical label, e.g. `ivfpq(nlist=1024,m=50,nbits=8)`. */
export function labelOf(name: string, parts: Record<string, ParamValue | undefined>): string {
  const s = Object.entries(parts)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'boolean' ? (v ? 1 : 0) : v}`)
    .join(',');
  return `${name}(${s})`;
}

export type { SearchParams };
