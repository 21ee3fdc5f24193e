// The filtered-search chart (src/report/charts.ts) on records of a real `index --filter` job: one
// chart per index configuration, a recall and a QPS line per search configuration, one point per
// selectivity at the record's values, drawn to a PNG.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { writeNpy } from '../../src/data/npy.js';
import type { ChartPoint } from '../../src/report/chart-runtime.js';
import { filteredCharts } from '../../src/report/charts.js';
import { runIndexJob, type IndexRecord } from '../../src/run/index-job.js';
import { mixture } from '../helpers/data.js';

let dir = '';
let records: IndexRecord[] = [];
const SELECTIVITIES = [0.01, 0.1, 0.5, 0.99];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-filtered-chart-'));
  process.env.VQBENCH_CACHE = join(dir, 'cache');
  writeNpy(join(dir, 'small.npy'), mixture(1100, 16, 8, 9));
  records = await runIndexJob({
    data: join(dir, 'small.npy'), index: 'ivfpq', build: { nlist: 8, m: 4 }, sweep: { nprobe: [1, 8] },
    queries: 30, runs: 1, warmup: 0, filter: SELECTIVITIES,
  });
});

after(async () => {
  await shutdownWorkers();
  rmSync(dir, { recursive: true, force: true });
});

test('filtered chart: a recall and a QPS line per search configuration, a point per selectivity at the record\'s values', async () => {
  const other = { ...records[0], label: 'another', filtered: undefined };
  const charts = await filteredCharts({ index: [...records, other].map((rec) => ({ rec, dataset: rec.dataset })) } as never);
  assert.equal(charts.length, 1, 'one chart per index configuration with filtered results');
  const c = charts[0];
  assert.match(c.id, /^filtered-.*ivfpq/);
  assert.ok(c.png.length > 1000);
  const ds = c.config.data.datasets as unknown as { label: string; data: ChartPoint[]; yAxisID: string }[];
  assert.deepEqual(ds.map((d) => d.label), ['recall@10 · nprobe=1', 'QPS · nprobe=1', 'recall@10 · nprobe=8', 'QPS · nprobe=8']);
  for (const [i, rec] of records.entries()) {
    const [recall, qps] = [ds[2 * i], ds[2 * i + 1]];
    assert.deepEqual(recall.data.map((p) => p.x), SELECTIVITIES);
    assert.deepEqual(recall.data.map((p) => p.y), rec.filtered!.map((f) => f.recall!['10']));
    assert.deepEqual(qps.data.map((p) => p.y), rec.filtered!.map((f) => f.qpsMedian));
    assert.equal(recall.yAxisID, 'y');
    assert.equal(qps.yAxisID, 'y1');
  }
  // nprobe = nlist sees every labelled row: its filtered recall is not below one probe's at any selectivity
  for (let j = 0; j < SELECTIVITIES.length; j++) assert.ok((ds[2].data[j].y as number) >= (ds[0].data[j].y as number));
});
