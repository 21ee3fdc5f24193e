// ScaNN's anisotropic PQ (src/quant/scann.ts) against its paper's stated properties (faiss 1.7.3 has
// no anisotropic quantizer): on real GloVe rows it trades more reconstruction error for less error
// parallel to the datapoints and a better inner-product recall than PQ at equal bits; η = 1 is PQ;
// training never raises its loss; η from the threshold is theorem 3.4's.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Matrix } from '../../src/core/matrix.js';
import { knn, shutdownWorkers } from '../../src/core/parallel.js';
import { readNpy } from '../../src/data/npy.js';
import { recallAtK } from '../../src/eval/ann.js';
import { quantizationLoss } from '../../src/eval/quantization.js';
import { AnisotropicQuantizer, anisotropicLoss, parallelWeight } from '../../src/quant/scann.js';
import { createQuantizer, parseQuantizerSpec, quantizerFromJSON, quantizerLabel } from '../../src/quant/registry.js';
import type { CodebookQuantizer } from '../../src/quant/codebook-quantizer.js';
import { inputError } from '../helpers/errors.js';

after(shutdownWorkers);

const all = readNpy(fileURLToPath(new URL('../fixtures/data/glove-sample.npy', import.meta.url)));
// the database the codebooks are trained on (as ScaNN trains on the indexed rows), and held-out queries
const base = all.sliceRows(0, 800), queries = all.sliceRows(800, 1000);

async function trained(id: 'scann' | 'pq', params: Record<string, number>, x: Matrix = base, seed = 1): Promise<CodebookQuantizer> {
  const q = createQuantizer(id, params);
  await q.train(x, { seed });
  return q;
}

/** Mean squared error parallel to each row, E[(r·x/||x||)²], and the total E||r||². */
function errors(x: Matrix, xhat: Matrix): { parallel: number; total: number } {
  const d = x.dim;
  let par = 0;
  for (let i = 0; i < x.rows; i++) {
    let ru = 0, nx = 0;
    for (let j = 0; j < d; j++) { const v = x.data[i * d + j]; ru += (v - xhat.data[i * d + j]) * v; nx += v * v; }
    par += (ru * ru) / nx;
  }
  return { parallel: par / x.rows, total: quantizationLoss(x, xhat).loss };
}

async function ipRecall(q: CodebookQuantizer, k = 10): Promise<number> {
  const exact = await knn(base, queries, k, 'ip');
  const approx = await knn(q.decode(q.encode(base)), queries, k, 'ip');
  return recallAtK(approx.ids, exact.ids, queries.rows, k, k, k);
}

test('η from the threshold is (d − 1)·(T²/||x||²)/(1 − T²/||x||²) (theorem 3.4 / ScaNN\'s ComputeParallelCostMultiplier)', () => {
  assert.ok(Math.abs(parallelWeight(0.2, 1, 100) - (99 * 0.04) / 0.96) < 1e-12);
  assert.ok(Math.abs(parallelWeight(0.2, 4, 100) - (99 * 0.01) / 0.99) < 1e-12, 'a longer vector weighs its parallel error less');
  assert.ok(Math.abs(parallelWeight(0.5, 0.25, 10) - (9 * 0.999) / 0.001) < 1e-6, 'T ≥ ||x|| is capped');
});

test('GloVe sample, 50 × 4 bits (ScaNN\'s 2 dimensions per block): less parallel error, more total error, better inner-product recall@10 than PQ', async () => {
  const pq = await trained('pq', { m: 50, nbits: 4 });
  const sc = await trained('scann', { m: 50, nbits: 4 });
  const ep = errors(base, pq.decode(pq.encode(base))), es = errors(base, sc.decode(sc.encode(base)));
  assert.ok(es.parallel < 0.8 * ep.parallel, `parallel error: scann ${es.parallel} vs pq ${ep.parallel}`);
  assert.ok(es.total > ep.total, `total error: scann ${es.total} vs pq ${ep.total}`);
  const rp = await ipRecall(pq), rs = await ipRecall(sc);
  assert.ok(rs > rp, `recall@10 (ip): scann ${rs} vs pq ${rp}`);
  console.log(`GloVe 50 × 4 bits: parallel error scann ${es.parallel.toFixed(5)} pq ${ep.parallel.toFixed(5)}; total ${es.total.toFixed(4)} vs ${ep.total.toFixed(4)}; ip recall@10 ${rs.toFixed(3)} vs ${rp.toFixed(3)}`);
});

test('η = 1 is PQ: with no rounds the codes are PQ\'s; the rounds never raise the anisotropic training loss', async () => {
  const pq = await trained('pq', { m: 10, nbits: 4 });
  const one = await trained('scann', { m: 10, nbits: 4, eta: 1, iterations: 0 });
  assert.deepEqual(one.encode(queries).codes, pq.encode(queries).codes);
  const sc = (await trained('scann', { m: 10, nbits: 4, iterations: 6 })) as AnisotropicQuantizer;
  const o = sc.objective;
  assert.equal(o.length, 7);
  for (let i = 1; i < o.length; i++) assert.ok(o[i] <= o[i - 1] * (1 + 1e-9), `round ${i}: ${o[i]} after ${o[i - 1]}`);
  assert.ok(o.at(-1)! < o[0], JSON.stringify(o));
  // encoding afresh (from the L2-nearest codes) reaches about the training codes' loss
  const fresh = anisotropicLoss(base, sc.decode(sc.encode(base)), sc.weights(base));
  assert.ok(Math.abs(fresh - o.at(-1)!) <= 0.02 * o.at(-1)!, `${fresh} vs ${o.at(-1)}`);
});

test('deterministic under a seed; toJSON/fromJSON round-trips; spec labels', async () => {
  const a = await trained('scann', { m: 5, nbits: 3, iterations: 2 }, base, 4);
  const b = await trained('scann', { m: 5, nbits: 3, iterations: 2 }, base, 4);
  assert.deepEqual(a.toJSON(), b.toJSON());
  const r = quantizerFromJSON(JSON.parse(JSON.stringify(a.toJSON())));
  assert.deepEqual(r.encode(queries).codes, a.encode(queries).codes);
  assert.equal(quantizerLabel('scann', { m: 50, nbits: 4 }), 'scann:m=50,nbits=4,threshold=0.2,eta=0,iterations=10');
  assert.deepEqual(parseQuantizerSpec('scann:books=25,size=16,eta=4'), { id: 'scann', params: { m: 25, nbits: 4, threshold: 0.2, eta: 4, iterations: 10 } });
});

test('bad input: more sub-spaces than dimensions, a threshold outside (0, 1): one sentence each', async () => {
  await inputError(() => createQuantizer('scann', { m: 101 }).train(base), /^--m 101: scann needs at most one sub-space per dimension, and the data has 100 dimensions\.$/);
  await inputError(() => parseQuantizerSpec('scann:threshold=1.5'), /threshold/);
  await inputError(() => parseQuantizerSpec('scann:eta=-1'), /eta/);
});
