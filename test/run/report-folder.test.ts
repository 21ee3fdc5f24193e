// Reports of runs: the report folder is derived from the results folder (two results folders with
// the same run id never share one), it is locked while written, and a result file copied from
// another run (another task, run id or seed than run.json's) is refused, naming the file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, InputError } from '../../src/core/errors.js';
import { defaultReportDir, writeReport } from '../../src/report/index.js';
import { loadRun } from '../../src/report/load.js';
import { processStartTime } from '../../src/run/lock.js';
import { RESULT_SCHEMA } from '../../src/run/result.js';
import { assertUserError, runCli } from '../helpers/cli.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-report-folder-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function cell(id: string, over: Record<string, unknown> = {}) {
  return {
    schema: RESULT_SCHEMA, run: 'x', task: 't', cell: id, kind: 'quantize', config: { kind: 'quantize', dataset: 'd', subset: null, seed: 3, scale: 'small', method: 'pq', books: 2, size: 4 }, scale: 'small', seed: 3,
    status: 'ok', error: null, dataset: { name: 'd', checksum: null }, env: { node: process.version },
    timing: { startedAt: '2026-01-01T00:00:00Z', wallSeconds: 1, cpuSeconds: 1, peakRssBytes: 1 }, definitions: {},
    metrics: {
      method: 'pq', label: 'PQ 2×4', dataset: 'd', datasetChecksum: '0123456789abcdef', books: 2, size: 4, trainer: 'kmeans', weights: null, beam: null,
      bitsPerVector: 4, paperRatio: 64, honestRatio: 64, loss: 0.5, relativeLoss: 0.25, trainSeconds: 1, encodeSeconds: 1, encodeVectorsPerSecond: 100,
      trainRows: 100, evalRows: 10, dim: 8, seed: 3, notes: [], env: { node: process.version },
    },
    ...over,
  };
}

/** A run folder `<root>/x` of task t, seed 3, with the given cells. */
function runFolder(root: string, cells: ReturnType<typeof cell>[]): string {
  const d = join(dir, root, 'x');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'run.json'), JSON.stringify({ schema: 'vqbench.run/1', run: 'x', task: 't', scale: 'small', seed: 3, cells: cells.map((c) => c.cell) }));
  for (const c of cells) writeFileSync(join(d, `${c.cell}.json`), JSON.stringify(c));
  return d;
}

test('the report folder follows the results folder: results/<run> → reports/<run>, <name>/<run> → <name>-reports/<run>', () => {
  assert.equal(defaultReportDir('/w/results/x'), '/w/reports/x');
  assert.equal(defaultReportDir('/w/other-results/x'), '/w/other-results-reports/x');
  assert.equal(defaultReportDir('/w/results/x/'), '/w/reports/x');
  assert.notEqual(defaultReportDir('/w/results/x'), defaultReportDir('/w/other-results/x'));
  assert.notEqual(defaultReportDir('/a/out/x'), defaultReportDir('/b/out/x'));
});

test('a result file of another task, run or seed than run.json is refused, naming the file', () => {
  const ok = runFolder('r1', [cell('quantize.a')]);
  assert.equal(loadRun(ok).cells.length, 1);
  for (const [over, what] of [[{ seed: 4 }, /its seed 4 \(.*run\.json says 3\)/], [{ task: 'u' }, /its task "u" \(.*run\.json says "t"\)/], [{ run: 'y' }, /its run "y" \(.*run\.json says "x"\)/]] as const) {
    const d = runFolder(`r-${JSON.stringify(over).replace(/\W/g, '')}`, [cell('quantize.a'), cell('quantize.b', over)]);
    const file = join(d, 'quantize.b.json');
    assert.throws(() => loadRun(d), (e: Error) => e instanceof InputError && e.message.startsWith(`${file} does not belong to this run: `) && what.test(e.message) && e.message.split('\n').length === 1, String(over));
  }
  const d = runFolder('r-cli', [cell('quantize.a', { seed: 9 })]);
  assertUserError(runCli(['report', d, '--out', join(dir, 'cli-report')]), /^error: .*quantize\.a\.json does not belong to this run: its seed 9 /);
  assert.ok(!existsSync(join(dir, 'cli-report')));
});

test('the report folder is locked while it is written: a live writer is refused, the lock is gone afterwards', async () => {
  const run = runFolder('results', [cell('quantize.a')]);
  const out = defaultReportDir(run);
  assert.equal(out, join(dir, 'reports', 'x'));
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, '.lock'), JSON.stringify({ pid: process.ppid, startTime: processStartTime(process.ppid), hostname: hostname(), startedAt: '2026-01-01T00:00:00Z' }));
  await assert.rejects(writeReport(run), (e: Error) => e instanceof ConfigError && e.message.startsWith(`the report ${out} is already in progress in process ${process.ppid}`));
  rmSync(join(out, '.lock'));
  const files = await writeReport(run);
  assert.equal(files.html, join(out, 'index.html'));
  assert.ok(existsSync(files.html));
  assert.ok(!readdirSync(out).includes('.lock'));
});
