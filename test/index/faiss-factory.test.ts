// The one faiss factory reader: components, the summary the cost model and paper matching read, the memory layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { factoryLayout, parseFactory, trainsPolysemous } from '../../src/index/faiss-factory.js';
import { descriptor as faiss, faissCost } from '../../src/index/faiss.js';

test('parseFactory: IVF lists, PQ sub-quantizers and bits, np, HNSW links, Flat, pre-transforms', () => {
  const ivfpq = parseFactory('IVF1024,PQ50np');
  assert.deepEqual(ivfpq.components, [{ kind: 'ivf', nlist: 1024, hnswM: null }, { kind: 'pq', m: 50, nbits: 8, np: true }]);
  assert.equal(ivfpq.nlist, 1024);
  assert.deepEqual(ivfpq.pq, { m: 50, nbits: 8 });
  assert.equal(ivfpq.np, true);
  assert.equal(ivfpq.flat, false);
  assert.ok(ivfpq.understood);

  const hnsw = parseFactory('HNSW32');
  assert.equal(hnsw.hnswM, 32);
  assert.equal(hnsw.flat, true);
  assert.equal(hnsw.nlist, 0);

  assert.equal(parseFactory('Flat').flat, true);
  assert.deepEqual(parseFactory('PQ50x4').pq, { m: 50, nbits: 4 });
  assert.equal(parseFactory('IVF256,Flat').flat, true);
  assert.equal(parseFactory('IVF256,SQ8').sqBits, 8);
  assert.equal(parseFactory('IVF256,SQfp16').sqBits, 16);

  // OPQ is a rotation, not the codes: the PQ component is the one counted
  const opq = parseFactory('OPQ32_128,IVF1024,PQ16');
  assert.deepEqual(opq.pq, { m: 16, nbits: 8 });
  assert.deepEqual(opq.components[0], { kind: 'opq', m: 32, dOut: 128 });

  // an IVF whose coarse quantizer is an HNSW graph is an IVF index, not an HNSW one
  const ivfHnsw = parseFactory('IVF4096_HNSW32,PQ16');
  assert.equal(ivfHnsw.nlist, 4096);
  assert.equal(ivfHnsw.ivfHnswM, 32);
  assert.equal(ivfHnsw.hnswM, 0);

  assert.equal(parseFactory('IVF1024,LSH').understood, false);
  assert.equal(trainsPolysemous(parseFactory('IVF1024,PQ50')), true);
  assert.equal(trainsPolysemous(parseFactory('IVF1024,PQ50np')), false);
  assert.equal(trainsPolysemous(parseFactory('PQ50x4')), false);
});

test('factoryLayout reads the common factory strings (memory estimate, training rows)', () => {
  const s = factoryLayout('OPQ16_64,IVF256,PQ16', 128);
  assert.equal(s.dOut, 64);
  assert.equal(s.ivf, 256);
  assert.equal(s.codeBytes, 16);
  assert.equal(s.minTrainRows, 256);
  assert.ok(s.understood);
  assert.equal(factoryLayout('IVF1024,SQ8', 96).codeBytes, 96);
  assert.equal(factoryLayout('PQ50x4', 100).codeBytes, 25);
  assert.equal(factoryLayout('HNSW32', 100).codeBytes, 400);
  assert.equal(factoryLayout('LSH', 64).understood, false);
  // IVFPQ with L2 precomputes nlist × m × 2^nbits floats; with ip it does not
  const l2 = factoryLayout('IVF16,PQ4', 32, 'l2'), ip = factoryLayout('IVF16,PQ4', 32, 'ip');
  assert.equal(l2.fixedBytes - ip.fixedBytes, 16 * 4 * 256 * 4);
});

test('faiss cost model and paper row come from the parsed factory', () => {
  const shape = { base: 100_000, queries: 1000, dim: 100 };
  const ivf = faissCost(parseFactory('IVF1024,PQ50np'), 100, 100_000);
  assert.ok(ivf.querySeconds({ nprobe: 16 }) > ivf.querySeconds({ nprobe: 1 }), 'more probes cost more');
  const hnsw = faiss.cost({ factory: 'HNSW32', metric: 'l2', searchThreads: 1, buildThreads: 1 }, shape, 100_000);
  assert.ok(hnsw.querySeconds({ efSearch: 256 }) > hnsw.querySeconds({ efSearch: 16 }));
  const match = (f: string) => faiss.paperMatch?.({ factory: f, metric: 'l2', searchThreads: 1, buildThreads: 1 }) ?? null;
  assert.deepEqual([match('IVF1024,PQ4')?.method, match('IVF1024,PQ4')?.sameSetting], ['ivfpqindex(milvus)', true]);
  assert.equal(match('IVF1024,PQ4x8np')?.sameSetting, true);
  assert.equal(match('IVF1024,PQ50np')?.sameSetting, false);
  assert.equal(match('PQ4np')?.method, 'pqindex(milvus)');
  assert.equal(match('HNSW32')?.method, 'hnswindex(milvus)');
  assert.equal(match('Flat'), null);
  assert.equal(match('IVF1024,Flat'), null);
});
