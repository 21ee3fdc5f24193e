// The bootstrap intervals the jobs add beside their averaged numbers: recallCI of every ok index
// record, lossCI of a quantize result; the averaged numbers themselves are unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runIndexJob } from '../../src/run/index-job.js';
import { runQuantize } from '../../src/run/quantize.js';
import { definitionsOf } from '../../src/run/cell-job.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/data/npy.js';
import { bootstrapMean } from '../../src/eval/bootstrap.js';
import { spearman } from '../../src/eval/mteb/metrics.js';
import { readPerItem } from '../../src/eval/per-item-files.js';
import type { MtebRunResult } from '../../src/run/mteb.js';
import type { QuantizeResult } from '../../src/run/quantize.js';
import type { CellResult } from '../../src/run/result.js';
import { runTask } from '../../src/run/runner.js';
import { mixture } from '../helpers/data.js';

test('index job: recallCI brackets recall@1/5/10 and nnRecall@10, seeded by the job', async () => {
  const job = { data: 'synthetic-gmm', index: 'pq', build: { m: 8, nbits: 4 }, queries: 200, warmup: 0, seed: 7 };
  const [r] = await runIndexJob(job);
  assert.equal(r.status, 'ok');
  const ci = r.recallCI!;
  assert.deepEqual(Object.keys(ci), ['recall@1', 'recall@5', 'recall@10', 'nnRecall@10']);
  for (const at of [1, 5, 10]) {
    const { lo, hi } = ci[`recall@${at}`];
    assert.ok(lo <= r.recall![at] && r.recall![at] <= hi && lo < hi, `recall@${at} ${r.recall![at]} in [${lo}, ${hi}]`);
    assert.ok(lo >= 0 && hi <= 1);
  }
  assert.ok(ci['nnRecall@10'].lo <= r.nnRecall![10] && r.nnRecall![10] <= ci['nnRecall@10'].hi);
  // ~1/√200 wide: a real interval, not a point
  assert.ok(ci['recall@10'].hi - ci['recall@10'].lo > 0.01 && ci['recall@10'].hi - ci['recall@10'].lo < 0.2);
  const [again] = await runIndexJob(job);
  assert.deepEqual(again.recallCI, r.recallCI);
  assert.deepEqual(again.recall, r.recall);
  assert.match(definitionsOf('index').recallCI, /95% percentile bootstrap/);
});

test('quantize job: lossCI brackets the loss', async () => {
  const r = await runQuantize({ data: 'synthetic-gmm', method: 'pq', params: { m: 8, nbits: 4 }, trainSize: 1000, evalSize: 300, seed: 3 });
  const { lo, hi } = r.lossCI!;
  assert.ok(lo < r.loss && r.loss < hi, `${r.loss} in [${lo}, ${hi}]`);
  assert.ok((hi - lo) / r.loss < 0.5);
  assert.match(definitionsOf('quantize').lossCI, /95% percentile bootstrap/);
});

test('quantize job: the squared error of each held-out row goes to <raw>/row-errors.npy; its in-order mean is the loss, bit for bit', async () => {
  const raw = mkdtempSync(join(tmpdir(), 'vqbench-row-errors-'));
  try {
    const r = await runQuantize({ data: 'synthetic-gmm', method: 'pq', params: { m: 8, nbits: 4 }, trainSize: 1000, evalSize: 300, seed: 3, raw });
    assert.deepEqual(r.raw, { rowErrors: 'row-errors.npy' });
    const e = readPerItem(join(raw, 'row-errors.npy'));
    assert.equal(e.length, r.evalRows);
    let s = 0;
    for (const v of e) s += v;
    assert.equal(s / e.length, r.loss);
    // the interval in the result is the bootstrap of these very values
    const ci = bootstrapMean(e, { seed: 3 });
    assert.deepEqual(r.lossCI, { lo: ci.lo, hi: ci.hi });
    // without a raw folder nothing is written and the result names none
    const plain = await runQuantize({ data: 'synthetic-gmm', method: 'pq', params: { m: 8, nbits: 4 }, trainSize: 1000, evalSize: 300, seed: 3 });
    assert.equal(plain.raw, undefined);
    assert.equal(plain.loss, r.loss);
  } finally {
    rmSync(raw, { recursive: true, force: true });
  }
});

test('a run keeps per-item values under raw/<cell>/: quantize cells their row errors, mteb cells per-pair similarities and gold, with intervals', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vqbench-per-item-run-'));
  const saved = process.env.VQBENCH_CACHE;
  try {
    writeNpy(join(dir, 'tiny.npy'), mixture(1200, 8, 4, 5));
    const task = join(dir, 'per-item.json');
    writeFileSync(task, JSON.stringify({
      name: 'per-item', description: 'per-item values', paper: '-', seed: 4, report: false,
      scale: { small: { base: 1000, queries: 150, trainSize: 800, evalSize: 150 }, full: {} },
      grid: { datasets: [join(dir, 'tiny.npy')], quantizers: [{ method: 'pq', books: 2, size: 16 }], mteb: [{ models: ['glove-avg'], tasks: ['wordnet-wup-sts'] }] },
    }));
    // the vector cell's subsets go to a private cache; the mteb cell reads the prepared task and GloVe from the shared one
    process.env.VQBENCH_CACHE = join(dir, 'cache');
    const results = join(dir, 'results');
    const q = await runTask({ task, resultsDir: results, only: ['quantize'], print: () => undefined });
    assert.deepEqual(q.counts, { ok: 1, failed: 0, timeout: 0, 'not-run': 0 });
    if (saved === undefined) delete process.env.VQBENCH_CACHE;
    else process.env.VQBENCH_CACHE = saved;
    const m = await runTask({ task, resultsDir: results, only: ['mteb'], print: () => undefined });
    assert.deepEqual(m.counts, { ok: 1, failed: 0, timeout: 0, 'not-run': 0 });

    const runDir = join(results, 'per-item-small');
    const cell = 'quantize.tiny.pq.books-2.size-16';
    const qr = JSON.parse(readFileSync(join(runDir, `${cell}.json`), 'utf8')) as CellResult<QuantizeResult>;
    assert.equal(qr.metrics!.raw!.rowErrors, `raw/${cell}/row-errors.npy`);
    const e = readPerItem(join(runDir, qr.metrics!.raw!.rowErrors));
    assert.equal(e.length, qr.metrics!.evalRows);
    assert.equal(e.reduce((s, v) => s + v, 0) / e.length, qr.metrics!.loss);
    assert.match(qr.definitions.raw, /row/);

    const mteb = JSON.parse(readFileSync(join(runDir, 'mteb.glove-avg.original.json'), 'utf8')) as CellResult<MtebRunResult>;
    const [v] = mteb.metrics!.tasks[0].variants;
    assert.equal(v.perItem!.path, 'raw/mteb.glove-avg.original/wordnet-wup-sts/original.cos_sim.npy');
    assert.equal(v.perItem!.gold!.path, 'raw/mteb.glove-avg.original/wordnet-wup-sts/original.gold.npy');
    assert.deepEqual([v.perItem!.statistic, v.perItem!.over], ['spearman', 'pairs']);
    const sim = readPerItem(join(runDir, v.perItem!.path)), gold = readPerItem(join(runDir, v.perItem!.gold!.path));
    assert.equal(sim.length, 1500);
    assert.equal(spearman(gold, sim), v.main_score, 'the main score recomputed from the files alone');
    const ci = v.mainScoreCI!;
    assert.deepEqual([ci.over, ci.resamples, ci.level, ci.method], ['pairs', 1000, 0.95, 'percentile']);
    assert.ok(ci.lo < v.main_score && v.main_score < ci.hi);
    assert.match(mteb.definitions.mainScoreCI, /bootstrap/);
  } finally {
    if (saved === undefined) delete process.env.VQBENCH_CACHE;
    else process.env.VQBENCH_CACHE = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
