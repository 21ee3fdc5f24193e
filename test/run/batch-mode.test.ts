// Batch mode: all queries in one call across worker threads (own indexes and hnswlib restore a
// snapshot in each worker; faiss and flat thread their own search) returns exactly what the
// single-query loop returns: the same ids, the same distances to 1e-6.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { measureSearch } from '../../src/eval/ann.js';
import { createIndex, indexDescriptor } from '../../src/index/registry.js';
import { searchBatch } from '../../src/index/search-modes.js';
import type { SearchParams } from '../../src/index/types.js';
import { mixture } from '../helpers/data.js';

after(shutdownWorkers);

const D = 24, K = 10;
const all = mixture(2200, D, 16, 11, 0.6);
const base = all.sliceRows(0, 2000);
const queries = all.sliceRows(2000, 2200);

const CASES: { id: string; build: Record<string, unknown>; search: SearchParams }[] = [
  { id: 'flat', build: {}, search: {} },
  { id: 'pq', build: { m: 6, nbits: 6 }, search: {} },
  { id: 'ivfpq', build: { nlist: 32, m: 6, nbits: 6 }, search: { nprobe: 4 } },
  { id: 'ivfpq', build: { nlist: 32, m: 6, nbits: 6, tables: 'norms', opq: true }, search: { nprobe: 3 } },
  { id: 'wrvq', build: { books: 3, size: 32 }, search: { nprobe: 2, fuzzyK: 4 } },
  { id: 'sq', build: { type: 'int8' }, search: {} },
  { id: 'binary', build: {}, search: { rescore: 4 } },
  { id: 'rabitq', build: { nlist: 4 }, search: {} },
  { id: 'scann', build: { m: 6, nbits: 4 }, search: {} },
  { id: 'hnsw', build: { M: 8, efConstruction: 40 }, search: { efSearch: 20 } },
  { id: 'faiss', build: { factory: 'IVF32,PQ6x5np' }, search: { nprobe: 4 } },
];

for (const c of CASES) {
  const skip = indexDescriptor(c.id).unavailable();
  test(`${c.id} ${JSON.stringify(c.build)}: batch on 3 threads equals one query at a time`, { skip: skip ?? false }, async () => {
    assert.equal(indexDescriptor(c.id).capabilities.batch, true);
    const index = createIndex(c.id, c.build);
    try {
      await index.build(base, { seed: 5 });
      const single = await measureSearch(index, queries, K, c.search, { warmupQueries: 0 });
      const batch = await searchBatch(index, queries, K, c.search, 3);
      assert.equal(batch.nq, queries.rows);
      const close = (a: number, b: number) => a === b || Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
      for (let i = 0; i < single.dists.length; i++) assert.ok(close(batch.dists[i], single.dists[i]), `distance ${i}: ${batch.dists[i]} vs ${single.dists[i]}`);
      if (c.id !== 'faiss') {
        assert.deepEqual(Array.from(batch.ids), Array.from(single.ids));
      } else {
        // faiss's search(nq) takes another path than nq = 1 (BLAS for the coarse step and tables): ids
        // may trade places only between neighbours whose distances agree to 1e-6
        for (let i = 0; i < single.ids.length; i++) {
          if (batch.ids[i] === single.ids[i]) continue;
          const row = Math.floor(i / K) * K;
          const j = Array.from(single.ids.subarray(row, row + K)).indexOf(batch.ids[i]);
          assert.ok(j >= 0 && close(single.dists[row + j], single.dists[i]), `rank ${i}: id ${batch.ids[i]} vs ${single.ids[i]} is not a tie`);
        }
      }
      // the exact answer is known for flat: its batch is the brute force
      if (c.id === 'flat') assert.ok(single.ids.every((id) => id >= 0));
    } finally {
      await index.close?.();
    }
  });
}

test('filtered batch (worker threads sharing the bitmap) returns the single-query filtered ids: flat and ivfpq, sparse and dense filters', async () => {
  const { labelFilter } = await import('../../src/index/filter.js');
  const { labelName, labelRows } = await import('../../src/data/labels.js');
  for (const c of [CASES[0], CASES[2]]) {
    const index = createIndex(c.id, c.build);
    try {
      await index.build(base, { seed: 5 });
      for (const p of [0.05, 0.5]) {
        const filter = labelFilter(labelName(p), p, labelRows(base.rows, p, 3));
        const single = await measureSearch(index, queries, K, c.search, { warmupQueries: 0, search: { filter } });
        const batch = await searchBatch(index, queries, K, c.search, 3, { filter });
        assert.deepEqual(Array.from(batch.ids), Array.from(single.ids), `${c.id} at ${p}`);
        assert.ok(batch.ids.every((id) => id < 0 || filter.allowed[id] === 1), `${c.id} at ${p}: an id without the label`);
        const unfiltered = await searchBatch(index, queries, K, c.search, 3);
        assert.ok(unfiltered.ids.some((id) => filter.allowed[id] !== 1), `${c.id} at ${p}: the filter changed nothing`);
      }
    } finally {
      await index.close?.();
    }
  }
});

test('an index whose only batch search takes no filter (no snapshot, no async search) is refused in one sentence naming --filter', async () => {
  const { labelFilter } = await import('../../src/index/filter.js');
  const { InputError } = await import('../../src/core/errors.js');
  const { checkFilterable } = await import('../../src/index/search-modes.js');
  const flat = createIndex('flat', {});
  await flat.build(base);
  const bare = { name: 'bare', capabilities: { ...flat.capabilities, asyncSearch: false }, searchBatch: flat.searchBatch!.bind(flat) } as unknown as Parameters<typeof checkFilterable>[0];
  const filter = labelFilter('label_50p', 0.5, new Uint8Array(base.rows).fill(1));
  await assert.rejects(searchBatch(bare, queries, K, {}, 2, { filter }), (e: Error) => e instanceof InputError && e.message === '--filter: bare cannot filter in batch mode (its own batch search takes no filter and it has no snapshot for worker threads).');
  assert.throws(() => checkFilterable(bare, 'for concurrent clients'), /--filter: bare cannot filter for concurrent clients/);
  assert.equal((await searchBatch(bare, queries, K, {}, 2)).nq, queries.rows, 'unfiltered, its own batch search runs');
  await flat.close?.();
});
