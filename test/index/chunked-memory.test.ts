// The descriptors' memory model (src/index/descriptor.ts `memory`) against the bytes a built index
// reports, on seeded data at two sizes; and the peak-RSS budget built from it (src/index/memory-budget.ts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { MatrixRowSource } from '../../src/data/row-source.js';
import { buildFromSource } from '../../src/index/chunked-build.js';
import { checkBuildParams, createIndex, indexDescriptor, type IndexParams } from '../../src/index/registry.js';
import { formatBudget, rssBudget, RUNTIME_BYTES } from '../../src/index/memory-budget.js';
import { mixture } from '../helpers/data.js';

after(shutdownWorkers);

const D = 24;
const base = mixture(6000, D, 12, 8, 0.6);

const CASES: [string, IndexParams][] = [
  ['flat', {}],
  ['pq', { m: 6, nbits: 6 }],
  ['pq', { m: 4, nbits: 9 }],
  ['pq', { m: 4, nbits: 5, opq: true }],
  ['ivfpq', { nlist: 32, m: 6, nbits: 6 }],
  ['ivfpq', { nlist: 16, m: 4, nbits: 5, tables: 'norms' }],
  ['wrvq', { books: 3, size: 32 }],
  ['wrvq', { books: 4, size: 16, weightBits: 4, rerank: true }],
  ['hnsw', { M: 8, efConstruction: 40 }],
];

for (const [id, params] of CASES) {
  test(`${id} ${JSON.stringify(params)}: the memory model is within 5% of memoryBytes() at 2000 and 6000 rows`, async () => {
    const d = indexDescriptor(id);
    const build = checkBuildParams(id, params);
    for (const rows of [2000, 6000]) {
      const idx = createIndex(id, params);
      try {
        if (id === 'hnsw') await idx.build(base.sliceRows(0, rows), { seed: 4 }); // no chunked build: whole
        else await buildFromSource(idx, new MatrixRowSource(base.sliceRows(0, rows)), { seed: 4, trainRows: 1500, chunkRows: 2500 });
        const model = d.memory!(build as never, D, rows);
        const got = idx.memoryBytes();
        assert.ok(Math.abs(model.indexBytes - got) <= 0.05 * got, `${id} at ${rows} rows: model ${model.indexBytes} B, built ${got} B`);
      } finally {
        await idx.close?.();
      }
    }
  });
}

test('the budget: index + merge copies + sample + chunk + queries + truth + runtime, printed as one line', () => {
  const build = checkBuildParams('ivfpq', { nlist: 4096, m: 16 });
  const b = rssBudget(indexDescriptor('ivfpq'), build, { rows: 10_000_000, dim: 96, trainRows: 262_144, chunkRows: 174_762, queries: 10_000, k: 100, wholeBase: false });
  const model = indexDescriptor('ivfpq').memory!(build as never, 96, 10_000_000);
  assert.ok(model.indexBytes > 10_000_000 * 20 && model.indexBytes < 10_000_000 * 21 + 64 * 2 ** 20, String(model.indexBytes));
  assert.equal(b.bytes, b.parts.reduce((s, p) => s + p.bytes, 0));
  assert.deepEqual(b.parts.map((p) => p.name), ['index', 'merge copies', 'train sample', 'chunk', 'queries', 'ground truth', 'runtime', 'kernel scratch']);
  assert.equal(b.parts.find((p) => p.name === 'runtime')!.bytes, RUNTIME_BYTES);
  // the base is never part of a chunked budget: far below the 3.6 GiB of float rows
  assert.ok(b.bytes! < 10_000_000 * 96 * 4 / 2, String(b.bytes));
  assert.match(formatBudget(b, 'ivfpq'), /^peak RSS budget ≈ \d+\.\d\d GiB \(index \d+ MiB \+ merge copies \d+ MiB \+ train sample \d+ MiB \+ chunk \d+ MiB \+ /);
  // an index without a memory model: the budget says so and lists what it knows
  const none = rssBudget(indexDescriptor('faiss'), {}, { rows: 1000, dim: 8, trainRows: 0, chunkRows: 1000, queries: 10, k: 10, wholeBase: true });
  assert.equal(none.bytes, null);
  assert.match(formatBudget(none, 'faiss'), /^peak RSS budget: unknown \(faiss has no memory model; known parts: base 0\.0 MiB/);
});
