import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TopK } from '../../src/core/topk.js';
import { Rng } from '../../src/core/rng.js';

test('TopK keeps the k smallest of each stream, sorted', () => {
  const rng = new Rng(3);
  for (const k of [1, 5, 10, 37]) {
    const n = 4, m = 500;
    const heap = new TopK(n, k);
    const all: [number, number][][] = Array.from({ length: n }, () => []);
    for (let q = 0; q < n; q++) {
      for (let i = 0; i < m; i++) {
        const v = Math.round(rng.float() * 100) / 10; // many ties
        all[q].push([v, i]);
        heap.push(q, v, i);
      }
    }
    const { ids, dists } = heap.sort();
    for (let q = 0; q < n; q++) {
      const want = all[q].sort((a, b) => a[0] - b[0] || a[1] - b[1]).slice(0, k);
      assert.deepEqual(Array.from(dists.subarray(q * k, q * k + k)), want.map((w) => Math.fround(w[0])));
      // ids agree wherever the distance is not tied with the k-th
      const kth = want[k - 1][0];
      want.forEach((w, j) => { if (w[0] < kth) assert.equal(ids[q * k + j], w[1]); });
    }
  }
});

test('TopK with fewer candidates than k pads with -1 / Infinity', () => {
  const h = new TopK(1, 5);
  h.push(0, 2, 7);
  h.push(0, 1, 3);
  const { ids, dists } = h.sort();
  assert.deepEqual(Array.from(ids), [3, 7, -1, -1, -1]);
  assert.deepEqual(Array.from(dists), [1, 2, Infinity, Infinity, Infinity]);
});

test('TopK.sort orders each heap by (distance, id): its kept entries, ties by id, padding last', () => {
  const rng = new Rng(11);
  for (const k of [1, 2, 7, 16, 100]) {
    const n = 5;
    const heap = new TopK(n, k);
    for (let q = 0; q < n; q++) {
      const m = q === 0 ? Math.max(0, k - 3) : 3 * k; // heap 0 stays part-filled (padding)
      for (let i = 0; i < m; i++) heap.push(q, Math.floor(rng.float() * 8), rng.int(1000)); // ties in distance
    }
    const before = Array.from({ length: n }, (_, q) => Array.from({ length: k }, (_, j) => [heap.dists[q * k + j], heap.ids[q * k + j]]));
    const { ids, dists } = heap.sort();
    for (let q = 0; q < n; q++) {
      const want = before[q].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      assert.deepEqual(Array.from({ length: k }, (_, j) => [dists[q * k + j], ids[q * k + j]]), want);
    }
  }
});
