/**
 * Named, defaulted, checked parameters: the one place a parameter is declared (default, range,
 * description, aliases) and the one place a given value is checked. Method descriptors (quantizers,
 * indexes), the commands' own numeric flags (--seed, --threads, --k ...) and task files all resolve
 * through `resolveParams`, so `--threads abc`, `nprobe=1.5` and `"books": -1` fail the same way:
 * one InputError sentence naming the flag, its owner and the accepted range.
 *
 * Aliases let one method accept another method's vocabulary: PQ's canonical `m` / `nbits` also
 * answer to `books` / `size` (size = 2^nbits, converted and checked), so flags copied from one
 * command to another keep working, and the resolved value always carries the canonical name.
 */
import { InputError } from './errors.js';
import { didYouMean } from './names.js';

export type ParamValue = number | string | boolean;

/** Another name of a parameter; `from` converts a value given under that name (e.g. size → nbits = log2 size). */
export type ParamAlias = string | {
  name: string;
  from: (v: number) => number;
  describe: string;
  /** What the alias accepts, as a noun phrase ("a power of two from 2 to 65536"); said when `from` gives no number. */
  accepts?: string;
};

export interface ParamSpec {
  /** The value when not given; null: optional, "not set" (then `type` says what a given value is). */
  default: ParamValue | null;
  /** The type of a parameter whose default is null. */
  type?: 'number' | 'string' | 'boolean';
  /** What the parameter does, its default and what it trades. */
  describe: string;
  /** Allowed values of a string parameter. */
  choices?: readonly string[];
  /** Numbers: integer only (default true), inclusive bounds. */
  integer?: boolean;
  min?: number;
  max?: number;
  /** `min` itself is refused (a bound that makes the method degenerate, e.g. sq's percentile 50: a zero range). */
  exclusiveMin?: boolean;
  /** Other accepted names (another command's or another library's vocabulary). */
  aliases?: readonly ParamAlias[];
}

export type ParamSpecs = Readonly<Record<string, ParamSpec>>;

type ValueOf<P extends ParamSpec> = ParamValue | null extends P['default'] ? ParamValue | null // a spec of unknown shape (a registry's wide type)
  : P['default'] extends number ? number : P['default'] extends boolean ? boolean : P['default'] extends string ? string
  : P['type'] extends 'number' ? number | null : P['type'] extends 'boolean' ? boolean | null : string | null;

/** The resolved values: every declared name present, typed after its default. */
export type Resolved<S extends ParamSpecs> = { [K in keyof S]: ValueOf<S[K]> };

/** camelCase → kebab-case flag name (`efSearch` → `ef-search`; all-caps names such as `M` stay). */
export function kebab(s: string): string {
  return /^[A-Z]+$/.test(s) ? s : s.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** kebab-case → camelCase. */
export function camel(s: string): string {
  return s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The flag a parameter is given with on the command line. */
export function flag(name: string): string {
  return `--${kebab(name)}`;
}

export function typeOf(spec: ParamSpec): 'number' | 'string' | 'boolean' {
  if (spec.default === null) return spec.type ?? 'string';
  return typeof spec.default as 'number' | 'string' | 'boolean';
}

/** What a parameter accepts, as a noun phrase ("an integer from 1 to 64"). */
export function accepted(spec: ParamSpec): string {
  const t = typeOf(spec);
  if (t === 'number') {
    const integer = spec.integer ?? true;
    const noun = integer ? 'integer' : 'number';
    const a = integer ? 'an' : 'a';
    if (spec.exclusiveMin && spec.min !== undefined) return `${a} ${noun} above ${spec.min}${spec.max !== undefined ? ` and at most ${spec.max}` : ''}`;
    if (spec.min !== undefined && spec.max !== undefined) return `${a} ${noun} from ${spec.min} to ${spec.max}`;
    if (spec.min === 1 && integer) return 'a positive integer';
    if (spec.min === 0) return `a non-negative ${noun}`;
    if (spec.min !== undefined) return `${a} ${noun} ≥ ${spec.min}`;
    if (spec.max !== undefined) return `${a} ${noun} ≤ ${spec.max}`;
    return `${a} finite ${noun}`;
  }
  if (t === 'boolean') return 'true or false';
  return spec.choices ? `one of ${spec.choices.map((c) => `'${c}'`).join(', ')}` : 'a string';
}

/** Null when `v` (already typed, e.g. from JSON) is acceptable, else what is expected. */
export function paramProblem(spec: ParamSpec, v: unknown): string | null {
  const t = typeOf(spec);
  if (t === 'number') {
    const integer = spec.integer ?? true;
    const ok = typeof v === 'number' && Number.isFinite(v) && (!integer || Number.isInteger(v)) &&
      (spec.min === undefined || (spec.exclusiveMin ? v > spec.min : v >= spec.min)) && (spec.max === undefined || v <= spec.max);
    return ok ? null : accepted(spec);
  }
  if (t === 'boolean') return typeof v === 'boolean' ? null : accepted(spec);
  if (typeof v !== 'string' || v.length === 0) return accepted(spec);
  if (spec.choices && !spec.choices.includes(v)) return accepted(spec);
  return null;
}

/** A value from the command line or a spec string (text) or JSON, converted to the parameter's type; undefined if it cannot be. */
export function coerceText(spec: ParamSpec, v: unknown): unknown {
  const t = typeOf(spec);
  if (t === 'number') {
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && v.trim() !== '' && /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(v.trim())) return Number(v);
    return v;
  }
  if (t === 'boolean') {
    if (typeof v === 'boolean') return v;
    if (v === 1 || v === 'true' || v === '1' || v === 'yes') return true;
    if (v === 0 || v === 'false' || v === '0' || v === 'no') return false;
    return v;
  }
  return typeof v === 'number' ? String(v) : v;
}

function show(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : Array.isArray(v) ? `[${v.map(show).join(', ')}]` : String(v);
}

/** The start of a message about one value: `--nprobe: ivfpq search parameter 'nprobe'`, or just `--seed` for a command's own flag (no owner). */
function subject(shownAs: string, owner: string, name: string): string {
  return owner ? `${shownAs}: ${owner} '${name}'` : shownAs;
}

/** Checks one value given under `name` (canonical) against its spec; the message names the flag and owner. */
export function checkParam(name: string, spec: ParamSpec, v: unknown, owner: string, shownAs = flag(name)): ParamValue {
  const c = coerceText(spec, v);
  const problem = paramProblem(spec, c);
  if (problem) {
    const hint = typeof c === 'string' && spec.choices ? didYouMean(c, spec.choices) : '';
    const who = subject(shownAs, owner, name);
    throw new InputError(`${who} must be ${problem}, got ${show(v)}${hint}${hint ? '' : '.'}`);
  }
  return c as ParamValue;
}

/** The canonical name a given name stands for in `specs` (itself, or the parameter it is an alias of), with the alias. */
export function canonicalName(specs: ParamSpecs, given: string): { name: string; alias: Exclude<ParamAlias, string> | null } | null {
  if (Object.hasOwn(specs, given)) return { name: given, alias: null };
  for (const [name, spec] of Object.entries(specs)) {
    for (const a of spec.aliases ?? []) {
      if (a === given) return { name, alias: null };
      if (typeof a !== 'string' && a.name === given) return { name, alias: a };
    }
  }
  return null;
}

/** Every name `specs` accepts: canonical names and aliases. */
export function acceptedNames(specs: ParamSpecs): string[] {
  return Object.entries(specs).flatMap(([name, s]) => [name, ...(s.aliases ?? []).map((a) => (typeof a === 'string' ? a : a.name))]);
}

/**
 * Fills defaults and checks every given value against `specs`; `owner` names the method and the
 * kind of parameter in messages ("ivfpq search parameter"). Undefined values count as not given.
 * Names may be canonical, aliases or kebab-case flags; the result has canonical names only.
 */
export function resolveParams<S extends ParamSpecs>(specs: S, given: Record<string, unknown> | undefined, owner: string): Resolved<S> {
  const known = Object.keys(specs);
  const out: Record<string, ParamValue | null> = {};
  const from: Record<string, string> = {};
  for (const [raw, v] of Object.entries(given ?? {})) {
    if (v === undefined) continue;
    const given = Object.hasOwn(specs, raw) ? raw : camel(raw);
    const c = canonicalName(specs, given);
    if (!c) {
      throw new InputError(`${flag(given)}: unknown ${owner} '${given}'${didYouMean(given, acceptedNames(specs))}; known: ${known.join(', ') || '(none)'}.`);
    }
    if (Array.isArray(v)) throw new InputError(`${subject(flag(given), owner, given)} was given ${v.length} times (${v.map(show).join(', ')}); give it once.`);
    let value: ParamValue;
    if (c.alias) {
      const n = coerceText({ default: 0, describe: '' }, v);
      if (typeof n !== 'number' || !Number.isFinite(n)) throw new InputError(`${subject(flag(given), owner, given)} must be a number, got ${show(v)}.`);
      const converted = c.alias.from(n);
      if (!Number.isFinite(converted) && c.alias.accepts) throw new InputError(`${subject(flag(given), owner, given)} must be ${c.alias.accepts} (${c.alias.describe}), got ${show(v)}.`);
      const problem = paramProblem(specs[c.name], converted);
      if (problem) throw new InputError(`${subject(flag(given), owner, given)} (${c.alias.describe}) gives ${c.name} = ${converted}, which must be ${problem}; got ${show(v)}.`);
      value = converted;
    } else {
      value = checkParam(c.name, specs[c.name], v, owner, flag(given));
    }
    if (Object.hasOwn(out, c.name) && out[c.name] !== value) {
      throw new InputError(`${flag(given)}: ${owner} '${c.name}' is given twice, as ${from[c.name]} = ${show(out[c.name])} and as ${given} = ${show(v)}; give it once.`);
    }
    out[c.name] = value;
    from[c.name] = given;
  }
  for (const name of known) if (!Object.hasOwn(out, name)) out[name] = specs[name].default;
  return out as Resolved<S>;
}

/** The parameters that differ from their defaults (for short labels and ids). */
export function nonDefault(specs: ParamSpecs, values: Record<string, unknown>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [k, v] of Object.entries(values)) if (v !== null && v !== undefined && (!Object.hasOwn(specs, k) || specs[k].default !== v)) out[k] = v as ParamValue;
  return out;
}

/** Power-of-two alias: codewords per codebook given as `size` for a parameter counted in bits (nbits = log2 size). */
export const SIZE_AS_NBITS: ParamAlias = {
  name: 'size',
  describe: 'codewords per codebook, size = 2^nbits',
  accepts: 'a power of two from 2 to 65536',
  from: (v) => (v >= 2 && v <= 65536 && Number.isInteger(Math.log2(v)) ? Math.log2(v) : NaN),
};

/** The reverse: bits per code given as `nbits` for a parameter counted in codewords (size = 2^nbits). */
export const NBITS_AS_SIZE: ParamAlias = {
  name: 'nbits',
  describe: 'bits per code index, size = 2^nbits',
  accepts: 'an integer from 1 to 16',
  from: (v) => (Number.isInteger(v) && v >= 1 && v <= 16 ? 2 ** v : NaN),
};
