// Repeat counts in task files: `runs` / `buildRuns` per grid.indexes entry and task-wide; a bad
// value is refused naming its field; the estimate grows with them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataShape } from '../../src/core/cost.js';
import { ConfigError } from '../../src/core/errors.js';
import { indexKind, type IndexConfig } from '../../src/run/kinds/index.js';
import { expandTask, loadTask } from '../../src/run/task.js';
import { assertUserError, runCli } from '../helpers/cli.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-task-runs-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function writeTask(extra: Record<string, unknown>, indexes: unknown[]): string {
  const p = join(dir, `t${n++}.json`);
  writeFileSync(p, JSON.stringify({ name: 'runs', description: 'repeats', ...extra, grid: { datasets: ['synthetic-gmm'], indexes } }));
  return p;
}

const refused = (p: string, message: string) => assert.throws(() => loadTask(p), (e: Error) => e instanceof ConfigError && e.message === `${p}: ${message}`, message);

test('runs / buildRuns of an entry or of the task: 0, -1 and 1.5 are refused naming the field', () => {
  for (const bad of [0, -1, 1.5]) {
    refused(writeTask({}, [{ index: 'flat' }, { index: 'flat', label: 'b', runs: bad }]), `grid.indexes[1].runs must be a positive integer, got ${bad}.`);
    refused(writeTask({}, [{ index: 'flat', buildRuns: bad }]), `grid.indexes[0].buildRuns must be a positive integer, got ${bad}.`);
    refused(writeTask({ runs: bad }, [{ index: 'flat' }]), `runs must be a positive integer, got ${bad}.`);
  }
  refused(writeTask({ buildRuns: '2' }, [{ index: 'flat' }]), 'buildRuns must be a positive integer, got "2".');
});

test('vqbench run: a task with runs 0 is one sentence naming grid.indexes[0].runs, exit 2', () => {
  const p = writeTask({}, [{ index: 'flat', runs: 0 }]);
  assertUserError(runCli(['run', p, '--dry-run', '--results-dir', join(dir, 'results')]), /grid\.indexes\[0\]\.runs must be a positive integer, got 0\.$/);
});

test('the task-wide runs and buildRuns fill the cells; an entry\'s own wins; neither given leaves the job\'s defaults (3, 1); the ids do not change', () => {
  const entries = [{ index: 'flat' }, { index: 'ivfpq', build: { nlist: 8, m: 4 }, runs: 2, buildRuns: 4 }];
  const withDefaults = expandTask(loadTask(writeTask({ runs: 5, buildRuns: 3 }, entries)), 'small');
  assert.deepEqual(withDefaults.map((c) => [c.config.runs, c.config.buildRuns]), [[5, 3], [2, 4]]);
  const plain = expandTask(loadTask(writeTask({}, entries)), 'small');
  assert.deepEqual(plain.map((c) => [c.config.runs, c.config.buildRuns]), [[undefined, undefined], [2, 4]]);
  assert.ok(!('runs' in plain[0].config), 'absent, not undefined, in the recorded config');
  assert.deepEqual(plain.map((c) => c.id), withDefaults.map((c) => c.id));
});

test('the estimate multiplies the search time by runs and the build time by buildRuns', () => {
  const shape: DataShape = { base: 100_000, queries: 1000, dim: 100 };
  const cell = (runs?: number, buildRuns?: number): IndexConfig => ({
    kind: 'index', dataset: 'synthetic-gmm', subset: null, seed: 1, scale: 'small', index: 'ivfpq', build: { nlist: 256, m: 10 }, search: {}, sweep: { nprobe: [1, 8] },
    ...(runs !== undefined && { runs }), ...(buildRuns !== undefined && { buildRuns }),
  });
  const e = (runs?: number, buildRuns?: number) => indexKind.estimate(cell(runs, buildRuns), shape);
  const search = e(2) - e(1), build = e(1, 2) - e(1, 1);
  assert.ok(search > 0 && build > 0, `search ${search} s, build ${build} s per run`);
  assert.ok(Math.abs(e(5) - e(1) - 4 * search) <= 1e-9 * e(5));
  assert.ok(Math.abs(e(1, 5) - e(1, 1) - 4 * build) <= 1e-9 * e(1, 5));
  assert.ok(Math.abs(e() - e(3, 1)) <= 1e-12 * e(), 'defaults: 3 runs, 1 build');
});
