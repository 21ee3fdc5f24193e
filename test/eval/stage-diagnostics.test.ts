// Per-stage diagnostics (src/eval/stage-diagnostics.ts) on seeded mixtures and the GloVe sample
// (test/fixtures/data/glove-sample.npy), the quantize job's `stages` field, and the report's
// per-stage section on a real run folder of quantize cells.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Matrix } from '../../src/core/matrix.js';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { readNpy } from '../../src/data/npy.js';
import { quantizationLoss } from '../../src/eval/quantization.js';
import { histogram, perplexity, stageDiagnostics } from '../../src/eval/stage-diagnostics.js';
import { createQuantizer } from '../../src/quant/registry.js';
import { writeReport } from '../../src/report/index.js';
import { captureEnvironment } from '../../src/run/env.js';
import { runQuantize, type QuantizeResult } from '../../src/run/quantize.js';
import { RESULT_SCHEMA } from '../../src/run/result.js';
import { mixture } from '../helpers/data.js';

after(shutdownWorkers);

const GLOVE = fileURLToPath(new URL('../fixtures/data/glove-sample.npy', import.meta.url));
const glove = readNpy(GLOVE);
const D = 24;
const data = mixture(3500, D, 40, 7); // one mixture (the seed fixes its centres): 3000 rows to train, 500 held out
const train = data.sliceRows(0, 3000);
const held = data.sliceRows(3000, 3500);

test('rvq: the loss after each stage never rises on seeded data (greedy encoding), and after the last stage it is the quantizer\'s loss, bit for bit', async () => {
  const q = createQuantizer('rvq', { books: 5, size: 32, beam: 1 });
  await q.train(train, { seed: 3, kmeansIters: 8 });
  const codes = q.encode(held);
  const { rows, stages } = stageDiagnostics(q, held, codes);
  assert.equal(rows, held.rows);
  assert.deepEqual(stages.map((s) => s.stage), [1, 2, 3, 4, 5]);
  const mean = quantizationLoss(held, Matrix.zeros(held.rows, D)).loss; // mean ||x||²
  assert.ok(stages[0].loss < mean, `stage 1 (${stages[0].loss}) below ||x||² (${mean})`);
  for (let m = 1; m < stages.length; m++) assert.ok(stages[m].loss < stages[m - 1].loss, `stage ${m + 1} ${stages[m].loss} ≥ stage ${m} ${stages[m - 1].loss}`);
  assert.equal(stages[4].loss, quantizationLoss(held, q.decode(codes)).loss, 'exactly the loss of decode()');
  for (const s of stages) {
    const r = s.residualNorm;
    assert.ok(r.p10 <= r.p50 && r.p50 <= r.p90 && r.p10 > 0, JSON.stringify(r));
    assert.ok(r.mean ** 2 <= s.loss * (1 + 1e-12), 'mean ||r||² ≥ (mean ||r||)² (Jensen)');
    assert.ok(s.perplexity > 1 && s.perplexity <= 32 && s.dead >= 0 && s.dead < 32 && s.size === 32);
    assert.ok(s.cosine !== null && s.cosine > 0 && s.cosine <= 1, `greedy RVQ adds the centroid nearest the residual: it points along it (cos ${s.cosine})`);
    assert.equal(s.weights, undefined, 'rvq stores no weights');
  }
});

test('rvq with a beam: codes chosen jointly, so a middle stage may raise the partial loss; the last stage is still the loss, bit for bit', async () => {
  // on this 40-cluster mixture with 32 codewords, beam 4 trains book 2 on the residuals of every beam
  // entry: it comes out with few codewords in use, and the reconstruction from book 1 and 2 alone is worse than from book 1
  const q = createQuantizer('rvq', { books: 5, size: 32, beam: 4 });
  await q.train(train, { seed: 3, kmeansIters: 8 });
  const codes = q.encode(held);
  const { stages } = stageDiagnostics(q, held, codes);
  assert.equal(stages[4].loss, quantizationLoss(held, q.decode(codes)).loss);
  assert.ok(stages[4].loss < stages[0].loss);
  assert.ok(stages[1].perplexity < stages[0].perplexity / 2, `book 2's usage collapses: perplexity ${stages[1].perplexity} vs ${stages[0].perplexity}`);
});

test('perplexity: a uniform code distribution gives the codebook size, one codeword gives 1; dead codewords are counted', async () => {
  assert.ok(Math.abs(perplexity([7, 7, 7, 7, 7, 7, 7, 7]) - 8) < 1e-12);
  assert.equal(perplexity([0, 12, 0]), 1);
  assert.ok(Math.abs(perplexity([1, 1, 2]) - Math.exp(-(2 * 0.25 * Math.log(0.25) + 0.5 * Math.log(0.5)))) < 1e-12);
  const q = createQuantizer('rvq', { books: 2, size: 16, beam: 1 });
  await q.train(train, { seed: 1, kmeansIters: 4 });
  const codes = q.encode(held.sliceRows(0, 320));
  for (let i = 0; i < 320; i++) {
    codes.codes[i * 2] = i % 16; // book 1: every codeword 20 times
    codes.codes[i * 2 + 1] = 5; // book 2: one codeword
  }
  const [b1, b2] = stageDiagnostics(q, held.sliceRows(0, 320), codes).stages;
  assert.ok(Math.abs(b1.perplexity - 16) < 1e-9, String(b1.perplexity));
  assert.equal(b1.dead, 0);
  assert.equal(b2.perplexity, 1);
  assert.equal(b2.dead, 15);
});

test('histogram: equal-width bins over [min, max], every value counted once', () => {
  const h = histogram([0, 1, 2, 3, 4, 5, 6, 7, 8, 10], 5);
  assert.deepEqual(h, { min: 0, max: 10, mean: 4.6, counts: [2, 2, 2, 2, 2] });
  assert.deepEqual(histogram([3, 3, 3], 4).counts, [3, 0, 0, 0]);
});

test('wrvq: the weights histogram of every stage counts every row; the paper rule\'s first weight is ||x|| and each later stage multiplies the loss by about 2 − 2 cos; the gain rule never raises the loss', async () => {
  const tr = glove.sliceRows(0, 800), ho = glove.sliceRows(800, 1000);
  const out: Record<string, ReturnType<typeof stageDiagnostics>['stages']> = {};
  for (const weights of ['paper', 'gain']) {
    const q = createQuantizer('wrvq', { books: 6, size: 32, weights });
    await q.train(tr, { seed: 2, kmeansIters: 8 });
    const codes = q.encode(ho);
    const st = stageDiagnostics(q, ho, codes).stages;
    out[weights] = st;
    assert.equal(st[5].loss, quantizationLoss(ho, q.decode(codes)).loss);
    const w = q.weightValues(codes)!;
    for (const [m, s] of st.entries()) {
      assert.ok(s.weights, 'wrvq stores weights');
      assert.equal(s.weights!.counts.reduce((a, b) => a + b, 0), ho.rows);
      let sum = 0;
      for (let i = 0; i < ho.rows; i++) sum += w[i * 6 + m];
      assert.ok(Math.abs(s.weights!.mean - sum / ho.rows) < 1e-9);
    }
    if (weights === 'paper') {
      // the GloVe sample rows are unit vectors: the first weight is ||x|| = 1 in fp16
      assert.ok(Math.abs(st[0].weights!.min - 1) < 1e-3 && Math.abs(st[0].weights!.max - 1) < 1e-3, JSON.stringify(st[0].weights));
    } else {
      for (let m = 1; m < st.length; m++) assert.ok(st[m].loss <= st[m - 1].loss * (1 + 1e-6), `gain: stage ${m + 1} ${st[m].loss} > ${st[m - 1].loss}`);
    }
  }
  // the paper rule's weight is ||r||, so ||r − ||r|| c||² = ||r||² (2 − 2 cos): on these rows every stage after the first
  // has its codeword more than 60° from the residual (mean cos < 1/2) and multiplies the loss by about 2 − 2·cos
  for (let m = 1; m < out.paper.length; m++) {
    const s = out.paper[m], ratio = s.loss / out.paper[m - 1].loss;
    assert.ok(s.cosine !== null && s.cosine < 0.5, `paper stage ${m + 1}: cos ${s.cosine}`);
    assert.ok(ratio > 1 && Math.abs(ratio - (2 - 2 * s.cosine)) < 0.05, `paper stage ${m + 1}: loss × ${ratio}, 2 − 2 cos = ${2 - 2 * s.cosine}`);
  }
  assert.ok(out.gain[5].loss < out.paper[5].loss, 'gain beats paper at equal bits');
});

test('quantize job: rvq, wrvq and avq results carry the stages; pq does not; a report of the run has the per-stage section and chart', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'vqbench-stages-'));
  try {
    const run = 'stages-run';
    const dir = join(tmp, 'results', run);
    mkdirSync(dir, { recursive: true });
    const cells: string[] = [];
    const results: Record<string, QuantizeResult> = {};
    const configs: [string, Record<string, number | string>][] = [['rvq', { books: 3, size: 16, beam: 2 }], ['wrvq', { books: 3, size: 16, weights: 'paper' }], ['avq', { books: 2, size: 16 }], ['pq', { m: 2, nbits: 4 }]];
    for (const [method, params] of configs) {
      const t0 = performance.now();
      const r = await runQuantize({ data: GLOVE, method, params, trainSize: 800, evalSize: 100, seed: 5 });
      results[method] = r;
      const cell = `quantize-${method}`;
      cells.push(cell);
      writeFileSync(join(dir, `${cell}.json`), JSON.stringify({
        schema: RESULT_SCHEMA, run, task: 'stages-test', cell, kind: 'quantize', config: { dataset: GLOVE, method, ...params }, scale: 'small', seed: 5,
        status: 'ok', error: null, dataset: { name: GLOVE, checksum: r.datasetChecksum }, env: captureEnvironment(),
        timing: { startedAt: new Date().toISOString(), wallSeconds: (performance.now() - t0) / 1000, cpuSeconds: 0, peakRssBytes: 0 },
        definitions: {}, metrics: r,
      }));
    }
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ run, task: 'stages-test', scale: 'small', createdAt: new Date().toISOString(), cells }));
    for (const m of ['rvq', 'wrvq', 'avq']) {
      const st = results[m].stages!;
      assert.equal(st.length, results[m].books, m);
      assert.equal(st[st.length - 1].loss, results[m].loss, `${m}: the last stage's loss is the result's loss`);
    }
    assert.equal(results.pq.stages, undefined);
    assert.ok(results.wrvq.stages!.every((s) => s.weights !== undefined));
    const files = await writeReport(dir, join(tmp, 'report'));
    const md = readFileSync(files.markdown, 'utf8');
    assert.match(md, /## Per-stage diagnostics/);
    const section = md.slice(md.indexOf('### Per-stage diagnostics (RVQ, WRVQ, AVQ)'));
    const rows = section.split('\n').filter((l) => l.startsWith('| ours |'));
    assert.equal(rows.length, 3 + 3 + 2, 'one row per stage of rvq, wrvq and avq; none for pq');
    assert.ok(!rows.some((l) => l.includes('pq:')));
    const rvqLast = rows.filter((l) => l.includes('rvq:books=3') && !l.includes('wrvq'))[2];
    assert.match(rvqLast, /\| 3 \|/);
    assert.ok(files.charts.some((p) => /loss-after-stage-[^/]*\.png$/.test(p)), files.charts.join(', '));
    const html = readFileSync(files.html, 'utf8');
    assert.match(html, /Loss after each stage/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
