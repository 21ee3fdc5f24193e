// The quantizers on real vectors: 1,000 normalized GloVe rows (test/fixtures/data/glove-sample.npy,
// written by scripts/make-glove-sample.ts), 800 to train, 200 held out.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { readNpy } from '../../src/data/npy.js';
import { quantizationLoss } from '../../src/eval/quantization.js';
import { createQuantizer } from '../../src/quant/registry.js';

after(shutdownWorkers);

const all = readNpy(fileURLToPath(new URL('../fixtures/data/glove-sample.npy', import.meta.url)));
const train = all.sliceRows(0, 800), held = all.sliceRows(800, 1000);
const fast = { kmeansIters: 10, seed: 3 };

async function loss(id: string, books: number, extra: Record<string, unknown> = {}): Promise<number> {
  const q = createQuantizer(id, { books, size: 16, ...extra });
  await q.train(train, fast);
  return quantizationLoss(held, q.decode(q.encode(held))).loss;
}

for (const [id, extra] of [['pq', {}], ['rvq', {}], ['avq', {}], ['wrvq', { weights: 'gain' }]] as const) {
  test(`GloVe sample: ${id}${id === 'wrvq' ? ' (gain)' : ''} loss falls from 1 to 2 to 4 books and stays below ||x||² = 1`, async () => {
    const l = [await loss(id, 1, extra), await loss(id, 2, extra), await loss(id, 4, extra)];
    assert.ok(l[0] < 1 && l[1] < l[0] && l[2] < l[1], `${id}: ${l.join(', ')}`);
  });
}

test('GloVe sample: at equal codebooks, RVQ (beam 5) beats PQ and WRVQ gain beats WRVQ paper (weights count 16 bits each)', async () => {
  assert.ok(await loss('rvq', 4) < await loss('pq', 4));
  assert.ok(await loss('wrvq', 4, { weights: 'gain' }) < await loss('wrvq', 4, { weights: 'paper' }));
});
