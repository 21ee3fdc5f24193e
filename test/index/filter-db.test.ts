// Filtered search of the other libraries: hnswlib's filter callback, LanceDB's where on a label
// column or on the id (int filter) (equal to brute force over the allowed rows on this small table). pgvector's WHERE is
// tested in pgvector.test.ts (one PGlite start-up). Small seeded data; each library's part is
// skipped with a sentence when the library is absent.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { UnavailableError } from '../../src/core/errors.js';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { labelName, labelRows } from '../../src/data/labels.js';
import { filteredGroundTruth } from '../../src/data/filtered-truth.js';
import { MatrixRowSource } from '../../src/data/row-source.js';
import { recallAtK } from '../../src/eval/ann.js';
import { intFilter, labelFilter, passes, type SearchFilter } from '../../src/index/filter.js';
import { HnswIndex, loadHnswlib } from '../../src/index/hnsw.js';
import { LanceDbIndex, loadLanceDb } from '../../src/index/lancedb.js';
import type { SearchResult, VectorIndex } from '../../src/index/types.js';
import { mixture } from '../helpers/data.js';

after(shutdownWorkers);

const D = 16, N = 800, K = 10;
const all = mixture(N + 15, D, 8, 11, 0.6);
const base = all.sliceRows(0, N), queries = all.sliceRows(N, N + 15);
// VectorDBBench's label filters, and its int filter id >= int(N·0.9) (LanceDB: `where id >= 720`)
const filters = [...[0.01, 0.1, 0.5].map((p) => labelFilter(labelName(p), p, labelRows(N, p, 5))), intFilter(0.9, N, 'int_90p')];
const truths = await Promise.all(filters.map((f) => filteredGroundTruth(new MatrixRowSource(base), queries, f.allowed, K, 'l2', null)));

async function why(load: () => Promise<unknown>, name: string): Promise<string | false> {
  try {
    await load();
    return false;
  } catch (e) {
    if (e instanceof UnavailableError) return `${name} unavailable: ${e.message}`;
    throw e;
  }
}

function violations(r: SearchResult, f: SearchFilter): number {
  return Array.from(r.ids).filter((id) => id >= 0 && !passes(f, id)).length;
}

/** Filtered searches of `index` at every selectivity: no hit without the label; ids equal to the filtered truth when exact. */
async function check(index: VectorIndex, exact: boolean, minRecall: number, what: string): Promise<void> {
  for (const [i, f] of filters.entries()) {
    const r = await index.search(queries, K, {}, { filter: f });
    assert.equal(violations(r, f), 0, `${what} ${f.predicate.label}`);
    const t = truths[i];
    if (exact) {
      for (let q = 0; q < queries.rows; q++) {
        const got = Array.from(r.ids.subarray(q * K, q * K + K)), want = Array.from(t.ids.subarray(q * t.k, q * t.k + K));
        if (got.every((id, j) => id === want[j])) continue;
        // a database sums distances in its own order: two rows at (nearly) the same distance may swap, nothing else
        for (let j = 0; j < K; j++) {
          const a = r.dists[q * K + j], b = t.dists[q * t.k + j];
          assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), `${what} ${f.predicate.label} query ${q} rank ${j}: id ${got[j]} at ${a}, the truth's ${want[j]} at ${b}`);
        }
      }
    } else {
      const recall = recallAtK(r.ids, t.ids, queries.rows, K, t.k, K);
      assert.ok(recall >= minRecall, `${what} ${f.predicate.label}: recall@10 ${recall} against the filtered truth`);
    }
  }
  // the same label again (its column already set) and an unfiltered search in between stay right
  const u = await index.search(queries, K);
  assert.ok(violations(u, filters[0]) > 0, `${what}: an unfiltered search is not filtered`);
  const again = await index.search(queries, K, {}, { filter: filters[0] });
  assert.equal(violations(again, filters[0]), 0);
}

test('hnsw: the filter callback returns only labelled rows, recall against the filtered truth', { skip: await why(async () => loadHnswlib(), 'hnswlib-node') }, async () => {
  const index = new HnswIndex({ M: 16, efConstruction: 100 });
  await index.build(base, { seed: 1 });
  await check(index, false, 0.9, 'hnsw');
});

test('lancedb: where on the label column (prefiltered) equals brute force over the allowed rows', { skip: await why(loadLanceDb, 'LanceDB') }, async () => {
  const index = new LanceDbIndex({ numPartitions: 0 });
  await index.build(base);
  try {
    await check(index, true, 1, 'lancedb');
  } finally {
    await index.close();
  }
});

test('lancedb: rows added after a filtered search are searched, and the next filter covers them', { skip: await why(loadLanceDb, 'LanceDB') }, async () => {
  const index = new LanceDbIndex({ numPartitions: 0 });
  await index.build(base.sliceRows(0, N - 100));
  try {
    const f = filters[1];
    await index.search(queries, K, {}, { filter: f });
    await index.add(base.sliceRows(N - 100, N), Uint32Array.from({ length: 100 }, (_, i) => N - 100 + i));
    const r = await index.search(queries, K, {}, { filter: f });
    assert.equal(violations(r, f), 0);
    const t = truths[1]; // over all N rows: the added ones included
    for (let q = 0; q < queries.rows; q++) assert.deepEqual(Array.from(r.ids.subarray(q * K, q * K + K)), Array.from(t.ids.subarray(q * t.k, q * t.k + K)), `query ${q}`);
  } finally {
    await index.close();
  }
});
