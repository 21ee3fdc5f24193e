// WRVQ with quantized weights (ours, not the paper's; src/quant/wrvq.ts `weightBits`): 8 or 4 bits
// per weight, per-stage Lloyd–Max levels learned on the training rows, on the GloVe sample
// (test/fixtures/data/glove-sample.npy: 800 rows to train, 200 held out) and seeded data.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { fromHalf, toHalf } from '../../src/core/fp16.js';
import { getThreads, setThreads, shutdownWorkers } from '../../src/core/parallel.js';
import { Rng } from '../../src/core/rng.js';
import { readNpy } from '../../src/data/npy.js';
import { quantizationLoss } from '../../src/eval/quantization.js';
import { encodeParallel } from '../../src/quant/encode-parallel.js';
import { createQuantizer, parseQuantizerSpec, quantizerFromJSON, quantizerLabel } from '../../src/quant/registry.js';
import { lloydMax, nearestLevel, WeightedResidualQuantizer } from '../../src/quant/wrvq.js';
import { runQuantize } from '../../src/run/quantize.js';
import { inputError } from '../helpers/errors.js';
import { mixture } from '../helpers/data.js';

after(shutdownWorkers);

const GLOVE = fileURLToPath(new URL('../fixtures/data/glove-sample.npy', import.meta.url));
const all = readNpy(GLOVE);
const train = all.sliceRows(0, 800), held = all.sliceRows(800, 1000);

async function trained(weights: string, weightBits: number | undefined, books = 4, size = 32): Promise<WeightedResidualQuantizer> {
  const q = createQuantizer('wrvq', { books, size, weights, weightBits }) as WeightedResidualQuantizer;
  await q.train(train, { seed: 4, kmeansIters: 10 });
  return q;
}

const lossOf = (q: WeightedResidualQuantizer) => quantizationLoss(held, q.decode(q.encode(held))).loss;

test('weightBits 8: loss within 2% of fp16 weights at 8 fewer bits per book; 4 bits within 25% at 12 fewer (both rules, GloVe sample)', async () => {
  for (const weights of ['paper', 'gain']) {
    const fp16 = await trained(weights, undefined), b8 = await trained(weights, 8), b4 = await trained(weights, 4);
    assert.equal(fp16.bitsPerVector, 4 * (5 + 16));
    assert.equal(b8.bitsPerVector, 4 * (5 + 8));
    assert.equal(b4.bitsPerVector, 4 * (5 + 4));
    const [l16, l8, l4] = [lossOf(fp16), lossOf(b8), lossOf(b4)];
    assert.ok(l8 <= l16 * 1.02, `${weights}: 8-bit ${l8} vs fp16 ${l16}`);
    assert.ok(l4 <= l16 * 1.25, `${weights}: 4-bit ${l4} vs fp16 ${l16}`);
    // the codebooks are the same (the levels do not change stage 1's k-means), the weights differ
    assert.deepEqual(b8.codebooks[0], fp16.codebooks[0]);
  }
});

test('weightBits: every stored weight is one of its stage\'s 2^bits sorted fp16 levels, the one nearest the unrounded weight', async () => {
  const q = await trained('paper', 4, 3, 16);
  assert.equal(q.weightLevels.length, 3);
  const codes = q.encode(held);
  for (let m = 0; m < 3; m++) {
    const lv = q.weightLevels[m];
    assert.equal(lv.length, 16);
    for (let k = 1; k < lv.length; k++) assert.ok(lv[k - 1] <= lv[k]);
    for (const v of lv) assert.equal(fromHalf(toHalf(v)), v, 'levels are fp16 values');
    const allowed = new Set(lv);
    for (let i = 0; i < held.rows; i++) assert.ok(allowed.has(fromHalf(codes.weights![i * 3 + m])), `row ${i} stage ${m}`);
  }
  // the paper rule's first weight is ||x|| = 1 for these unit rows: the level nearest 1
  const lv0 = q.weightLevels[0];
  assert.equal(fromHalf(codes.weights![0]), lv0[nearestLevel(lv0, 1)]);
});

test('lloydMax: exact on few distinct values, and no worse than an even grid on skewed data', () => {
  const rng = new Rng(9);
  const few = Float64Array.from({ length: 1000 }, () => [0.5, 1, 2][rng.int(3)]);
  const lv = lloydMax(few, 4);
  for (const v of [0.5, 1, 2]) assert.equal(lv[nearestLevel(lv, v)], v);
  const skewed = Float64Array.from({ length: 5000 }, () => Math.exp(rng.normal()));
  const mse = (levels: Float32Array) => skewed.reduce((s, v) => s + (levels[nearestLevel(levels, v)] - v) ** 2, 0) / skewed.length;
  const lo = Math.min(...skewed), hi = Math.max(...skewed);
  const even = Float32Array.from({ length: 16 }, (_, k) => fromHalf(toHalf(lo + ((k + 0.5) / 16) * (hi - lo))));
  const lm = mse(lloydMax(skewed, 16));
  assert.ok(lm < mse(even) / 2, `Lloyd–Max ${lm} vs even grid ${mse(even)}`);
  assert.equal(nearestLevel(Float32Array.of(1, 2, 4), 2.9), 1);
  assert.equal(nearestLevel(Float32Array.of(1, 2, 4), 3.1), 2);
  assert.equal(nearestLevel(Float32Array.of(1, 2, 4), -5), 0);
  assert.equal(nearestLevel(Float32Array.of(1, 2, 4), 50), 2);
});

test('weightBits: the state round-trips (levels included) and encoding on worker threads gives the same codes', async () => {
  const q = await trained('gain', 8, 3, 16);
  const back = quantizerFromJSON(JSON.parse(JSON.stringify(q.toJSON()))) as WeightedResidualQuantizer;
  assert.equal(back.weightBits, 8);
  assert.equal(back.bitsPerVector, q.bitsPerVector);
  const a = q.encode(held), b = back.encode(held);
  assert.deepEqual(b.codes, a.codes);
  assert.deepEqual(b.weights, a.weights);
  const big = mixture(30_000, all.dim, 20, 3); // above encodeParallel's 2e8-flop threshold: the workers run
  const prev = getThreads();
  setThreads(2);
  try {
    const par = await encodeParallel(q, big), seq = q.encode(big);
    assert.deepEqual(par.codes, seq.codes);
    assert.deepEqual(par.weights, seq.weights);
  } finally {
    setThreads(prev);
  }
});

test('weightBits: labels (default 16 = fp16, the paper\'s), spec round trip, and bad values in one sentence naming the parameter', async () => {
  assert.equal(quantizerLabel('wrvq'), 'wrvq:books=4,size=256,weights=paper,weightBits=16');
  assert.equal(quantizerLabel('wrvq', { weightBits: 8 }), 'wrvq:books=4,size=256,weights=paper,weightBits=8');
  assert.deepEqual(parseQuantizerSpec('wrvq:weights=gain,weightBits=4').params, { books: 4, size: 256, weights: 'gain', weightBits: 4 });
  await inputError(() => createQuantizer('wrvq', { weightBits: 6 }), /^--weight-bits: wrvq parameter 'weightBits' must be 16 \(fp16, the paper's\), 8 or 4, got 6\.$/);
  await inputError(() => createQuantizer('wrvq', { weightBits: 32 }), /weightBits/);
  await inputError(() => runQuantize({ data: GLOVE, method: 'wrvq', params: { weightBits: 2 }, trainSize: 300, evalSize: 10 }), /weightBits/);
});

test('quantize job: weightBits 8 counts its bits honestly and says the weights are ours', async () => {
  const r = await runQuantize({ data: GLOVE, method: 'wrvq', params: { books: 3, size: 16, weights: 'gain', weightBits: 8 }, trainSize: 800, evalSize: 100, seed: 2 });
  assert.equal(r.bitsPerVector, 3 * (4 + 8));
  assert.equal(r.spec, 'wrvq:books=3,size=16,weights=gain,weightBits=8');
  assert.ok(r.notes.some((n) => /8 bits.*ours, not the paper's/.test(n)), r.notes.join(' | '));
  assert.equal(r.honestRatio, (32 * all.dim) / (3 * 12));
});
