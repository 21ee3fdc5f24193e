// Task files: grid expansion and cell ids, validation errors that name the field, filters, and
// every shipped task validating and expanding at both scales.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import { runTask } from '../../src/run/runner.js';
import { SCALES, expandTask, loadTask, matchesFilters, shippedTasks, TASKS_DIR, type TaskFile } from '../../src/run/task.js';
import { assertUserError, runCli } from '../helpers/cli.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-task-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function writeTask(t: unknown): string {
  const p = join(dir, `t${n++}.json`);
  writeFileSync(p, typeof t === 'string' ? t : JSON.stringify(t, null, 2));
  return p;
}

const base = (): TaskFile => ({
  name: 'demo',
  description: 'a test task',
  paper: 'Table 2',
  seed: 5,
  scale: { small: { base: 2000, queries: 50, trainSize: 1000 }, full: { trainSize: 50000 } },
  grid: {
    datasets: ['synthetic-gmm'],
    quantizers: [
      { method: ['pq', 'wrvq'], books: { small: [2, 4], full: [2, 4, 8] }, size: 16, weights: 'gain' },
      { label: 'adam', method: 'rvq', books: 2, size: 16, beam: 3, trainer: 'adam' },
    ],
    indexes: [
      { index: 'ivfpq', build: { nlist: { small: 16, full: [64, 256] }, m: 4 }, sweep: { nprobe: [1, 4] } },
      { index: 'faiss', label: 'faiss-ivf', build: { factory: 'IVF16,PQ4' }, search: { nprobe: 2 } },
      { index: 'hnsw', build: { M: 8 }, sweep: { efSearch: { small: [16], full: [16, 64] } } },
    ],
    inserts: [{ index: 'wrvq', build: { books: 2, size: 16 }, batches: { small: [100], full: [1000, 2000] } }],
    rdBound: { bits: [8] },
    mteb: [{ models: ['use-lite'], tasks: ['STS'], quantizers: [{ method: 'pq', books: [4, 8], size: 256 }] }],
  },
});

test('grid expansion: lists multiply, per-scale values resolve, ids are stable and filename-safe', () => {
  const task = loadTask(writeTask(base()));
  const small = expandTask(task, 'small');
  assert.deepEqual(small.map((c) => c.id), [
    'quantize.synthetic-gmm.pq.books-2.size-16',
    'quantize.synthetic-gmm.pq.books-4.size-16',
    'quantize.synthetic-gmm.wrvq.books-2.size-16.weights-gain',
    'quantize.synthetic-gmm.wrvq.books-4.size-16.weights-gain',
    'quantize.synthetic-gmm.adam.rvq.books-2.size-16.beam-3.trainer-adam',
    'index.synthetic-gmm.ivfpq.nlist-16.m-4',
    'index.synthetic-gmm.faiss-ivf.factory-IVF16_PQ4.nprobe-2',
    'index.synthetic-gmm.hnsw.M-8',
    'insert.synthetic-gmm.wrvq.books-2.size-16',
    'rd-bound.synthetic-gmm',
    'mteb.use-lite.original',
    'mteb.use-lite.pq.books-4.size-256',
    'mteb.use-lite.pq.books-8.size-256',
  ]);
  for (const c of small) assert.match(c.id, /^[A-Za-z0-9][A-Za-z0-9._+-]*$/);
  // pq does not read `weights`: dropped from its cells; the scale's sizes are in the config
  const pq = small[0].config;
  assert.equal(pq.weights, undefined);
  assert.deepEqual(pq.subset, { base: 2000, queries: 50 });
  assert.equal(pq.trainSize, 1000);
  assert.equal(pq.seed, 5);
  assert.equal(small[5].config.kind, 'index');
  assert.deepEqual(small[5].config.sweep, { nprobe: [1, 4] });
  assert.deepEqual(small[7].config.sweep, { efSearch: [16] });
  assert.deepEqual(small[8].config.batches, [100]);
  // rd-bound at the rates of the quantize cells (pq 2×16 = 8, 4×16 = 16; wrvq adds 16 per book; rvq 2×16 = 8) and the given ones
  assert.deepEqual(small[9].config.bits, [8, 16, 40, 80]);
  assert.equal(small[10].dataset, null);
  assert.deepEqual(small[11].config.quantizer, { method: 'pq', books: 4, size: 256 });

  const full = expandTask(task, 'full');
  assert.equal(full.filter((c) => c.kind === 'quantize').length, 7);
  assert.deepEqual(full.filter((c) => c.id.includes('ivfpq')).map((c) => c.id), ['index.synthetic-gmm.ivfpq.nlist-64.m-4', 'index.synthetic-gmm.ivfpq.nlist-256.m-4']);
  assert.equal(full[0].config.subset, null);
  assert.deepEqual(full.find((c) => c.kind === 'insert')!.config.batches, [1000, 2000]);
  // the same file expands to the same ids every time
  assert.deepEqual(expandTask(loadTask(task.path), 'small').map((c) => c.id), small.map((c) => c.id));
});

test('a grid that yields the same cell twice is refused, naming both entries', () => {
  const t = base();
  t.grid.quantizers!.push({ method: 'pq', books: 2, size: 16 });
  assert.throws(() => loadTask(writeTask(t)), (e: Error) => e instanceof ConfigError && /grid\.quantizers\[2\] gives the same cell as grid\.quantizers\[0\] \(id quantize\.synthetic-gmm\.pq\.books-2\.size-16\)/.test(e.message));
});

/** Applies an edit to a fresh valid task and returns the ConfigError message. */
function problem(edit: (t: TaskFile & Record<string, unknown>) => void): string {
  const t = base() as TaskFile & Record<string, unknown>;
  edit(t);
  const p = writeTask(t);
  try {
    loadTask(p);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.ok(e.message.startsWith(`${p}: `), e.message);
    assert.equal(e.message.split('\n').length, 1);
    return e.message.slice(p.length + 2);
  }
  assert.fail('expected a ConfigError');
}

test('validation: the first bad field is named in one sentence', () => {
  const cases: [(t: TaskFile & Record<string, unknown>) => void, RegExp][] = [
    [(t) => { t.grid.indexes![2].search = { efSearch: 0 }; }, /^grid\.indexes\[2\]\.search\.efSearch must be a positive integer, got 0\.$/],
    [(t) => { t.grid.indexes![0].sweep = { nprobe: [1, -4] }; }, /^grid\.indexes\[0\]\.sweep\.nprobe must be a positive integer, got -4\.$/],
    [(t) => { t.grid.indexes![0].build = { nlst: 4 }; }, /^grid\.indexes\[0\]\.build\.nlst is not a build parameter of ivfpq; did you mean 'nlist'\?/],
    [(t) => { t.grid.indexes![0].index = 'ivfqp'; }, /^grid\.indexes\[0\]\.index names an unknown index 'ivfqp'; did you mean 'ivfpq'\?/],
    [(t) => { t.grid.indexes![1].build = { factory: 4 }; }, /^grid\.indexes\[1\]\.build\.factory must be a string, got 4\.$/],
    [(t) => { t.grid.indexes![0].sweep = { nprobe: [2] }; t.grid.indexes![0].search = { nprobe: 2 }; }, /^grid\.indexes\[0\]\.sweep\.nprobe is also fixed in search/],
    [(t) => { delete (t as Partial<TaskFile>).name; }, /^the task is missing the required field 'name'\.$/],
    [(t) => { t.name = 'has space'; }, /^name must be a filename-safe name/],
    [(t) => { t.extra = 1; }, /^extra is not a known field/],
    [(t) => { (t.grid.quantizers![0] as unknown as Record<string, unknown>).bookz = 4; }, /^grid\.quantizers\[0\]\.bookz is not a known field; did you mean 'books'\?/],
    [(t) => { t.grid.quantizers![1].books = '2' as never; }, /^grid\.quantizers\[1\]\.books must be a positive integer, a list of them, or \{"small": …, "full": …\}, got "2"\.$/],
    [(t) => { t.grid.quantizers![0].books = { small: 2, full: [0] }; }, /^grid\.quantizers\[0\]\.books\.full\[0\] must be a positive integer, got 0\.$/],
    [(t) => { t.grid.quantizers![0].size = 1; }, /^grid\.quantizers\[0\]\.size must be an integer from 2 to 65536/],
    [(t) => { t.grid.quantizers![0].method = 'wrvqq'; }, /^grid\.quantizers\[0\]\.method names an unknown quantizer 'wrvqq'; did you mean 'wrvq'\?/],
    [(t) => { t.grid.quantizers![1].weights = 'paper'; }, /^grid\.quantizers\[1\]\.weights is not a parameter of rvq/],
    [(t) => { t.grid.quantizers![0].weights = 'gian'; }, /^grid\.quantizers\[0\]\.weights must be one of 'paper', 'gain', got "gian"\.$/],
    [(t) => { t.grid.quantizers![1].trainer = 'sgd'; }, /^grid\.quantizers\[1\]\.trainer must be .*'kmeans' or 'adam'/],
    [(t) => { t.scale!.small!.base = -1; }, /^scale\.small\.base must be a positive integer, got -1\.$/],
    [(t) => { (t.scale as Record<string, unknown>).medium = {}; }, /^scale\.medium is not a known field; known: small, full\.$/],
    [(t) => { t.grid.datasets = ['glove100']; }, /^grid\.datasets\[0\] names no dataset: 'glove100' is neither registered \(known: glove-100, synthetic-gmm\) nor an existing file or folder; did you mean 'glove-100'\?$/],
    [(t) => { t.grid.inserts![0].batches = []; }, /^grid\.inserts\[0\]\.batches must be a non-empty list of positive integers or \{"small": \[\.\.\.\], "full": \[\.\.\.\]\}, got \[\]\.$/],
    [(t) => { t.grid = {}; }, /^grid lists no cells/],
    [(t) => { t.grid = { quantizers: [{ method: 'pq' }] }; }, /^grid is missing the field 'datasets'/],
    [(t) => { t.grid.mteb![0].quantizers![0].method = 'lsq'; }, /^grid\.mteb\[0\]\.quantizers\[0\]\.method names an unknown quantizer 'lsq'/],
  ];
  for (const [edit, re] of cases) assert.match(problem(edit), re);
  const p = writeTask('{"name": "x",');
  assert.throws(() => loadTask(p), (e: Error) => e instanceof ConfigError && e.message.startsWith(`${p} is not valid JSON (`));
  assert.throws(() => loadTask(join(dir, 'nope.json')), /nope\.json does not exist/);
  assert.throws(() => loadTask('quickstrat'), /quickstrat does not exist; did you mean 'quickstart'\?/);
});

test('filters: id substrings, key=value on the config, alternatives, negation', () => {
  const cells = expandTask(loadTask(writeTask(base())), 'small');
  const ids = (f: string[]) => cells.filter((c) => matchesFilters(c, f)).map((c) => c.id);
  assert.equal(ids([]).length, cells.length);
  assert.deepEqual(ids(['wrvq', 'kind=quantize']), ['quantize.synthetic-gmm.wrvq.books-2.size-16.weights-gain', 'quantize.synthetic-gmm.wrvq.books-4.size-16.weights-gain']);
  assert.deepEqual(ids(['method=pq', 'books=4']), ['quantize.synthetic-gmm.pq.books-4.size-16', 'mteb.use-lite.pq.books-4.size-256']);
  assert.deepEqual(ids(['nlist=16']), ['index.synthetic-gmm.ivfpq.nlist-16.m-4']);
  assert.deepEqual(ids(['build.M=8']), ['index.synthetic-gmm.hnsw.M-8']);
  assert.deepEqual(ids(['nprobe=4']), ['index.synthetic-gmm.ivfpq.nlist-16.m-4']); // a swept list contains it
  assert.deepEqual(ids(['kind=rd-bound,insert']), ['insert.synthetic-gmm.wrvq.books-2.size-16', 'rd-bound.synthetic-gmm']);
  assert.deepEqual(ids(['factory=IVF16,PQ4']), ['index.synthetic-gmm.faiss-ivf.factory-IVF16_PQ4.nprobe-2']);
  assert.equal(ids(['!kind=mteb', '!quantize']).length, cells.length - 3 - 5);
});

test('every shipped task validates and expands at both scales (dry run)', async () => {
  const names = shippedTasks();
  for (const expected of ['quickstart', 'table2-recall', 'table3-build-query', 'table4-memory', 'table5-loss-random-train', 'fig4-loss-vs-books', 'fig5-codebook-shape', 'fig6-mteb', 'fig7-incremental-insert', 'equal-bits', 'compression']) {
    assert.ok(names.includes(expected), `tasks/${expected}.json is missing`);
  }
  for (const name of names) {
    const task = loadTask(join(TASKS_DIR, `${name}.json`));
    assert.equal(task.name, name, `tasks/${name}.json names itself ${task.name}`);
    for (const scale of SCALES) {
      const lines: string[] = [];
      const s = await runTask({ task: task.path, scale, dryRun: true, resultsDir: join(dir, 'results'), print: (l) => lines.push(l) });
      assert.ok(s.planned > 0 && s.selected === s.planned, `${name} ${scale}`);
      assert.equal(s.ran, 0);
      assert.match(lines.at(-1)!, new RegExp(`^${s.planned} of ${s.planned} cells selected: 0 done, ${s.planned} to run, expected ≈ `));
      for (const c of expandTask(task, scale)) assert.match(c.id, /^[A-Za-z0-9][A-Za-z0-9._+-]*$/);
    }
  }
});

test('the CLI: a bad task file is one error line and exit 2; --dry-run prints the plan', () => {
  const bad = base();
  bad.grid.indexes![2].search = { efSearch: 0 };
  const p = writeTask(bad);
  assertUserError(runCli(['run', p, '--dry-run', '--results-dir', join(dir, 'results')]), /grid\.indexes\[2\]\.search\.efSearch must be a positive integer, got 0\./);
  const r = runCli(['run', 'quickstart', '--scale', 'full', '--dry-run', '--only', 'kind=index', '--results-dir', join(dir, 'results')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^task quickstart/);
  assert.match(r.stdout, /index\.glove-100\.ivfpq\.nlist-1024\.m-12 +index +≈ /);
  assert.match(r.stdout, /5 of 18 cells selected: 0 done, 5 to run, expected ≈ .*\(estimates: /);
  assertUserError(runCli(['run', 'quickstart', '--dry-run', '--only', 'nothing-matches', '--results-dir', join(dir, 'results')]), /--only nothing-matches matches none of the 18 cells/);
});
