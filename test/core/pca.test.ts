// PCA (Jacobi eigen-decomposition) against known answers, and progressive-dimension k-means.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix } from '../../src/core/matrix.js';
import { kmeans, progressiveKmeans } from '../../src/core/kmeans.js';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { pca, pcaApply, pcaReverse, symmetricEigen } from '../../src/core/pca.js';
import { mixture, randomMatrix } from '../helpers/data.js';

after(shutdownWorkers);

test('symmetricEigen: A v = λ v for every pair, vectors orthonormal', () => {
  const d = 7;
  const r = randomMatrix(d, d, 3);
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) a[i * d + j] = r.data[i * d + j] + r.data[j * d + i];
  const copy = a.slice();
  const { values, vectors } = symmetricEigen(a, d);
  for (let e = 0; e < d; e++) {
    for (let i = 0; i < d; i++) {
      let av = 0;
      for (let j = 0; j < d; j++) av += copy[i * d + j] * vectors[e * d + j];
      assert.ok(Math.abs(av - values[e] * vectors[e * d + i]) < 1e-9, `pair ${e}`);
    }
    for (let f = 0; f < d; f++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += vectors[e * d + j] * vectors[f * d + j];
      assert.ok(Math.abs(dot - (e === f ? 1 : 0)) < 1e-9);
    }
  }
});

test('pca: a stretched Gaussian gives its axes in order of variance, and reverse(apply(x)) = x', () => {
  const n = 4000, d = 3;
  const x = randomMatrix(n, d, 5);
  for (let i = 0; i < n; i++) {
    x.data[i * d] *= 5;      // variance 25 along e0
    x.data[i * d + 2] *= 2;  // 4 along e2
    x.data[i * d + 1] += 10; // a mean to remove
  }
  const p = pca(x);
  assert.ok(Math.abs(Math.abs(p.components.data[0]) - 1) < 0.01, 'first component ≈ ±e0');
  assert.ok(Math.abs(Math.abs(p.components.data[3 + 2]) - 1) < 0.01, 'second component ≈ ±e2');
  assert.ok(Math.abs(p.variances[0] / 25 - 1) < 0.08 && Math.abs(p.variances[2] - 1) < 0.1);
  assert.ok(Math.abs(p.mean[1] - 10) < 0.1);
  const back = pcaReverse(p, pcaApply(p, x));
  for (let i = 0; i < x.data.length; i++) assert.ok(Math.abs(back.data[i] - x.data[i]) < 1e-3);
});

test('progressive-dimension k-means ends no worse than 2% above plain k-means on clustered data', async () => {
  const x = mixture(6000, 32, 40, 8, 0.6, false);
  const plain = await kmeans(x, { k: 64, iters: 25, seed: 2 });
  const prog = await progressiveKmeans(x, { k: 64, iters: 10, seed: 2 });
  assert.equal(prog.centroids.rows, 64);
  assert.equal(prog.centroids.dim, 32);
  assert.ok(prog.inertia <= plain.inertia * 1.02, `progressive ${prog.inertia} vs plain ${plain.inertia}`);
  assert.ok(prog.centroids instanceof Matrix);
});
