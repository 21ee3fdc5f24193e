import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix } from '../../src/core/matrix.js';
import { knnRange, type Metric } from '../../src/core/search.js';
import { InputError } from '../../src/core/errors.js';
import { recallAtK } from '../../src/eval/ann.js';
import { HnswIndex, loadHnswlib } from '../../src/index/hnsw.js';
import { mixture } from '../helpers/data.js';

let unavailable: string | false = false;
try {
  loadHnswlib();
} catch (e) {
  unavailable = `hnswlib-node unavailable: ${(e as Error).message}`;
}

function bruteForce(base: Matrix, q: Matrix, k: number, metric: Metric) {
  const ids = new Int32Array(q.rows * k), dists = new Float32Array(q.rows * k);
  knnRange(base.data, base.rows, null, q.data, 0, q.rows, base.dim, k, metric, ids, dists);
  return { ids, dists };
}

const base = mixture(3000, 24, 20, 11);
const queries = mixture(100, 24, 20, 12);

for (const metric of ['l2', 'ip'] as const) {
  test(`hnsw (${metric}): large efSearch reaches recall@10 ≥ 0.95; answers sorted best first`, { skip: unavailable }, async () => {
    const idx = new HnswIndex({ M: 16, efConstruction: 100, metric });
    const rep = await idx.build(base, { seed: 7 });
    assert.ok(rep.seconds > 0);
    assert.equal(idx.size, 3000);
    const exact = bruteForce(base, queries, 10, metric);
    const r = idx.search(queries, 10, { efSearch: 200 });
    assert.equal(r.nq, 100);
    const recall = recallAtK(r.ids, exact.ids, 100, 10, 10, 10);
    assert.ok(recall >= 0.95, `recall@10 = ${recall}`);
    for (let i = 0; i < r.nq; i++) {
      for (let j = 1; j < 10; j++) {
        const a = r.dists[i * 10 + j - 1], b = r.dists[i * 10 + j];
        assert.ok(metric === 'l2' ? a <= b : a >= b, `query ${i}: distances not sorted at ${j}`);
      }
      // distances are real squared L2 / inner products: the first equals brute force when the ids agree
      if (r.ids[i * 10] === exact.ids[i * 10]) assert.ok(Math.abs(r.dists[i * 10] - exact.dists[i * 10]) < 1e-4);
    }
    // a tiny efSearch is worse or equal (hnswlib uses max(ef, k))
    const low = recallAtK(idx.search(queries, 10, { efSearch: 10 }).ids, exact.ids, 100, 10, 10, 10);
    assert.ok(low <= recall, `efSearch 10: ${low}, 200: ${recall}`);
  });
}

test('hnsw: add() after build finds the added vector first, with its id', { skip: unavailable }, async () => {
  const idx = new HnswIndex({ M: 8, efConstruction: 50 });
  await idx.build(base.sliceRows(0, 500), { seed: 1 });
  const extra = mixture(3, 24, 2, 99, 0.5);
  await idx.add(extra.sliceRows(0, 1));
  assert.equal(idx.size, 501);
  await idx.add(extra.sliceRows(1, 3), Uint32Array.from([9000, 9001]));
  assert.equal(idx.size, 503);
  const r = idx.search(extra, 1, { efSearch: 64 });
  assert.deepEqual(Array.from(r.ids), [500, 9000, 9001]);
  for (const d of r.dists) assert.ok(d < 1e-5);
  const mem = idx.memoryBreakdown();
  assert.equal(mem.total, idx.memoryBytes());
  assert.ok(mem.vectors >= 503 * 24 * 4 && mem.graph > 503 * 2 * 8 * 4);
});

test('hnsw: k larger than the index, unknown and invalid search parameters are InputErrors naming the flag', { skip: unavailable }, async () => {
  const idx = new HnswIndex();
  await idx.build(base.sliceRows(0, 5));
  assert.equal(idx.search(base.sliceRows(0, 1), 5).ids[0], 0);
  assert.throws(() => idx.search(base.sliceRows(0, 1), 8), /--k: hnsw holds 5 vectors, fewer than k = 8/);
  assert.throws(() => idx.search(base.sliceRows(0, 1), 1, { nprobe: 3 }), /--nprobe: unknown hnsw search parameter/);
  assert.throws(() => idx.search(base.sliceRows(0, 1), 1, { nprobe: 3 }), InputError);
  assert.throws(() => idx.search(base.sliceRows(0, 1), 1, { efSearch: 0 }), InputError);
  assert.equal(idx.label, 'hnsw:M=16,efConstruction=200,metric=l2');
});
