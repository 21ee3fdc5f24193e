// Pareto frontiers with the metric registry's directions (src/eval/pareto.ts), checked against the
// definition by brute force on seeded random points, for every pair of directions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paretoFrontier } from '../../src/eval/ann.js';
import { nonDominated } from '../../src/eval/dominance.js';
import { paretoFrontierBy } from '../../src/eval/pareto.js';

interface P { x: number; y: number; i: number }

/** mulberry32: a small seeded generator, so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The definition, O(n²): p is kept unless another point is at least as good on both and better on one, or an earlier exact duplicate exists. */
function bruteForce(points: P[], hx: boolean, hy: boolean): P[] {
  const better = (a: number, b: number, h: boolean) => (h ? a > b : a < b);
  const atLeast = (a: number, b: number, h: boolean) => a === b || better(a, b, h);
  return points
    .filter((p) => !Number.isNaN(p.x) && !Number.isNaN(p.y))
    .filter((p, _, all) => !all.some((q) => q !== p && (
      (atLeast(q.x, p.x, hx) && atLeast(q.y, p.y, hy) && (better(q.x, p.x, hx) || better(q.y, p.y, hy)))
      || (q.x === p.x && q.y === p.y && q.i < p.i))))
    .sort((a, b) => a.x - b.x);
}

test('paretoFrontierBy equals the definition for every pair of directions (seeded random points, ties included)', () => {
  for (let seed = 1; seed <= 60; seed++) {
    const r = rng(seed);
    const n = 1 + Math.floor(r() * 40);
    // coarse values so that equal x, equal y and exact duplicates occur
    const pts: P[] = Array.from({ length: n }, (_, i) => ({ x: Math.floor(r() * 8), y: Math.floor(r() * 8), i }));
    if (seed % 5 === 0) pts.push({ x: NaN, y: 3, i: n });
    for (const hx of [true, false]) {
      for (const hy of [true, false]) {
        const got = paretoFrontierBy(pts, { higherIsBetter: hx }, { higherIsBetter: hy });
        assert.deepEqual(got.map((p) => p.i), bruteForce(pts, hx, hy).map((p) => p.i), `seed ${seed}, x ${hx ? 'up' : 'down'}, y ${hy ? 'up' : 'down'}`);
        // sorted by x ascending; one axis gets better exactly as the other gets worse
        for (let k = 1; k < got.length; k++) {
          assert.ok(got[k].x > got[k - 1].x);
          assert.ok(hx === hy ? got[k].y < got[k - 1].y : got[k].y > got[k - 1].y);
        }
      }
    }
  }
});

test('paretoFrontierBy reads directions from the metric registry', () => {
  // latency (p50, lower is better) against k-nn recall (higher is better)
  const pts = [
    { ms: 1, recall: 0.5 }, { ms: 2, recall: 0.7 }, { ms: 2.5, recall: 0.6 }, { ms: 4, recall: 0.9 }, { ms: 5, recall: 0.9 },
  ];
  const front = paretoFrontierBy(pts, { id: 'p50', of: (p) => p.ms }, { id: 'k-nn', of: (p) => p.recall });
  assert.deepEqual(front.map((p) => p.ms), [1, 2, 4]);
  assert.deepEqual(front, paretoFrontierBy(pts, { higherIsBetter: false, of: (p) => p.ms }, { higherIsBetter: true, of: (p) => p.recall }));
  // loss against bits per vector: both lower is better
  const q = [{ x: 32, y: 0.5 }, { x: 64, y: 0.3 }, { x: 64, y: 0.4 }, { x: 96, y: 0.31 }, { x: 128, y: 0.1 }];
  assert.deepEqual(paretoFrontierBy(q, { id: 'bitsPerVector' }, { id: 'loss' }).map((p) => p.x), [32, 64, 128]);
  // recall against QPS, both up: the recall–QPS chart's frontier
  assert.deepEqual(paretoFrontierBy(q, { id: 'recall' }, { id: 'qps' }).map((p) => [p.x, p.y]), [[32, 0.5], [64, 0.4], [96, 0.31], [128, 0.1]]);
  assert.throws(() => paretoFrontierBy(q, { id: 'speed' }, { id: 'loss' }), /unknown metric 'speed'/);
  assert.deepEqual(paretoFrontierBy([], { id: 'recall' }, { id: 'qps' }), []);
});

test('ann.ts paretoFrontier (recall up, QPS up) is the same kernel', () => {
  const r = rng(7);
  const pts = Array.from({ length: 200 }, (_, i) => ({ recall: Math.round(r() * 20) / 20, qps: Math.round(r() * 50) * 100, label: `p${i}` }));
  const viaAnn = paretoFrontier(pts).map((p) => p.label);
  assert.deepEqual(viaAnn, paretoFrontierBy(pts, { id: 'recall', of: (p) => p.recall }, { id: 'qps', of: (p) => p.qps }).map((p) => p.label));
  assert.deepEqual(viaAnn, nonDominated(pts, (p) => p.recall, (p) => p.qps, true, true).map((p) => p.label));
  assert.ok(viaAnn.length >= 2);
});
