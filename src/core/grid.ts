/** The one cartesian product (task grids, sweeps, the estimator): every combination, in field order. */

/**
 * Every combination of the fields' values: a list expands into one combination per item, any other
 * value is fixed; undefined fields are left out. `[['a', [1, 2]], ['b', 'x']]` → `{a:1,b:'x'}, {a:2,b:'x'}`.
 */
export function cartesian<T = unknown>(fields: Iterable<readonly [string, T | readonly T[] | undefined]>, base: Record<string, T> = {}): Record<string, T>[] {
  let out: Record<string, T>[] = [{ ...base }];
  for (const [name, v] of fields) {
    if (v === undefined) continue;
    const values = (Array.isArray(v) ? v : [v]) as T[];
    out = out.flatMap((c) => values.map((x) => ({ ...c, [name]: x })));
  }
  return out;
}
