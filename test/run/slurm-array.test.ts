// `vqbench run TASK --emit slurm` and `vqbench run-cell`: the emitted sbatch script's body run with
// bash, once per array index (SLURM_ARRAY_TASK_ID set, VQBENCH_BIN overriding how vqbench is
// called; no Slurm needed), gives the cells and non-timing metrics of a local run of the same task
// (the compare tests' shared run); an index run twice is skipped; a bad index is one sentence.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/data/npy.js';
import { arraySpec, slurmTime } from '../../src/run/queue/slurm.js';
import type { RunFile } from '../../src/run/runner.js';
import { mixture } from '../helpers/data.js';
import { assertSameNonTiming, cellFiles, sharedCompareRuns, writeTask, QUANTIZE_CELL } from '../helpers/compare-runs.js';
import { BIN } from '../helpers/workers.js';

let dir = '';
const env = () => ({ ...process.env, VQBENCH_CACHE: join(dir, 'cache'), VQBENCH_PROGRESS: '0' });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-slurm-'));
  writeNpy(join(dir, 'tiny.npy'), mixture(2400, 16, 8, 11));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('sbatch array specs and times', () => {
  assert.equal(arraySpec([0, 1, 2, 3]), '0-3');
  assert.equal(arraySpec([0, 2, 3, 4, 7]), '0,2-4,7');
  assert.equal(slurmTime(61), '0-00:02:00');
  assert.equal(slurmTime(86_400 + 3600), '1-01:00:00');
});

test('the emitted script, run once per array index, gives a local run\'s cells and metrics; a repeat is skipped', async () => {
  const local = (await sharedCompareRuns()).base; // the compare tests' local run of this very task
  const task = writeTask(dir, 'cmp', {
    quantizers: [{ method: 'pq', books: 2, size: 16 }],
    indexes: [{ index: 'ivfpq', build: { nlist: 8, m: 4 }, sweep: { nprobe: [1, 8] }, warmup: 5 }],
  });
  const results = join(dir, 'results');
  const emit = spawnSync(process.execPath, [BIN, 'run', task, '--emit', 'slurm', '--results-dir', results], { encoding: 'utf8', env: env() });
  assert.equal(emit.status, 0, emit.stderr);
  const script = emit.stdout;
  const runDir = join(results, 'cmp-small');
  assert.match(script, /^#!\/bin\/bash\n#SBATCH --job-name=vqbench-cmp-small\n#SBATCH --array=0-1\n#SBATCH --time=\d-\d\d:\d\d:00\n#SBATCH --cpus-per-task=\d+\n#SBATCH --mem=\d+M\n/);
  assert.ok(script.includes(`#SBATCH --output=${join(runDir, 'logs', 'slurm-%A_%a.out')}\n`));
  assert.match(emit.stderr, /2 of 2 cells selected: 0 done, 2 to run/);
  // prepared: run.json (not finished yet), the cell list, the log folder, the subset in the cache
  assert.equal((JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunFile).status, 'interrupted');
  assert.ok(existsSync(join(runDir, 'slurm', 'cells.json')) && existsSync(join(runDir, 'logs')));
  assert.equal(readdirSync(join(dir, 'cache', 'subsets')).filter((f) => !f.startsWith('.')).length, 1);
  assert.deepEqual(cellFiles(runDir), []);

  const body = join(dir, 'job.sh');
  writeFileSync(body, script);
  const arrayTask = (i: number) => spawnSync('bash', [body], { encoding: 'utf8', env: { ...env(), SLURM_ARRAY_TASK_ID: String(i), VQBENCH_BIN: `${process.execPath} ${BIN}` } });
  for (const i of [1, 0]) {
    const r = arrayTask(i);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^\\[${i}\\] ok `));
  }
  const ib = assertSameNonTiming(local, runDir);
  // the last array task marked the run finished
  assert.equal((JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunFile).status, 'finished');

  // idempotent: a repeated index is skipped and its file left as it was
  const before = readFileSync(join(runDir, `${QUANTIZE_CELL}.json`), 'utf8');
  const again = arrayTask(0);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`^skipped ${QUANTIZE_CELL.replace(/\./g, '\\.')}: done already \\(ok, `));
  assert.equal(readFileSync(join(runDir, `${QUANTIZE_CELL}.json`), 'utf8'), before);

  // a bad index, and no index at all: one sentence each
  const bad = arrayTask(2);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, `error: cell index "2" is not one of 0 to 1 (the cells of ${join(runDir, 'slurm', 'cells.json')}).\n`);
  const unset = spawnSync('bash', [body], { encoding: 'utf8', env: env() });
  assert.notEqual(unset.status, 0);
  assert.match(unset.stderr, /SLURM_ARRAY_TASK_ID: submit this script with sbatch/);
  // everything done: nothing to emit
  const done = spawnSync(process.execPath, [BIN, 'run', task, '--emit', 'slurm', '--results-dir', results], { encoding: 'utf8', env: env() });
  assert.equal(done.status, 2);
  assert.match(done.stderr, /^error: every selected cell of run cmp-small is done already \(.*\); nothing to submit\.\n$/m);
});
