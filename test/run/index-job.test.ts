// The index job's sweep expansion (core/grid's cartesian) and the rule that a non-finite score fails a configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/errors.js';
import { expandSweep, nonFinite } from '../../src/run/index-job.js';

test('expandSweep: every combination over the fixed parameters, in field order; an empty list is an InputError', () => {
  assert.deepEqual(expandSweep({ rerankK: 50 }, { nprobe: [1, 4], fuzzyK: [0, 16] }), [
    { rerankK: 50, nprobe: 1, fuzzyK: 0 }, { rerankK: 50, nprobe: 1, fuzzyK: 16 },
    { rerankK: 50, nprobe: 4, fuzzyK: 0 }, { rerankK: 50, nprobe: 4, fuzzyK: 16 },
  ]);
  assert.deepEqual(expandSweep({ nprobe: 2 }), [{ nprobe: 2 }]);
  assert.throws(() => expandSweep({}, { nprobe: [] }), (e: Error) => e instanceof InputError && /--sweep nprobe= lists no values/.test(e.message));
});

test('nonFinite: names the first NaN or infinite score; finite scores pass', () => {
  const latencyMs = { mean: 0.1, p50: 0.1, p95: 0.2, p99: 0.3 };
  const ok = { recall: { 1: 0.5, 10: 0.9 }, nnRecall: { 1: 0.5, 10: 1 }, qps: 1000, latencyMs };
  assert.equal(nonFinite(ok), null);
  assert.equal(nonFinite({ ...ok, recall: { 1: 0.5, 10: NaN } }), 'recall@10 = NaN');
  assert.equal(nonFinite({ ...ok, qps: Infinity }), 'QPS = Infinity');
  assert.equal(nonFinite({ ...ok, latencyMs: { ...latencyMs, p99: NaN } }), 'latency p99 = NaN');
});

// ---- repeats (issue 12 §3): every run's QPS, the fastest reported, the raw file's ann-benchmarks attributes, the load warning

import { after, before } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Matrix } from '../../src/core/matrix.js';
import { setThreads } from '../../src/core/parallel.js';
import { writeNpy } from '../../src/data/npy.js';
import { readAnnResult } from '../../src/eval/raw-results.js';
import type { SearchResult, VectorIndex } from '../../src/index/types.js';
import { runIndexJob, runInsertJob, type IndexRecord } from '../../src/run/index-job.js';
import { interleavedSearches, isNondeterminismNote, nondeterminismNote, qpsSpread, repeatBuild, type SearchOutcome } from '../../src/run/repeats.js';
import { mixture } from '../helpers/data.js';

let dir = '';
let savedCache: string | undefined;
before(() => {
  setThreads(1); // tiny data: worker threads would only add their start-up
  dir = mkdtempSync(join(tmpdir(), 'vqbench-repeats-'));
  savedCache = process.env.VQBENCH_CACHE;
  process.env.VQBENCH_CACHE = join(dir, 'cache');
  writeNpy(join(dir, 'small.npy'), mixture(700, 8, 4, 3)); // 70 queries, 630 base rows
});
after(() => {
  if (savedCache === undefined) delete process.env.VQBENCH_CACHE;
  else process.env.VQBENCH_CACHE = savedCache;
  rmSync(dir, { recursive: true, force: true });
});

/** numpy's median. */
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

test('runIndexJob runs 4, buildRuns 2: four QPS values, the best reported, median between; the fastest build; raw attributes run_count and best_search_time = 1/qps', async () => {
  const raw = join(dir, 'raw');
  const loads = [0.25, 0.5, 0.75, 1];
  const recs = await runIndexJob({
    data: join(dir, 'small.npy'), index: 'ivfpq', build: { nlist: 4, m: 2, nbits: 4 }, sweep: { nprobe: [1, 4] }, queries: 40, warmup: 5,
    runs: 4, buildRuns: 2, raw, loadAverage: () => loads.shift()!,
  });
  assert.equal(recs.length, 2);
  for (const [i, r] of recs.entries()) {
    assert.equal(r.status, 'ok', r.error ?? '');
    assert.equal(r.runs, 4);
    assert.equal(r.qpsRuns.length, 4);
    assert.equal(r.qps, Math.max(...r.qpsRuns), 'qps is the best run');
    assert.equal(r.qpsMax, r.qps);
    assert.equal(r.qpsMin, Math.min(...r.qpsRuns));
    assert.ok(Math.abs(r.qpsMedian! - median(r.qpsRuns)) <= 1e-12 * r.qpsMedian!, `median ${r.qpsMedian} vs numpy's ${median(r.qpsRuns)}`);
    assert.ok(r.qpsMin! <= r.qpsMedian! && r.qpsMedian! <= r.qpsMax!);
    assert.equal(r.buildSecondsRuns.length, 2);
    assert.equal(r.buildSeconds, Math.min(...r.buildSecondsRuns), 'build seconds is the fastest build');
    // interleaved: nprobe 1's first run, nprobe 4's first run, ..., nprobe 1's last run, nprobe 4's last run
    assert.deepEqual(r.load, { before: [0.25, 0.5][i], after: [0.75, 1][i], cores: r.fingerprint.cores }, 'read right before its first run and right after its last');
    assert.equal(r.loadWarning === null, Math.max(r.load!.before, r.load!.after) <= r.fingerprint.cores / 2);
    assert.ok(!r.notes.some(isNondeterminismNote), 'ivfpq returns the same ids every run');
    const file = await readAnnResult(join(raw, r.raw!));
    assert.equal(file.attrs.run_count, 4);
    assert.ok(Math.abs(1 / (file.attrs.best_search_time as number) - r.qps!) <= 1e-9 * r.qps!, `1/best_search_time ${1 / (file.attrs.best_search_time as number)} vs qps ${r.qps}`);
    assert.equal(file.attrs.fingerprint_id, r.fingerprint.id);
    assert.deepEqual([file.attrs.load_before, file.attrs.load_after], [r.load!.before, r.load!.after]);
    assert.deepEqual(JSON.parse(file.attrs.vqbench_qps_runs as string), r.qpsRuns);
    // the per-query times are the best run's: they fit inside its loop, and their median is its latency p50 (float32 seconds)
    let sum = 0;
    for (const t of file.times) sum += t;
    assert.ok(sum <= (file.attrs.best_search_time as number) * file.nq * (1 + 1e-6));
    const sorted = Float64Array.from(file.times).sort();
    const p50 = ((sorted[19] + sorted[20]) / 2) * 1000; // 40 queries
    assert.ok(Math.abs(p50 - r.latencyMs!.p50) <= 1e-6 * r.latencyMs!.p50, `raw p50 ${p50} ms vs the record's ${r.latencyMs!.p50}`);
  }
  assert.equal(recs[0].fingerprint.id, recs[1].fingerprint.id);
});

test('runIndexJob: a high load average gives each configuration a load warning; bad repeat counts are refused naming the flag', async () => {
  const [r] = await runIndexJob({ data: join(dir, 'small.npy'), index: 'flat', queries: 10, warmup: 0, runs: 1, loadAverage: () => 64 });
  assert.deepEqual(r.qpsRuns, [r.qps]);
  assert.equal(r.loadWarning, `the 1-minute load average was 64 on ${r.fingerprint.cores} core${r.fingerprint.cores === 1 ? '' : 's'} while this configuration was timed; its timings are unreliable.`);
  const [quiet] = await runIndexJob({ data: join(dir, 'small.npy'), index: 'flat', queries: 10, warmup: 0, runs: 1, loadAverage: () => 0 });
  assert.equal(quiet.loadWarning, null);
  for (const [field, flag] of [['runs', '--runs'], ['buildRuns', '--build-runs']] as const) {
    for (const bad of [0, -1, 1.5]) {
      await assert.rejects(runIndexJob({ data: join(dir, 'small.npy'), index: 'flat', [field]: bad }),
        (e: Error) => e instanceof InputError && e.message === `${flag} must be a positive integer, got ${bad}.`);
    }
  }
});

test('runInsertJob: the fingerprint and the load around the batches', async () => {
  const loads = [3, 5];
  const r = await runInsertJob({ data: join(dir, 'small.npy'), index: 'flat', batches: [20, 30], queries: 10, loadAverage: () => loads.shift()! });
  assert.match(r.fingerprint.id, /^[0-9a-f]{12}$/);
  assert.deepEqual(r.load, { before: 3, after: 5, cores: r.fingerprint.cores });
  assert.equal(r.loadWarning === null, 5 <= r.fingerprint.cores / 2);
});

/** A fake index: every search spins (wall clock) `delayMs[run]` and answers id `run` (so a result names the run it came from); it logs the nprobe of each call. */
function runTaggedIndex(delayMs: number[], answersPerRun: number, log: unknown[] = []): VectorIndex {
  let calls = 0;
  return {
    name: 'fake', label: 'fake', metric: 'l2', bitsPerVector: 32, size: 1,
    capabilities: { add: false, remove: false, filter: false, batch: false, threads: false, metrics: ['l2'], asyncSearch: false, exactMemory: true },
    build: async () => ({ seconds: 0, notes: [] }),
    add: async () => {},
    search(_q: Matrix, k: number, params: Record<string, unknown> = {}): SearchResult {
      if (params.nprobe === 'bad') throw new InputError('nprobe bad is refused.');
      if (log.at(-1) !== params.nprobe) log.push(params.nprobe);
      const run = Math.floor(calls++ / answersPerRun);
      const t0 = performance.now();
      while (performance.now() - t0 < delayMs[run]) { /* spin */ }
      return { nq: 1, k, ids: new Int32Array(k).fill(run), dists: new Float32Array(k) };
    },
    memoryBytes: () => 0,
    memoryBreakdown: () => ({ codes: 0, lists: 0, graph: 0, codebooks: 0, vectors: 0, total: 0 }),
  } as unknown as VectorIndex;
}

const timedOf = (o: SearchOutcome) => {
  if ('error' in o) throw o.error;
  return o.timed;
};

test('interleavedSearches: the reported measurement is the fastest run\'s own (its ids, times, QPS); differing ids are counted', async () => {
  const queries = new Matrix(new Float32Array(6 * 2), 6, 2);
  const [o] = await interleavedSearches(runTaggedIndex([0.3, 0.05, 0.6], 6 + 2), queries, 3, [{}], { runs: 3, warmupQueries: 2, cores: 2, loadAverage: () => 0.5 });
  const r = timedOf(o);
  assert.equal(r.qpsRuns.length, 3);
  const fastest = r.qpsRuns.indexOf(Math.max(...r.qpsRuns));
  assert.equal(r.best.qps, r.qpsRuns[fastest]);
  assert.deepEqual([...new Set(r.best.ids)], [fastest], 'the ids reported came from the fastest run');
  assert.equal(r.differingQueries, 6, 'every query answered differently from run 1');
  const note = nondeterminismNote(r, 6)!;
  assert.equal(note, "the 3 timed runs returned different ids for 6 of 6 queries (a nondeterministic search); recall and the raw file are the fastest run's.");
  assert.ok(isNondeterminismNote(note));
  const [same] = await interleavedSearches(runTaggedIndex([0, 0], 1000), queries, 3, [{}], { runs: 2, warmupQueries: 0, cores: 2 });
  assert.deepEqual([timedOf(same).differingQueries, nondeterminismNote(timedOf(same), 6)], [0, null]);
  assert.deepEqual(qpsSpread([3, 1, 2, 10]), { qpsMedian: 2.5, qpsMin: 1, qpsMax: 10 });
});

test('interleavedSearches: configurations take turns (A B A B A B); one the index refuses drops out with its error; load read around each one\'s runs', async () => {
  const log: unknown[] = [];
  const queries = new Matrix(new Float32Array(4 * 2), 4, 2);
  const loads = [1, 2, 3, 4, 5];
  const progress: number[] = [];
  const out = await interleavedSearches(runTaggedIndex(new Array(20).fill(0), 1000, log), queries, 2, [{ nprobe: 1 }, { nprobe: 'bad' }, { nprobe: 8 }],
    { runs: 3, warmupQueries: 1, cores: 4, loadAverage: () => loads.shift()!, onRun: (done) => progress.push(done) });
  assert.deepEqual(log, [1, 8, 1, 8, 1, 8], 'interleaved, the refused one tried once');
  assert.ok('error' in out[1] && out[1].error instanceof InputError && /nprobe bad is refused/.test(out[1].error.message));
  // before: 1 (nprobe 1), 2 (bad), 3 (nprobe 8); after the last round: 4, 5
  assert.deepEqual(['load' in out[0] && out[0].load, 'load' in out[2] && out[2].load], [{ before: 1, after: 4, cores: 4 }, { before: 3, after: 5, cores: 4 }]);
  assert.equal(timedOf(out[2]).qpsRuns.length, 3);
  assert.deepEqual(progress, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('repeatBuild: builds afresh each time, closes all but the last, reports every build\'s seconds', async () => {
  const closed: number[] = [];
  let made = 0;
  const create = () => {
    const n = made++;
    return { build: async () => ({ seconds: [0.3, 0.1, 0.2][n], notes: [`build ${n}`] }), close: async () => void closed.push(n) } as unknown as VectorIndex;
  };
  const out = await repeatBuild(create, (index) => index.build(new Matrix(new Float32Array(2), 1, 2), { seed: 1 }), 3);
  assert.deepEqual(out.buildSecondsRuns, [0.3, 0.1, 0.2]);
  assert.deepEqual(closed, [0, 1]);
  assert.deepEqual(out.report.notes, ['build 2']);
});
