import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Matrix } from '../../src/core/matrix.js';
import { kmeans } from '../../src/core/kmeans.js';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { mixture } from '../helpers/data.js';

after(shutdownWorkers);

interface Case { name: string; k: number; dim: number; params: { max_iter: number }; data: number[][]; init: number[][]; centroids: number[][]; labels: number[]; inertia: number }
const fixture = JSON.parse(readFileSync(new URL('../fixtures/kmeans-sklearn.json', import.meta.url), 'utf8')) as { cases: Case[] };

// Tolerance: both run Lloyd in float32 from the same init and the fixture records that no point
// is near a tie, so labels must agree exactly and centroids to float32 summation noise.
const REL_TOL = 1e-5;

for (const c of fixture.cases) {
  test(`k-means matches scikit-learn's Lloyd from the same init (${c.name})`, async () => {
    const x = Matrix.fromRows(c.data);
    const r = await kmeans(x, { k: c.k, iters: c.params.max_iter, init: Matrix.fromRows(c.init), maxPointsPerCentroid: 0 });
    assert.deepEqual(Array.from(r.assign), c.labels);
    let maxRel = 0;
    c.centroids.forEach((row, i) => row.forEach((v, j) => {
      maxRel = Math.max(maxRel, Math.abs(r.centroids.data[i * c.dim + j] - v) / (1 + Math.abs(v)));
    }));
    assert.ok(maxRel < REL_TOL, `centroid max relative difference ${maxRel}`);
    assert.ok(Math.abs(r.inertia - c.inertia) / c.inertia < REL_TOL, `inertia ${r.inertia} vs ${c.inertia}`);
    assert.equal(r.splits, 0);
  });
}

test('k-means: more centroids give lower inertia; k-means++ is deterministic under a seed', async () => {
  const x = mixture(4000, 16, 10, 3, 0.4, false);
  const i8 = (await kmeans(x, { k: 8, seed: 1, iters: 15 })).inertia;
  const i32 = (await kmeans(x, { k: 32, seed: 1, iters: 15 })).inertia;
  assert.ok(i32 < i8);
  const a = await kmeans(x, { k: 10, seed: 5, init: 'kmeans++', iters: 10 });
  const b = await kmeans(x, { k: 10, seed: 5, init: 'kmeans++', iters: 10 });
  assert.deepEqual(a.centroids.data, b.centroids.data);
});

test('k-means repairs empty clusters by splitting, and subsamples to max points per centroid', async () => {
  const x = mixture(2000, 8, 4, 9, 0.3, false);
  // an init with duplicated rows leaves clusters empty after the first assignment
  const init = Matrix.zeros(6, 8);
  for (let i = 0; i < 6; i++) init.data.set(x.row(i % 2), i * 8);
  const r = await kmeans(x, { k: 6, init, iters: 10, maxPointsPerCentroid: 0 });
  assert.ok(r.splits > 0);
  const counts = new Array(6).fill(0);
  for (const a of r.assign) counts[a]++;
  assert.ok(counts.every((n) => n > 0), `cluster sizes ${counts}`);
  const s = await kmeans(x, { k: 4, iters: 2, maxPointsPerCentroid: 100 });
  assert.equal(s.assign.length, 400);
  assert.equal(new Set(s.sample).size, 400);
});

test('spherical k-means keeps unit centroids', async () => {
  const x = mixture(1000, 12, 5, 4);
  const r = await kmeans(x, { k: 5, iters: 5, spherical: true });
  for (let i = 0; i < 5; i++) {
    let s = 0;
    for (let j = 0; j < 12; j++) s += r.centroids.data[i * 12 + j] ** 2;
    assert.ok(Math.abs(s - 1) < 1e-5);
  }
});
