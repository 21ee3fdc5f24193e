// Relations every quantizer must satisfy, on seeded synthetic data (faiss tests/ style).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix } from '../../src/core/matrix.js';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { quantizationLoss } from '../../src/eval/quantization.js';
import { createQuantizer, pickQuantizerParams, quantizerFromJSON, QUANTIZERS, QUANTIZER_IDS } from '../../src/quant/registry.js';
import { canonicalName } from '../../src/core/params.js';
import type { CodebookQuantizer } from '../../src/quant/codebook-quantizer.js';
import { mixture } from '../helpers/data.js';

after(shutdownWorkers);

const D = 32;
const train = mixture(3000, D, 12, 11);
const held = mixture(600, D, 12, 11).sliceRows(0, 600); // same mixture centres, other draws below
const evalSet = mixture(3600, D, 12, 11).sliceRows(3000, 3600);

function lossOf(q: CodebookQuantizer, x: Matrix): number {
  return quantizationLoss(x, q.decode(q.encode(x))).loss;
}

const fast = { kmeansIters: 8 };

/** The methods counted in codebooks (books × size); sq and binary code each dimension (test/quant/sq.test.ts, binary.test.ts). */
const BOOK_IDS = QUANTIZER_IDS.filter((id) => canonicalName(QUANTIZERS[id].params, 'books') !== null);

for (const id of BOOK_IDS) {
  // WRVQ with the paper's rule (W_i = ||r_{i−1}||) only shrinks the error at a stage whose chosen
  // codeword has cos > 0.5 with the residual, so the relation holds for the gain rule, not in general.
  test(`${id}: loss falls as books grow (1 → 2 → 4)${id === 'wrvq' ? ', gain rule' : ''}`, async () => {
    const losses: number[] = [];
    for (const books of [1, 2, 4]) {
      const q = createQuantizer(id, pickQuantizerParams(id, { books, size: 32, weights: 'gain' }));
      await q.train(train, { seed: 5, ...fast });
      losses.push(lossOf(q, evalSet));
    }
    assert.ok(losses[1] < losses[0] && losses[2] < losses[1], `${id} losses ${losses.join(', ')}`);
  });

  test(`${id}: training is deterministic under a seed; toJSON/fromJSON round-trips`, async () => {
    const a = createQuantizer(id, pickQuantizerParams(id, { books: 2, size: 16, rotation: 'itq', itqIters: 5 }));
    const b = createQuantizer(id, pickQuantizerParams(id, { books: 2, size: 16, rotation: 'itq', itqIters: 5 }));
    await a.train(train, { seed: 9, ...fast });
    await b.train(train, { seed: 9, ...fast });
    assert.deepEqual(a.toJSON(), b.toJSON());
    const restored = quantizerFromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    assert.equal(restored.label, a.label);
    assert.equal(restored.bitsPerVector, a.bitsPerVector);
    const ca = a.encode(held), cr = restored.encode(held);
    assert.deepEqual(cr.codes, ca.codes);
    assert.deepEqual(restored.decode(cr).data, a.decode(ca).data);
  });
}

/**
 * Hand-made codebooks on mutually orthogonal coordinate blocks: a sum of one codeword per book
 * (with fp16-exact weights for WRVQ's gain rule) must decode back exactly after encoding.
 */
function orthogonalCodebooks(q: CodebookQuantizer, books: number, size: number, d: number, subspaces: boolean): void {
  const block = d / books;
  q.dim = d;
  q.subOffset = Array.from({ length: books }, (_, m) => (subspaces ? m * block : 0));
  q.subDim = Array.from({ length: books }, () => (subspaces ? block : d));
  q.codebooks = Array.from({ length: books }, (_, m) => {
    const sd = q.subDim[m];
    const cb = new Float32Array(size * sd);
    for (let k = 0; k < size; k++) {
      // codeword k of book m: a distinct unit direction inside book m's coordinate block
      const off = subspaces ? 0 : m * block;
      cb[k * sd + off + (k % block)] = k < block ? 1 : -1;
    }
    return cb;
  });
}

for (const id of BOOK_IDS) {
  test(`${id}: decode(encode(sum of codewords)) is exact`, () => {
    const books = 4, size = 8, d = 16;
    const q = createQuantizer(id, pickQuantizerParams(id, { books, size, weights: 'gain', beam: 1 }));
    orthogonalCodebooks(q, books, size, d, ['pq', 'opq', 'scann'].includes(id));
    const n = 50;
    const x = Matrix.zeros(n, d);
    const scales = [1.5, 0.75, 0.375, 0.1875]; // exact in fp16, decreasing so greedy order is right
    for (let i = 0; i < n; i++) {
      for (let m = 0; m < books; m++) {
        const k = (i * 7 + m * 3) % size;
        const s = id === 'wrvq' ? scales[m] : 1;
        for (let j = 0; j < q.subDim[m]; j++) x.data[i * d + q.subOffset[m] + j] += s * q.codebooks[m][k * q.subDim[m] + j];
      }
    }
    const back = q.decode(q.encode(x));
    assert.deepEqual(Array.from(back.data), Array.from(x.data));
  });
}

test('rvq: beam search (5) never loses to greedy encoding on the same codebooks', async () => {
  const greedy = createQuantizer('rvq', { books: 4, size: 32, beam: 1 });
  await greedy.train(train, { seed: 3, ...fast });
  const beam = quantizerFromJSON({ ...greedy.toJSON(), params: { ...greedy.toJSON().params, beam: 5 } });
  const cg = greedy.encode(evalSet), cb = beam.encode(evalSet);
  const xg = greedy.decode(cg), xb = beam.decode(cb);
  let total = 0;
  for (let i = 0; i < evalSet.rows; i++) {
    const eg = quantizationLoss(evalSet.sliceRows(i, i + 1), xg.sliceRows(i, i + 1)).loss;
    const eb = quantizationLoss(evalSet.sliceRows(i, i + 1), xb.sliceRows(i, i + 1)).loss;
    assert.ok(eb <= eg + 1e-6, `row ${i}: beam ${eb} > greedy ${eg}`);
    total += eg - eb;
  }
  assert.ok(total > 0, 'beam search improves some rows');
});

test('avq: ICM local search never loses to its greedy starting point', async () => {
  const q = createQuantizer('avq', { books: 4, size: 32 });
  await q.train(train, { seed: 3, ...fast });
  const state = q.toJSON();
  const noSearch = quantizerFromJSON({ ...state, params: { ...state.params, icmIters: 0, ilsIters: 0 } });
  assert.ok(lossOf(q, evalSet) < lossOf(noSearch, evalSet));
});

test('wrvq: fp16 weights are counted in the bits and applied in decoding', async () => {
  for (const rule of ['paper', 'gain'] as const) {
    const q = createQuantizer('wrvq', { books: 3, size: 16, weights: rule });
    await q.train(train, { seed: 2, ...fast });
    assert.equal(q.bitsPerVector, 3 * (4 + 16));
    const codes = q.encode(held.sliceRows(0, 10));
    assert.ok(codes.weights && codes.weights.length === 30);
    const before = q.decode(codes);
    // changing one stored weight moves the reconstruction by exactly Δw · codeword
    const w0 = codes.weights![4];
    codes.weights![4] = 0x3c00; // 1.0 in fp16
    const after = q.decode(codes);
    const row = 1, book = 1, k = codes.codes[row * 3 + book];
    const { fromHalf } = await import('../../src/core/fp16.js');
    const dw = 1 - fromHalf(w0);
    for (let j = 0; j < D; j++) {
      const expect = before.data[row * D + j] + dw * q.codebooks[book][k * D + j];
      assert.ok(Math.abs(after.data[row * D + j] - expect) < 1e-5);
    }
    // codewords are unit directions
    for (let kk = 0; kk < 16; kk++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += q.codebooks[0][kk * D + j] ** 2;
      assert.ok(Math.abs(s - 1) < 1e-5);
    }
  }
});

test('wrvq paper rule: a stage lowers the error exactly when its codeword is within 60° of the residual', async () => {
  const q = createQuantizer('wrvq', { books: 1, size: 32, weights: 'paper' });
  await q.train(train, { seed: 4, ...fast });
  const codes = q.encode(evalSet);
  const xhat = q.decode(codes);
  for (let i = 0; i < 50; i++) {
    const k = codes.codes[i];
    let cos = 0, nx = 0, err = 0;
    for (let j = 0; j < D; j++) {
      cos += evalSet.data[i * D + j] * q.codebooks[0][k * D + j];
      nx += evalSet.data[i * D + j] ** 2;
      err += (evalSet.data[i * D + j] - xhat.data[i * D + j]) ** 2;
    }
    cos /= Math.sqrt(nx);
    // ||x − ||x||·c||² = ||x||² (2 − 2 cos): below ||x||² iff cos > 0.5 (up to fp16 rounding of ||x||)
    assert.ok(Math.abs(err - nx * (2 - 2 * cos)) < 2e-3 * nx, `row ${i}`);
    if (Math.abs(cos - 0.5) > 0.01) assert.equal(err < nx, cos > 0.5);
  }
});

test('wrvq: the gain rule reconstructs better than the paper rule at equal bits', async () => {
  const losses: Record<string, number> = {};
  for (const rule of ['paper', 'gain'] as const) {
    const q = createQuantizer('wrvq', { books: 4, size: 32, weights: rule });
    await q.train(train, { seed: 4, ...fast });
    losses[rule] = lossOf(q, evalSet);
  }
  assert.ok(losses.gain < losses.paper, JSON.stringify(losses));
});

test('adam trainer (T) changes the codebooks and ends no worse than 2% above k-means (L)', async () => {
  for (const id of ['pq', 'rvq', 'wrvq']) {
    const l = createQuantizer(id, pickQuantizerParams(id, { books: 2, size: 16, beam: 1 }));
    const t = createQuantizer(id, pickQuantizerParams(id, { books: 2, size: 16, beam: 1 }));
    await l.train(train, { seed: 8, ...fast });
    await t.train(train, { seed: 8, ...fast, trainer: 'adam', adamIters: 200, adamRefineEvery: 50, adamBatch: 1024, adamLr: 0.01 });
    assert.notDeepEqual(t.toJSON().codebooks, l.toJSON().codebooks, id);
    const ll = lossOf(l, evalSet), lt = lossOf(t, evalSet);
    assert.ok(lt <= ll * 1.02, `${id}: adam ${lt} vs k-means ${ll}`);
  }
});

test('--size larger than the training rows is refused with a sentence naming --size', async () => {
  const q = createQuantizer('pq', { books: 2, size: 64 });
  await assert.rejects(q.train(train.sliceRows(0, 50)), /--size 64 is larger than the 50 training rows/);
});

test('encoding on two threads gives the same codes as on one', async () => {
  const { encodeParallel } = await import('../../src/quant/encode-parallel.js');
  const { setThreads, getThreads } = await import('../../src/core/parallel.js');
  const big = mixture(20_000, D, 12, 21);
  const prev = getThreads();
  for (const id of QUANTIZER_IDS) {
    const q = createQuantizer(id, pickQuantizerParams(id, { books: 4, size: 64, rotation: 'itq', itqIters: 2 }));
    await q.train(train, { seed: 1, kmeansIters: 4 });
    setThreads(2);
    const par = await encodeParallel(q, big);
    setThreads(prev);
    const seq = q.encode(big);
    assert.deepEqual(par.codes, seq.codes, id);
    assert.deepEqual(par.weights, seq.weights, id);
  }
});
