import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Matrix } from '../../src/core/matrix.js';
import { knnRange } from '../../src/core/search.js';
import { InputError, UnavailableError } from '../../src/core/errors.js';
import { recallAtK } from '../../src/eval/ann.js';
import { LanceDbIndex, loadLanceDb } from '../../src/index/lancedb.js';
import { chromaUnavailable, glibcVersion } from '../../src/index/chroma.js';
import { mixture } from '../helpers/data.js';

let unavailable: string | false = false;
try {
  await loadLanceDb();
} catch (e) {
  if (!(e instanceof UnavailableError)) throw e;
  unavailable = `LanceDB unavailable: ${e.message}`;
}

const base = mixture(2000, 32, 12, 31);
const queries = mixture(40, 32, 12, 32);

function bruteForce(b: Matrix, q: Matrix, k: number) {
  const ids = new Int32Array(q.rows * k), dists = new Float32Array(q.rows * k);
  knnRange(b.data, b.rows, null, q.data, 0, q.rows, b.dim, k, 'l2', ids, dists);
  return { ids, dists };
}

test('lancedb: IVF_PQ recall rises with nprobes, refineFactor gives exact distances, add() and close()', { skip: unavailable }, async () => {
  const idx = new LanceDbIndex({ numPartitions: 8, numSubVectors: 4 });
  assert.equal(idx.label, 'lancedb:numPartitions=8,numSubVectors=4,metric=l2');
  await idx.build(base, { seed: 1 });
  assert.equal(idx.size, 2000);
  assert.equal(idx.bitsPerVector, 32);
  const folder = idx.path;
  assert.ok(folder && existsSync(folder));
  try {
    const exact = bruteForce(base, queries, 10);
    const r1 = await idx.search(queries, 10, { nprobes: 1, refineFactor: 10 });
    const r8 = await idx.search(queries, 10, { nprobes: 8, refineFactor: 10 });
    const rec1 = recallAtK(r1.ids, exact.ids, 40, 10, 10, 10), rec8 = recallAtK(r8.ids, exact.ids, 40, 10, 10, 10);
    assert.ok(rec1 <= rec8 && rec8 >= 0.9, `recall nprobes 1: ${rec1}, 8: ${rec8}`);
    for (let j = 0; j < 10; j++) {
      if (r8.ids[j] === exact.ids[j]) assert.ok(Math.abs(r8.dists[j] - exact.dists[j]) < 1e-3, `distance ${j}`);
    }
    // a vector added after build is found first, with its id
    const extra = mixture(1, 32, 1, 99);
    await idx.add(extra, Uint32Array.from([50_000]));
    assert.equal(idx.size, 2001);
    const found = await idx.search(extra, 3, { nprobes: 8, refineFactor: 5 });
    assert.equal(found.ids[0], 50_000);
    const mem = idx.memoryBreakdown();
    assert.equal(idx.memoryKind, 'on-disk');
    assert.ok(mem.vectors >= 2000 * 32 * 4, `data files ${mem.vectors} B`);
    assert.ok(mem.codes > 0, 'index files');
    await assert.rejects(Promise.resolve().then(() => idx.search(queries, 10, { efSearch: 3 })), InputError);
  } finally {
    await idx.close();
  }
  assert.equal(existsSync(folder), false);
});

test('lancedb: missing package is an UnavailableError that says how to install it', { skip: !unavailable && 'LanceDB is installed' }, async () => {
  await assert.rejects(new LanceDbIndex().build(base), (e: Error) => e instanceof UnavailableError && /npm install/.test(e.message));
});

test('chroma: reported as not run, with the glibc version detected here', () => {
  const e = chromaUnavailable();
  assert.ok(e instanceof UnavailableError);
  const v = glibcVersion();
  if (v) assert.ok(e.message.includes(v), e.message);
  assert.match(e.message, /Chroma not run/);
});
