// remove(ids) on real GloVe rows (test/fixtures/data/glove-sample.npy: 900 base rows, 100 queries):
// every index that declares capabilities.remove never returns a removed id afterwards, its size
// drops by the number removed, and the own indexes behave as if the rows had never been added
// (their ranking of the kept rows is unchanged at full probing; flat equals brute force over the
// kept rows) with fewer bytes; an add after a remove is found under its id. faiss removes only from
// flat-code factories, and says why not for IVF and HNSW before calling faiss (whose HNSW aborts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { InputError, UnavailableError } from '../../src/core/errors.js';
import { Matrix } from '../../src/core/matrix.js';
import { knn } from '../../src/core/parallel.js';
import { readNpy } from '../../src/data/npy.js';
import { createIndex, indexDescriptor } from '../../src/index/registry.js';
import { faissRemoveUnsupported } from '../../src/index/faiss.js';
import type { SearchParams, SearchResult, VectorIndex } from '../../src/index/types.js';

const SAMPLE = fileURLToPath(new URL('../fixtures/data/glove-sample.npy', import.meta.url));
const glove = readNpy(SAMPLE);
const base = glove.sliceRows(0, 900), queries = glove.sliceRows(900, 1000);
// every third row, and a run of the nearest neighbours of the first queries, so removals hit results
const firstHits = (await knn(base, queries.sliceRows(0, 20), 3)).ids;
const removed = new Set<number>([...Array.from({ length: 300 }, (_, i) => 3 * i + 1), ...firstHits]);
const removeIds = Uint32Array.from([...removed].sort((a, b) => a - b));
const kept = Array.from({ length: base.rows }, (_, i) => i).filter((i) => !removed.has(i));

function unavailable(id: string): string | false {
  try {
    return indexDescriptor(id).unavailable() ?? false;
  } catch (e) {
    if (e instanceof UnavailableError) return e.message;
    throw e;
  }
}

async function search(idx: VectorIndex, q: Matrix, k: number, p: SearchParams = {}): Promise<SearchResult> {
  return await idx.search(q, k, p);
}

function assertNoneRemoved(r: SearchResult, what: string): void {
  for (let i = 0; i < r.ids.length; i++) assert.ok(!removed.has(r.ids[i]), `${what}: query ${Math.floor(i / r.k)} returned removed id ${r.ids[i]}`);
}

/** Each query's ranking with the removed ids dropped, first k: what the index must return after the removal (k + 1 kept, to see ties at the cut). */
function filtered(r: SearchResult, k: number): { ids: Int32Array; dists: Float32Array } {
  k += 1;
  const ids = new Int32Array(r.nq * k), dists = new Float32Array(r.nq * k);
  for (let i = 0; i < r.nq; i++) {
    let o = 0;
    for (let j = 0; j < r.k && o < k; j++) {
      const id = r.ids[i * r.k + j];
      if (removed.has(id)) continue;
      ids[i * k + o] = id;
      dists[i * k + o++] = r.dists[i * r.k + j];
    }
  }
  return { ids, dists };
}

/** Same distances, and the same ids wherever the distance is not tied with a neighbour's. */
function assertSameRanking(got: SearchResult, want: { ids: Int32Array; dists: Float32Array }, what: string): void {
  const k = got.k, kw = k + 1;
  for (let q = 0; q < got.nq; q++) {
    for (let j = 0; j < k; j++) {
      const g = q * k + j, w = q * kw + j;
      assert.ok(Math.abs(got.dists[g] - want.dists[w]) <= 1e-4 * (1 + Math.abs(want.dists[w])), `${what}: rank ${j} of query ${q}: ${got.dists[g]} vs ${want.dists[w]}`);
      const tied = (j > 0 && want.dists[w - 1] === want.dists[w]) || want.dists[w + 1] === want.dists[w];
      if (!tied) assert.equal(got.ids[g], want.ids[w], `${what}: rank ${j} of query ${q}`);
    }
  }
}

const OWN: [string, Record<string, unknown>, SearchParams][] = [
  ['flat', {}, {}],
  ['pq', { m: 10, nbits: 6 }, {}],
  ['sq', { type: 'int8' }, {}],
  ['binary', { rotation: 'none' }, { rescore: 0 }],
  ['ivfpq', { nlist: 8, m: 10, nbits: 6 }, { nprobe: 8 }],
  ['ivfpq', { nlist: 8, m: 10, nbits: 6, tables: 'norms' }, { nprobe: 8 }],
  ['wrvq', { books: 3, size: 64, fuzzyBooks: 1 }, { nprobe: 64, fuzzyK: 0 }],
  ['wrvq', { books: 3, size: 64, rerank: true }, { nprobe: 64, fuzzyK: 0, rerankK: 900 }],
];

test('own indexes: remove() drops exactly those rows (ranking of the rest unchanged, fewer bytes), an add afterwards is found', async () => {
  for (const [id, build, params] of OWN) {
    const what = `${id} ${JSON.stringify(build)}`;
    const idx = createIndex(id, build);
    assert.ok(idx.capabilities.remove && typeof idx.remove === 'function', what);
    await idx.build(base, { seed: 3, trainRows: 900 });
    try {
      const before = await search(idx, queries, 120, params);
      const bytes = idx.memoryBytes();
      assert.equal(await idx.remove!(removeIds), removed.size, what);
      assert.equal(await idx.remove!(removeIds), 0, `${what}: a second removal of the same ids`);
      assert.equal(idx.size, base.rows - removed.size, what);
      assert.ok(idx.memoryBytes() < bytes, `${what}: ${idx.memoryBytes()} bytes after the removal, ${bytes} before`);
      const after = await search(idx, queries, 20, params);
      assertNoneRemoved(after, what);
      assertSameRanking(after, filtered(before, 20), what);
      // a new row under a new id is found first for its own vector
      await idx.add(queries.sliceRows(0, 1), Uint32Array.from([5000]));
      const own = await search(idx, queries.sliceRows(0, 1), 10, params);
      assert.ok(Array.from(own.ids).includes(5000), `${what}: the added row is not found`);
      assertNoneRemoved(own, what);
    } finally {
      await idx.close?.();
    }
  }
});

test('flat: after removals the answers equal brute force over the kept rows', async () => {
  const idx = createIndex('flat');
  await idx.build(base);
  await idx.remove!(removeIds);
  const r = await search(idx, queries, 10);
  const exact = await knn(base.selectRows(kept), queries, 10);
  for (let i = 0; i < r.ids.length; i++) assert.equal(r.ids[i], kept[exact.ids[i]], `position ${i}`);
  await idx.close?.();
});

test('hnsw: markDelete — removed ids never come back, size follows, recall over the kept rows stays high', { skip: unavailable('hnsw') }, async () => {
  const idx = createIndex('hnsw', { M: 16, efConstruction: 100 });
  await idx.build(base, { seed: 1 });
  assert.equal(await idx.remove!(removeIds), removed.size);
  assert.equal(await idx.remove!(Uint32Array.from([1, 99999])), 0, 'already deleted and never held: skipped');
  assert.equal(idx.size, kept.length);
  const r = await search(idx, queries, 10, { efSearch: 100 });
  assertNoneRemoved(r, 'hnsw');
  const exact = await knn(base.selectRows(kept), queries, 10);
  let hits = 0;
  for (let i = 0; i < queries.rows; i++) {
    const t = new Set(Array.from(exact.ids.subarray(i * 10, i * 10 + 10), (p) => kept[p]));
    for (let j = 0; j < 10; j++) if (t.has(r.ids[i * 10 + j])) hits++;
  }
  assert.ok(hits / (10 * queries.rows) > 0.9, `recall ${hits / (10 * queries.rows)}`);
  await idx.close?.();
});

test('faiss: remove_ids on Flat equals brute force over the kept rows, PQ never returns a removed id; IVF and HNSW refused in one sentence', { skip: unavailable('faiss') }, async () => {
  const flat = createIndex('faiss', { factory: 'Flat' });
  await flat.build(base);
  assert.equal(await flat.remove!(removeIds), removed.size);
  const r = await search(flat, queries, 10);
  const exact = await knn(base.selectRows(kept), queries, 10);
  for (let i = 0; i < exact.ids.length; i++) assert.equal(r.ids[i], kept[exact.ids[i]], `position ${i}`);
  await flat.add(queries.sliceRows(0, 1), Uint32Array.from([5000])); // labels after a removal: faiss compacted them
  assert.equal((await search(flat, queries.sliceRows(0, 1), 10)).ids[0], 5000);
  await flat.close?.();

  const pq = createIndex('faiss', { factory: 'PQ10np' });
  await pq.build(base, { seed: 1 });
  assert.equal(await pq.remove!(removeIds), removed.size);
  assertNoneRemoved(await search(pq, queries, 20), 'faiss PQ10np');
  await pq.close?.();

  assert.equal(faissRemoveUnsupported('OPQ10,PQ10np'), null);
  assert.match(faissRemoveUnsupported('IVF16,Flat')!, /^deletes are not supported by faiss --factory 'IVF16,Flat': faiss-node has no add_with_ids.*\.$/);
  assert.match(faissRemoveUnsupported('HNSW16')!, /^deletes are not supported by faiss --factory 'HNSW16': faiss HNSW indexes have no remove_ids; use a Flat, PQ or SQ factory\.$/);
  const hnsw = createIndex('faiss', { factory: 'HNSW16' });
  await hnsw.build(base.sliceRows(0, 100));
  await assert.rejects(hnsw.remove!(Uint32Array.from([1])), (e) => e instanceof InputError && /HNSW/.test(e.message));
  await hnsw.close?.();
});

test('lancedb: DELETE — removed ids never come back, size follows', { skip: unavailable('lancedb') }, async () => {
  const idx = createIndex('lancedb', { numPartitions: 4, numSubVectors: 10 });
  await idx.build(base, { seed: 1 });
  try {
    assert.equal(await idx.remove!(removeIds), removed.size);
    assert.equal(idx.size, kept.length);
    assertNoneRemoved(await search(idx, queries, 10, { nprobes: 4 }), 'lancedb');
  } finally {
    await idx.close?.();
  }
});
