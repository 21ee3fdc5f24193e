/**
 * Principal components of a row set: the mean and the eigenvectors of the covariance, by cyclic
 * Jacobi rotations on the d × d covariance (float64; d ≤ a few thousand). Used by progressive-
 * dimension k-means (faiss's ProgressiveDimClustering trains on PCA-rotated data).
 */
import { innerProducts } from './distance.js';
import { Matrix } from './matrix.js';

export interface Pca {
  mean: Float32Array;
  /** d × d, row i = the i-th principal direction (descending variance). */
  components: Matrix;
  /** Variances along the components, descending. */
  variances: Float64Array;
}

/** Eigen-decomposition of a symmetric matrix a (d × d, row-major, overwritten): values and vectors as rows. */
export function symmetricEigen(a: Float64Array, d: number, maxSweeps = 50): { values: Float64Array; vectors: Float64Array } {
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0, diag = 0;
    for (let p = 0; p < d; p++) {
      diag += a[p * d + p] * a[p * d + p];
      for (let q = p + 1; q < d; q++) off += a[p * d + q] * a[p * d + q];
    }
    if (off <= 1e-24 * diag || off === 0) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < d; k++) {
          // columns p, q of a
          const akp = a[k * d + p], akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          // rows p, q of a
          const apk = a[p * d + k], aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          // eigenvectors as rows of v
          const vpk = v[p * d + k], vqk = v[q * d + k];
          v[p * d + k] = c * vpk - s * vqk;
          v[q * d + k] = s * vpk + c * vqk;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = a[i * d + i];
  return { values, vectors: v };
}

export function pca(x: Matrix): Pca {
  const { rows: n, dim: d, data } = x;
  const mean64 = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean64[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean64[j] /= n;
  const mean = Float32Array.from(mean64);
  const centred = x.clone();
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) centred.data[i * d + j] -= mean[j];
  // covariance = Xcᵀ Xc / n, through the shared kernel on the transposed matrix
  const t = new Float32Array(d * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) t[j * n + i] = centred.data[i * d + j];
  const cov32 = new Float32Array(d * d);
  innerProducts(t, 0, d, t, 0, d, n, cov32);
  const cov = Float64Array.from(cov32, (v) => v / n);
  const { values, vectors } = symmetricEigen(cov, d);
  const order = Array.from({ length: d }, (_, i) => i).sort((a, b) => values[b] - values[a]);
  const components = Matrix.zeros(d, d);
  const variances = new Float64Array(d);
  order.forEach((src, dst) => {
    variances[dst] = values[src];
    for (let k = 0; k < d; k++) components.data[dst * d + k] = vectors[src * d + k];
  });
  return { mean, components, variances };
}

/** (x − mean) · componentsᵀ: rows in the principal basis. */
export function pcaApply(p: Pca, x: Matrix): Matrix {
  const d = x.dim;
  const c = x.clone();
  for (let i = 0; i < c.rows; i++) for (let j = 0; j < d; j++) c.data[i * d + j] -= p.mean[j];
  const out = Matrix.zeros(x.rows, d);
  innerProducts(c.data, 0, c.rows, p.components.data, 0, d, d, out.data);
  return out;
}

/** Rows y given in the first y.dim principal coordinates, back in the original space: y · components[:y.dim] + mean. */
export function pcaReverse(p: Pca, y: Matrix): Matrix {
  const d = p.components.dim, di = y.dim;
  const out = Matrix.zeros(y.rows, d);
  for (let i = 0; i < y.rows; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) out.data[o + j] = p.mean[j];
    for (let t = 0; t < di; t++) {
      const v = y.data[i * di + t], co = t * d;
      if (v === 0) continue;
      for (let j = 0; j < d; j++) out.data[o + j] += v * p.components.data[co + j];
    }
  }
  return out;
}
