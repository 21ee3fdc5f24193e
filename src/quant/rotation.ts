/**
 * The small dense linear algebra the rotating quantizers share (binary's ITQ, opq, rabitq): column
 * means and centring, rows times a d × d matrix (through the inner-product kernel, in blocks),
 * transposes and products, a seeded random rotation, and the orthogonal polar factor.
 */
import { innerProducts } from '../core/distance.js';
import type { Matrix } from '../core/matrix.js';
import { Rng } from '../core/rng.js';

/** The mean of each column, in float64. */
export function columnMeans(x: Matrix): Float64Array {
  const d = x.dim, mu = new Float64Array(d);
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < d; j++) mu[j] += x.data[i * d + j];
  for (let j = 0; j < d; j++) mu[j] /= x.rows;
  return mu;
}

/** The rows minus `mu`, as float32. */
export function centred(x: Matrix, mu: Float64Array): Float32Array {
  const d = x.dim, out = new Float32Array(x.rows * d);
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < d; j++) out[i * d + j] = x.data[i * d + j] - mu[j];
  return out;
}

/** Rows of v (n × d) against the rows of m (d × d): out[i][j] = v_i · m_j (the wasm kernel for large tiles). */
export function rotateRows(v: Float32Array, n: number, d: number, m: Float32Array): Float32Array {
  const out = new Float32Array(n * d);
  const block = 4096;
  for (let i0 = 0; i0 < n; i0 += block) {
    const nb = Math.min(block, n - i0);
    innerProducts(v, i0 * d, nb, m, 0, d, d, out.subarray(i0 * d, (i0 + nb) * d), d);
  }
  return out;
}

export function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
}

/** a (n × k) times b (k × m), row-major float64 (the small d × d products of the polar factor). */
export function matmul(a: Float64Array, n: number, k: number, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) {
      const av = a[i * k + t];
      if (av === 0) continue;
      const o = i * m, bo = t * m;
      for (let j = 0; j < m; j++) out[o + j] += av * b[bo + j];
    }
  }
  return out;
}

/** A seeded random orthogonal d × d matrix: Gram–Schmidt on a Gaussian matrix (faiss: RandomRotationMatrix). */
export function randomRotation(d: number, seed: number): Float64Array {
  const rng = new Rng(seed), q = new Float64Array(d * d);
  for (let i = 0; i < d * d; i++) q[i] = rng.normal();
  for (let i = 0; i < d; i++) {
    // row i made orthogonal to rows < i (twice, for float stability), then unit
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < i; p++) {
        let dp = 0;
        for (let j = 0; j < d; j++) dp += q[i * d + j] * q[p * d + j];
        for (let j = 0; j < d; j++) q[i * d + j] -= dp * q[p * d + j];
      }
    }
    let nn = 0;
    for (let j = 0; j < d; j++) nn += q[i * d + j] ** 2;
    const s = 1 / Math.sqrt(nn);
    for (let j = 0; j < d; j++) q[i * d + j] *= s;
  }
  return q;
}

/** Largest |R Rᵀ − I| of a d × d row-major matrix: how far R is from orthogonal. */
export function orthogonalityError(r: Float64Array, d: number): number {
  let worst = 0;
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += r[a * d + k] * r[b * d + k];
      worst = Math.max(worst, Math.abs(s - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

/**
 * The orthogonal polar factor of a square, non-singular c (d × d): the R maximising tr(Rᵀ c), equal
 * to U Wᵀ for the SVD c = U S Wᵀ (what faiss's ITQMatrix computes with LAPACK). Higham's scaled Newton
 * iteration X ← (γX + X⁻ᵀ/γ) / 2: a few d × d inversions, where an eigen-decomposition by Jacobi
 * sweeps would cost far more at d = 512.
 */
export function polarFactor(c: Float64Array, d: number): Float64Array {
  let x = Float64Array.from(c);
  for (let it = 0; it < 100; it++) {
    const inv = invert(x, d);
    if (!inv) throw new Error('polarFactor: singular matrix');
    let nx = 0, ni = 0;
    for (let i = 0; i < d * d; i++) { nx += x[i] * x[i]; ni += inv[i] * inv[i]; }
    const g = Math.sqrt(Math.sqrt(ni / nx));
    const next = new Float64Array(d * d);
    let change = 0, size = 0;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        const v = 0.5 * (g * x[a * d + b] + inv[b * d + a] / g);
        next[a * d + b] = v;
        change += (v - x[a * d + b]) ** 2;
        size += v * v;
      }
    }
    x = next;
    if (change <= 1e-24 * size) break;
  }
  return x;
}

/** The inverse of a (d × d) by Gauss–Jordan elimination with partial pivoting; null when singular. */
function invert(a: Float64Array, d: number): Float64Array | null {
  const m = Float64Array.from(a), inv = new Float64Array(d * d);
  for (let i = 0; i < d; i++) inv[i * d + i] = 1;
  for (let col = 0; col < d; col++) {
    let p = col, best = Math.abs(m[col * d + col]);
    for (let r = col + 1; r < d; r++) if (Math.abs(m[r * d + col]) > best) { best = Math.abs(m[r * d + col]); p = r; }
    if (!(best > 0)) return null;
    if (p !== col) {
      for (let j = 0; j < d; j++) {
        let t = m[p * d + j]; m[p * d + j] = m[col * d + j]; m[col * d + j] = t;
        t = inv[p * d + j]; inv[p * d + j] = inv[col * d + j]; inv[col * d + j] = t;
      }
    }
    const s = 1 / m[col * d + col];
    for (let j = 0; j < d; j++) { m[col * d + j] *= s; inv[col * d + j] *= s; }
    for (let r = 0; r < d; r++) {
      const f = m[r * d + col];
      if (r === col || f === 0) continue;
      for (let j = 0; j < d; j++) { m[r * d + j] -= f * m[col * d + j]; inv[r * d + j] -= f * inv[col * d + j]; }
    }
  }
  return inv;
}
