import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix } from '../../src/core/matrix.js';
import { knnRange, type Metric } from '../../src/core/search.js';
import { InputError } from '../../src/core/errors.js';
import { recallAtK } from '../../src/eval/ann.js';
import { FaissIndex, faissFeatures } from '../../src/index/faiss.js';
import { mixture } from '../helpers/data.js';

let unavailable: string | false = false;
let features = { setParameter: false, threads: false, defaultThreads: 0 };
try {
  features = faissFeatures();
} catch (e) {
  unavailable = `faiss-node unavailable: ${(e as Error).message}`;
}
const noSetParameter = unavailable || (!features.setParameter &&
  'faiss-node built without setParameter (stock build): nprobe cannot be set; rebuild with npm run build:faiss-node');

function bruteForce(base: Matrix, q: Matrix, k: number, metric: Metric) {
  const ids = new Int32Array(q.rows * k), dists = new Float32Array(q.rows * k);
  knnRange(base.data, base.rows, null, q.data, 0, q.rows, base.dim, k, metric, ids, dists);
  return { ids, dists };
}

const base = mixture(4000, 32, 16, 21);
const queries = mixture(50, 32, 16, 22);

for (const metric of ['l2', 'ip'] as const) {
  test(`faiss Flat (${metric}) equals our brute force exactly`, { skip: unavailable }, async () => {
    const idx = new FaissIndex({ factory: 'Flat', metric });
    await idx.build(base);
    assert.equal(idx.size, 4000);
    assert.equal(idx.bitsPerVector, 32 * 32);
    const exact = bruteForce(base, queries, 10, metric);
    // one query at a time (as measured) and all at once (faiss's BLAS path) give the same ids
    const runs = [{ first: 0, r: idx.search(queries, 10) }, ...[0, 17, 49].map((i) => ({ first: i, r: idx.search(queries.sliceRows(i, i + 1), 10) }))];
    for (const { first, r } of runs) {
      const o = first * 10, n = r.nq * 10;
      assert.deepEqual(Array.from(r.ids), Array.from(exact.ids.subarray(o, o + n)));
      for (let j = 0; j < n; j++) assert.ok(Math.abs(r.dists[j] - exact.dists[o + j]) < 1e-4, `distance ${j}: ${r.dists[j]} vs ${exact.dists[o + j]}`);
    }
    const mem = idx.memoryBreakdown();
    assert.equal(mem.vectors, 4000 * 32 * 4);
  });
}

test('faiss IVF: recall rises with nprobe and reaches the exact answer at nprobe = nlist', { skip: noSetParameter }, async () => {
  const idx = new FaissIndex({ factory: 'IVF64,Flat' });
  const rep = await idx.build(base, { seed: 3, trainRows: 2000 });
  assert.ok(rep.notes.some((n) => n.includes('trained on 2000 of 4000')));
  const exact = bruteForce(base, queries, 10, 'l2');
  const recalls = [1, 2, 4, 16, 64].map((nprobe) => recallAtK(idx.search(queries, 10, { nprobe }).ids, exact.ids, 50, 10, 10, 10));
  for (let i = 1; i < recalls.length; i++) assert.ok(recalls[i] >= recalls[i - 1], `recall by nprobe: ${recalls.join(', ')}`);
  assert.ok(recalls[0] < 1, `nprobe 1 should miss something: ${recalls[0]}`);
  assert.equal(recalls[recalls.length - 1], 1);
  // omitting nprobe goes back to faiss's default (1), not the last value used
  assert.equal(recallAtK(idx.search(queries, 10).ids, exact.ids, 50, 10, 10, 10), recalls[0]);
  // a parameter the index does not have is an InputError naming it
  assert.throws(() => idx.search(queries, 10, { efSearch: 32 }), (e: Error) => e instanceof InputError && /efSearch/.test(e.message));
  assert.throws(() => idx.search(queries, 10, { bogus: 1 }), InputError);
});

test('faiss HNSW32: efSearch is settable and a large one is accurate', { skip: noSetParameter }, async () => {
  const idx = new FaissIndex({ factory: 'HNSW32' });
  await idx.build(base);
  const exact = bruteForce(base, queries, 10, 'l2');
  const hi = recallAtK(idx.search(queries, 10, { efSearch: 256 }).ids, exact.ids, 50, 10, 10, 10);
  const lo = recallAtK(idx.search(queries, 10, { efSearch: 10 }).ids, exact.ids, 50, 10, 10, 10);
  assert.ok(hi >= 0.95 && lo <= hi, `efSearch 10: ${lo}, 256: ${hi}`);
  assert.ok(idx.memoryBreakdown().graph > 4000 * 64 * 4);
});

test('faiss: a factory string faiss rejects is an InputError naming --factory', { skip: unavailable }, async () => {
  const idx = new FaissIndex({ factory: 'IVF12,Bogus7' });
  await assert.rejects(idx.build(base.sliceRows(0, 100)), (e: Error) => {
    assert.ok(e instanceof InputError);
    assert.match(e.message, /--factory 'IVF12,Bogus7' was rejected by faiss: .*could not parse/);
    return true;
  });
  // too few training rows for the k-means is caught before faiss would abort the process
  await assert.rejects(new FaissIndex({ factory: 'IVF64,PQ8' }).build(base.sliceRows(0, 100)), (e: Error) => e instanceof InputError && /--factory/.test(e.message));
});

test('faiss PQ: trained on a seeded sample, codes estimated from the factory, custom ids after add', { skip: unavailable }, async () => {
  // PQ8np: without np faiss also trains polysemous codes, which takes about a minute
  const idx = new FaissIndex({ factory: 'PQ8np' });
  await idx.build(base.sliceRows(0, 1000), { seed: 5, trainRows: 600 });
  assert.equal(idx.bitsPerVector, 64);
  const mem = idx.memoryBreakdown();
  assert.equal(mem.codes, 1000 * 8);
  assert.equal(mem.codebooks, 32 * 256 * 4);
  // a vector added with a custom id comes back with that id
  await idx.add(base.sliceRows(3000, 3001), Uint32Array.from([777_777]));
  assert.equal(idx.size, 1001);
  const r = idx.search(base.sliceRows(3000, 3001), 5);
  assert.ok(Array.from(r.ids).includes(777_777), `ids ${Array.from(r.ids)}`);
  // k beyond the index size pads with −1 / Infinity
  const small = new FaissIndex({ factory: 'Flat' });
  await small.build(base.sliceRows(0, 3));
  const p = small.search(base.sliceRows(0, 1), 5);
  assert.deepEqual(Array.from(p.ids), [0, ...Array.from(p.ids.subarray(1, 3)), -1, -1]);
  assert.deepEqual(Array.from(p.dists.subarray(3)), [Infinity, Infinity]);
});

test('faiss: threads set to 1 for search when the build has setNumThreads', { skip: unavailable || (!features.threads && 'faiss-node lacks setNumThreads (stock build)') }, async () => {
  const idx = new FaissIndex({ factory: 'Flat' });
  const rep = await idx.build(base.sliceRows(0, 100));
  assert.ok(rep.notes.some((n) => /1 for search/.test(n)), rep.notes.join('; '));
});

