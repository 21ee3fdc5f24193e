// test-lane: serial (times our flat index against native faiss, interleaved)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Matrix } from '../../src/core/matrix.js';
import { Rng } from '../../src/core/rng.js';
import { writeNpy } from '../../src/data/npy.js';
import { datasetWithTruth } from '../../src/run/index-job.js';
import {
  assertSameFingerprint, fingerprintDifferences, fingerprintedRatios, interleavedSchedule, loadExceeded, settingLabel, type Fingerprint,
} from '../../bench/native-faiss-lib.js';
import { cpuTotals, summarise, runSession, type Measurement, type SessionRun } from '../../bench/peer-compare.js';
import { machineFingerprint, nativeFaissUnavailable, startNativePeer, startVqbenchPeer, writeSplitFiles } from '../../bench/peer-session.js';

const FP: Fingerprint = { host: 'h', cpu: 'AMD EPYC', cpuFlags: 'abc', cores: 2, blas: '/usr/lib/libblas.so.3', threads: 1, node: 'v20.0.0', runtime: 'node v20.0.0' };

test('interleavedSchedule: per run, per setting, every side in turn (A B A B ...)', () => {
  const steps = interleavedSchedule([{ nprobe: 1 }, { nprobe: 4 }], ['ours', 'native'], 2);
  assert.deepEqual(steps.map((s) => `${s.run}:${settingLabel(s.setting)}:${s.side}`), [
    '1:nprobe=1:ours', '1:nprobe=1:native', '1:nprobe=4:ours', '1:nprobe=4:native',
    '2:nprobe=1:ours', '2:nprobe=1:native', '2:nprobe=4:ours', '2:nprobe=4:native',
  ]);
  assert.throws(() => interleavedSchedule([{}], ['ours'], 0), /positive integer/);
  assert.equal(settingLabel({}), '-');
});

test('fingerprints: a ratio across different machines, BLAS or threads is refused, naming the field', () => {
  assert.deepEqual(fingerprintDifferences(FP, { ...FP, runtime: 'python 3.11.2, faiss 1.7.3' }), []); // the runtime is recorded, not compared
  assert.doesNotThrow(() => assertSameFingerprint(FP, { ...FP }, 'x'));
  assert.throws(() => assertSameFingerprint(FP, { ...FP, blas: '/usr/lib/reference/libblas.so.3' }, 'nprobe=4'), /nprobe=4: .*blas: /);
  assert.throws(() => assertSameFingerprint(FP, { ...FP, threads: 2 }, 'x'), /threads: 1 vs 2/);
  const a = [{ qps: 100, fingerprint: FP }, { qps: 300, fingerprint: FP }, { qps: 90, fingerprint: FP }];
  const b = [{ qps: 200, fingerprint: FP }, { qps: 100, fingerprint: FP }, { qps: 100, fingerprint: FP }];
  assert.deepEqual(fingerprintedRatios(a, b, 'x'), { median: 0.9, min: 0.5, max: 3 });
  assert.throws(() => fingerprintedRatios(a, [...b.slice(0, 2), { qps: 100, fingerprint: { ...FP, cores: 4 } }], 'ivfpq'), /ivfpq, run 3: .*cores: 2 vs 4/);
});

test('loadExceeded: the 1-minute load before or after a run above half the cores', () => {
  assert.equal(loadExceeded([0.9, 5, 5], [1.0, 5, 5], 2), false);
  assert.equal(loadExceeded([0.5], [1.01], 2), true);
  assert.equal(loadExceeded([2.5], [0.1], 4), true);
});

const timing = (qps: number, p50Ms: number, fp = FP, recall10 = 0.5): Measurement => ({
  qps, p50Ms, p99Ms: p50Ms * 2, meanMs: p50Ms, recall10, recall1: null, nnRecall10: null, batchQps: qps * 3, batchThreads: 2, peakRssBytes: null, cpuSeconds: null, fingerprint: fp,
});
const run = (n: number, timings: SessionRun['timings']): SessionRun => ({ run: n, loadBefore: [0], loadAfter: [0], loadExceeded: false, timings });

test('summarise: median ratio and range against native, batch QPS, faiss-node added µs per call; a fingerprint mismatch gives no ratio', () => {
  const runs = [
    run(1, { 'nprobe=4': { ours: timing(100, 1), native: timing(200, 0.5), faissNode: timing(150, 0.6) } }),
    run(2, { 'nprobe=4': { ours: timing(120, 1), native: timing(100, 0.4), faissNode: timing(90, 0.7) } }),
    run(3, { 'nprobe=4': { ours: timing(90, 1), native: timing(100, 0.5), faissNode: timing(90, 0.52, FP, 0.6) } }),
  ];
  const s = summarise({ nprobe: 4 }, runs);
  assert.equal(s.ratioAgainst, 'native');
  assert.ok(Math.abs(s.ratio!.median - 0.9) < 1e-12 && s.ratio!.min === 0.5 && Math.abs(s.ratio!.max - 1.2) < 1e-12);
  assert.deepEqual(s.nativeBatchQps, { median: 300, min: 300, max: 600 });
  assert.ok(Math.abs(s.faissNodeAddedUsP50!.median - 100) < 1e-9 && Math.abs(s.faissNodeAddedUsP50!.max - 300) < 1e-9, JSON.stringify(s.faissNodeAddedUsP50));
  assert.deepEqual(s.recallVaries, ['faissNode']);
  // without native, the ratio is against faiss-node
  const noNative = summarise({ nprobe: 4 }, runs.map((r) => run(r.run, { 'nprobe=4': { ours: r.timings['nprobe=4'].ours, faissNode: r.timings['nprobe=4'].faissNode } })));
  assert.equal(noNative.ratioAgainst, 'faissNode');
  assert.equal(noNative.faissNodeAddedUsP50, null);
  // one run on another BLAS: no ratio, and the reason says which field
  const mixed = [...runs.slice(0, 2), run(3, { 'nprobe=4': { ours: timing(90, 1), native: timing(100, 0.5, { ...FP, blas: 'other' }) } })];
  const m = summarise({ nprobe: 4 }, mixed);
  assert.equal(m.ratio, null);
  assert.match(m.ratioError!, /run 3: .*blas/);
  // a side that failed in one run has no summary (and so no ratio)
  const failed = summarise({ nprobe: 4 }, [runs[0], run(2, { 'nprobe=4': { ours: timing(1, 1), native: { error: 'boom' } } })]);
  assert.equal(failed.ratio, null);
  assert.equal(failed.qps.native, undefined);
});

test('cpuTotals: build CPU per side, and single-query CPU summed over runs and settings (failed timings skipped)', () => {
  const t = (cpuSeconds: number | null): Measurement => ({ ...timing(1, 1), cpuSeconds });
  const runs = [
    run(1, { 'nprobe=1': { ours: t(1), native: t(2) }, 'nprobe=4': { ours: t(3), native: { error: 'x' } } }),
    run(2, { 'nprobe=1': { ours: t(0.5), native: t(null) } }),
  ];
  const sides = { ours: { label: 'o', build: { event: 'build', buildCpuSeconds: 30 }, error: null }, native: { label: 'n', build: null, error: 'no' } };
  assert.deepEqual(cpuTotals(sides, runs), { build: { ours: 30 }, search: { ours: 4.5, native: 2 } });
});

const noFaiss = nativeFaissUnavailable();

test('peer session end to end: flat vs native faiss Flat on 600 seeded vectors, interleaved, same fingerprint', { skip: noFaiss ?? false, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vqbench-peer-test-'));
  try {
    const rng = new Rng(7);
    const all = Matrix.zeros(600, 16);
    for (let i = 0; i < all.data.length; i++) all.data[i] = rng.normal();
    const data = join(dir, 'vectors.npy');
    writeNpy(data, all);
    const { ds, queries, truth } = await datasetWithTruth({ data, seed: 1234 }, 10);
    const files = writeSplitFiles(dir, ds.base, queries, truth.ids, truth.k);
    const log: string[] = [];
    const r = await runSession([
      { role: 'ours', label: 'flat', start: () => startVqbenchPeer({ data, queries: queries.rows, index: 'flat', build: {}, warmup: 5 }) },
      { role: 'native', label: 'native Flat', start: () => startNativePeer({ files, factory: 'Flat', warmup: 5, batchRepeats: 1 }) },
    ], [{}], 2, (s) => log.push(s));
    assert.equal(r.sides.ours?.error, null);
    assert.equal(r.sides.native?.error, null);
    // the python peer computes the same machine fingerprint as this process
    const { runtime: _n, ...mine } = machineFingerprint();
    const { runtime: _p, ...theirs } = r.sides.native!.build!.fingerprint as Record<string, unknown>;
    assert.deepEqual(theirs, mine);
    assert.equal(r.runs.length, 2);
    const s = r.summary[0];
    // exact search on both sides, scored against the split's own truth: the files the python peer read are that split
    assert.equal(s.recall10.ours, 1);
    assert.equal(s.recall10.native, 1);
    assert.equal(s.ratioAgainst, 'native');
    assert.ok(s.ratio && s.ratio.min > 0 && Number.isFinite(s.ratio.max) && s.ratio.min <= s.ratio.median && s.ratio.median <= s.ratio.max);
    assert.ok(s.nativeBatchQps && s.nativeBatchQps.median > 0);
    assert.match(r.order, /ours, native$/);
    assert.ok(log.some((l) => l.startsWith('run 2/2')));
    // a setting native faiss refuses is an error of that request, and the peer keeps serving
    const peer = startNativePeer({ files, factory: 'Flat', warmup: 0, batchRepeats: 0 });
    try {
      await peer.built();
      await assert.rejects(peer.search({ efSearch: 3 }), /native faiss Flat: .*efSearch/);
      assert.equal((await peer.search({})).recall10, 1);
    } finally {
      await peer.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
