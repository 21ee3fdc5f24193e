// Shared checks of the index tests: ground truth by the flat index, recall@k, sortedness.
import assert from 'node:assert/strict';
import type { Matrix } from '../../src/core/matrix.js';
import { knn } from '../../src/core/parallel.js';
import type { SearchResult } from '../../src/index/types.js';

export async function groundTruth(base: Matrix, q: Matrix, k: number, metric: 'l2' | 'ip' = 'l2'): Promise<Int32Array> {
  return (await knn(base, q, k, metric)).ids;
}

/** recall@k = |approx top-k ∩ true top-k| / k, averaged over queries (ann-benchmarks). */
export function recallAt(r: SearchResult, truth: Int32Array, tk: number, k = r.k): number {
  let hits = 0;
  for (let i = 0; i < r.nq; i++) {
    const t = new Set(truth.subarray(i * tk, i * tk + k));
    for (let j = 0; j < k; j++) if (t.has(r.ids[i * r.k + j])) hits++;
  }
  return hits / (r.nq * k);
}

/** k ids per query, no −1 padding (when enough vectors are reachable), distances sorted best first. */
export function assertSortedResult(r: SearchResult, nq: number, k: number, ascending = true): void {
  assert.equal(r.nq, nq);
  assert.equal(r.k, k);
  assert.equal(r.ids.length, nq * k);
  for (let i = 0; i < nq; i++) {
    const seen = new Set<number>();
    for (let j = 0; j < k; j++) {
      const id = r.ids[i * k + j];
      assert.ok(id >= 0, `query ${i}: id ${id} at rank ${j}`);
      assert.ok(!seen.has(id), `query ${i}: duplicate id ${id}`);
      seen.add(id);
      if (j > 0) {
        const a = r.dists[i * k + j - 1], b = r.dists[i * k + j];
        assert.ok(ascending ? a <= b : a >= b, `query ${i}: distances not sorted at rank ${j}: ${a}, ${b}`);
      }
    }
  }
}

export function assertClose(got: number, want: number, rel = 1e-4, what = ''): void {
  const tol = rel * Math.max(1, Math.abs(want));
  assert.ok(Math.abs(got - want) <= tol, `${what} got ${got}, want ${want} (tolerance ${tol})`);
}
