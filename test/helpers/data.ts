// Seeded test data: a Gaussian mixture built with the project's RNG (small, fast, reproducible).
import { Matrix, normalizeRows } from '../../src/core/matrix.js';
import { Rng } from '../../src/core/rng.js';

export function mixture(n: number, d: number, clusters: number, seed: number, spread = 0.5, normalize = true): Matrix {
  const rng = new Rng(seed);
  const centers = Array.from({ length: clusters }, () => Array.from({ length: d }, () => rng.normal()));
  const x = Matrix.zeros(n, d);
  for (let i = 0; i < n; i++) {
    const c = centers[rng.int(clusters)];
    for (let j = 0; j < d; j++) x.data[i * d + j] = c[j] + spread * rng.normal();
  }
  return normalize ? normalizeRows(x) : x;
}

export function randomMatrix(n: number, d: number, seed: number): Matrix {
  const rng = new Rng(seed);
  const m = Matrix.zeros(n, d);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.normal();
  return m;
}

export function bruteForceL2(a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += (a[ao + k] - b[bo + k]) ** 2;
  return s;
}
