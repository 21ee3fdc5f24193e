// The bootstrap intervals the jobs add beside their averaged numbers: recallCI of every ok index
// record, lossCI of a quantize result; the averaged numbers themselves are unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runIndexJob } from '../../src/run/index-job.js';
import { runQuantize } from '../../src/run/quantize.js';
import { definitionsOf } from '../../src/run/cell-job.js';

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
