// Every registered index: memoryBytes() equals its breakdown's total and grows when vectors are added.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnavailableError } from '../../src/core/errors.js';
import { INDEX_IDS, createIndex, indexDescriptor, type IndexParams } from '../../src/index/registry.js';
import { mixture } from '../helpers/data.js';

const SMALL: Record<string, IndexParams> = {
  pq: { m: 4, nbits: 4 }, ivfpq: { nlist: 8, m: 4, nbits: 4 }, wrvq: { books: 2, size: 16 },
  faiss: { factory: 'IVF8,PQ4x4np' }, lancedb: { numPartitions: 4, numSubVectors: 4 }, scann: { m: 4, nbits: 4, iterations: 2 },
};
const x = mixture(1000, 16, 6, 21);

for (const id of INDEX_IDS) {
  test(`${id}: memoryBytes() = its breakdown's total and grows with n`, async (t) => {
    const why = indexDescriptor(id).unavailable();
    if (why) return t.skip(why);
    const idx = createIndex(id, SMALL[id] ?? {});
    try {
      await idx.build(x.sliceRows(0, 600), { seed: 3 });
    } catch (e) {
      if (e instanceof UnavailableError) return t.skip(e.message);
      throw e;
    }
    try {
      const before = idx.memoryBytes();
      assert.equal(before, idx.memoryBreakdown().total);
      await idx.add(x.sliceRows(600, 1000));
      assert.equal(idx.size, 1000);
      assert.ok(idx.memoryBytes() > before, `${id}: ${before} → ${idx.memoryBytes()}`);
    } finally {
      await idx.close?.();
    }
  });
}
