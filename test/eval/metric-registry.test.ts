// The metric registry (src/eval/metric-registry.ts): ann-benchmarks' metric set and vqbench's
// recalls from a raw result; hand-computed tiny cases per metric, and a cross-check against a numpy
// re-implementation of ann_benchmarks/plotting/metrics.py on a real `vqbench index --raw` file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Matrix } from '../../src/core/matrix.js';
import { writeNpy } from '../../src/data/npy.js';
import { annTruth, computeAll, METRIC_IDS, METRICS, type MetricTruth, type RawRun } from '../../src/eval/metric-registry.js';
import { rawPath, readAnnResult } from '../../src/eval/raw-results.js';
import { datasetWithTruth, runIndexJob } from '../../src/run/index-job.js';
import { mixture } from '../helpers/data.js';
import { assertUserError, runCli } from '../helpers/cli.js';

let dir = '';
let savedCache: string | undefined;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-metrics-'));
  savedCache = process.env.VQBENCH_CACHE;
  process.env.VQBENCH_CACHE = join(dir, 'cache');
});
after(() => {
  if (savedCache === undefined) delete process.env.VQBENCH_CACHE;
  else process.env.VQBENCH_CACHE = savedCache;
  rmSync(dir, { recursive: true, force: true });
});

const close = (got: number | null, want: number, what: string) => {
  assert.ok(got !== null && Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${what}: got ${got}, want ${want}`);
};

function run(ids: number[][], dists: number[][], attrs: RawRun['attrs'] = {}, times: number[] = ids.map(() => 0.001)): RawRun {
  const nq = ids.length, k = ids[0].length;
  return { nq, k, neighbors: Int32Array.from(ids.flat()), distances: Float32Array.from(dists.flat()), times: Float32Array.from(times), attrs };
}

function truth(ids: number[][], dists: number[][]): MetricTruth {
  return { nq: ids.length, k: ids[0].length, ids: Int32Array.from(ids.flat()), dists: Float32Array.from(dists.flat()) };
}

// q0: true D = [1, 2, 2, 5]; q1: [1, 1, 4, 6]
const T = truth([[10, 11, 12, 13], [20, 21, 22, 23]], [[1, 2, 2, 5], [1, 1, 4, 6]]);

test('every metric has an id, a name, a definition, a unit and a direction; ann-benchmarks ids first', () => {
  assert.deepEqual([...METRIC_IDS], ['k-nn', 'epsilon', 'largeepsilon', 'rel', 'qps', 'p50', 'p95', 'p99', 'p999', 'build', 'indexsize', 'queriessize', 'recall', 'nnRecall']);
  for (const id of METRIC_IDS) {
    const m = METRICS[id];
    assert.equal(m.id, id);
    assert.ok(m.name.length > 0 && m.definition.length > 20 && m.unit.length > 0, id);
    assert.equal(typeof m.higherIsBetter, 'boolean', id);
    assert.equal(typeof m.compute, 'function', id);
  }
  assert.ok(Object.isFrozen(METRICS) && Object.isFrozen(METRICS['k-nn']));
  assert.match(METRICS.rel.definition, /Null \(not defined; ann-benchmarks reports inf\) when that denominator is < 0\.01/);
  assert.deepEqual(METRIC_IDS.filter((id) => METRICS[id].higherIsBetter), ['k-nn', 'epsilon', 'largeepsilon', 'qps', 'recall', 'nnRecall']);
});

test('k-nn counts a tie at the k-th distance (k-nn recall > set recall); padding is a miss', () => {
  // q0 returns 10, 12 and 99, whose distance 2.0005 ties the 3rd true distance within 1e-3; q1 returns 21 and padding
  const r = run([[10, 12, 99], [21, -1, -1]], [[1, 2, 2.0005], [1, Infinity, Infinity]]);
  close(METRICS['k-nn'].compute(r, T), (3 + 1) / 2 / 3, 'k-nn');
  close(METRICS.recall.compute(r, T), (2 / 3 + 1 / 3) / 2, 'set recall');
  close(METRICS.nnRecall.compute(r, T), 0.5, 'nnRecall'); // q0 found 10, q1 missed 20
  close(METRICS.epsilon.compute(r, T), 2 / 3, 'epsilon');
  close(METRICS.largeepsilon.compute(r, T), 2 / 3, 'largeepsilon');
  assert.equal(METRICS.rel.compute(r, T), null, 'rel with padding (an infinite numerator) is not defined');
  // count 1: D[0] = 1 for both; q0 returns 1 ≤ 1.001, q1 returns 1
  close(METRICS['k-nn'].compute(r, T, { k: 1 }), 1, 'k-nn@1');
  close(METRICS.recall.compute(r, T, { k: 1 }), 0.5, 'recall@1');
  // a count larger than the run's k: the missing answers are misses
  close(METRICS['k-nn'].compute(r, T, { k: 4 }), (3 + 1) / 2 / 4, 'k-nn@4');
  assert.throws(() => METRICS['k-nn'].compute(r, T, { k: 5 }), /exceeds the 4 ground-truth neighbours/);
});

test('epsilon and largeepsilon: (1 + 0.01)·D[k-1] and (1 + 0.1)·D[k-1]; unsorted truth is sorted first', () => {
  const t = truth([[11, 10, 12, 13], [21, 20, 22, 23]], [[2, 1, 2, 5], [1, 1, 6, 4]]); // T, rows shuffled
  const eps = run([[10, 11, 98], [20, 21, 22]], [[1, 2, 2.015], [1, 1, 4.39]]); // 2.015 ≤ 2.02, 4.39 ≤ 4.4 but > 4.04
  close(METRICS['k-nn'].compute(eps, t), (2 + 2) / 2 / 3, 'k-nn');
  close(METRICS.epsilon.compute(eps, t), (3 + 2) / 2 / 3, 'epsilon');
  close(METRICS.largeepsilon.compute(eps, t), (3 + 3) / 2 / 3, 'largeepsilon');
});

test('rel: Σ returned / Σ true distances over the first k of every query; null below a 0.01 denominator', () => {
  const r = run([[10, 11, 13], [20, 21, 23]], [[1, 2, 3], [1, 1, 5]]);
  close(METRICS.rel.compute(r, T), (6 + 7) / (5 + 6), 'rel');
  close(METRICS.rel.compute(r, T, { k: 1 }), 2 / 2, 'rel@1');
  const zero = truth([[1, 2, 3]], [[0, 0, 0.004]]);
  const z = run([[1, 2, 3]], [[0, 0, 0.004]]);
  assert.equal(METRICS.rel.compute(z, zero), null);
  const justAbove = truth([[1, 2, 3]], [[0, 0, 0.0101]]);
  close(METRICS.rel.compute(run([[1, 2, 3]], [[0, 0.01, 0.0101]]), justAbove), Math.fround(0.01) / Math.fround(0.0101) + 1, 'rel near the rule');
});

test('qps, latency percentiles (numpy linear, ms), build, indexsize, queriessize; a missing attribute is null', () => {
  const attrs = { best_search_time: 0.0025, build_time: 1.5, index_size: 100 };
  const r = run([[10, 11, 12], [20, 21, 22], [10, 11, 12], [20, 21, 22]], [[1, 2, 2], [1, 1, 4], [1, 2, 2], [1, 1, 4]], attrs, [0.004, 0.001, 0.003, 0.002]);
  const t4 = truth([[10, 11, 12, 13], [20, 21, 22, 23], [10, 11, 12, 13], [20, 21, 22, 23]], [[1, 2, 2, 5], [1, 1, 4, 6], [1, 2, 2, 5], [1, 1, 4, 6]]);
  const all = computeAll(r, t4);
  close(all.qps, 400, 'qps');
  const f = (x: number) => Math.fround(x);
  const s = [f(0.001), f(0.002), f(0.003), f(0.004)];
  const pct = (h: number) => { // numpy's linear interpolation at h = (n - 1)·p: s[lo] + (h - lo)·(s[lo + 1] - s[lo]), in ms
    const lo = Math.floor(h);
    return (s[lo] + (h - lo) * (s[Math.min(lo + 1, 3)] - s[lo])) * 1000;
  };
  close(all.p50, pct(1.5), 'p50');
  close(all.p95, pct(2.85), 'p95');
  close(all.p99, pct(2.97), 'p99');
  close(all.p999, pct(3 * 0.999), 'p999');
  assert.ok(Math.abs(all.p50! - 2.5) < 1e-6, 'p50 ≈ 2.5 ms (times are float32)');
  close(all.build, 1.5, 'build');
  close(all.indexsize, 100, 'indexsize');
  close(all.queriessize, 100 / 400, 'queriessize');
  close(all['k-nn'], 1, 'k-nn');
  close(all.recall, 1, 'recall');
  close(all.rel, 1, 'rel');
  const bare = computeAll(run([[10, 11, 12]], [[1, 2, 2]], {}), T);
  for (const id of ['qps', 'build', 'indexsize', 'queriessize']) assert.equal(bare[id], null, id);
  for (const v of Object.values(bare)) assert.ok(v === null || Number.isFinite(v));
});

test('annTruth: vqbench ground truth (squared L2, 2(1 - cos), inner products) as ann-benchmarks distances', () => {
  const gt = { k: 2, ids: Int32Array.from([1, 2, 3, 4]), dists: Float32Array.from([4, 9, 0.5, 1]) };
  assert.deepEqual([...annTruth(gt, 2, 'l2').dists], [2, 3, Math.fround(Math.SQRT1_2), 1]);
  assert.deepEqual([...annTruth(gt, 1, 'angular').dists], [2, 4.5]);
  assert.deepEqual([...annTruth(gt, 2, 'ip').dists], [-4, -9, -0.5, -1]);
  assert.equal(annTruth(gt, 1, 'l2').nq, 1);
});

function numpyLoads(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import h5py, numpy'], { stdio: 'ignore' }).status === 0;
}

// ann_benchmarks/plotting/metrics.py's formulas, re-implemented in numpy (float64 thresholds, as the registry documents)
const METRICS_PY = `
import json, sys, h5py, numpy as np
f = h5py.File(sys.argv[1], 'r')
D = np.sort(np.load(sys.argv[2]).astype(np.float64), axis=1)
T = np.load(sys.argv[3]).astype(np.int64)
run = f['distances'][:].astype(np.float64)
ids = f['neighbors'][:]
times = f['times'][:].astype(np.float64)
k = int(sys.argv[4])
nq = run.shape[0]
def recall(th):
    return float(np.mean([sum(1 for d in run[i][:k] if d <= th(D[i][k - 1])) for i in range(nq)]) / k)
tot_true = sum(float(np.sum(D[i][:k])) for i in range(nq))
tot_found = sum(float(np.sum(run[i][:k])) for i in range(nq))
bst = float(f.attrs['best_search_time'])
out = {
  'k-nn': recall(lambda t: t + 1e-3), 'epsilon': recall(lambda t: t * (1 + 0.01)), 'largeepsilon': recall(lambda t: t * (1 + 0.1)),
  'rel': None if tot_true < 0.01 or not np.isfinite(tot_found) else tot_found / tot_true,
  'qps': 1.0 / bst,
  'p50': float(np.percentile(times, 50.0)) * 1000.0, 'p95': float(np.percentile(times, 95.0)) * 1000.0,
  'p99': float(np.percentile(times, 99.0)) * 1000.0, 'p999': float(np.percentile(times, 99.9)) * 1000.0,
  'build': float(f.attrs['build_time']), 'indexsize': float(f.attrs['index_size']),
  'queriessize': float(f.attrs['index_size']) / (1.0 / bst),
  'recall': float(np.mean([len(set(int(x) for x in ids[i][:k] if x >= 0) & set(T[i][:k].tolist())) / k for i in range(nq)])),
  'nnRecall': float(np.mean([1.0 if T[i][0] in set(ids[i][:k].tolist()) else 0.0 for i in range(nq)])),
}
print(json.dumps(out))
`;

test('numpy re-implementation of ann-benchmarks\' formulas agrees to 1e-9 on a real `vqbench index --raw` file', async (t) => {
  if (!numpyLoads()) {
    t.skip('/usr/bin/python3 with numpy and h5py is not available, so the numpy cross-check is skipped.');
    return;
  }
  const data = join(dir, 'small.npy');
  writeNpy(data, mixture(1100, 16, 8, 4)); // 110 queries, 990 base rows
  const raw = join(dir, 'raw');
  const recs = await runIndexJob({ data, index: 'ivfpq', build: { nlist: 8, m: 4 }, sweep: { nprobe: ['1', '4'] }, queries: 60, warmup: 2, raw });
  assert.equal(recs.length, 2);
  const { ds, queries, truth: gt } = await datasetWithTruth({ data, queries: 60 }, 10);
  const truthAnn = annTruth(gt, queries.rows, ds.metric);
  writeNpy(join(dir, 'truth-d.npy'), new Matrix(Float32Array.from(truthAnn.dists), truthAnn.nq, truthAnn.k));
  writeNpy(join(dir, 'truth-i.npy'), new Matrix(Float32Array.from(truthAnn.ids), truthAnn.nq, truthAnn.k));
  let sawImperfect = false;
  for (const rec of recs) {
    assert.equal(rec.status, 'ok', rec.error ?? '');
    const file = rawPath(raw, rec.raw!);
    const r = await readAnnResult(file);
    const ours = computeAll(r, truthAnn);
    for (const v of Object.values(ours)) assert.ok(v !== null && Number.isFinite(v), JSON.stringify(ours));
    // vqbench's own recall, from the job, is the registry's too
    close(ours.recall, rec.recall![10], 'recall vs the job');
    close(ours.nnRecall, rec.nnRecall![10], 'nnRecall vs the job');
    if (ours.recall! < 1) sawImperfect = true;
    assert.ok(ours['k-nn']! >= ours.recall! - 1e-12 && ours.epsilon! >= ours['k-nn']! - 1e-12 && ours.largeepsilon! >= ours.epsilon! - 1e-12);
    const py = spawnSync('/usr/bin/python3', ['-c', METRICS_PY, file, join(dir, 'truth-d.npy'), join(dir, 'truth-i.npy'), '10'], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const want = JSON.parse(py.stdout) as Record<string, number>;
    assert.deepEqual(Object.keys(want).sort(), [...METRIC_IDS].sort());
    for (const id of METRIC_IDS) close(ours[id], want[id], `${rec.raw} ${id}`);
  }
  assert.ok(sawImperfect, 'nprobe=1 should miss some neighbours, so the recalls are exercised');
});

test('vqbench metrics <raw> --data: every registry metric of one raw file, as computeAll gives them', async () => {
  const data = join(dir, 'cli.npy');
  writeNpy(data, mixture(600, 8, 4, 9)); // 60 queries, 540 base rows
  const raw = join(dir, 'raw-cli');
  const [rec] = await runIndexJob({ data, index: 'ivfpq', build: { nlist: 4, m: 2 }, search: { nprobe: 1 }, queries: 40, warmup: 0, raw });
  assert.equal(rec.status, 'ok', rec.error ?? '');
  const file = rawPath(raw, rec.raw!);
  const env = { VQBENCH_CACHE: join(dir, 'cache') };
  const r = runCli(['metrics', file, '--data', data, '--json'], env);
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout) as Record<string, number | null>;
  const { ds, truth: gt } = await datasetWithTruth({ data, queries: 40 }, 10);
  assert.deepEqual(got, JSON.parse(JSON.stringify(computeAll(await readAnnResult(file), annTruth(gt, 40, ds.metric)))));
  close(got.recall, rec.recall![10], 'recall vs the job');
  const text = runCli(['metrics', file, '--data', data, '--k', '5'], env);
  assert.equal(text.code, 0, text.stderr);
  for (const id of METRIC_IDS) assert.match(text.stdout, new RegExp(`^${id.replace('-', '\\-')}\\s`, 'm'), id);
  assert.match(text.stdout, /40 queries, k = 5; definitions/);
  assertUserError(runCli(['metrics', data, '--data', data], env), /cli\.npy is not an HDF5 file/);
});
