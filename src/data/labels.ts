/**
 * Seeded row labels for filtered search (VectorDBBench's label filters `labels = 'label_{p}p'`):
 * label `label_{100·p}p` is carried by exactly round(p·n) of the n base rows, chosen by a seeded
 * sample, so the kept share is p up to rounding and the same (seed, n, p) always labels the same rows.
 * Unlike VectorDBBench's one label per row (its shares sum below 1), a row here may carry several
 * labels: the default shares 1%, 10%, 50%, 99% sum past 1.
 */
import { InputError } from '../core/errors.js';
import { Rng } from '../core/rng.js';

/** The selectivities (shares of rows kept) of the filter cases. */
export const DEFAULT_SELECTIVITIES: readonly number[] = [0.01, 0.1, 0.5, 0.99];

/** The label of kept share p, VectorDBBench's spelling with p in %: 0.01 → label_1p, 0.005 → label_0_5p (identifier-safe). */
export function labelName(p: number): string {
  const pct = Number((p * 100).toPrecision(6));
  return `label_${String(pct).replace('.', '_')}p`;
}

/** A selectivity list, checked: each in (0, 1], no repeats; one sentence naming `what` otherwise. */
export function checkSelectivities(values: readonly number[], what: string): number[] {
  if (values.length === 0) throw new InputError(`${what} lists no selectivities; give shares of rows kept such as 0.01,0.1,0.5,0.99.`);
  for (const p of values) {
    if (typeof p !== 'number' || !Number.isFinite(p) || p <= 0 || p > 1) {
      throw new InputError(`${what}: a selectivity is the share of rows kept, in (0, 1]; got ${p}.`);
    }
  }
  if (new Set(values.map(labelName)).size !== values.length) throw new InputError(`${what} lists a selectivity twice (${values.join(',')}).`);
  return [...values];
}

/** `--filter 0.01,0.1`: numbers, no empty item, each checked by checkSelectivities. */
export function parseSelectivities(text: string, what: string): number[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new InputError(`${what} '${text}' has an empty item; give shares of rows kept such as 0.01,0.1,0.5,0.99.`);
  const bad = items.find((s) => !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s));
  if (bad !== undefined) throw new InputError(`${what}: a selectivity is the share of rows kept, a number in (0, 1]; got '${bad}'.`);
  return checkSelectivities(items.map(Number), what);
}

/** A 32-bit stream id per label, so adding a label does not change the rows of another. */
function labelSeed(seed: number, label: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Rows 0..n−1 carrying label p: allowed[row] = 1 for exactly round(p·n) rows (at least one). */
export function labelRows(n: number, p: number, seed: number): Uint8Array {
  checkSelectivities([p], 'labelRows');
  const keep = Math.min(n, Math.max(1, Math.round(p * n)));
  const allowed = new Uint8Array(n);
  if (keep === n) return allowed.fill(1);
  for (const row of new Rng(labelSeed(seed, labelName(p))).sample(n, keep)) allowed[row] = 1;
  return allowed;
}
