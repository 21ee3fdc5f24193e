// The Gaussian rate–distortion bound against hand-computed reverse water-filling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix } from '../../src/core/matrix.js';
import { boundFromEigenvalues, covariance, distortionAt, gaussianRateDistortion, rateAt, reverseWaterFilling } from '../../src/eval/rate-distortion.js';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} ≠ ${b}`);

test('reverse water-filling on λ = (4, 1, 0.25): hand-computed points', () => {
  const lam = [4, 1, 0.25];
  // R = 0: nothing described, D = Σλ
  close(reverseWaterFilling(lam, 0).distortion, 5.25);
  // R = 1: only λ=4 active, ½ log2(4/θ) = 1 → θ = 1, D = 1 + 1 + 0.25
  let p = reverseWaterFilling(lam, 1);
  close(p.waterLevel, 1);
  close(p.distortion, 2.25);
  // R = 2: two active, ½ log2(4/θ²) = 2 → θ = 0.5 (> 0.25), D = 0.5 + 0.5 + 0.25
  p = reverseWaterFilling(lam, 2);
  close(p.waterLevel, 0.5);
  close(p.distortion, 1.25);
  assert.equal(p.activeComponents, 2);
  // R = 4: all active, ½ log2(1/θ³) = 4 → θ = 2^(-8/3) < 0.25, D = 3θ
  p = reverseWaterFilling(lam, 4);
  close(p.waterLevel, 2 ** (-8 / 3));
  close(p.distortion, 3 * 2 ** (-8 / 3));
  assert.equal(p.activeComponents, 3);
  // consistency with the parametric form, and monotone
  for (const r of [0.3, 1.7, 3, 6, 10]) {
    const q = reverseWaterFilling(lam, r);
    close(rateAt(lam, q.waterLevel), r, 1e-9);
    close(distortionAt(lam, q.waterLevel), q.distortion);
  }
  const curve = boundFromEigenvalues(lam, 5.25, 8, [1, 2]).curve;
  for (let i = 1; i < curve.length; i++) assert.ok(curve[i].distortion <= curve[i - 1].distortion + 1e-12);
});

test('gaussianRateDistortion on rows whose covariance is diag(4, 1, 0.25)', () => {
  // the 8 corners (±2, ±1, ±0.5) shifted by a mean (which is free): covariance exactly diag(4, 1, 0.25)
  const rows: number[][] = [];
  for (const a of [-2, 2]) for (const b of [-1, 1]) for (const c of [-0.5, 0.5]) rows.push([a + 3, b - 1, c + 0.5]);
  const x = Matrix.fromRows(rows);
  const { cov } = covariance(x);
  close(cov[0], 4);
  close(cov[4], 1);
  close(cov[8], 0.25);
  close(cov[1], 0);
  const bound = gaussianRateDistortion(x, [2, 1, 2]);
  assert.deepEqual(bound.eigenvalues.map((v) => Number(v.toFixed(12))), [4, 1, 0.25]);
  close(bound.totalVariance, 5.25);
  assert.deepEqual(bound.points.map((p) => p.bits), [1, 2]);
  close(bound.points[0].distortion, 2.25);
  close(bound.points[1].distortion, 1.25);
  // relative to mean ||x||² = (3²+4) + (1+1) + (0.5²+0.25) ... computed from the rows
  const meanNormSq = rows.reduce((s, r) => s + r.reduce((t, v) => t + v * v, 0), 0) / rows.length;
  close(bound.meanNormSq, meanNormSq, 1e-6);
  close(bound.points[1].relativeDistortion!, 1.25 / meanNormSq, 1e-6);
  assert.equal(bound.curve[0].bits, 0);
  close(bound.curve[0].distortion, 5.25);
});
