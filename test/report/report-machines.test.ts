// A run whose index configurations were timed on two machines (queue workers, a Slurm array): the
// index table gets a machine column and names each machine, the recall–QPS chart a series per
// machine, and the summary gives the fastest configuration per machine, never one across them. One machine: no column, one clause.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRun } from '../../src/report/load.js';
import { buildView } from '../../src/report/model.js';
import { rescore } from '../../src/report/rescore.js';
import { summarize } from '../../src/report/summary.js';
import { indexTable } from '../../src/report/tables.js';
import { renderCharts } from '../../src/report/charts.js';
import type { IndexRecord } from '../../src/run/index-job.js';
import { copyRun, INDEX_CELL, readCell, sharedCompareRuns, writeCell } from '../helpers/compare-runs.js';

const tmp = mkdtempSync(join(tmpdir(), 'vqbench-machines-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function tableAndSummary(runDir: string) {
  const rescored = await rescore(buildView(loadRun(runDir)));
  const chart = (await renderCharts(rescored.view)).find((c) => c.id.startsWith('recall-qps-'))!;
  const series = [...new Set((chart.config.data.datasets as { series?: string }[]).map((d) => d.series))];
  return { series, table: indexTable(rescored)!, summary: summarize(rescored.view, rescored).filter((s) => s.section === 'indexes').map((s) => s.text) };
}

test('timings of two machines are shown apart: a machine column, each machine named, the fastest per machine', async () => {
  const { base } = await sharedCompareRuns();
  const one = await tableAndSummary(base);
  assert.ok(!one.table.header.includes('machine'));
  assert.equal(one.summary.length, 1);
  assert.doesNotMatch(one.summary[0], /on machine/);
  assert.deepEqual(one.series, ['ivfpq']);

  // the same run with its nprobe=8 configuration timed on another machine
  const runDir = copyRun(base, tmp);
  const cell = readCell<IndexRecord[]>(runDir, INDEX_CELL);
  const first = cell.metrics![0].fingerprint;
  const other = { ...first, id: 'abcdefabcdef', cpu: 'Another CPU', cores: 64 };
  cell.metrics = cell.metrics!.map((r) => (r.params.search.nprobe === 8 ? { ...r, fingerprint: other } : r));
  writeCell(runDir, cell);
  const two = await tableAndSummary(runDir);
  const col = two.table.header.indexOf('machine');
  assert.equal(col, one.table.header.findIndex((h) => h.endsWith(', best'))); // just before the timings
  const ours = two.table.rows.filter((r) => r.source === 'ours');
  assert.deepEqual(ours.map((r) => r.cells[col]).sort(), [first.id, other.id].sort());
  for (const r of two.table.rows) assert.equal(r.cells.length, two.table.header.length);
  assert.ok(two.table.notes.some((n) => /^Timings from 2 machines/.test(n)));
  assert.ok(two.table.notes.includes(`machine abcdefabcdef: Another CPU, 64 cores, ${first.blas}, Node ${first.node}, ${first.threads} thread${first.threads === 1 ? '' : 's'}.`));
  // the recall–QPS chart: one series (and Pareto frontier) per machine
  assert.deepEqual(two.series.sort(), [`ivfpq on machine ${first.id}`, `ivfpq on machine ${other.id}`].sort());
  // one speed clause per machine, each naming a configuration of that machine
  assert.equal(two.summary.length, 1);
  const clauses = two.summary[0].split(/(?=on machine )/).slice(1);
  assert.equal(clauses.length, 2, two.summary[0]);
  assert.match(clauses.find((c) => c.includes(other.id))!, /nprobe=8/);
  assert.match(clauses.find((c) => c.includes(first.id))!, /nprobe=1/);
});
