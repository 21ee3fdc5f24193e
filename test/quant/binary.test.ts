// Binary quantization (src/quant/binary.ts): sign bits decoded as per-bit conditional means, with
// and without an ITQ rotation, against numpy / faiss's ITQMatrix on real GloVe rows
// (test/fixtures/sq-binary-faiss.json, scripts/make-sq-binary-fixtures.py) and on seeded data.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Matrix } from '../../src/core/matrix.js';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { Rng } from '../../src/core/rng.js';
import { readNpy } from '../../src/data/npy.js';
import { quantizationLoss } from '../../src/eval/quantization.js';
import { BinaryQuantizer } from '../../src/quant/binary.js';
import { orthogonalityError, polarFactor, randomRotation } from '../../src/quant/rotation.js';
import { createQuantizer, parseQuantizerSpec, quantizerFromJSON, quantizerLabel } from '../../src/quant/registry.js';
import { inputError } from '../helpers/errors.js';
import { mixture } from '../helpers/data.js';

after(shutdownWorkers);

const FAISS = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/sq-binary-faiss.json', import.meta.url)), 'utf8'));
const all = readNpy(fileURLToPath(new URL('../fixtures/data/glove-sample.npy', import.meta.url)));
const train = all.sliceRows(FAISS.train[0], FAISS.train[1]), held = all.sliceRows(FAISS.held[0], FAISS.held[1]);

async function trained(params: Record<string, unknown>, x: Matrix = train, seed = 1): Promise<BinaryQuantizer> {
  const q = createQuantizer('binary', params as Record<string, string>) as BinaryQuantizer;
  await q.train(x, { seed });
  return q;
}

const lossOn = (q: BinaryQuantizer, x: Matrix) => quantizationLoss(x, q.decode(q.encode(x))).loss;

/**
 * Clustered, hence correlated, rows (a seeded Gaussian mixture), centred so that the comparison is
 * the rotation alone (ITQ centres, rotation none thresholds at 0). On Gaussian data no rotation can
 * help: the sign loss is (1 − 2/π)·trace of the covariance whatever the basis.
 */
function clustered(n: number, d: number, seed: number): Matrix {
  const x = mixture(n, d, 6, seed);
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += x.data[i * d + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x.data[i * d + j] -= mu[j];
  return x;
}

test('rotation none: bit = x > 0, decoded as the conditional means; the loss equals numpy\'s', async () => {
  const q = await trained({});
  const c = q.encode(held).codes;
  for (let i = 0; i < c.length; i++) assert.equal(c[i], held.data[i] > 0 ? 1 : 0);
  // per dimension, codeword 1 is the mean of the positive training values, codeword 0 of the others
  let pos = 0, n = 0;
  for (let i = 0; i < train.rows; i++) if (train.data[i * train.dim + 7] > 0) { pos += train.data[i * train.dim + 7]; n++; }
  assert.ok(Math.abs(q.codebooks[7][1] - pos / n) < 1e-6);
  const ours = lossOn(q, held), theirs = FAISS.binary.none.loss as number;
  assert.ok(Math.abs(ours - theirs) <= 1e-6 * theirs, `${ours} vs numpy ${theirs}`);
  assert.equal(q.bitsPerVector, train.dim);
});

test('rotation itq: orthogonal rotation, objective lowered, loss within 3% of faiss ITQMatrix\'s rotation (or below it)', async () => {
  const q = await trained({ rotation: 'itq' });
  const d = train.dim, r = q.rotation!;
  const worst = orthogonalityError(r, d);
  assert.ok(worst < 1e-9, `R Rᵀ − I: ${worst}`);
  const ours = lossOn(q, held), theirs = FAISS.binary.itq.loss as number;
  assert.ok(ours <= theirs * 1.03, `itq loss ${ours} vs faiss-rotation ${theirs}`);
  assert.ok(ours < (FAISS.binary.none.loss as number), 'itq beats no rotation on GloVe');
  assert.equal(q.bitsPerVector, d, 'the rotation and the means are shared, not per-vector bits');
});

test('on clustered (correlated) seeded data ITQ has a lower loss than no rotation, and more iterations do not raise it', async () => {
  const x = clustered(3000, 24, 5), tr = x.sliceRows(0, 2000), ev = x.sliceRows(2000, 3000);
  const none = lossOn(await trained({}, tr), ev);
  const few = lossOn(await trained({ rotation: 'itq', itqIters: 2 }, tr), ev);
  const many = lossOn(await trained({ rotation: 'itq', itqIters: 50 }, tr), ev);
  assert.ok(many < none, `itq ${many} vs none ${none}`);
  assert.ok(many <= few * 1.001, `50 iterations ${many} vs 2 ${few}`);
});

test('polarFactor: R is orthogonal and Rᵀ C symmetric positive definite (C = R P, the polar decomposition)', () => {
  const d = 12, rng = new Rng(3);
  const c = Float64Array.from({ length: d * d }, () => rng.normal());
  const r = polarFactor(c, d);
  const p = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) for (let k = 0; k < d; k++) p[a * d + b] += r[k * d + a] * c[k * d + b];
  for (let a = 0; a < d; a++) {
    assert.ok(p[a * d + a] > 0);
    for (let b = 0; b < d; b++) assert.ok(Math.abs(p[a * d + b] - p[b * d + a]) < 1e-9, `P[${a}][${b}]`);
  }
  const q = randomRotation(d, 9);
  assert.deepEqual(Array.from(polarFactor(q, d), (v) => Math.round(v * 1e9)), Array.from(q, (v) => Math.round(v * 1e9)), 'an orthogonal matrix is its own polar factor');
});

test('deterministic under a seed, another seed starts ITQ elsewhere; toJSON/fromJSON round-trips', async () => {
  const a = await trained({ rotation: 'itq', itqIters: 5 }, train, 4);
  const b = await trained({ rotation: 'itq', itqIters: 5 }, train, 4);
  const c = await trained({ rotation: 'itq', itqIters: 5 }, train, 5);
  assert.deepEqual(a.toJSON(), b.toJSON());
  assert.notDeepEqual(a.rotation, c.rotation);
  const r = quantizerFromJSON(JSON.parse(JSON.stringify(a.toJSON())));
  assert.deepEqual(r.encode(held).codes, a.encode(held).codes);
  assert.deepEqual(r.decode(r.encode(held)).data, a.decode(a.encode(held)).data);
});

test('spec and bad input: binary:rotation=itq round-trips; an unknown rotation and the adam trainer are one sentence each', async () => {
  assert.deepEqual(parseQuantizerSpec('binary:rotation=itq'), { id: 'binary', params: { rotation: 'itq', itqIters: 50 } });
  assert.equal(quantizerLabel('binary'), 'binary:rotation=none,itqIters=50');
  await inputError(() => parseQuantizerSpec('binary:rotation=pca'), /^--rotation: binary parameter 'rotation' must be one of 'none', 'itq', got 'pca'/);
  await inputError(() => createQuantizer('binary').train(train, { trainer: 'adam' }), /^--trainer adam: binary learns sign thresholds/);
  await inputError(() => createQuantizer('binary').train(train.sliceRows(0, 1)), /1 training rows are too few/);
});
