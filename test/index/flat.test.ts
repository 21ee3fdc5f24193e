// Flat (exact) index against a brute-force loop, and the registry's contracts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/errors.js';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { FlatIndex } from '../../src/index/flat.js';
import { INDEX_IDS, buildRegistry, checkSearchParams, createIndex, indexEntry } from '../../src/index/registry.js';
import { bruteForceL2, mixture } from '../helpers/data.js';

after(shutdownWorkers);

const D = 24;
const base = mixture(2000, D, 10, 3);
const queries = mixture(2050, D, 10, 3).sliceRows(2000, 2050);

function bruteTopK(k: number): Int32Array[] {
  const out: Int32Array[] = [];
  for (let i = 0; i < queries.rows; i++) {
    const d = Array.from({ length: base.rows }, (_, j) => [bruteForceL2(queries.data, i * D, base.data, j * D, D), j]);
    d.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    out.push(Int32Array.from(d.slice(0, k).map((x) => x[1])));
  }
  return out;
}

test('flat: recall 1.0 against a brute-force loop, sorted distances', async () => {
  const idx = new FlatIndex();
  await idx.build(base);
  const k = 10;
  const r = await idx.search(queries, k);
  const truth = bruteTopK(k);
  let hits = 0;
  for (let i = 0; i < queries.rows; i++) {
    const got = new Set(r.ids.subarray(i * k, (i + 1) * k));
    for (const t of truth[i]) if (got.has(t)) hits++;
    for (let j = 1; j < k; j++) assert.ok(r.dists[i * k + j - 1] <= r.dists[i * k + j] + 1e-6);
  }
  assert.equal(hits / (k * queries.rows), 1);
  assert.equal(idx.memoryBreakdown().vectors, 2000 * D * 4);
  assert.equal(idx.bitsPerVector, 32 * D);
  assert.equal(idx.label, 'flat:metric=l2');
});

test('flat: ip metric returns inner products descending', async () => {
  const idx = new FlatIndex({ metric: 'ip' });
  await idx.build(base);
  const r = await idx.search(queries.sliceRows(0, 5), 5);
  for (let i = 0; i < 5; i++) for (let j = 1; j < 5; j++) assert.ok(r.dists[i * 5 + j - 1] >= r.dists[i * 5 + j] - 1e-6);
});

test('flat: add() with custom ids finds the added vectors', async () => {
  const idx = new FlatIndex();
  await idx.build(base.sliceRows(0, 1000));
  const extra = base.sliceRows(1000, 1100);
  const ids = Uint32Array.from({ length: 100 }, (_, i) => 50000 + i);
  await idx.add(extra, ids);
  assert.equal(idx.size, 1100);
  const r = await idx.search(extra, 1);
  for (let i = 0; i < 100; i++) assert.equal(r.ids[i], 50000 + i);
});

test('registry: ids, unknown id with a suggestion, unknown parameters, duplicate ids', () => {
  const ours = ['flat', 'pq', 'ivfpq', 'wrvq'];
  for (const id of ours) assert.ok(INDEX_IDS.includes(id), id);
  assert.throws(() => indexEntry('ivfqp'), (e: Error) => e instanceof InputError && /did you mean 'ivfpq'/.test(e.message));
  assert.throws(() => createIndex('ivfpq', { nlsit: 16 }), (e: Error) => e instanceof InputError && /--nlsit/.test(e.message) && /did you mean 'nlist'/.test(e.message));
  assert.throws(() => createIndex('pq', { nbits: 'x' }), (e: Error) => e instanceof InputError && /--nbits/.test(e.message));
  assert.throws(() => checkSearchParams('ivfpq', { nprob: 3 }), (e: Error) => e instanceof InputError && /--nprob/.test(e.message));
  assert.deepEqual(checkSearchParams('ivfpq', { nprobe: '4' }), { nprobe: 4 });
  const e = indexEntry('flat');
  assert.throws(() => buildRegistry([e, e]), /duplicate id 'flat'/);
  assert.ok(Object.isFrozen(indexEntry('wrvq')));
  for (const id of ours) {
    const idx = createIndex(id);
    assert.equal(idx.name, id);
    assert.deepEqual(idx.capabilities, indexEntry(id).capabilities);
  }
});

test('flat: k > size is an InputError naming --k', async () => {
  const idx = new FlatIndex();
  await idx.build(base.sliceRows(0, 5));
  await assert.rejects(() => idx.search(queries, 6), (e: Error) => e instanceof InputError && /--k/.test(e.message));
});
