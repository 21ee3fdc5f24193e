/**
 * A search filter (VectorDBBench's filter cases): which ids a filtered search may return. Own scans
 * (flat, pq, ivfpq, wrvq, hnswlib's callback) test `allowed[id]` before a candidate enters the
 * top-k; a database (LanceDB, pgvector) turns `predicate` into its WHERE clause instead
 * (`whereClause`: a label's boolean column, or `id >= min`).
 */

/** The rows carrying a label: VectorDBBench's `labels = 'label_{p}p'`, a boolean column per label here. */
export interface LabelPredicate {
  kind: 'label';
  /** Label (and column) name, e.g. 'label_1p'; only [A-Za-z0-9_] so it is safe as an SQL identifier. */
  label: string;
}

/** VectorDBBench's int filter `id >= int(N·rate)` (rate = share of rows excluded): a range over the id column. */
export interface IntRangePredicate {
  kind: 'int-range';
  /** The filter's name, e.g. 'int_1p' for rate 0.01 (VectorDBBench's `neighbors_int_1p`); not a column. */
  label: string;
  /** Ids at or above this pass. */
  min: number;
}

export type FilterPredicate = LabelPredicate | IntRangePredicate;

export interface SearchFilter {
  /** allowed[id] = 1 when the row with that id passes; ids at or past its length never pass. */
  readonly allowed: Uint8Array;
  /** Rows that pass (ones in `allowed`). */
  readonly count: number;
  /** The nominal share of rows kept (0.01 for label_1p; 0.99 for int_1p, rate 0.01). */
  readonly selectivity: number;
  readonly predicate: FilterPredicate;
}

/** Does id pass? (ids beyond the bitmap do not.) */
export function passes(f: SearchFilter, id: number): boolean {
  return id >= 0 && id < f.allowed.length && f.allowed[id] === 1;
}

/** Returned ids (−1 padding skipped) that do not pass `f`. */
export function violations(f: SearchFilter, ids: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < ids.length; i++) if (ids[i] >= 0 && !passes(f, ids[i])) n++;
  return n;
}

/** A filter over the rows of `allowed` carrying `label`, kept share `selectivity`. */
export function labelFilter(label: string, selectivity: number, allowed: Uint8Array): SearchFilter {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(label)) throw new RangeError(`labelFilter: '${label}' is not a plain identifier`);
  let count = 0;
  for (let i = 0; i < allowed.length; i++) count += allowed[i];
  return { allowed, count, selectivity, predicate: { kind: 'label', label } };
}

/** The share an int filter of rate `rate` keeps, 1 − rate without float noise (1 − 0.9 is 0.09999999999999998). */
export function keptOf(rate: number): number {
  return Number((1 - rate).toPrecision(12));
}

/**
 * VectorDBBench's int filter over ids 0..rows−1: `id >= int(rows·rate)`, rate = the share excluded
 * (0 ≤ rate < 1, so at least one row passes); named `int_{100·rate}p`.
 */
export function intFilter(rate: number, rows: number, name: string): SearchFilter {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`intFilter: rate ${rate} is not in [0, 1)`);
  const min = Math.floor(rows * rate);
  const allowed = new Uint8Array(rows).fill(1, min);
  return { allowed, count: rows - min, selectivity: keptOf(rate), predicate: { kind: 'int-range', label: name, min } };
}

/**
 * A database's WHERE condition for a filter: `id >= min` for an int filter; for a label, the label's
 * boolean column (`labelColumn` adds and sets it from the bitmap, as the database's own labels would be).
 */
export async function whereClause(f: SearchFilter, labelColumn: (f: SearchFilter) => Promise<string>): Promise<string> {
  return f.predicate.kind === 'int-range' ? `id >= ${f.predicate.min}` : labelColumn(f);
}

/** The ids (ascending) that pass. */
export function allowedIds(f: SearchFilter): Int32Array {
  const out = new Int32Array(f.count);
  for (let i = 0, j = 0; i < f.allowed.length; i++) if (f.allowed[i]) out[j++] = i;
  return out;
}
