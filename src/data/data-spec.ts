/**
 * Dataset specs with options, in the grammar of configured methods (`pq:m=12`): a dataset name,
 * file or folder, then optionally `:key=value,...`. The one option is `limit`: only the first N rows
 * of the file are read (`base.fvecs:limit=100000`, `glove-100:limit=50000`; for an ann-benchmarks
 * file or a TEXMEX folder, the first N base rows, queries kept whole). A path that exists as written
 * is never split, so a file whose name contains ':' still loads.
 */
import { existsSync } from 'node:fs';
import { InputError } from '../core/errors.js';

export interface DataSpec {
  /** The dataset name, file or folder. */
  target: string;
  /** Only the first `limit` rows (of the file, or of the base). */
  limit?: number;
}

const OPTIONS = ['limit'];

/** Splits `spec` into its target and options; a bad option is one sentence naming the spec. */
export function parseDataSpec(spec: string, known: readonly string[] = []): DataSpec {
  if (known.includes(spec) || existsSync(spec)) return { target: spec };
  const m = /^(.+?):((?:[A-Za-z_-]+=[^,:=]*)(?:,[A-Za-z_-]+=[^,:=]*)*)$/.exec(spec);
  if (!m) return { target: spec };
  const out: DataSpec = { target: m[1] };
  for (const pair of m[2].split(',')) {
    const [key, value] = pair.split('=');
    if (!OPTIONS.includes(key)) throw new InputError(`the dataset spec '${spec}' has an unknown option '${key}'; dataset options are ${OPTIONS.join(', ')} (e.g. '${m[1]}:limit=100000').`);
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) throw new InputError(`the dataset spec '${spec}' has limit=${value}; the limit must be a positive integer (rows).`);
    out.limit = n;
  }
  return out;
}

/** The spec of `target` with options (the inverse of parseDataSpec). */
export function dataSpecLabel(s: DataSpec): string {
  return s.limit === undefined ? s.target : `${s.target}:limit=${s.limit}`;
}
