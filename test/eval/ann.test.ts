import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix } from '../../src/core/matrix.js';
import { VqbenchError } from '../../src/core/errors.js';
import {
  latencyPercentiles, measureSearch, nnRecallAtK, paretoFrontier, quantileSorted, recallAtK,
} from '../../src/eval/ann.js';
import { memoryBreakdown, type IndexCapabilities, type SearchParams, type SearchResult, type VectorIndex } from '../../src/index/types.js';

test('recall@k: set intersection over k, averaged over queries', () => {
  // 2 queries, approx k = 3, exact k = 4
  const exact = [0, 1, 2, 3, /**/ 10, 11, 12, 13];
  const approx = [2, 0, 9, /**/ 13, 12, 11];
  // q0: {2,0} ∩ {0,1,2} = 2 of 3; q1: {12,11} ∩ {10,11,12} = 2 of 3 (13 is not in the exact top-3)
  assert.equal(recallAtK(approx, exact, 2, 3, 4, 3), 2 / 3);
  // k = 1: q0's first answer 2 ≠ 0, q1's 13 ≠ 10
  assert.equal(recallAtK(approx, exact, 2, 3, 4, 1), 0);
  // order inside the top-k does not matter
  assert.equal(recallAtK([2, 1, 0], [0, 1, 2], 1, 3, 3, 3), 1);
});

test('recall@k: k larger than the answers found (padded with −1), and duplicates, count as misses', () => {
  const exact = [5, 6, 7, 8];
  // the index found only 2 of 4: padded with −1
  assert.equal(recallAtK([6, 5, -1, -1], exact, 1, 4, 4, 4), 0.5);
  // fewer columns than k: the missing ones are misses
  assert.equal(recallAtK([6, 5], exact, 1, 2, 4, 4), 0.5);
  // a duplicated id is counted once
  assert.equal(recallAtK([6, 6, 6, 6], exact, 1, 4, 4, 4), 0.25);
  assert.throws(() => recallAtK([6, 5], exact, 1, 2, 4, 5), RangeError); // k > ground-truth depth
});

test('nnRecall@k: the true nearest neighbour among the first k answers', () => {
  const exact = [0, 1, 2, /**/ 10, 11, 12, /**/ 20, 21, 22];
  const approx = [0, 5, /**/ 11, 10, /**/ 21, -1];
  assert.equal(nnRecallAtK(approx, exact, 3, 2, 3, 1), 1 / 3); // only q0 has its NN first
  assert.equal(nnRecallAtK(approx, exact, 3, 2, 3, 2), 2 / 3); // q1's NN is second; q2's is missing
  assert.equal(nnRecallAtK(approx, exact, 3, 2, 3, 10), 2 / 3); // k beyond the answers: same
});

test('latency percentiles match numpy.percentile (linear interpolation)', () => {
  const sample = [1.2, 0.8, 3.5, 2.0, 10.0, 0.9, 1.1, 1.6, 2.4, 7.3, 1.3, 0.7];
  // Expected values computed once with numpy 1.24.2:
  //   /usr/bin/python3 -c 'import numpy as np; s=np.array([1.2,0.8,3.5,2.0,10.0,0.9,1.1,1.6,2.4,7.3,1.3,0.7]);
  //     print([float(np.percentile(s,p)) for p in (50,95,99)], float(s.mean()))'
  //   → [1.4500000000000002, 8.514999999999997, 9.703000000000001] 2.733333333333334
  const r = latencyPercentiles(sample);
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
  close(r.p50, 1.4500000000000002);
  close(r.p95, 8.514999999999997);
  close(r.p99, 9.703000000000001);
  close(r.mean, 2.733333333333334);
  assert.equal(quantileSorted([4], 0.99), 4);
  assert.equal(quantileSorted([1, 2, 3, 4, 5], 0), 1);
  assert.equal(quantileSorted([1, 2, 3, 4, 5], 1), 5);
  assert.throws(() => latencyPercentiles([]), (e: unknown) => e instanceof VqbenchError && /0 samples/.test((e as Error).message));
});

test('Pareto frontier: non-dominated points, sorted by recall', () => {
  const pts = [
    { recall: 0.5, qps: 1000, label: 'a' },
    { recall: 0.6, qps: 800, label: 'b' },
    { recall: 0.55, qps: 700, label: 'c' }, // dominated by b
    { recall: 0.9, qps: 300, label: 'd' },
    { recall: 0.9, qps: 200, label: 'e' }, // same recall, slower than d
    { recall: 0.4, qps: 900, label: 'f' }, // dominated by a
    { recall: 0.99, qps: 50, label: 'g' },
    { recall: 0.7, qps: NaN, label: 'h' }, // not measured: ignored
    { recall: 0.5, qps: 1000, label: 'a2' }, // duplicate of a: the first is kept
  ];
  assert.deepEqual(paretoFrontier(pts).map((p) => p.label), ['a', 'b', 'd', 'g']);
  assert.deepEqual(paretoFrontier([]), []);
});

/** A fake index: returns ids 0..k-1 after a busy wait, sync or async. */
class FakeIndex implements VectorIndex {
  readonly name = 'fake';
  readonly label = 'fake()';
  readonly metric = 'l2' as const;
  readonly bitsPerVector = 0;
  readonly size = 100;
  calls = 0;
  seenParams: SearchParams[] = [];
  readonly capabilities: IndexCapabilities;
  constructor(c: { asyncSearch: boolean }) {
    this.capabilities = { add: false, remove: false, filter: false, batch: false, threads: false, metrics: ['l2'], asyncSearch: c.asyncSearch, exactMemory: true };
  }
  async build() { return { seconds: 0, notes: [] }; }
  async add() {}
  search(q: Matrix, k: number, params: SearchParams = {}): SearchResult | Promise<SearchResult> {
    this.calls++;
    this.seenParams.push(params);
    const t = performance.now();
    while (performance.now() - t < 0.2) { /* ~0.2 ms of work */ }
    const ids = new Int32Array(q.rows * k);
    for (let j = 0; j < k; j++) ids[j] = Math.round(q.data[0]) + j;
    const r = { nq: q.rows, k, ids, dists: new Float32Array(q.rows * k).fill(1) };
    return this.capabilities.asyncSearch ? Promise.resolve(r) : r;
  }
  memoryBytes() { return 0; }
  memoryBreakdown() { return memoryBreakdown({}); }
}

for (const asyncSearch of [false, true]) {
  test(`measureSearch: one query at a time after warm-up (${asyncSearch ? 'async' : 'sync'} index)`, async () => {
    const idx = new FakeIndex({ asyncSearch });
    const q = Matrix.fromRows([[0], [10], [20], [30], [40]]);
    const m = await measureSearch(idx, q, 3, { efSearch: 7 }, { warmupQueries: 4 });
    assert.equal(idx.calls, 4 + 5);
    assert.ok(idx.seenParams.every((p) => p.efSearch === 7));
    assert.equal(m.nq, 5);
    assert.deepEqual(Array.from(m.ids), [0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32, 40, 41, 42]);
    assert.equal(m.samplesMs.length, 5);
    assert.ok(m.latencyMs.p50 >= 0.2 && m.latencyMs.p99 >= m.latencyMs.p50);
    // QPS is the query count over the whole timed loop, so it is at most 1 / (mean latency)
    assert.ok(m.qps > 0 && m.qps <= 1000 / m.latencyMs.mean + 1e-9, `qps ${m.qps}, mean ${m.latencyMs.mean} ms`);
    assert.ok(Math.abs(m.qps - 5 / m.seconds) < 1e-9);
  });
}

test('measureSearch refuses a Promise from an index that does not declare asyncSearch', async () => {
  const idx = new FakeIndex({ asyncSearch: false });
  idx.search = (q: Matrix, k: number) => Promise.resolve({ nq: q.rows, k, ids: new Int32Array(k), dists: new Float32Array(k) });
  await assert.rejects(measureSearch(idx, Matrix.fromRows([[0]]), 1, {}, { warmupQueries: 0 }), TypeError);
});
