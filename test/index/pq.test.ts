// PQ and IVF-PQ indexes: ADC against decoded vectors, IVF with nprobe = nlist against a full scan
// of PQ-on-residuals, incremental add, recall against nprobe, parameter errors.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix } from '../../src/core/matrix.js';
import { InputError } from '../../src/core/errors.js';
import { nearestSync, shutdownWorkers } from '../../src/core/parallel.js';
import { l2sq, dot } from '../../src/core/distance.js';
import { PqIndex } from '../../src/index/pq.js';
import { IvfPqIndex, LIST_SUM_MIN_ROWS } from '../../src/index/ivfpq.js';
import { setWasmKernelsEnabled, wasmKernelsAvailable, wasmKernelsEnabled } from '../../src/core/wasm/loader.js';
import { residentBytes } from '../../src/core/wasm/memory.js';
import type { SearchParams, SearchResult, VectorIndex } from '../../src/index/types.js';
import { mixture } from '../helpers/data.js';
import { assertClose, assertSortedResult, groundTruth, recallAt } from './helpers.js';

after(shutdownWorkers);

const D = 32;
const all = mixture(4200, D, 20, 7, 0.6);
const base = all.sliceRows(0, 4000);
const queries = all.sliceRows(4000, 4100);
const extra = all.sliceRows(4100, 4200);
const K = 10;

test('pq: k sorted ids per query; ADC distance = distance to the decoded vector', async () => {
  const idx = new PqIndex({ m: 8, nbits: 6 });
  await idx.build(base, { seed: 3 });
  assert.equal(idx.label, 'pq:m=8,nbits=6,metric=l2,opq=false');
  assert.equal(idx.bitsPerVector, 48);
  const r = idx.search(queries, K);
  assertSortedResult(r, queries.rows, K);
  const dec = idx.pq.decode(idx.pq.encode(base));
  for (let i = 0; i < queries.rows; i++) {
    for (let j = 0; j < K; j++) {
      const id = r.ids[i * K + j];
      assertClose(r.dists[i * K + j], l2sq(queries.data, i * D, dec.data, id * D, D), 1e-4, `q${i} id${id}`);
    }
  }
  const mem = idx.memoryBreakdown();
  assert.equal(mem.codes, 4000 * 8);
  assert.equal(mem.lists, 4000 * 4);
  assert.equal(mem.total, idx.memoryBytes());
});

test('pq: ip metric scores = q · decoded vector, descending', async () => {
  const idx = new PqIndex({ m: 8, nbits: 6, metric: 'ip' });
  await idx.build(base, { seed: 3 });
  const r = idx.search(queries, K);
  assertSortedResult(r, queries.rows, K, false);
  const dec = idx.pq.decode(idx.pq.encode(base));
  for (let i = 0; i < 10; i++) {
    for (let j = 0; j < K; j++) assertClose(r.dists[i * K + j], dot(queries.data, i * D, dec.data, r.ids[i * K + j] * D, D));
  }
});

test('pq: add() after build finds the added vectors first', async () => {
  const idx = new PqIndex({ m: 16, nbits: 6 });
  await idx.build(base, { seed: 3 });
  await idx.add(extra);
  assert.equal(idx.size, 4100);
  const r = idx.search(extra, 1);
  let first = 0;
  for (let i = 0; i < extra.rows; i++) if (r.ids[i] === 4000 + i) first++;
  assert.ok(first >= 98, `${first} of 100 added vectors found first`);
});

/** Reference: every base vector's ||q − c_assign − decode(pq(x − c_assign))||², a full scan. */
function residualScan(idx: IvfPqIndex, x: Matrix, q: Matrix): Float64Array[] {
  const cent = idx.coarseCentroids!;
  const ip = idx.metric === 'ip';
  const assign = nearestSync(x, cent, idx.metric).ids;
  const res = x.clone();
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < D; j++) res.data[i * D + j] -= cent.data[assign[i] * D + j];
  const dec = idx.pq.decode(idx.pq.encode(res));
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < D; j++) dec.data[i * D + j] += cent.data[assign[i] * D + j];
  // ip: negated, so that an ascending sort ranks best first
  const score = (i: number, j: number) => (ip ? -dot(q.data, i * D, dec.data, j * D, D) : l2sq(q.data, i * D, dec.data, j * D, D));
  return Array.from({ length: q.rows }, (_, i) => Float64Array.from({ length: x.rows }, (_, j) => score(i, j)));
}

function assertEqualsScan(idx: IvfPqIndex, ip: boolean): void {
  const r = idx.search(queries, K, { nprobe: idx.nlist });
  assertSortedResult(r, queries.rows, K, !ip);
  const ref = residualScan(idx, base, queries);
  const sign = ip ? -1 : 1;
  for (let i = 0; i < queries.rows; i++) {
    const sorted = Float64Array.from(ref[i]).sort();
    for (let j = 0; j < K; j++) {
      const id = r.ids[i * K + j];
      assertClose(sign * r.dists[i * K + j], ref[i][id], 1e-4, `q${i} rank ${j} id ${id}`);
      assertClose(sign * r.dists[i * K + j], sorted[j], 1e-4, `q${i} rank ${j}`);
    }
  }
}

// 'table' with lists of ~1000 rows (tables summed before the scan) and of ~30 (two lookups per code)
for (const [tables, nlist] of [['table', 4], ['table', 128], ['norms', 16], ['none', 16]] as const) {
  test(`ivfpq (tables=${tables}, nlist=${nlist}): nprobe = nlist equals the full scan of PQ on residuals`, async () => {
    const idx = new IvfPqIndex({ nlist, m: 8, nbits: 6, tables });
    await idx.build(base, { seed: 5 });
    assert.equal(idx.usesPrecomputed, tables === 'table');
    assert.equal(idx.bitsPerVector, 48 + (tables === 'norms' ? 32 : 0));
    if (tables === 'norms') assert.equal(idx.memoryBreakdown().codes, 4000 * (8 + 4));
    assertEqualsScan(idx, false);
    if (tables === 'table' && nlist === 4) assert.ok(Math.min(...idx.listSizes()) >= LIST_SUM_MIN_ROWS);
    if (tables === 'table' && nlist === 128) assert.ok(Math.max(...idx.listSizes()) < LIST_SUM_MIN_ROWS);
  });
}

test('ivfpq: label, bits, memory; recall rises with nprobe; add() finds added vectors', async () => {
  const idx = new IvfPqIndex({ nlist: 32, m: 8, nbits: 6 });
  await idx.build(base, { seed: 5 });
  assert.equal(idx.label, 'ivfpq:nlist=32,m=8,nbits=6,metric=l2,tables=table,opq=false');
  assert.equal(idx.bitsPerVector, 48);
  const mem = idx.memoryBreakdown();
  assert.equal(mem.codes, 4000 * 8);
  assert.equal(mem.lists, 4000 * 4 + 33 * 4);
  // codebooks, codeword norms, centroids, their norms, precomputed tables; with the wasm kernels also
  // their copies in wasm memory: transposed codebooks + sub-space table + norms, packed centroids + norms
  const wasmCopies = wasmKernelsEnabled() ? 8 * 64 * 4 * 4 + 2 * 8 * 4 + 8 * 64 * 4 + 32 * D * 4 + 32 * 4 : 0;
  assert.equal(mem.codebooks, 8 * 64 * 4 * 4 + 8 * 64 * 4 + 32 * D * 4 + 32 * 4 + 32 * 8 * 64 * 4 + wasmCopies);
  const truth = await groundTruth(base, queries, K);
  const recalls = [1, 2, 4, 8, 16, 32].map((nprobe) => recallAt(idx.search(queries, K, { nprobe }), truth, K));
  for (let i = 1; i < recalls.length; i++) assert.ok(recalls[i] >= recalls[i - 1], `recalls ${recalls.join(', ')}`);
  assert.ok(recalls[recalls.length - 1] > 0.5, `recalls ${recalls.join(', ')}`);

  await idx.add(extra, Uint32Array.from({ length: 100 }, (_, i) => 9000 + i));
  assert.equal(idx.size, 4100);
  const r = idx.search(extra, 1, { nprobe: 1 });
  let first = 0;
  for (let i = 0; i < extra.rows; i++) if (r.ids[i] === 9000 + i) first++;
  assert.ok(first >= 98, `${first} of 100 added vectors found first`);
});

test('ivfpq: ip metric with nprobe = nlist scores q · (c + decoded residual)', async () => {
  const idx = new IvfPqIndex({ nlist: 16, m: 8, nbits: 6, metric: 'ip' });
  await idx.build(base, { seed: 5 });
  assert.equal(idx.label, 'ivfpq:nlist=16,m=8,nbits=6,metric=ip,tables=table,opq=false');
  assertEqualsScan(idx, true);
});

test('ivfpq / pq: bad parameters are InputErrors naming the flag', async () => {
  const idx = new IvfPqIndex({ nlist: 16, m: 8, nbits: 6 });
  await idx.build(base, { seed: 5 });
  const bad = (f: () => unknown, flag: RegExp) => assert.throws(f, (e: Error) => e instanceof InputError && flag.test(e.message), flag.source);
  bad(() => idx.search(queries, K, { nprobe: 17 }), /--nprobe/);
  bad(() => idx.search(queries, K, { nprobes: 2 }), /--nprobes/);
  bad(() => idx.search(queries, 5000), /--k/);
  bad(() => idx.search(queries, 0), /--k/);
  bad(() => new IvfPqIndex({ nlist: 0 }), /--nlist/);
  await assert.rejects(() => new IvfPqIndex({ nlist: 5000 }).build(base), (e: Error) => e instanceof InputError && /--nlist/.test(e.message));
  await assert.rejects(() => new PqIndex({ m: 64 }).build(base), (e: Error) => e instanceof InputError && /--m/.test(e.message));
  bad(() => idx.search(Matrix.zeros(2, D + 1), 1), /dimension/);
});

// ---- the wasm search paths (tables, scans and heaps in wasm) against the JS ones ----

/** The same search with the wasm kernels on and off. */
function bothWays(idx: VectorIndex, q: Matrix, k: number, params: SearchParams = {}): { wasm: SearchResult; js: SearchResult } {
  const wasm = idx.search(q, k, params) as SearchResult;
  const was = setWasmKernelsEnabled(false);
  try {
    return { wasm, js: idx.search(q, k, params) as SearchResult };
  } finally {
    setWasmKernelsEnabled(was);
  }
}

/**
 * Same neighbours and distances: the scans are the same operations (bit for bit on equal tables);
 * the tables differ in float32 rounding, so distances agree to ~1e-6 and an id may swap on a near-tie.
 */
function assertSameResults(a: SearchResult, b: SearchResult, what: string): void {
  assert.equal(a.nq, b.nq);
  assert.equal(a.k, b.k);
  let differ = 0;
  for (let u = 0; u < a.ids.length; u++) {
    if (a.dists[u] !== b.dists[u]) assertClose(a.dists[u], b.dists[u], 1e-5, `${what} at ${u}`); // equal includes ±Infinity padding
    if (a.ids[u] !== b.ids[u]) differ++;
  }
  assert.ok(differ <= a.ids.length / 100, `${what}: ${differ} of ${a.ids.length} ids differ`);
}

const wasmSkip = wasmKernelsAvailable() ? false : 'the wasm kernels did not load on this engine';

for (const p of [
  { nlist: 4, tables: 'table' }, { nlist: 128, tables: 'table' }, { nlist: 16, tables: 'norms' }, { nlist: 16, tables: 'none' },
  { nlist: 16, metric: 'ip' }, { nlist: 16, nbits: 9 },
] as const) {
  test(`ivfpq ${JSON.stringify(p)}: the wasm search equals the JS search (blocks and single queries)`, { skip: wasmSkip }, async () => {
    const idx = new IvfPqIndex({ m: 8, nbits: 6, ...p });
    await idx.build(base, { seed: 5 });
    try {
      for (const nprobe of [1, 3, p.nlist]) {
        const r = bothWays(idx, queries, K, { nprobe });
        assertSameResults(r.wasm, r.js, `nprobe ${nprobe}`);
        for (let i = 0; i < 5; i++) {
          const one = bothWays(idx, queries.sliceRows(i, i + 1), K, { nprobe });
          assertSameResults(one.wasm, one.js, `query ${i} nprobe ${nprobe}`);
          assert.deepEqual([...one.wasm.ids], [...r.wasm.ids.subarray(i * K, (i + 1) * K)], 'a single query = its row of the block');
        }
      }
      await idx.add(extra);
      const r = bothWays(idx, extra, 3, { nprobe: 2 });
      assertSameResults(r.wasm, r.js, 'after add()');
    } finally {
      await idx.close();
    }
  });
}

for (const p of [{ nbits: 6 }, { nbits: 6, metric: 'ip' }, { nbits: 9 }] as const) {
  test(`pq ${JSON.stringify(p)}: the wasm search equals the JS search`, { skip: wasmSkip }, async () => {
    const idx = new PqIndex({ m: 8, ...p });
    await idx.build(base, { seed: 3 });
    try {
      const r = bothWays(idx, queries, K);
      assertSameResults(r.wasm, r.js, 'block');
      const one = bothWays(idx, queries.sliceRows(7, 8), K);
      assertSameResults(one.wasm, one.js, 'single query');
    } finally {
      await idx.close();
    }
  });
}

test('ivfpq / pq: codes, ids and tables live in wasm memory once, and close() gives it back', { skip: wasmSkip }, async () => {
  const before = residentBytes();
  const idx = new IvfPqIndex({ nlist: 16, m: 8, nbits: 6 });
  await idx.build(base, { seed: 5 });
  const pq = new PqIndex({ m: 8, nbits: 6 });
  await pq.build(base, { seed: 3 });
  const held = residentBytes() - before;
  // ivfpq: codes + ids + precomputed tables + books + packed centroids; pq: codes + ids + books
  assert.ok(held >= 2 * (4000 * 8 + 4000 * 4) + 16 * 8 * 64 * 4, `${held} bytes resident`);
  assert.ok(held <= idx.memoryBytes() + pq.memoryBytes(), `${held} bytes resident, ${idx.memoryBytes() + pq.memoryBytes()} reported`);
  await idx.close();
  await pq.close();
  assert.equal(residentBytes(), before);
});
