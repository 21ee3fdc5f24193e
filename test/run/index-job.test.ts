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
