/**
 * The one grammar of a configured method, used by every command, task file, report label and
 * export (faiss's factory string, one level down):
 *
 *     spec   := id [ ':' param ( ',' param )* ]        pq:m=12,nbits=8   wrvq:books=4,weights=gain
 *     param  := name '=' value                         a value may be "quoted" or 'quoted'
 *
 * A comma-separated piece without '=' continues the previous value, so a faiss factory string needs
 * no quotes: `faiss:factory=IVF1024,PQ50np,nprobe=16`. The older `ivfpq(nlist=1024,m=50)` form is
 * read too. Names may be canonical, aliases or kebab-case; `parseSpec` resolves them against the
 * method's parameter specs (defaults filled, values checked), and `specLabel` writes the canonical
 * label, so `parseSpec(specLabel(x))` equals `x` for every registered method (test/core/spec.test.ts).
 */
import { InputError } from './errors.js';
import { camel, canonicalName, resolveParams, type ParamSpecs, type ParamValue } from './params.js';

/** The method's id and the raw `name=value` pairs, in the order given (nothing resolved yet). */
export interface RawSpec {
  id: string;
  params: [string, string][];
}

/** Splits a spec string; `what` names the flag or field in messages (`--quantizer`). */
export function splitSpec(text: string, what: string): RawSpec {
  const s = text.trim();
  let id: string, rest: string;
  const paren = /^([A-Za-z][\w-]*)\((.*)\)$/.exec(s);
  if (paren) [id, rest] = [paren[1], paren[2]];
  else {
    const i = s.indexOf(':');
    [id, rest] = i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
  }
  id = id.trim();
  if (!/^[A-Za-z][\w.-]*$/.test(id)) throw new InputError(`${what}: '${text}' does not start with a method name (expected e.g. pq:m=12,nbits=8).`);
  const params: [string, string][] = [];
  for (const piece of splitTopLevel(rest, what, text)) {
    if (piece.quotedValue === null && !piece.text.includes('=')) {
      if (params.length === 0) throw new InputError(`${what}: '${piece.text}' in '${text}' is not name=value.`);
      params[params.length - 1][1] += `,${piece.text}`; // a factory string's comma
      continue;
    }
    const eq = piece.text.indexOf('=');
    const name = (eq < 0 ? piece.text : piece.text.slice(0, eq)).trim();
    const value = piece.quotedValue ?? piece.text.slice(eq + 1).trim();
    if (!/^[A-Za-z][\w-]*$/.test(name)) throw new InputError(`${what}: '${piece.text}' in '${text}' is not name=value.`);
    if (value === '') throw new InputError(`${what}: ${name} has no value in '${text}'.`);
    params.push([name, value]);
  }
  return { id, params };
}

/** Comma-separated pieces of `rest`, honouring quoted values. */
function splitTopLevel(rest: string, what: string, text: string): { text: string; quotedValue: string | null }[] {
  const out: { text: string; quotedValue: string | null }[] = [];
  let i = 0;
  while (i < rest.length) {
    const m = /^\s*([A-Za-z][\w-]*)\s*=\s*(["'])/.exec(rest.slice(i));
    if (m) {
      const q = m[2];
      const start = i + m[0].length;
      const end = rest.indexOf(q, start);
      if (end < 0) throw new InputError(`${what}: unclosed quote in '${text}'.`);
      out.push({ text: `${m[1]}=`, quotedValue: rest.slice(start, end) });
      i = end + 1;
      while (i < rest.length && rest[i] === ' ') i++;
      if (i < rest.length && rest[i] !== ',') throw new InputError(`${what}: expected ',' after the quoted value of ${m[1]} in '${text}'.`);
      i++;
      continue;
    }
    const comma = rest.indexOf(',', i);
    const piece = rest.slice(i, comma < 0 ? rest.length : comma).trim();
    if (piece === '') throw new InputError(`${what}: empty item in '${text}'.`);
    out.push({ text: piece, quotedValue: null });
    i = comma < 0 ? rest.length : comma + 1;
    if (comma >= 0 && i === rest.length) throw new InputError(`${what}: '${text}' ends with a comma.`);
  }
  return out;
}

/** A value as written in a label: quoted only when it would not read back otherwise. */
function showValue(v: ParamValue): string {
  const s = String(v);
  return /[=:"'()]|^\s|\s$/.test(s) || s === '' ? `"${s.replace(/"/g, '')}"` : s;
}

/**
 * The canonical label of a configured method: every parameter of `groups` in declaration order
 * (each group's names, e.g. build then search), canonical names, values as resolved. Parameters
 * whose value is null (optional, not set) are left out. A group given as `null` is left out whole.
 */
export function specLabel(id: string, groups: readonly [ParamSpecs, Record<string, unknown> | null][]): string {
  const parts: string[] = [];
  for (const [specs, values] of groups) {
    if (!values) continue;
    for (const name of Object.keys(specs)) {
      const v = values[name];
      if (v === null || v === undefined) continue;
      parts.push(`${name}=${showValue(v as ParamValue)}`);
    }
  }
  return parts.length ? `${id}:${parts.join(',')}` : id;
}

/**
 * Resolves the pairs of a split spec into groups (each a ParamSpecs table, e.g. build and search):
 * each name goes to the group that declares it (canonical or alias); unknown names are errors naming
 * `what` and listing the method's parameters. Every group comes back with its defaults filled.
 */
export function resolveSpecGroups(raw: RawSpec, groups: readonly { specs: ParamSpecs; owner: string }[], what: string): Record<string, ParamValue | null>[] {
  const given = groups.map(() => ({}) as Record<string, string>);
  for (const [name, value] of raw.params) {
    const g = groups.findIndex((x) => canonicalName(x.specs, name) !== null || canonicalName(x.specs, camel(name)) !== null);
    if (g < 0) {
      const known = groups.flatMap((x) => Object.keys(x.specs));
      throw new InputError(`${what}: ${raw.id} has no parameter '${name}'; its parameters: ${known.join(', ') || '(none)'}.`);
    }
    if (Object.hasOwn(given[g], name)) throw new InputError(`${what}: ${name} is given twice in ${raw.id}.`);
    given[g][name] = value;
  }
  return groups.map((x, i) => resolveParams(x.specs, given[i], x.owner) as Record<string, ParamValue | null>);
}
