/** The checks every index's search and add share: k against the index size, dimensions, insert ids. */
import { InputError } from '../core/errors.js';
import type { ParamValue } from '../core/params.js';

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

/** A number given to a cost model (resolved, or as typed in a task file), else `dflt`. */
export function numberOr(v: unknown, dflt: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : dflt;
}

/**
 * Seconds per inserted row: the build's seconds per row, times `share` (1 when an insert does what
 * the build does per row, a graph insert; 0.05 when the build's time is mostly training, which an
 * insert skips: encoding only).
 */
export function addSeconds(buildSeconds: number, rows: number, share = 0.05): number {
  return (share * buildSeconds) / Math.max(1, rows);
}
