// test-lane: serial (QPS ratios between concurrency levels of a sleeping index: timers must fire on time)
// Concurrent clients (VectorDBBench's levels) and batch mode through the index job: QPS is the
// queries done over the wall seconds of the level (never 1 / latency), every level is recorded,
// async clients overlap their waits, and a batch record's recall comes from the batch's answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Matrix } from '../../src/core/matrix.js';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { writeNpy } from '../../src/data/npy.js';
import { labelFilter } from '../../src/index/filter.js';
import { IvfPqIndex } from '../../src/index/ivfpq.js';
import { createIndex, indexDescriptor } from '../../src/index/registry.js';
import { runClients } from '../../src/index/search-modes.js';
import type { IndexCapabilities, SearchResult, VectorIndex } from '../../src/index/types.js';
import { memoryBreakdown } from '../../src/index/types.js';
import { runIndexJob } from '../../src/run/index-job.js';
import { measureConcurrency } from '../../src/run/search-modes.js';
import { mixture } from '../helpers/data.js';

let dir = '';
let savedCache: string | undefined;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-concurrency-'));
  savedCache = process.env.VQBENCH_CACHE;
  process.env.VQBENCH_CACHE = join(dir, 'cache');
  writeNpy(join(dir, 'small.npy'), mixture(1100, 16, 8, 3)); // 110 queries, 990 base rows
});
after(async () => {
  await shutdownWorkers();
  if (savedCache === undefined) delete process.env.VQBENCH_CACHE;
  else process.env.VQBENCH_CACHE = savedCache;
  rmSync(dir, { recursive: true, force: true });
});

const data = mixture(1600, 16, 8, 9);
const base = data.sliceRows(0, 1500), queries = data.sliceRows(1500, 1600);

test('worker clients on ivfpq: every query timed, QPS = queries / wall seconds, the level lasts its duration', async () => {
  const index = new IvfPqIndex({ nlist: 16, m: 4, nbits: 5 });
  await index.build(base, { seed: 2 });
  for (const clients of [1, 3]) {
    const run = await runClients(index, queries, 10, { nprobe: 2 }, { clients, seconds: 0.3, seed: 1 });
    assert.ok(run.queries > clients, `${run.queries} queries`);
    assert.equal(run.latenciesMs.length, run.queries, 'one latency per query done');
    assert.ok(run.seconds >= 0.3 && run.seconds < 5, `${run.seconds} s`);
    assert.match(run.how, /worker threads/);
  }
  const m = await measureConcurrency(index, queries, 10, { nprobe: 2 }, { levels: [1, 2], seconds: 0.25, seed: 4, cores: 1 });
  assert.deepEqual(m.levels.map((l) => l.clients), [1, 2]);
  for (const l of m.levels) {
    assert.equal(l.qps, l.queries / l.seconds);
    assert.ok(l.p50 <= l.p95 && l.p95 <= l.p99);
  }
  assert.ok(m.notes.some((n) => n.includes('2 > 1 cores')), 'more clients than cores is said');
  await index.close();
});

test('filtered clients: a level with a filter returns only allowed ids (worker threads and async clients count violations)', async () => {
  const allowed = new Uint8Array(base.rows);
  for (let i = 0; i < base.rows; i += 10) allowed[i] = 1;
  const filter = labelFilter('label_10p', 0.1, allowed);
  const index = new IvfPqIndex({ nlist: 16, m: 4, nbits: 5 });
  await index.build(base, { seed: 2 });
  const run = await runClients(index, queries, 10, { nprobe: 4 }, { clients: 2, seconds: 0.2, seed: 1, filter });
  assert.ok(run.queries > 2, `${run.queries} queries`);
  assert.equal(run.violations, 0);
  assert.equal((await runClients(index, queries, 10, { nprobe: 4 }, { clients: 1, seconds: 0.05, seed: 1 })).violations, null);
  const m = await measureConcurrency(index, queries, 10, { nprobe: 4 }, { levels: [2], seconds: 0.1, seed: 4, cores: 2, filter });
  assert.equal(m.levels[0].violations, 0);
  await index.close();
  // the count is real: an index that ignores the filter is caught
  const ignoring = slowAsyncIndex(0, { filter: true, ids: (i) => i });
  const bad = await runClients(ignoring, queries, 10, {}, { clients: 2, seconds: 0.05, seed: 1, warmup: 0, filter });
  assert.ok(bad.queries > 0 && bad.violations! > 0, `${bad.violations} violations`);
});

test('native indexes restore in the client workers: hnswlib from its snapshot file, faiss from its serialized bytes', async () => {
  for (const [id, build, search] of [['hnsw', { M: 8 }, { efSearch: 20 }], ['faiss', { factory: 'IVF16,Flat' }, { nprobe: 2 }]] as const) {
    if (indexDescriptor(id).unavailable()) continue;
    const index = createIndex(id, build);
    await index.build(base, { seed: 2 });
    const run = await runClients(index, queries, 10, search, { clients: 2, seconds: 0.2, seed: 1 });
    assert.ok(run.queries > 2 && run.latenciesMs.length === run.queries, `${id}: ${run.queries} queries`);
    assert.match(run.how, /2 worker threads/);
    await index.close?.();
  }
});

/** An index that answers after `ms` of waiting (a remote database): concurrent clients overlap their waits. */
function slowAsyncIndex(ms: number, o: { filter?: boolean; ids?: (i: number) => number } = {}): VectorIndex {
  const capabilities: IndexCapabilities = { add: false, remove: false, filter: o.filter ?? false, batch: true, threads: false, metrics: ['l2'], asyncSearch: true, exactMemory: true };
  return {
    name: 'slow', label: 'slow', metric: 'l2', capabilities, bitsPerVector: 0, size: 1,
    build: async () => ({ seconds: 0, notes: [] }), add: async () => undefined,
    search: async (q: Matrix, k: number): Promise<SearchResult> => {
      await new Promise((r) => setTimeout(r, ms));
      return { nq: q.rows, k, ids: Int32Array.from({ length: q.rows * k }, (_, i) => o.ids?.(i) ?? 0), dists: new Float32Array(q.rows * k) };
    },
    memoryBytes: () => 0, memoryBreakdown: () => memoryBreakdown({}),
  };
}

test('async clients overlap: 4 clients of a 5 ms database do about 4× the queries of one', async () => {
  const index = slowAsyncIndex(5);
  const one = await runClients(index, queries, 10, {}, { clients: 1, seconds: 0.3, seed: 1, warmup: 0 });
  const four = await runClients(index, queries, 10, {}, { clients: 4, seconds: 0.3, seed: 1, warmup: 0 });
  assert.match(four.how, /async clients/);
  const ratio = (four.queries / four.seconds) / (one.queries / one.seconds);
  assert.ok(ratio > 2.5 && ratio < 6, `QPS ratio ${ratio}`); // above 4 when timers of the lone client fire late
  assert.ok(one.latenciesMs.every((t) => t >= 4), `each latency includes the wait: min ${Math.min(...one.latenciesMs)} ms`);
});

test('index job: batch mode records its mode and threads, recall from the batch; concurrency levels and the serial p99 are recorded', async () => {
  const common = { data: join(dir, 'small.npy'), index: 'ivfpq', build: { nlist: 8, m: 4, nbits: 4 }, search: { nprobe: 2 }, queries: 60, warmup: 5, runs: 2 };
  const [single] = await runIndexJob({ ...common, concurrency: [1, 2], duration: 0.2 });
  const [batch] = await runIndexJob({ ...common, mode: 'batch', threads: 2 });
  assert.equal(single.status, 'ok', single.error ?? '');
  assert.equal(batch.status, 'ok', batch.error ?? '');
  assert.equal(single.mode, 'single');
  assert.equal(batch.mode, 'batch');
  assert.equal(batch.batchThreads, 2);
  assert.deepEqual(batch.recall, single.recall, 'the batch returns the single loop\'s answers');
  assert.equal(batch.qpsRuns.length, 2);
  assert.ok(batch.notes.some((n) => n.startsWith('batch mode: the queries split over 2 threads')));
  assert.deepEqual(single.concurrency!.map((c) => c.clients), [1, 2]);
  for (const c of single.concurrency!) assert.equal(c.qps, c.queries / c.seconds);
  assert.equal(single.serialP99Ms, single.latencyMs!.p99);
  assert.equal(batch.concurrency, undefined);
});

test('index job: --filter with batch mode and concurrency: per selectivity the batch\'s recall equals the single loop\'s, filtered levels with no violations', async () => {
  const common = { data: join(dir, 'small.npy'), index: 'ivfpq', build: { nlist: 8, m: 4, nbits: 4 }, search: { nprobe: 2 }, queries: 60, warmup: 5, runs: 2, filter: [0.1, 0.5] };
  const [single] = await runIndexJob({ ...common, concurrency: [2], duration: 0.15 });
  const [batch] = await runIndexJob({ ...common, mode: 'batch', threads: 2 });
  assert.equal(batch.status, 'ok', batch.error ?? '');
  assert.deepEqual(batch.filtered!.map((f) => f.label), ['label_10p', 'label_50p']);
  for (const [i, f] of batch.filtered!.entries()) {
    assert.equal(f.status, 'ok', f.error ?? '');
    assert.deepEqual(f.recall, single.filtered![i].recall, `${f.label}: the batch returns the single loop's answers`);
    assert.equal(f.violations, 0);
    assert.equal(f.qpsRuns.length, 2);
    assert.equal(f.concurrency, undefined);
    const c = single.filtered![i].concurrency!;
    assert.deepEqual(c.map((l) => [l.clients, l.violations]), [[2, 0]]);
    assert.ok(c[0].queries > 0 && c[0].p99 >= c[0].p50);
  }
  assert.notDeepEqual(batch.filtered![0].recall, batch.recall, 'the filtered truth is another truth');
});
