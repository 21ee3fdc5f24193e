/**
 * The filter cases of `--filter` (and a task file's `"filter"`), three kinds:
 *  - a number p: VectorDBBench's label filter, a seeded label carried by round(p·n) rows (p = share kept);
 *  - `int:r`: VectorDBBench's int filter `id >= int(n·r)` (r = share EXCLUDED, as its filter_rate);
 *  - `label:NAME`: the rows whose own label (`--labels FILE`) is NAME (share = the measured one).
 * A prefix applies to the items after it until the next prefix (`share:` goes back to label shares):
 * `0.01,0.5,int:0.01,0.99,label:spam,ham` is two label shares, two int rates and two dataset labels.
 */
import { InputError } from '../core/errors.js';
import { checkSelectivities } from './labels.js';

export type FilterSpec =
  | { kind: 'share'; share: number }
  | { kind: 'int'; rate: number }
  | { kind: 'label'; value: string };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const PREFIXES = ['share', 'int', 'label'] as const;

/** `--filter` text (or a task file's list, items joined) as filter cases; one sentence naming `what` on a bad item. */
export function parseFilterSpecs(given: string | readonly (string | number)[], what = '--filter'): FilterSpec[] {
  const text = typeof given === 'string' ? given : given.map(String).join(',');
  const items = text.split(',').map((s) => s.trim());
  const hint = 'such as 0.01,0.5 (shares kept), int:0.01,0.99 (VectorDBBench int rates excluded) or label:spam (with --labels)';
  if (items.some((s) => s === '')) throw new InputError(`${what} '${text}' has an empty item; give filter cases ${hint}.`);
  let kind: FilterSpec['kind'] = 'share';
  const out: FilterSpec[] = [];
  for (const item of items) {
    let v = item;
    const m = /^([A-Za-z]+):(.*)$/.exec(item);
    if (m) {
      if (!(PREFIXES as readonly string[]).includes(m[1].toLowerCase())) throw new InputError(`${what}: unknown filter kind '${m[1]}:' in '${item}'; the kinds are share:, int: and label:.`);
      kind = m[1].toLowerCase() as FilterSpec['kind'];
      v = m[2].trim();
      if (v === '') throw new InputError(`${what}: '${item}' names no value; give filter cases ${hint}.`);
    }
    if (kind === 'label') {
      out.push({ kind, value: v });
      continue;
    }
    if (!NUMBER.test(v)) {
      throw new InputError(kind === 'int'
        ? `${what}: an int filter's rate is the share of rows excluded (id >= int(n·rate)), a number in [0, 1); got '${v}'.`
        : `${what}: a selectivity is the share of rows kept, a number in (0, 1]; got '${v}'.`);
    }
    out.push(kind === 'int' ? { kind, rate: Number(v) } : { kind, share: Number(v) });
  }
  return checkFilterSpecs(out, what);
}

/** Specs checked: shares in (0, 1], int rates in [0, 1), label values non-empty; no case twice. */
export function checkFilterSpecs(specs: readonly FilterSpec[], what = '--filter'): FilterSpec[] {
  if (specs.length === 0) throw new InputError(`${what} lists no filter cases; give shares of rows kept such as 0.01,0.1,0.5,0.99.`);
  const shares = specs.flatMap((s) => (s.kind === 'share' ? [s.share] : []));
  if (shares.length) checkSelectivities(shares, what);
  const seen = new Set<string>();
  for (const s of specs) {
    if (s.kind === 'int' && !(Number.isFinite(s.rate) && s.rate >= 0 && s.rate < 1)) {
      throw new InputError(`${what}: an int filter's rate is the share of rows excluded (id >= int(n·rate)), in [0, 1); got ${s.rate}.`);
    }
    const key = s.kind === 'share' ? `share:${s.share}` : s.kind === 'int' ? `int:${s.rate}` : `label:${s.value}`;
    if (seen.has(key)) throw new InputError(`${what} lists the filter case ${key} twice.`);
    seen.add(key);
  }
  return [...specs];
}

/** A list from a job or task file: numbers are shares kept, strings are parsed as `--filter` items (prefixes allowed). */
export function filterSpecsOf(given: readonly (number | string | FilterSpec)[], what = '--filter'): FilterSpec[] {
  if (given.every((g) => typeof g === 'object')) return checkFilterSpecs(given as FilterSpec[], what);
  if (given.some((g) => typeof g === 'object')) throw new InputError(`${what} mixes filter cases given as objects with numbers or strings.`);
  return parseFilterSpecs(given as (number | string)[], what);
}
