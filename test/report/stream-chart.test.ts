// A streaming cell's chart and table (src/report/charts.ts streamChartConfig, src/report/tables.ts
// streamTables) on a real run: runStreamJob with pq on GloVe rows (test/fixtures/data/glove-sample.npy).
// Every step is a point on the x axis; recall and QPS have their values at the search steps and
// gaps elsewhere, the bars are the rows live; the configuration is plain JSON; the stream kind
// accepts the result and refuses a broken one.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { assertPlainJson, streamChartConfig } from '../../src/report/charts.js';
import type { StreamView } from '../../src/report/model.js';
import { streamTables } from '../../src/report/tables.js';
import type { RunView } from '../../src/report/model.js';
import type { CellResult } from '../../src/run/result.js';
import { streamKind } from '../../src/run/kinds/stream.js';
import { runStreamJob } from '../../src/run/stream-job.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vqbench-stream-chart-'));
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await shutdownWorkers();
});
const DATA = fileURLToPath(new URL('../fixtures/data/glove-sample.npy', import.meta.url));

test('stream chart and table: one point per step, recall and QPS at the search steps, rows live as bars', async () => {
  const runbook = path.join(dir, 'rb.yaml');
  writeFileSync(runbook, 'glove-sample:\n  max_pts: 900\n  1: {operation: insert, start: 0, end: 600}\n  2: {operation: search}\n  3: {operation: delete, start: 100, end: 400}\n  4: {operation: search}\n  5: {operation: insert, start: 600, end: 900}\n  6: {operation: search}\n');
  process.env.VQBENCH_CACHE ??= path.join(dir, 'cache');
  const r = await runStreamJob({ data: DATA, index: 'pq', build: { m: 10, nbits: 5 }, runbook, queries: 50 });
  assert.equal(streamKind.resultProblem(r), null);
  assert.match(streamKind.resultProblem({ ...r, meanRecall: 'x' }) ?? '', /meanRecall/);
  const searches = r.steps.filter((s) => s.operation === 'search');
  assert.deepEqual(searches.map((s) => s.step), [2, 4, 6]);
  for (const s of searches) assert.ok(s.recall! > 0.2 && s.recall! <= 1 && s.qps! > 0, `step ${s.step}: ${s.recall}, ${s.qps}`);
  assert.ok(Math.abs(r.meanRecall - searches.reduce((t, s) => t + s.recall!, 0) / 3) < 1e-12);

  const cell = { cell: 'stream.glove-sample.pq', kind: 'stream', status: 'ok', metrics: r } as unknown as CellResult;
  const v: StreamView = { cell, r, dataset: 'glove-sample' };
  const config = streamChartConfig(v);
  assertPlainJson(config);
  const data = config.data as { labels: string[]; datasets: { label: string; data: (number | null)[] }[] };
  assert.deepEqual(data.labels, ['1: insert [0, 600)', '2: search', '3: delete [100, 400)', '4: search', '5: insert [600, 900)', '6: search']);
  const [recall, qps, live] = data.datasets;
  assert.match(recall.label, /^recall@10 \(mean /);
  assert.deepEqual(recall.data, r.steps.map((s) => (s.operation === 'search' ? s.recall : null)));
  assert.deepEqual(qps.data.map((x) => x !== null), [false, true, false, true, false, true]);
  assert.deepEqual(live.data, [600, 600, 300, 300, 600, 600]);

  const [t] = streamTables({ stream: [v] } as unknown as RunView);
  assert.equal(t.id, 'stream-stream.glove-sample.pq');
  assert.equal(t.rows.length, 6);
  assert.deepEqual(t.rows.map((row) => row.cells[5]), ['600', '600', '300', '300', '600', '600']);
  assert.equal(t.rows[1].cells[7], (r.steps[1].recall! * 100).toFixed(2));
});
