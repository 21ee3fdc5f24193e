/**
 * Seeded synthetic data: a Gaussian mixture (centres ~ N(0, I), points = centre + spread·N(0, I)),
 * optionally L2-normalized. Built with the project's RNG, so the same seed gives the same rows on
 * every machine. Used by tests and by the `synthetic-gmm` dataset.
 */
import { Matrix, normalizeRows } from '../core/matrix.js';
import { Rng } from '../core/rng.js';

export function gaussianMixture(n: number, d: number, clusters: number, seed: number, spread = 0.5, normalize = true): Matrix {
  const rng = new Rng(seed);
  const centers = new Float32Array(clusters * d);
  for (let i = 0; i < centers.length; i++) centers[i] = rng.normal();
  const x = Matrix.zeros(n, d);
  for (let i = 0; i < n; i++) {
    const c = rng.int(clusters) * d;
    for (let j = 0; j < d; j++) x.data[i * d + j] = centers[c + j] + spread * rng.normal();
  }
  return normalize ? normalizeRows(x) : x;
}

/** i.i.d. standard normal entries. */
export function gaussianMatrix(n: number, d: number, seed: number): Matrix {
  const rng = new Rng(seed);
  const m = Matrix.zeros(n, d);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.normal();
  return m;
}
