// The QPS–latency curve and the concurrency table of the report: a record's measured levels (a real
// run of concurrent clients on a small ivfpq) become one line of (QPS, p99) points in level order,
// axis titles and directions from the metric registry, and one table row per level.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { IvfPqIndex } from '../../src/index/ivfpq.js';
import type { ChartPoint } from '../../src/report/chart-runtime.js';
import { assertPlainJson, concurrencyCurve } from '../../src/report/charts.js';
import { loadRun } from '../../src/report/load.js';
import { buildView, type RunView } from '../../src/report/model.js';
import { concurrencyTable } from '../../src/report/tables.js';
import { measureConcurrency } from '../../src/run/search-modes.js';
import { mixture } from '../helpers/data.js';
import { sharedFixtureRun } from './fixtures.js';

let view: RunView;
let levels: Awaited<ReturnType<typeof measureConcurrency>>['levels'];

before(async () => {
  view = buildView(loadRun(await sharedFixtureRun()));
  const data = mixture(1100, 16, 8, 5);
  const index = new IvfPqIndex({ nlist: 8, m: 4, nbits: 4 });
  await index.build(data.sliceRows(0, 1000), { seed: 1 });
  levels = (await measureConcurrency(index, data.sliceRows(1000, 1100), 10, { nprobe: 2 }, { levels: [1, 2], seconds: 0.15, seed: 3, cores: 2 })).levels;
  await index.close();
});
after(shutdownWorkers);

test('a record with concurrency levels: one line of (QPS, p99) per configuration, in level order; a table row per level; none without levels', async () => {
  const ok = view.index.filter((r) => r.rec.status === 'ok');
  assert.ok(ok.length >= 2, 'the fixture run has index records');
  const dataset = ok[0].dataset;
  assert.equal(await concurrencyCurve(view, dataset), null, 'no levels, no chart');
  assert.equal(concurrencyTable(view), null);
  const withLevels: RunView = { ...view, index: view.index.map((r, i) => (i === view.index.indexOf(ok[0]) ? { ...r, rec: { ...r.rec, concurrency: levels, serialP99Ms: r.rec.latencyMs!.p99 } } : r)) };
  const c = (await concurrencyCurve(withLevels, dataset))!;
  assertPlainJson(c.config);
  const ds = c.config.data.datasets as unknown as { label: string; data: ChartPoint[]; showLine: boolean }[];
  assert.equal(ds.length, 1);
  assert.ok(ds[0].label.startsWith(ok[0].rec.label));
  assert.deepEqual(ds[0].data.map((p) => [p.x, p.y]), levels.map((l) => [l.qps, l.p99]));
  assert.ok(ds[0].showLine);
  const scales = (c.config.options as { scales: Record<string, { title: { text: string } }> }).scales;
  assert.match(scales.x.title.text, /QPS under concurrency \[1\/s\], → better/);
  assert.match(scales.y.title.text, /p99 latency under concurrency \[ms\], ↓ better/);
  assert.ok(c.png.length > 1000, 'drawn');
  const t = concurrencyTable(withLevels)!;
  assert.deepEqual(t.rows.map((r) => r.cells[5]), ['1', '2']);
  assert.equal(t.rows[0].cells[4], 'single');
});
