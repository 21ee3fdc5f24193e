// Streaming runbooks: the incremental exact truth (running top-K, only the queries a delete hits
// recomputed) equals a from-scratch knn over the live rows at every search step, for l2 and ip,
// with deletes that hit the top-K; the cache returns the same truth in big-ann's step{n}.gt{K}
// layout. The runbook reader and its dry run: the big-ann format read from YAML and JSON alike
// (same hash), and each bad runbook is one sentence naming the file and the step.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { knn } from '../../src/core/parallel.js';
import { planRunbook, readRunbook, runbookFrom, type Runbook } from '../../src/data/runbook.js';
import { decodeBigAnnTruth, LiveTruth, stepTruthFile, streamTruth } from '../../src/data/stream-truth.js';
import { mixture } from '../helpers/data.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vqbench-stream-truth-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const base = mixture(3000, 16, 8, 71, 0.5, false);
const queries = mixture(60, 16, 8, 72, 0.5, false);
const K = 10;

const STEPS = {
  max_pts: 3000,
  1: { operation: 'insert', start: 0, end: 1000 },
  2: { operation: 'search' },
  3: { operation: 'insert', start: 1000, end: 2500 },
  4: { operation: 'delete', start: 200, end: 900 },
  5: { operation: 'search' },
  6: { operation: 'delete', start: 1000, end: 2400 },
  7: { operation: 'insert', start: 2500, end: 3000 },
  8: { operation: 'search' },
  9: { operation: 'delete', start: 0, end: 200 },
  10: { operation: 'search' },
};

/** The exact top-K over the rows live before each search step, by knn over them from scratch. */
async function fromScratch(rb: Runbook, metric: 'l2' | 'ip'): Promise<Map<number, { ids: Int32Array; dists: Float32Array }>> {
  const live = new Uint8Array(base.rows), out = new Map();
  for (const s of rb.steps) {
    if (s.operation === 'search') {
      const rows = Array.from({ length: base.rows }, (_, r) => r).filter((r) => live[r]);
      const r = await knn(base.selectRows(rows), queries, K, metric);
      out.set(s.step, { ids: Int32Array.from(r.ids, (p) => rows[p]), dists: r.dists });
    } else for (let r = s.start; r < s.end; r++) live[r] = s.operation === 'insert' ? 1 : 0;
  }
  return out;
}

for (const metric of ['l2', 'ip'] as const) {
  test(`incremental truth equals a from-scratch knn over the live rows at every search step (${metric})`, async () => {
    const rb = runbookFrom({ mix: STEPS }, 'mix.yaml', ['mix']);
    planRunbook(rb, base.rows, K);
    const want = await fromScratch(rb, metric);
    const { truth, cached } = await streamTruth({ checksum: 'test', base }, rb, queries, K, metric, { cache: false });
    assert.equal(cached, false);
    assert.deepEqual([...truth.keys()], [2, 5, 8, 10]);
    for (const [step, w] of want) {
      const t = truth.get(step)!;
      assert.deepEqual(Array.from(t.ids), Array.from(w.ids), `step ${step}`);
      for (let i = 0; i < w.dists.length; i++) assert.ok(Math.abs(t.dists[i] - w.dists[i]) <= 1e-4 * (1 + Math.abs(w.dists[i])), `step ${step}, value ${i}`);
    }
  });
}

test('a delete recomputes only the queries whose top-K it hits', async () => {
  const live = new LiveTruth(base, queries, K, 'l2');
  await live.insert(0, 3000);
  const before = live.snapshot();
  const victim = before.ids[0]; // query 0's nearest row
  await live.remove(victim, victim + 1);
  const after = live.snapshot();
  for (let q = 0; q < queries.rows; q++) {
    const row = Array.from(before.ids.subarray(q * K, (q + 1) * K));
    const same = Array.from(after.ids.subarray(q * K, (q + 1) * K));
    if (!row.includes(victim)) assert.deepEqual(same, row, `query ${q} was not hit but changed`);
    else assert.ok(!same.includes(victim) && same.length === K && !same.includes(-1), `query ${q}`);
  }
});

test('streamTruth caches every search step in big-ann layout and reads it back', async () => {
  const saved = process.env.VQBENCH_CACHE;
  process.env.VQBENCH_CACHE = dir;
  try {
    const rb = runbookFrom({ mix: STEPS }, 'mix.yaml', ['mix']);
    const first = await streamTruth({ checksum: 'cachetest', base }, rb, queries, K, 'l2');
    const second = await streamTruth({ checksum: 'cachetest', base }, rb, queries, K, 'l2');
    assert.equal(first.cached, false);
    assert.equal(second.cached, true);
    for (const [step, t] of first.truth) {
      assert.deepEqual(Array.from(second.truth.get(step)!.ids), Array.from(t.ids));
      const file = readFileSync(path.join(first.dir, stepTruthFile(step, K)));
      assert.equal(file.readUInt32LE(0), queries.rows);
      assert.equal(file.readUInt32LE(4), K);
      assert.deepEqual(Array.from(decodeBigAnnTruth(file, queries.rows, K)!.ids), Array.from(t.ids));
    }
  } finally {
    if (saved === undefined) delete process.env.VQBENCH_CACHE;
    else process.env.VQBENCH_CACHE = saved;
  }
});

test('runbooks: big-ann YAML and the same JSON read alike; the top key is the dataset', () => {
  const yaml = path.join(dir, 'rb.yaml'), json = path.join(dir, 'rb.json');
  writeFileSync(yaml, 'other:\n  max_pts: 5\n  1: {operation: insert, start: 0, end: 5}\n  2: {operation: search}\nmix:\n  max_pts: 3000\n  gt_url: "none"\n  1:\n    operation: "insert"\n    start: 0\n    end: 1000\n  2:\n    operation: "search"\n');
  writeFileSync(json, JSON.stringify({ mix: { max_pts: 3000, 1: { operation: 'insert', start: 0, end: 1000 }, 2: { operation: 'search' } } }));
  const a = readRunbook(yaml, ['mix']), b = readRunbook(json, ['mix']);
  assert.deepEqual(a.steps, [{ step: 1, operation: 'insert', start: 0, end: 1000 }, { step: 2, operation: 'search' }]);
  assert.deepEqual(b.steps, a.steps);
  assert.equal(a.hash, b.hash);
  assert.equal(a.maxPts, 3000);
  assert.deepEqual(planRunbook(a, 3000, 10), { liveAfter: [1000, 1000], searches: 1, inserted: 1000, deletes: 0 });
});

test('bad runbooks: one sentence naming the file and the step', () => {
  const rows = 3000;
  const check = (body: Record<string, unknown>, pattern: RegExp) => {
    assert.throws(() => planRunbook(runbookFrom({ mix: { max_pts: 3000, ...body } }, 'bad.yaml', ['mix']), rows, 10), (e: unknown) => {
      assert.ok(e instanceof InputError, String(e));
      assert.match(e.message, /^--runbook bad\.yaml: /);
      assert.match(e.message, pattern);
      assert.equal(e.message.split('. ').length, 1, e.message);
      return true;
    });
  };
  const ins = (start: number, end: number) => ({ operation: 'insert', start, end });
  const del = (start: number, end: number) => ({ operation: 'delete', start, end });
  const search = { operation: 'search' };
  check({ 1: ins(0, 10), 2: del(5, 20), 3: search }, /step 2 deletes row 10, which was never inserted\.$/);
  check({ 1: ins(0, 100), 2: del(5, 20), 3: del(10, 11), 4: search }, /step 3 deletes row 10, already deleted at step 2\.$/);
  check({ 1: search, 2: ins(0, 10) }, /step 1 searches before any row is live/);
  check({ 1: ins(0, 5), 2: search }, /step 2 searches 5 live rows, fewer than k = 10\.$/);
  check({ 1: ins(2990, 3001), 2: search }, /step 1 \(insert\) reaches row 3000, outside the 3000 base rows/);
  check({ 1: ins(10, 10), 2: search }, /step 1 \(insert\) has end 10 ≤ start 10/);
  check({ 1: ins(0, 10), 2: ins(5, 15), 3: search }, /step 2 inserts row 5, already live since step 1\.$/);
  check({ 1: { start: 0, end: 5 }, 2: search }, /step 1 has no operation/);
  check({ 1: { operation: 'upsert' }, 2: search }, /step 1 has an unknown operation "upsert"/);
  check({ 1: ins(0, 10), 2: { operation: 'replace', tags_start: 0, tags_end: 5, ids_start: 10, ids_end: 15 } }, /step 2: replace is not supported by vqbench/);
  check({}, /has no steps \(step 1 is missing\)\.$/);
  check({ 1: ins(0, 10), 3: search }, /step 3 follows a gap \(there is no step 2\)/);
  check({ 1: ins(0, 10) }, /no step searches/);
  check({ 1: { ...ins(0, 10), tag: 1 }, 2: search }, /step 1 \(insert\) has an unknown key 'tag'/);
  assert.throws(() => runbookFrom({ mix: { 1: ins(0, 10) } }, 'bad.yaml', ['mix']), /mix\.max_pts must be a positive integer/);
  assert.throws(() => planRunbook(runbookFrom({ mix: { max_pts: 50, 1: ins(0, 60), 2: search } }, 'bad.yaml', ['mix']), rows, 10), /step 1 leaves 60 rows live, more than max_pts = 50\.$/);
  assert.throws(() => runbookFrom({ a: {}, b: {} }, 'bad.yaml', ['mix']), /has no runbook for dataset mix \(its top keys: a, b\)\.$/);
  assert.throws(() => readRunbook(path.join(dir, 'missing.yaml'), ['mix']), InputError);
  writeFileSync(path.join(dir, 'broken.yaml'), 'mix: [1, 2\n');
  assert.throws(() => readRunbook(path.join(dir, 'broken.yaml'), ['mix']), /cannot be read as YAML or JSON/);
});
