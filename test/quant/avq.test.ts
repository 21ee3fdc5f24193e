// avq (additive quantization, LSQ) against faiss's LocalSearchQuantizer on 1,000 normalized GloVe
// rows (test/fixtures/data/glove-sample.npy: 800 train, 200 held out), with faiss's numbers from
// test/fixtures/lsq-faiss.json (scripts/make-lsq-fixtures.py, seeds 1, 2, 3, every LSQ default).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { Rng } from '../../src/core/rng.js';
import { readNpy } from '../../src/data/npy.js';
import { quantizationLoss } from '../../src/eval/quantization.js';
import { AdditiveQuantizer, type AvqParams } from '../../src/quant/avq.js';

after(shutdownWorkers);

const all = readNpy(fileURLToPath(new URL('../fixtures/data/glove-sample.npy', import.meta.url)));
const train = all.sliceRows(0, 800), held = all.sliceRows(800, 1000);
const FAISS = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/lsq-faiss.json', import.meta.url)), 'utf8'));

async function heldLoss(books: number, seed: number, params: AvqParams = {}): Promise<number> {
  const q = new AdditiveQuantizer(books, 16, params);
  await q.train(train, { seed });
  return quantizationLoss(held, q.decode(q.encode(held))).loss;
}

test('avq 8×16 with its defaults: held-out loss within 3% of faiss LSQ (mean of seeds 1, 2, 3)', async () => {
  const ref = FAISS.lsq['8x4'];
  const ours = [];
  for (const seed of FAISS.seeds as number[]) ours.push(await heldLoss(ref.books, seed));
  const mean = ours.reduce((a, b) => a + b) / ours.length;
  assert.ok(mean <= 1.03 * ref.loss, `ours ${ours.map((l) => l.toFixed(4)).join(', ')} (mean ${mean.toFixed(4)}) vs faiss ${ref.loss.toFixed(4)}`);
});

test("avq: the random start (faiss LSQ's) beats the greedy residual k-means start at 8×16", async () => {
  const random = await heldLoss(8, 1), rvq = await heldLoss(8, 1, { start: 'rvq' });
  assert.ok(random < 0.98 * rvq, `random start ${random.toFixed(4)}, rvq start ${rvq.toFixed(4)}`);
});

test('avq: encoding from given codes never ends worse than those codes', async () => {
  const q = new AdditiveQuantizer(4, 16, { trainIters: 3 });
  await q.train(train, { seed: 2 });
  const rng = new Rng(9);
  const random = Uint16Array.from({ length: held.rows * 4 }, () => rng.int(16));
  const before = q.decode({ n: held.rows, books: 4, codes: random });
  const after = q.decode(q.encode(held, random));
  for (let i = 0; i < held.rows; i++) {
    let e0 = 0, e1 = 0;
    for (let j = 0; j < held.dim; j++) {
      e0 += (held.data[i * held.dim + j] - before.data[i * held.dim + j]) ** 2;
      e1 += (held.data[i * held.dim + j] - after.data[i * held.dim + j]) ** 2;
    }
    assert.ok(e1 <= e0 + 1e-5, `row ${i}: ${e1} after, ${e0} before`);
  }
});
