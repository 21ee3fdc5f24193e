// test-lane: serial (a cell killed at its 2 s timeout: the other cells must finish well inside theirs)
// The task runner end to end, on a tiny .npy: real cells in child processes, a crash and a timeout
// recorded while the rest finish, and THE resume test (SIGKILL the runner mid-run, re-run, compare
// with an uninterrupted run: same cells, same deterministic metrics, nothing lost or duplicated).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNpy } from '../../src/data/npy.js';
import { RESULT_SCHEMA, type CellResult } from '../../src/run/result.js';
import { runTask, type RunFile } from '../../src/run/runner.js';
import type { QuantizeResult } from '../../src/run/quantize.js';
import type { IndexRecord } from '../../src/run/index-job.js';
import type { RateDistortionBound } from '../../src/eval/rate-distortion.js';
import { mixture } from '../helpers/data.js';
import { writeTask } from '../helpers/compare-runs.js';
import { readAnnResult } from '../../src/eval/raw-results.js';
import { RawReader } from '../../src/report/raw.js';

const BIN = fileURLToPath(new URL('../../bin/vqbench.mjs', import.meta.url));
let dir = '';
let savedCache: string | undefined;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-runner-'));
  savedCache = process.env.VQBENCH_CACHE;
  process.env.VQBENCH_CACHE = join(dir, 'cache'); // subsets and ground truth of the test data stay here
  writeNpy(join(dir, 'tiny.npy'), mixture(2400, 16, 8, 11));
});
after(() => {
  if (savedCache === undefined) delete process.env.VQBENCH_CACHE;
  else process.env.VQBENCH_CACHE = savedCache;
  delete process.env.VQBENCH_TEST_FAULT;
  rmSync(dir, { recursive: true, force: true });
});

const readResult = <M>(p: string) => JSON.parse(readFileSync(p, 'utf8')) as CellResult<M>;
const cellFiles = (runDir: string) => readdirSync(runDir).filter((f) => f.endsWith('.json') && f !== 'run.json').sort();
const quiet = { print: () => undefined };

test('a small run end to end: quantize, index and rd-bound cells, a crash and a timeout recorded, the rest finish', async () => {
  const task = writeTask(dir, 'e2e', {
    quantizers: [
      { method: ['pq', 'wrvq'], books: 2, size: 16 },
      { label: 'crash', method: 'rvq', books: 2, size: 8 },
      { label: 'hang', method: 'pq', books: 4, size: 8 },
    ],
    indexes: [{ index: 'ivfpq', build: { nlist: 8, m: 4 }, sweep: { nprobe: [1, 8] }, warmup: 5 }],
    rdBound: {},
  });
  const results = join(dir, 'results');
  process.env.VQBENCH_TEST_FAULT = 'crash=crash,hang=hang';
  try {
    const s = await runTask({ task, resultsDir: results, only: ['!hang'], ...quiet });
    assert.equal(s.run, 'e2e-small');
    assert.equal(s.selected, 5);
    assert.deepEqual(s.counts, { ok: 4, failed: 1, timeout: 0, 'not-run': 0 });
    const t = await runTask({ task, resultsDir: results, only: ['hang'], timeout: 2, ...quiet });
    assert.deepEqual(t.counts, { ok: 0, failed: 0, timeout: 1, 'not-run': 0 });
  } finally {
    delete process.env.VQBENCH_TEST_FAULT;
  }
  const runDir = join(results, 'e2e-small');
  assert.deepEqual(cellFiles(runDir), [
    'index.tiny.ivfpq.nlist-8.m-4.json',
    'quantize.tiny.crash.rvq.books-2.size-8.json',
    'quantize.tiny.hang.pq.books-4.size-8.json',
    'quantize.tiny.pq.books-2.size-16.json',
    'quantize.tiny.wrvq.books-2.size-16.json',
    'rd-bound.tiny.json',
  ]);

  const crash = readResult(join(runDir, 'quantize.tiny.crash.rvq.books-2.size-8.json'));
  assert.equal(crash.status, 'failed');
  assert.match(crash.error!, /^the cell's process ended without a result \(killed by SIGKILL\)/);
  assert.equal(crash.error!.split('\n').length, 1);
  const hang = readResult(join(runDir, 'quantize.tiny.hang.pq.books-4.size-8.json'));
  assert.equal(hang.status, 'timeout');
  assert.equal(hang.error, 'the cell ran longer than its 2 s timeout and was stopped.');
  assert.ok(hang.timing.wallSeconds >= 2);

  const wrvq = readResult<QuantizeResult>(join(runDir, 'quantize.tiny.wrvq.books-2.size-16.json'));
  assert.equal(wrvq.schema, RESULT_SCHEMA);
  assert.equal(wrvq.status, 'ok');
  assert.equal(wrvq.error, null);
  assert.equal(wrvq.kind, 'quantize');
  assert.equal(wrvq.run, 'e2e-small');
  assert.equal(wrvq.task, 'e2e');
  assert.equal(wrvq.scale, 'small');
  assert.equal(wrvq.seed, 3);
  assert.deepEqual(wrvq.config.subset, { base: 1500, queries: 100 });
  assert.equal(wrvq.dataset!.name, join(dir, 'tiny.npy'));
  assert.match(wrvq.dataset!.checksum!, /^[0-9a-f]{16}$/);
  const m = wrvq.metrics!;
  assert.equal(m.dataset, join(dir, 'tiny.npy')); // the task's dataset, not the subset folder
  assert.equal(m.bitsPerVector, 2 * (4 + 16));
  assert.equal(m.trainRows, 1000);
  assert.equal(m.evalRows, 100);
  assert.ok(m.loss > 0 && m.relativeLoss < 1);
  assert.ok(wrvq.timing.wallSeconds > 0 && wrvq.timing.cpuSeconds > 0 && wrvq.timing.peakRssBytes > 10 * 2 ** 20);
  assert.ok(wrvq.definitions.loss && wrvq.definitions['timing.peakRssBytes']);
  assert.equal(wrvq.env.node, process.version);

  const index = readResult<IndexRecord[]>(join(runDir, 'index.tiny.ivfpq.nlist-8.m-4.json'));
  assert.equal(index.status, 'ok');
  assert.deepEqual(index.metrics!.map((r) => r.params.search), [{ nprobe: 1 }, { nprobe: 8 }]);
  assert.equal(index.metrics![0].queries, 100);
  assert.ok(index.metrics![1].recall![10] >= index.metrics![0].recall![10]);
  assert.equal(index.env.blas, undefined); // named only for faiss cells
  // raw per-query results beside the result file, ann-benchmarks' layout
  assert.deepEqual(index.metrics!.map((r) => r.raw), [1, 8].map((n) => `raw/index.tiny.ivfpq.nlist-8.m-4/10/ivfpq/ivfpq_nlist_8_m_4_nbits_8_metric_l2_tables_table_opq_false_nprobe_${n}.hdf5`));
  const raw = await readAnnResult(join(runDir, index.metrics![0].raw!));
  assert.equal(raw.nq, 100);
  assert.equal(raw.k, 10);
  assert.equal(raw.attrs.dataset, join(dir, 'tiny.npy'));
  assert.equal(raw.attrs.name, 'ivfpq:nlist=8,m=4,nbits=8,metric=l2,tables=table,opq=false,nprobe=1');
  // the truth beside them: the record's recall and nnRecall recomputed from the run folder alone
  const reader = new RawReader(runDir);
  for (const rec of index.metrics!) {
    assert.equal(rec.rawTruth, 'raw/index.tiny.ivfpq.nlist-8.m-4/truth.hdf5');
    const scored = (await reader.record(rec))!;
    assert.equal(scored.values.recall, rec.recall![10]);
    assert.equal(scored.values.nnRecall, rec.nnRecall![10]);
    assert.equal(scored.perQuery.recall.length, 100);
  }

  const rd = readResult<RateDistortionBound>(join(runDir, 'rd-bound.tiny.json'));
  assert.equal(rd.status, 'ok');
  // evaluated at the rates of the task's quantize cells (pq 2×16 = 8, wrvq 2×(4+16) = 40, rvq 2×8 = 6, pq 4×8 = 12)
  assert.deepEqual(rd.metrics!.points.map((p) => p.bits), [6, 8, 12, 40]);
  assert.ok(rd.metrics!.points[1].distortion < rd.metrics!.totalVariance);

  const runFile = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunFile;
  assert.equal(runFile.status, 'finished');
  assert.equal(runFile.cells.length, 6);
  assert.equal(runFile.invocations.length, 2);
  assert.ok(!existsSync(join(runDir, '.lock')));

  // re-running skips the ok cells and re-runs the failed one only
  const again = await runTask({ task, resultsDir: results, only: ['!hang'], ...quiet });
  assert.equal(again.skipped, 4);
  assert.equal(again.ran, 1);
  assert.equal(again.counts.ok, 1);
  assert.equal(readResult(join(runDir, 'quantize.tiny.crash.rvq.books-2.size-8.json')).status, 'ok');
});

test('resume: SIGKILL the runner mid-run, re-run, and get exactly the uninterrupted run\'s results', async () => {
  const task = writeTask(dir, 'resume', {
    quantizers: [{ method: 'pq', books: [1, 2], size: 8 }, { method: 'wrvq', books: 2, size: 8 }],
    indexes: [{ index: 'ivfpq', build: { nlist: 4, m: 2 }, sweep: { nprobe: [1, 4] }, warmup: 5 }],
  });
  // the reference: an uninterrupted run
  const refRoot = join(dir, 'ref');
  const ref = await runTask({ task, resultsDir: refRoot, ...quiet });
  assert.equal(ref.counts.ok, 4);
  const refDir = join(refRoot, 'resume-small');

  // the same run through the CLI, killed with SIGKILL as soon as its first result file appears
  const root = join(dir, 'killed');
  const runDir = join(root, 'resume-small');
  mkdirSync(root, { recursive: true });
  const child = spawn(process.execPath, [BIN, 'run', task, '--results-dir', root], { stdio: 'ignore', env: { ...process.env, VQBENCH_PROGRESS: '0' } });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!(existsSync(runDir) && cellFiles(runDir).length >= 1)) {
    assert.ok(Date.now() < deadline, 'no result file appeared within 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  await exited;
  const survived = cellFiles(runDir);
  assert.ok(survived.length >= 1 && survived.length < 4, `killed after ${survived.length} cells`);
  assert.equal(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).status, 'running'); // it never finished
  assert.ok(existsSync(join(runDir, '.lock'))); // a dead runner's lock
  // a stale temporary file, as a kill during a write would leave
  writeFileSync(join(runDir, 'quantize.tiny.pq.books-1.size-8.json.tmp-999999-1'), '{"half":');

  const resumed = await runTask({ task, resultsDir: root, resume: true, ...quiet });
  assert.equal(resumed.skipped, survived.length);
  assert.equal(resumed.ran, 4 - survived.length);
  assert.equal(resumed.counts.ok, 4 - survived.length);

  // same files, nothing else: no temporaries, no lock, no duplicates
  assert.deepEqual(cellFiles(runDir), cellFiles(refDir));
  assert.deepEqual(readdirSync(runDir).filter((f) => f.includes('.tmp-') || f === '.lock'), []);
  for (const f of cellFiles(refDir)) {
    const a = readResult<unknown>(join(refDir, f)), b = readResult<unknown>(join(runDir, f));
    assert.equal(b.status, 'ok', f);
    assert.deepEqual(b.config, a.config, f);
    assert.equal(b.cell, a.cell);
    if (a.kind === 'quantize') {
      const qa = a.metrics as QuantizeResult, qb = b.metrics as QuantizeResult;
      for (const k of ['loss', 'relativeLoss', 'bitsPerVector', 'trainRows', 'evalRows'] as const) assert.equal(qb[k], qa[k], `${f} ${k}`);
    } else {
      const ia = a.metrics as IndexRecord[], ib = b.metrics as IndexRecord[];
      assert.deepEqual(ib.map((r) => [r.params, r.recall, r.nnRecall, r.indexBytes]), ia.map((r) => [r.params, r.recall, r.nnRecall, r.indexBytes]), f);
    }
  }
  // the files that survived the kill were not rewritten
  const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunFile;
  assert.equal(run.status, 'finished');
  assert.equal(run.invocations.length, 2);
  assert.equal(run.invocations[1].skipped, survived.length);
});
