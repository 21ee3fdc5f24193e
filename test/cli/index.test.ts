// End-to-end: `vqbench index` and `vqbench insert` in a child process on small seeded files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/data/npy.js';
import { writeFvecs } from '../../src/data/fvecs.js';
import { mixture } from '../helpers/data.js';
import { assertUserError, runCli } from '../helpers/cli.js';

let dir = '';

const run = (...args: string[]) => runCli(args, { VQBENCH_CACHE: join(dir, 'cache') });

function faissLoads(): boolean {
  return spawnSync(process.execPath, ['-e', "require('faiss-node')"], { stdio: 'ignore' }).status === 0;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-index-cli-'));
  writeNpy(join(dir, 'small.npy'), mixture(2200, 16, 8, 4)); // 220 queries, 1980 base rows
  mkdirSync(join(dir, 'texmex'));
  writeFvecs(join(dir, 'texmex', 'x_base.fvecs'), mixture(300, 8, 4, 1));
  writeFvecs(join(dir, 'texmex', 'x_query.fvecs'), mixture(10, 9, 4, 2));
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('index --json: one record per swept configuration; a configuration the index rejects is recorded as failed and the others run', () => {
  const out = join(dir, 'ivf.json');
  const r = run('index', '--data', join(dir, 'small.npy'), '--index', 'ivfpq', '--nlist', '8', '--m', '4', '--sweep', 'nprobe=1,8,16', '--queries', '100', '--json', '--out', out);
  assert.equal(r.code, 1, 'a failed configuration makes the exit code 1');
  const recs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(recs.length, 3);
  for (const f of ['index', 'params', 'recall', 'nnRecall', 'qps', 'latencyMs', 'buildSeconds', 'indexBytes', 'peakRssBytes', 'bitsPerVector']) assert.ok(f in recs[0], f);
  assert.equal(recs[0].status, 'ok');
  assert.equal(recs[2].status, 'failed');
  assert.match(recs[2].error, /nprobe/);
  assert.ok(recs[1].recall['10'] >= recs[0].recall['10'], 'recall does not fall as nprobe grows');
  assert.ok(recs[0].latencyMs.p50 <= recs[0].latencyMs.p99);
  assert.equal(recs[0].bitsPerVector, 32);
  assert.equal(JSON.parse(readFileSync(out, 'utf8')).length, 3);
});

test('index: flat search has recall 1 against the cached exact ground truth', () => {
  const r = run('index', '--data', join(dir, 'small.npy'), '--index', 'flat', '--queries', '50', '--json');
  assert.equal(r.code, 0, r.stderr);
  const rec = JSON.parse(r.stdout.trim());
  assert.deepEqual(rec.recall, { 1: 1, 5: 1, 10: 1 });
  assert.equal(rec.nnRecall['1'], 1);
});

test('index prints a table with the recall definition', () => {
  const r = run('index', '--data', join(dir, 'small.npy'), '--index', 'wrvq', '--books', '2', '--size', '16', '--queries', '50');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /recall@k = \|approx top-k ∩ exact top-k\| \/ k/);
  assert.match(r.stdout, /wrvq\(/);
});

test('insert: per batch seconds, index bytes and recall', () => {
  const r = run('insert', '--data', join(dir, 'small.npy'), '--index', 'ivfpq', '--nlist', '8', '--m', '4', '--nprobe', '8', '--batches', '100,200', '--queries', '50', '--json');
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout.trim());
  assert.equal(res.initialRows, 1980 - 300);
  assert.equal(res.batches.length, 2);
  assert.equal(res.batches[1].indexedAfter, 1980);
  assert.ok(res.batches[0].indexBytesDelta > 0);
  assert.ok(res.batches[1].recall['10'] > 0.3);
});

test('index: bad input is one sentence each', () => {
  assertUserError(run('index', '--data', join(dir, 'small.npy'), '--index', 'hnws'), /unknown index 'hnws'; did you mean 'hnsw'/);
  assertUserError(run('index', '--data', join(dir, 'small.npy'), '--index', 'flat', '--k', '5000'), /--k 5000 is larger than the 1980 base rows/);
  assertUserError(run('index', '--data', join(dir, 'small.npy'), '--index', 'hnsw', '--nlist', '4'), /--nlist is not a parameter of index hnsw/);
  assertUserError(run('index', '--data', join(dir, 'small.npy'), '--index', 'ivfpq', '--sweep', 'nprobes=1,2'), /unknown ivfpq search parameter 'nprobes'; did you mean 'nprobe'/);
  assertUserError(run('index', '--data', join(dir, 'texmex'), '--index', 'flat'), /x_query\.fvecs has dimension 9 but .*x_base\.fvecs has 8/);
  assertUserError(run('insert', '--data', join(dir, 'small.npy'), '--index', 'flat', '--batches', '5000'), /--batches add 5000 rows/);
});

test('index: a faiss factory string faiss rejects is one sentence naming --factory', { skip: faissLoads() ? false : 'faiss-node does not load here' }, () => {
  assertUserError(run('index', '--data', join(dir, 'small.npy'), '--index', 'faiss', '--factory', 'IVF8,Bogus'), /--factory 'IVF8,Bogus'/);
});
