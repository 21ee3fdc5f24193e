// What a run does when something goes wrong on the output side (a write the file system refuses),
// inside a cell (a sweep configuration that fails while the others run), or in the numbers (NaN).
// The write failures are made the way that works as root too: a FILE where a folder must be
// (ENOTDIR) and a FOLDER where a file must go (EISDIR); chmod would not stop root.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Matrix } from '../../src/core/matrix.js';
import { InputError } from '../../src/core/errors.js';
import { writeNpy } from '../../src/data/npy.js';
import { nonFiniteMetric } from '../../src/run/cell-job.js';
import type { CellResult } from '../../src/run/result.js';
import { runTask, type RunFile } from '../../src/run/runner.js';
import { assertUserError, runCli } from '../helpers/cli.js';
import { mixture } from '../helpers/data.js';

let dir = '';
let savedCache: string | undefined;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-failures-'));
  savedCache = process.env.VQBENCH_CACHE;
  process.env.VQBENCH_CACHE = join(dir, 'cache');
  writeNpy(join(dir, 'tiny.npy'), mixture(1200, 8, 4, 5));
  writeNpy(join(dir, 'zeros.npy'), Matrix.zeros(600, 8));
});
after(() => {
  if (savedCache === undefined) delete process.env.VQBENCH_CACHE;
  else process.env.VQBENCH_CACHE = savedCache;
  delete process.env.VQBENCH_TEST_FAULT;
  rmSync(dir, { recursive: true, force: true });
});

function writeTask(name: string, grid: Record<string, unknown>, data = 'tiny.npy'): string {
  const p = join(dir, `${name}.json`);
  writeFileSync(p, JSON.stringify({ name, description: `test task ${name}`, paper: '-', seed: 3, report: false, scale: { small: { trainSize: 500, evalSize: 50 }, full: {} }, grid: { datasets: [join(dir, data)], ...grid } }));
  return p;
}
const quiet = { print: () => undefined };
const runFile = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunFile;
const pq = (books: number) => ({ method: 'pq', books, size: 4 });

test('nonFiniteMetric: the path of the first NaN or ±Infinity; null means not measured and passes', () => {
  assert.equal(nonFiniteMetric({ loss: 1, recall: { 1: 0.5, 10: null }, notes: ['x'] }), null);
  assert.deepEqual(nonFiniteMetric({ loss: NaN }), { path: 'loss', value: NaN });
  assert.deepEqual(nonFiniteMetric([{ qps: 3 }, { qps: Infinity }]), { path: '[1].qps', value: Infinity });
  assert.deepEqual(nonFiniteMetric({ points: [{ bits: 4, distortion: -Infinity }] }), { path: 'points[0].distortion', value: -Infinity });
  assert.deepEqual(nonFiniteMetric({ curve: new Float64Array([1, NaN]) }), { path: 'curve[1]', value: NaN });
  assert.deepEqual(nonFiniteMetric(NaN), { path: 'metrics', value: NaN });
});

test('a NaN metric fails the cell with a sentence naming it, never ok; the run exits 1', () => {
  const task = writeTask('nan', { quantizers: [pq(2)] }, 'zeros.npy'); // all-zero rows: relative loss = 0 / 0
  const results = join(dir, 'nan-results');
  const r = runCli(['run', task, '--results-dir', results]);
  assert.equal(r.code, 1, r.stderr);
  const cell = JSON.parse(readFileSync(join(results, 'nan-small', 'quantize.zeros.pq.books-2.size-4.json'), 'utf8')) as CellResult<{ loss: number; relativeLoss: number | null }>;
  assert.equal(cell.status, 'failed');
  // the quantize job refuses it first (src/run/quantize.ts); the runner's own check (nonFiniteMetric) backs every other kind
  assert.match(cell.error!, /^pq:m=2,nbits=2 on .*zeros\.npy: the relative loss is not defined: all \d+ evaluation vectors have zero norm\.$/);
  assert.equal(cell.metrics, null);
  assert.match(r.stdout, /failed .* quantize\.zeros\.pq\.books-2\.size-4: pq:m=2,nbits=2 on .*the relative loss is not defined/);
});

test('a sweep configuration that fails inside an ok index cell is counted in the summary and exits 1', () => {
  // nprobe 16 > nlist 4: that configuration fails, nprobe 1 and 4 run
  const task = writeTask('sweep', { indexes: [{ index: 'ivfpq', build: { nlist: 4, m: 2, nbits: 4 }, sweep: { nprobe: [1, 16, 4] }, warmup: 2, queries: 20 }] });
  const results = join(dir, 'sweep-results');
  const r = runCli(['run', task, '--results-dir', results]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /ok .*index\.tiny\.ivfpq\.nlist-4\.m-2\.nbits-4; 1 of 3 sweep configurations failed/);
  assert.match(r.stdout, /run sweep-small: 1 cells ran \(1 ok, 0 failed, 0 timed out, 0 not run\), 0 already done, 1 sweep configuration failed; /);
  const cell = JSON.parse(readFileSync(join(results, 'sweep-small', 'index.tiny.ivfpq.nlist-4.m-2.nbits-4.json'), 'utf8')) as CellResult<{ status: string }[]>;
  assert.equal(cell.status, 'ok');
  assert.deepEqual(cell.metrics!.map((x) => x.status), ['ok', 'failed', 'ok']);
  // a re-run skips the cell but still counts what failed in it (the run holds it), and still exits 1
  const again = runCli(['run', task, '--results-dir', results]);
  assert.equal(again.code, 1);
  assert.match(again.stdout, /0 cells ran .*, 1 already done, 1 sweep configuration failed; /);
});

test('the results folder under a regular file (ENOTDIR): one sentence naming the path, exit 2', async () => {
  writeFileSync(join(dir, 'a-file'), 'x');
  const task = writeTask('notdir', { quantizers: [pq(2)] });
  const root = join(dir, 'a-file', 'results');
  await assert.rejects(runTask({ task, resultsDir: root, ...quiet }), (e: Error) => e instanceof InputError && e.message === `cannot create the folder ${join(root, 'notdir-small')}: a part of that path is a file, not a directory.`);
  assertUserError(runCli(['run', task, '--results-dir', root]), /^error: cannot create the folder .*a-file\/results\/notdir-small: a part of that path is a file, not a directory\.$/);
});

test('run.json cannot be written (a folder in the way): one sentence, no lock left, nothing ran', async () => {
  const task = writeTask('runjson', { quantizers: [pq(2)] });
  const runDir = join(dir, 'runjson-results', 'runjson-small');
  mkdirSync(join(runDir, 'run.json'), { recursive: true });
  await assert.rejects(runTask({ task, resultsDir: join(dir, 'runjson-results'), ...quiet }), (e: Error) => e instanceof InputError && e.message === `cannot write the run description ${join(runDir, 'run.json')}: it is a directory.`);
  assert.deepEqual(readdirSync(runDir).sort(), ['run.json']);
  assert.deepEqual(readdirSync(join(runDir, 'run.json')), []);
});

test('a result file cannot be written: the run stops with one sentence, run.json says interrupted, the lock is gone', async () => {
  const task = writeTask('result', { quantizers: [pq(1), pq(2)] });
  const results = join(dir, 'result-results');
  const runDir = join(results, 'result-small');
  mkdirSync(join(runDir, 'quantize.tiny.pq.books-2.size-4.json'), { recursive: true });
  const r = runCli(['run', task, '--results-dir', results]);
  assertUserError(r, /^error: cannot write the result file .*result-small\/quantize\.tiny\.pq\.books-2\.size-4\.json: it is a directory\.$/);
  assert.match(r.stdout, /ok .*quantize\.tiny\.pq\.books-1\.size-4/); // the first cell was written
  const run = runFile(runDir);
  assert.equal(run.status, 'interrupted');
  assert.equal(run.invocations.length, 1);
  assert.equal(run.invocations[0].ran, 1);
  assert.ok(run.invocations[0].finishedAt);
  assert.deepEqual(readdirSync(runDir).filter((f) => f === '.lock' || f.includes('.tmp-')), []);
  // the folder in the way removed, the same command finishes the run
  rmSync(join(runDir, 'quantize.tiny.pq.books-2.size-4.json'), { recursive: true });
  const s = await runTask({ task, resultsDir: results, ...quiet });
  assert.deepEqual([s.skipped, s.ran, s.counts.ok], [1, 1, 1]);
  assert.equal(runFile(runDir).status, 'finished');
});

test("a failed cell's log cannot be written (logs is a file): one sentence naming it, run.json interrupted, no lock", async () => {
  const task = writeTask('logs', { quantizers: [{ label: 'crash', ...pq(2) }, pq(1)] });
  const results = join(dir, 'logs-results');
  const runDir = join(results, 'logs-small');
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'logs'), 'not a folder');
  process.env.VQBENCH_TEST_FAULT = 'crash=throw';
  try {
    await assert.rejects(runTask({ task, resultsDir: results, ...quiet }), (e: Error) => e instanceof InputError && e.message === `cannot write the log ${join(runDir, 'logs', 'quantize.tiny.crash.pq.books-2.size-4.log')}: a part of that path is a file, not a directory.`);
  } finally {
    delete process.env.VQBENCH_TEST_FAULT;
  }
  assert.equal(JSON.parse(readFileSync(join(runDir, 'quantize.tiny.crash.pq.books-2.size-4.json'), 'utf8')).status, 'failed'); // written before its log
  assert.ok(!existsSync(join(runDir, 'quantize.tiny.pq.books-1.size-4.json'))); // the run stopped there
  assert.equal(runFile(runDir).status, 'interrupted');
  assert.ok(!existsSync(join(runDir, '.lock')));
});
