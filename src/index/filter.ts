/**
 * A search filter (VectorDBBench's filter cases): which ids a filtered search may return. Own scans
 * (flat, pq, ivfpq, wrvq, hnswlib's callback) test `allowed[id]` before a candidate enters the
 * top-k; a database (LanceDB, pgvector) turns `predicate` into its WHERE clause instead.
 */

/** The rows carrying a label: VectorDBBench's `labels = 'label_{p}p'`, a boolean column per label here. */
export interface LabelPredicate {
  kind: 'label';
  /** Label (and column) name, e.g. 'label_1p'; only [A-Za-z0-9_] so it is safe as an SQL identifier. */
  label: string;
}

export interface SearchFilter {
  /** allowed[id] = 1 when the row with that id passes; ids at or past its length never pass. */
  readonly allowed: Uint8Array;
  /** Rows that pass (ones in `allowed`). */
  readonly count: number;
  /** The nominal share of rows kept (0.01 for label_1p). */
  readonly selectivity: number;
  readonly predicate: LabelPredicate;
}

/** Does id pass? (ids beyond the bitmap do not.) */
export function passes(f: SearchFilter, id: number): boolean {
  return id >= 0 && id < f.allowed.length && f.allowed[id] === 1;
}

/** A filter over the rows of `allowed` carrying `label`, kept share `selectivity`. */
export function labelFilter(label: string, selectivity: number, allowed: Uint8Array): SearchFilter {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(label)) throw new RangeError(`labelFilter: '${label}' is not a plain identifier`);
  let count = 0;
  for (let i = 0; i < allowed.length; i++) count += allowed[i];
  return { allowed, count, selectivity, predicate: { kind: 'label', label } };
}

/** The ids (ascending) that pass. */
export function allowedIds(f: SearchFilter): Int32Array {
  const out = new Int32Array(f.count);
  for (let i = 0, j = 0; i < f.allowed.length; i++) if (f.allowed[i]) out[j++] = i;
  return out;
}
