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
import { InputError } from '../../src/core/errors.js';
import { indexDescriptor } from '../../src/index/registry.js';
import { parseSweep } from '../../src/cli/index.js';

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
  assert.match(r.stdout, /wrvq:books=2,size=16,/);
});

function h5pyLoads(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import h5py, numpy'], { stdio: 'ignore' }).status === 0;
}

// h5py reads the file and recomputes recall@10 (vqbench's definition) from its neighbours and the ground truth
const RECALL_PY = `
import json, sys, h5py, numpy as np
f = h5py.File(sys.argv[1], 'r')
n = f['neighbors'][:]
truth = np.load(sys.argv[2]).astype(np.int64)
base = np.load(sys.argv[3]).astype(np.float64)
q = np.load(sys.argv[4]).astype(np.float64)
rec = [len(set(int(i) for i in n[r, :10] if i >= 0) & set(truth[r, :10].tolist())) / 10 for r in range(n.shape[0])]
d = f['distances'][:]
exact = np.sqrt(((q[:, None, :] - base[n]) ** 2).sum(-1))
print(json.dumps({'recall10': float(np.mean(rec)), 'maxDistErr': float(np.max(np.abs(d - exact))), 'shape': list(n.shape),
  'dtypes': [str(f['neighbors'].dtype), str(f['distances'].dtype), str(f['times'].dtype)], 'times': float(f['times'][:].sum()),
  'attrs': {k: (v.item() if hasattr(v, 'item') else v) for k, v in f.attrs.items()}}))
`;

test('index --raw: one ann-benchmarks result file per configuration; h5py recomputes recall@10 to 1e-9 of the job\'s figure', async (t) => {
  const raw = join(dir, 'raw');
  const r = run('index', '--data', join(dir, 'small.npy'), '--index', 'ivfpq', '--nlist', '8', '--m', '4', '--sweep', 'nprobe=1,4', '--queries', '100', '--warmup', '5', '--json', '--raw', raw);
  assert.equal(r.code, 0, r.stderr);
  const recs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(recs.map((x) => x.raw), [1, 4].map((n) => `10/ivfpq/ivfpq_nlist_8_m_4_nbits_8_metric_l2_tables_table_opq_false_nprobe_${n}.hdf5`));
  for (const f of ['status', 'recall', 'qps', 'label', 'params']) assert.ok(f in recs[0], f);
  assertUserError(run('index', '--data', join(dir, 'small.npy'), '--index', 'flat', '--raw', join(dir, 'small.npy')), /small\.npy: a part of that path is a file/);
  assertUserError(run('index', '--data', join(dir, 'small.npy'), '--index', 'flat', '--raw', ''), /--raw needs a folder/);
  if (!h5pyLoads()) {
    t.skip('/usr/bin/python3 with h5py and numpy is not available, so the file is not checked by h5py.');
    return;
  }
  // the job's ground truth (cached by the run) and vectors, for python
  const saved = process.env.VQBENCH_CACHE;
  process.env.VQBENCH_CACHE = join(dir, 'cache');
  try {
    const { datasetWithTruth } = await import('../../src/run/index-job.js');
    const { Matrix } = await import('../../src/core/matrix.js');
    const { ds, queries, truth } = await datasetWithTruth({ data: join(dir, 'small.npy'), queries: 100 }, 10);
    writeNpy(join(dir, 'truth.npy'), new Matrix(Float32Array.from(truth.ids), queries.rows, truth.k));
    writeNpy(join(dir, 'base.npy'), ds.base);
    writeNpy(join(dir, 'queries.npy'), queries);
  } finally {
    if (saved === undefined) delete process.env.VQBENCH_CACHE;
    else process.env.VQBENCH_CACHE = saved;
  }
  for (const rec of recs) {
    const py = spawnSync('/usr/bin/python3', ['-c', RECALL_PY, join(raw, ...rec.raw.split('/')), join(dir, 'truth.npy'), join(dir, 'base.npy'), join(dir, 'queries.npy')], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const got = JSON.parse(py.stdout);
    assert.ok(Math.abs(got.recall10 - rec.recall['10']) <= 1e-9, `h5py recall@10 ${got.recall10}, the job's ${rec.recall['10']}`);
    assert.deepEqual(got.shape, [100, 10]);
    assert.deepEqual(got.dtypes, ['int32', 'float32', 'float32']);
    assert.ok(got.maxDistErr < 1e-4, `exact distances differ from numpy's by ${got.maxDistErr}`);
    assert.ok(got.times > 0);
    assert.equal(got.attrs.name, `ivfpq:nlist=8,m=4,nbits=8,metric=l2,tables=table,opq=false,nprobe=${rec.params.search.nprobe}`);
    assert.equal(got.attrs.algo, 'ivfpq');
    assert.equal(got.attrs.distance, 'euclidean');
    assert.equal(got.attrs.count, 10);
    assert.equal(got.attrs.run_count, 3, 'three timed runs by default');
    assert.ok(Math.abs(1 / got.attrs.best_search_time - rec.qps) <= 1e-9 * rec.qps, 'qps = 1 / best_search_time');
    assert.equal(got.attrs.fingerprint_id, rec.fingerprint.id);
    assert.equal(got.attrs.batch_mode, 0);
    assert.equal(got.attrs.build_time, rec.buildSeconds);
    assert.equal(got.attrs.index_size, rec.indexBytes / 1024);
    for (const a of ['best_search_time', 'candidates', 'expect_extra', 'dataset']) assert.ok(a in got.attrs, a);
  }
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

test('index --runs 2 --build-runs 2: every run\'s QPS, the best reported, the builds\' seconds, the machine and its load; the table says best of 2', () => {
  const r = run('index', '--data', join(dir, 'small.npy'), '--index', 'flat', '--queries', '30', '--warmup', '3', '--runs', '2', '--build-runs', '2', '--json');
  assert.equal(r.code, 0, r.stderr);
  const rec = JSON.parse(r.stdout.trim());
  assert.equal(rec.runs, 2);
  assert.equal(rec.qpsRuns.length, 2);
  assert.equal(rec.qps, Math.max(...rec.qpsRuns));
  // numpy's median of two (the mean of both), up to the rounding of lo + (hi − lo)/2 against (lo + hi)/2
  assert.ok(Math.abs(rec.qpsMedian - (rec.qpsRuns[0] + rec.qpsRuns[1]) / 2) <= 1e-12 * rec.qps, `${rec.qpsMedian} vs ${rec.qpsRuns}`);
  assert.deepEqual([rec.qpsMin, rec.qpsMax], [Math.min(...rec.qpsRuns), rec.qps]);
  assert.equal(rec.buildSecondsRuns.length, 2);
  assert.equal(rec.buildSeconds, Math.min(...rec.buildSecondsRuns));
  assert.match(rec.fingerprint.id, /^[0-9a-f]{12}$/);
  for (const f of ['cpu', 'simdFlags', 'flagsHash', 'cores', 'blas', 'node', 'threads', 'knnKernel']) assert.ok(f in rec.fingerprint, f);
  assert.equal(rec.load.cores, rec.fingerprint.cores);
  assert.equal(rec.loadWarning === null, Math.max(rec.load.before, rec.load.after) <= rec.load.cores / 2);
  const t = run('index', '--data', join(dir, 'small.npy'), '--index', 'flat', '--queries', '30', '--warmup', '3', '--runs', '2', '--threads', '1');
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /QPS and latency: the fastest of 2 runs \(QPS med: their median\); build s: the fastest of 1; machine [0-9a-f]{12} \(.*, 1 threads,/);
  assert.match(t.stdout, /QPS med/);
});

test('index --runs / --build-runs: 0, -1 and 1.5 are one sentence naming the flag, exit 2', () => {
  const idx = (...a: string[]) => run('index', '--data', join(dir, 'small.npy'), '--index', 'flat', ...a);
  for (const bad of ['0', '-1', '1.5']) assertUserError(idx('--runs', bad), new RegExp(`^error: --runs must be a positive integer, got '${bad.replace('.', '\\.')}'\\.$`));
  assertUserError(idx('--build-runs', '0'), /^error: --build-runs must be a positive integer, got '0'\.$/);
});

test('index: bad input is one sentence each', () => {
  assertUserError(run('index', '--data', join(dir, 'small.npy'), '--index', 'hnws'), /unknown index 'hnws'; did you mean 'hnsw'/);
  assertUserError(run('index', '--data', join(dir, 'small.npy'), '--index', 'flat', '--k', '5000'), /--k 5000 is larger than the 1980 base rows/);
  assertUserError(run('index', '--data', join(dir, 'small.npy'), '--index', 'hnsw', '--nlist', '4'), /--nlist is not a parameter of hnsw; its parameters: --M, --ef-construction, --metric, --ef-search/);
  assertUserError(run('index', '--data', join(dir, 'small.npy'), '--index', 'ivfpq', '--sweep', 'nprobes=1,2'), /unknown ivfpq search parameter 'nprobes'; did you mean 'nprobe'/);
  assertUserError(run('index', '--data', join(dir, 'texmex'), '--index', 'flat'), /x_query\.fvecs has dimension 9 but .*x_base\.fvecs has 8/);
  assertUserError(run('insert', '--data', join(dir, 'small.npy'), '--index', 'flat', '--batches', '5000'), /--batches add 5000 rows/);
});

test('index: a faiss factory string faiss rejects is one sentence naming --factory', { skip: faissLoads() ? false : 'faiss-node does not load here' }, () => {
  assertUserError(run('index', '--data', join(dir, 'small.npy'), '--index', 'faiss', '--factory', 'IVF8,Bogus'), /--factory 'IVF8,Bogus'/);
});

test('index: --index takes a whole spec; the spec and the flags give the same configuration; aliases from the descriptors', () => {
  const small = join(dir, 'small.npy');
  const bySpec = run('index', '--data', small, '--index', 'ivfpq:nlist=8,m=4,nprobe=2', '--queries', '50', '--json');
  const byFlags = run('index', '--data', small, '--index', 'ivfpq', '--nlist', '8', '--books', '4', '--nprobe', '2', '--queries', '50', '--json');
  assert.equal(bySpec.code, 0, bySpec.stderr);
  assert.equal(byFlags.code, 0, byFlags.stderr);
  const [a, b] = [JSON.parse(bySpec.stdout.trim()), JSON.parse(byFlags.stdout.trim())];
  assert.equal(a.label, 'ivfpq:nlist=8,m=4,nbits=8,metric=l2,tables=table,opq=false');
  assert.equal(b.label, a.label);
  assert.deepEqual(a.params, b.params);
  assert.deepEqual(a.params.search, { nprobe: 2 });
  assert.deepEqual(a.recall, b.recall);
  // hnsw's M answers to --m; the record carries the canonical name
  const h = run('index', '--data', small, '--index', 'hnsw', '--m', '8', '--ef-construction', '40', '--sweep', 'ef-search=10', '--queries', '50', '--json');
  assert.equal(h.code, 0, h.stderr);
  const hr = JSON.parse(h.stdout.trim());
  assert.equal(hr.label, 'hnsw:M=8,efConstruction=40,metric=l2');
  assert.deepEqual(hr.params.search, { efSearch: 10 });
});

test('index and insert: the commands\' own numbers and --sweep / --batches items are one sentence each, naming the flag', () => {
  const small = join(dir, 'small.npy');
  const idx = (...a: string[]) => run('index', '--data', small, '--index', 'ivfpq', ...a);
  assertUserError(idx('--k', '0'), /^error: --k must be a positive integer, got '0'\.$/);
  assertUserError(idx('--queries', '-1'), /^error: --queries must be a positive integer, got '-1'\.$/);
  assertUserError(idx('--warmup', 'abc'), /^error: --warmup must be a non-negative integer, got 'abc'\.$/);
  assertUserError(idx('--threads', '999'), /^error: --threads must be an integer from 1 to \d+, got '999'\.$/);
  assertUserError(idx('--sweep', 'nprobe=1,,2'), /^error: --sweep nprobe=1,,2 has an empty item/);
  assertUserError(idx('--sweep', 'nprobe='), /^error: --sweep nprobe= lists no values/);
  assertUserError(idx('--sweep', 'nprobe=1,abc'), /^error: --sweep nprobe=1,abc: ivfpq search parameter 'nprobe' must be a positive integer, got 'abc'\.$/);
  assertUserError(run('index', '--data', small, '--index', 'ivfpq:nlist=8', '--nlist', '16'), /^error: --nlist 16 contradicts nlist=8 in --index ivfpq:nlist=8; give nlist once\.$/);
  assertUserError(run('index', '--data', small, '--index', 'chroma'), /^error: Chroma not run: .*glibc/);
  const ins = (b: string) => run('insert', '--data', small, '--index', 'flat', '--batches', b);
  assertUserError(ins('100,,200'), /^error: --batches '100,,200' has an empty item/);
  assertUserError(ins('100,x'), /^error: --batches: .*must be a positive integer, got 'x'\.$/);
});

test('parseSweep: canonical names and typed values; build parameters, fixed ones, unknown names and bad values refused naming --sweep', () => {
  const ivfpq = indexDescriptor('ivfpq'), faiss = indexDescriptor('faiss'), hnsw = indexDescriptor('hnsw');
  assert.deepEqual(parseSweep(['nprobe=1, 4,16'], ivfpq, {}), { nprobe: [1, 4, 16] });
  assert.deepEqual(parseSweep(['nprobes=1,8', 'ef-search=16'], faiss, {}), { nprobe: [1, 8], efSearch: [16] });
  assert.deepEqual(parseSweep(undefined, hnsw, {}), {});
  const refused = (items: string[], fixed: Record<string, number>, re: RegExp) =>
    assert.throws(() => parseSweep(items, ivfpq, fixed), (e: Error) => e instanceof InputError && re.test(e.message), items.join(' '));
  refused(['nprobe=1,0'], {}, /^--sweep nprobe=1,0: ivfpq search parameter 'nprobe' must be a positive integer, got '0'\.$/);
  refused(['nprobe=1.5'], {}, /^--sweep nprobe=1\.5: /);
  refused(['nlist=4,8'], {}, /^--sweep nlist=4,8: nlist is a build parameter of ivfpq, fixed per build/);
  refused(['nprobe=1,2'], { nprobe: 2 }, /^--sweep nprobe=1,2: nprobe is also fixed/);
  refused(['nprobe=1', 'nprobe=2'], {}, /^--sweep nprobe=2: nprobe is swept twice/);
  refused(['nprob=1'], {}, /^--sweep nprob=1: unknown ivfpq search parameter 'nprob'; did you mean 'nprobe'/);
  refused(['nprobe'], {}, /^--sweep expects name=v1,v2/);
  refused(['nprobe=1,'], {}, /^--sweep nprobe=1, has an empty item/);
});
