/**
 * Flags generated from parameter specs (src/core/params.ts): the commands' own numeric flags and
 * every method's parameters are declared to yargs from their specs and read back through
 * `resolveParams`, so each value is checked in one place, with its range, and every error names
 * the flag. A method's flags are the union over the registry (names and aliases); the chosen
 * method then takes the ones it declares and refuses the others, listing its own.
 */
import { availableParallelism } from 'node:os';
import type { Argv } from 'yargs';
import { InputError } from '../core/errors.js';
import { acceptedNames, accepted, camel, canonicalName, kebab, resolveParams, typeOf, type ParamSpec, type ParamSpecs, type Resolved } from '../core/params.js';

/** The commands' shared numeric flags. */
export const COMMON_FLAGS = {
  seed: { default: 1234, min: 0, max: 2 ** 32 - 1, describe: 'seed of every random choice (sampling, k-means init, splits)' },
  threads: {
    default: null, type: 'number', min: 1, max: Math.max(1, availableParallelism()),
    describe: `worker threads for the parallel kernels (default: all ${availableParallelism()} cores; more threads than cores only add memory)`,
  },
} as const satisfies ParamSpecs;

/** The yargs description of a spec: what it does, its default, what it accepts. */
function describeSpec(spec: ParamSpec, prefix = ''): string {
  const dflt = spec.default === null ? '' : ` [default ${String(spec.default)}]`;
  const aliases = (spec.aliases ?? []).map((a) => (typeof a === 'string' ? `--${kebab(a)}` : `--${kebab(a.name)} (${a.describe})`));
  return `${prefix}${spec.describe}${dflt}; ${accepted(spec)}${aliases.length ? `; also ${aliases.join(', ')}` : ''}`;
}

/**
 * Declares each spec as a flag (kebab-case). Values are read as text (numbers included) and checked
 * by `readFlags`, so `--threads abc` is an error naming --threads rather than a NaN.
 */
export function declareFlags(y: Argv, specs: ParamSpecs): Argv {
  let out = y;
  for (const [name, spec] of Object.entries(specs)) {
    out = out.option(kebab(name), { type: typeOf(spec) === 'boolean' ? 'boolean' : 'string', describe: describeSpec(spec) });
  }
  return out;
}

/** The value yargs parsed for a parameter, under its kebab-case or camelCase name. */
function given(argv: Record<string, unknown>, name: string): unknown {
  return argv[kebab(name)] ?? argv[name] ?? argv[camel(name)];
}

/** Reads and checks the flags of `specs` (defaults filled). */
export function readFlags<S extends ParamSpecs>(argv: Record<string, unknown>, specs: S, owner = ''): Resolved<S> {
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(specs)) values[name] = given(argv, name);
  return resolveParams(specs, values, owner);
}

/** One parameter table of a registry entry: its id and its specs (e.g. an index's build and search parameters together). */
export interface MethodTable {
  id: string;
  specs: ParamSpecs;
}

/**
 * Every name (canonical or alias) any method accepts, with the methods that take it. The description
 * is that of the first method declaring the name as its own (canonical), else of the first alias.
 */
function unionOfNames(tables: readonly MethodTable[]): Map<string, { boolean: boolean; describe: string; owners: string[] }> {
  const out = new Map<string, { boolean: boolean; describe: string; owners: string[]; canonical: boolean }>();
  for (const t of tables) {
    for (const name of acceptedNames(t.specs)) {
      const c = canonicalName(t.specs, name)!;
      const spec = t.specs[c.name];
      const canonical = c.name === name;
      const cur = out.get(name) ?? { boolean: typeOf(spec) === 'boolean', describe: canonical ? describeSpec(spec) : `alias of ${c.name}: ${spec.describe}`, owners: [], canonical };
      if (canonical && !cur.canonical) Object.assign(cur, { describe: describeSpec(spec), canonical: true });
      if (!cur.owners.includes(t.id)) cur.owners.push(t.id);
      out.set(name, cur);
    }
  }
  return out;
}

/**
 * Declares every method parameter of a registry as a flag, with the methods that take it in its
 * description. `reserved` are the command's own flags: a parameter reusing one is a bug (thrown at load).
 */
export function declareMethodFlags(y: Argv, tables: readonly MethodTable[], reserved: readonly string[]): Argv {
  let out = y;
  for (const [name, p] of unionOfNames(tables)) {
    if (reserved.includes(kebab(name)) || reserved.includes(name)) throw new Error(`method parameter '${name}' collides with the command's own --${kebab(name)}`);
    out = out.option(kebab(name), { type: p.boolean ? 'boolean' : 'string', describe: `[${p.owners.join(', ')}] ${p.describe}` });
  }
  return out;
}

/**
 * The method parameters given on the command line, split over the chosen method's groups (e.g. build
 * and search), unresolved; a flag of another method is refused, listing the chosen method's own.
 */
export function readMethodFlags(argv: Record<string, unknown>, tables: readonly MethodTable[], chosen: { id: string; groups: readonly ParamSpecs[] }): Record<string, unknown>[] {
  const out = chosen.groups.map(() => ({}) as Record<string, unknown>);
  for (const name of unionOfNames(tables).keys()) {
    const v = given(argv, name);
    if (v === undefined) continue;
    const g = chosen.groups.findIndex((specs) => canonicalName(specs, name) !== null);
    if (g < 0) {
      const own = chosen.groups.flatMap((s) => Object.keys(s)).map((n) => `--${kebab(n)}`);
      throw new InputError(`--${kebab(name)} is not a parameter of ${chosen.id}; its parameters: ${own.join(', ') || '(none)'}.`);
    }
    out[g][name] = v;
  }
  return out;
}

/**
 * A method's parameters from its spec (`--method pq:m=12`, `--index ivfpq:nlist=256`) and from its
 * flags (`--m 12`), merged: both are checked, and a parameter given in both with different values
 * (under any of its names) is refused, naming the flag and the spec. Names stay as given.
 */
export function mergeSpecAndFlags(specs: ParamSpecs, fromSpec: Record<string, unknown>, fromFlags: Record<string, unknown>, owner: string, spec: { flag: string; text: string }): Record<string, unknown> {
  const canonicalOf = (n: string) => (canonicalName(specs, n) ?? canonicalName(specs, camel(n)))?.name ?? n;
  const valueOf = (n: string, v: unknown) => resolveParams(specs, { [n]: v }, owner)[canonicalOf(n)];
  const inSpec = new Map(Object.keys(fromSpec).map((n) => [canonicalOf(n), n]));
  for (const [name, v] of Object.entries(fromFlags)) {
    if (v === undefined) continue;
    const c = canonicalOf(name), s = inSpec.get(c);
    if (s !== undefined && valueOf(s, fromSpec[s]) !== valueOf(name, v)) {
      throw new InputError(`--${kebab(name)} ${String(v)} contradicts ${s}=${String(fromSpec[s])} in ${spec.flag} ${spec.text}; give ${c} once.`);
    }
  }
  return { ...fromSpec, ...fromFlags };
}
