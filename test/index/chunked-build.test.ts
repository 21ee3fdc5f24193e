// Chunked builds (src/index/chunked-build.ts): training on a seeded sample read from a RowSource, then
// adding the base chunk by chunk, gives the same index as build(x) on the same rows (same search
// results, distances and bytes) for flat, pq, ivfpq and wrvq; reads never exceed a chunk (or the
// sample), and the quantized indexes keep no reference to any float row they were given.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { shutdownWorkers } from '../../src/core/parallel.js';
import type { Matrix } from '../../src/core/matrix.js';
import { MatrixRowSource, type RowSource } from '../../src/data/row-source.js';
import { SharedRows, asChunked, buildFromSource } from '../../src/index/chunked-build.js';
import { createIndex, INDEX_IDS, indexDescriptor, type IndexParams } from '../../src/index/registry.js';
import type { VectorIndex } from '../../src/index/types.js';
import { mixture } from '../helpers/data.js';

after(shutdownWorkers);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const D = 16;
const all = mixture(3100, D, 12, 5, 0.6);
const base = all.sliceRows(0, 3000);
const queries = all.sliceRows(3000, 3100);
const K = 10;

const CASES: [string, IndexParams][] = [
  ['flat', {}],
  ['pq', { m: 4, nbits: 5 }],
  ['pq', { m: 4, nbits: 4, opq: true }],
  ['ivfpq', { nlist: 16, m: 4, nbits: 5 }],
  ['ivfpq', { nlist: 8, m: 4, nbits: 4, tables: 'norms', metric: 'ip' }],
  ['wrvq', { books: 3, size: 16 }],
  ['wrvq', { books: 3, size: 16, fuzzyBooks: 2, weightBits: 8 }],
];

/** A RowSource handing out fresh copies, recording the largest read and a weak reference to every matrix it gave. */
class WatchedSource implements RowSource {
  readonly name = 'watched';
  maxRows = 0;
  readonly handedOut: WeakRef<Float32Array>[] = [];
  constructor(private readonly inner: MatrixRowSource) {}
  get rows() {
    return this.inner.rows;
  }
  get dim() {
    return this.inner.dim;
  }
  private give(m: Matrix): Matrix {
    this.maxRows = Math.max(this.maxRows, m.rows);
    const copy = m.clone();
    this.handedOut.push(new WeakRef(copy.data));
    return copy;
  }
  read(start: number, count: number): Matrix {
    return this.give(this.inner.read(start, count));
  }
  readRows(indices: ArrayLike<number>): Matrix {
    return this.give(this.inner.readRows(indices));
  }
  close(): void {}
}

async function searchOf(idx: VectorIndex) {
  return await idx.search(queries, K);
}

for (const [id, params] of CASES) {
  test(`${id} ${JSON.stringify(params)}: chunked build over a RowSource = build(x)`, async () => {
    const whole = createIndex(id, params);
    const chunked = createIndex(id, params);
    const source = new WatchedSource(new MatrixRowSource(base));
    try {
      const rep = await whole.build(base, { seed: 9, trainRows: 1200 });
      const crep = await buildFromSource(chunked, source, { seed: 9, trainRows: 1200, chunkRows: 700 });
      assert.equal(crep.chunks, 5);
      assert.equal(chunked.size, base.rows);
      // the same notes (sample, lists, cells), plus the chunking note
      assert.deepEqual(crep.notes.filter((n) => !n.startsWith('added in')), rep.notes);
      const a = await searchOf(whole), b = await searchOf(chunked);
      assert.deepEqual(b.ids, a.ids);
      assert.deepEqual(b.dists, a.dists);
      assert.deepEqual(chunked.memoryBreakdown(), whole.memoryBreakdown());
      // reads: the sample (1200 rows; flat reads none) or one chunk at a time, never the base
      assert.equal(source.maxRows, id === 'flat' ? 700 : 1200);
      if (id !== 'flat') {
        assert.equal(chunked.memoryBreakdown().vectors, 0);
        gc();
        await new Promise((r) => setTimeout(r, 0));
        gc();
        const alive = source.handedOut.filter((w) => w.deref() !== undefined).length;
        assert.equal(alive, 0, `${id} still references ${alive} of the ${source.handedOut.length} float matrices it was given`);
      }
    } finally {
      await whole.close?.();
      await chunked.close?.();
    }
  });
}

test('a chunked build draws the training sample with the seed: another seed, another index', async () => {
  const a = createIndex('pq', { m: 4, nbits: 5 }), b = createIndex('pq', { m: 4, nbits: 5 });
  await buildFromSource(a, new MatrixRowSource(base), { seed: 1, trainRows: 600, chunkRows: 1000 });
  await buildFromSource(b, new MatrixRowSource(base), { seed: 2, trainRows: 600, chunkRows: 1000 });
  assert.notDeepEqual((await searchOf(a)).dists, (await searchOf(b)).dists);
});

test('indexes without a chunked build are refused by buildFromSource, and the flag matches the methods', async () => {
  for (const id of INDEX_IDS) {
    const d = indexDescriptor(id);
    if (d.unavailable()) continue;
    const idx = d.create(Object.fromEntries(Object.entries(d.buildParams).map(([k, s]) => [k, s.default])) as never);
    assert.equal(asChunked(idx) !== null, d.capabilities.chunkedBuild === true, id);
    if (!asChunked(idx)) await assert.rejects(buildFromSource(idx, new MatrixRowSource(base)), /no chunked build/);
    await idx.close?.();
  }
});

test('SharedRows: every chunk lands in the same SharedArrayBuffer (no fresh one per chunk for the workers to keep)', () => {
  const s = new SharedRows(D);
  const a = s.hold(base.sliceRows(0, 500)), b = s.hold(base.sliceRows(500, 900));
  assert.ok(a.data.buffer instanceof SharedArrayBuffer);
  assert.equal(b.data.buffer, a.data.buffer);
  assert.deepEqual(Array.from(b.data), Array.from(base.sliceRows(500, 900).data));
  assert.notEqual(s.hold(base.sliceRows(0, 1000)).data.buffer, a.data.buffer, 'a larger chunk gets a larger buffer');
});
