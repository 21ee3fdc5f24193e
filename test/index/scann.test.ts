// The `scann` index (src/index/scann.ts): ADC over ScaNN's anisotropic PQ codes for inner product,
// against the pq index at equal m × nbits on real GloVe rows (test/fixtures/data/glove-sample.npy)
// and seeded clustered data; rescoring against the original vectors; bad input.
//
// What the paper claims (higher MIPS recall than PQ at equal bits) was within noise here (recall@10,
// 100 queries, build seeds 1–3): GloVe sample m = 10 × 6 bits pq 0.402 / 0.454 / 0.439, scann
// 0.448 / 0.452 / 0.439; m = 20 × 4 bits pq 0.460 / 0.429, scann 0.459 / 0.453; clustered 2,000 × 32,
// m = 8 × 4 bits pq 0.282, scann 0.283. What holds every time is its mechanism: the inner products of
// the true top-10 pairs are estimated far better (PQ shrinks them), GloVe m = 10 × 6: RMSE of q·x̂ −
// q·x 0.120 (pq, bias 0.109) vs 0.064 (scann, bias 0.004). So the test asserts that, and recall ≥ pq's
// within 0.03.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Matrix } from '../../src/core/matrix.js';
import { dot } from '../../src/core/distance.js';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { readNpy } from '../../src/data/npy.js';
import { PqIndex } from '../../src/index/pq.js';
import { ScannIndex } from '../../src/index/scann.js';
import { createIndex, indexLabel, parseIndexSpec } from '../../src/index/registry.js';
import type { CodebookQuantizer } from '../../src/quant/codebook-quantizer.js';
import { inputError } from '../helpers/errors.js';
import { mixture } from '../helpers/data.js';
import { assertClose, assertSortedResult, groundTruth, recallAt } from './helpers.js';

after(shutdownWorkers);

const glove = readNpy(fileURLToPath(new URL('../fixtures/data/glove-sample.npy', import.meta.url)));
const mix = mixture(2100, 32, 20, 7, 0.6);
const DATA = {
  glove: { base: glove.sliceRows(0, 900), queries: glove.sliceRows(900, 1000), m: 10, nbits: 6 },
  clustered: { base: mix.sliceRows(0, 2000), queries: mix.sliceRows(2000, 2100), m: 8, nbits: 4 },
};

/** RMSE of q·x̂ − q·x over the true top-10 pairs (x̂ the quantizer's reconstruction). */
function topScoreRmse(qz: CodebookQuantizer, base: Matrix, queries: Matrix, truth: Int32Array): number {
  const rec = qz.decode(qz.encode(base)), d = base.dim;
  let e = 0;
  for (let i = 0; i < queries.rows; i++) {
    for (let j = 0; j < 10; j++) {
      const t = truth[i * 10 + j];
      e += (dot(queries.data, i * d, rec.data, t * d, d) - dot(queries.data, i * d, base.data, t * d, d)) ** 2;
    }
  }
  return Math.sqrt(e / (queries.rows * 10));
}

for (const [name, { base, queries, m, nbits }] of Object.entries(DATA)) {
  test(`${name} (m = ${m} × ${nbits} bits, ip): scann estimates the top inner products better than pq, recall@10 ≥ pq's within 0.03; rescoring raises recall`, async () => {
    const truth = await groundTruth(base, queries, 10, 'ip');
    const pq = new PqIndex({ m, nbits, metric: 'ip' });
    await pq.build(base, { seed: 1 });
    const scann = new ScannIndex({ m, nbits });
    await scann.build(base, { seed: 1 });
    assert.equal(scann.bitsPerVector, pq.bitsPerVector);
    const r = scann.search(queries, 10);
    assertSortedResult(r, queries.rows, 10, false);
    // the scan's scores are q·x̂ of the codes
    const rec = scann.quantizer.decode(scann.quantizer.encode(base)), d = base.dim;
    for (let i = 0; i < 10; i++) for (let j = 0; j < 10; j++) assertClose(r.dists[i * 10 + j], dot(queries.data, i * d, rec.data, r.ids[i * 10 + j] * d, d), 1e-4);
    const errPq = topScoreRmse(pq.pq, base, queries, truth), errScann = topScoreRmse(scann.quantizer, base, queries, truth);
    const rPq = recallAt(pq.search(queries, 10), truth, 10), rScann = recallAt(r, truth, 10);
    const r4 = scann.search(queries, 10, { rescore: 4 });
    const rResc = recallAt(r4, truth, 10);
    console.log(`${name}: recall@10 pq ${rPq.toFixed(3)}, scann ${rScann.toFixed(3)}, scann rescore=4 ${rResc.toFixed(3)}; top-10 score RMSE pq ${errPq.toFixed(4)}, scann ${errScann.toFixed(4)}`);
    assert.ok(errScann < 0.85 * errPq, `top-score RMSE scann ${errScann} vs pq ${errPq}`);
    assert.ok(rScann >= rPq - 0.03, `recall scann ${rScann} vs pq ${rPq}`);
    assert.ok(rResc > rScann + 0.1, `rescoring: ${rScann} → ${rResc}`);
    // rescored distances are the exact inner products
    assertSortedResult(r4, queries.rows, 10, false);
    for (let i = 0; i < 10; i++) for (let j = 0; j < 10; j++) assertClose(r4.dists[i * 10 + j], dot(queries.data, i * d, base.data, r4.ids[i * 10 + j] * d, d), 1e-4);
    // rescoring every row is exact search
    assert.equal(recallAt(scann.search(queries, 10, { rescore: base.rows / 10 }), truth, 10), 1);
    const mem = scann.memoryBreakdown();
    assert.equal(mem.vectors, base.rows * d * 4);
    assert.equal(mem.codes, base.rows * m);
    await scann.close();
    await pq.close();
  });
}

test('scann: add() with custom ids, specs round-trip, bad input is one sentence naming the parameter', async () => {
  const { base, queries } = DATA.clustered;
  const idx = createIndex('scann', { m: 4, nbits: 4, iterations: 2 }) as ScannIndex;
  await idx.build(base.sliceRows(0, 1000), { seed: 1 });
  await idx.add(queries, Uint32Array.from({ length: queries.rows }, (_, i) => 9000 + i));
  assert.equal(idx.size, 1000 + queries.rows);
  const r = idx.search(queries, 1, { rescore: 300 }); // 16-bit codes: the added rows are among the best 300 by ADC
  let found = 0;
  for (let i = 0; i < queries.rows; i++) if (r.ids[i] === 9000 + i) found++;
  assert.ok(found >= 95, `${found} of ${queries.rows}`);
  const s = parseIndexSpec('scann:m=4,nbits=4,threshold=0.3,rescore=2');
  assert.equal(indexLabel(s.id, s.build, s.search), 'scann:m=4,nbits=4,threshold=0.3,eta=0,iterations=10,metric=ip,rescore=2');
  assert.deepEqual(parseIndexSpec(indexLabel(s.id, s.build, s.search)), s);
  await inputError(() => createIndex('scann', { metric: 'l2' }), /--metric l2: the scann index scores inner products only/);
  await inputError(() => idx.search(queries, 10, { rescore: -1 }), /rescore/);
  await inputError(() => idx.search(queries, 5000), /k/);
  await idx.close();
});
