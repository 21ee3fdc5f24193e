/**
 * The Gaussian rate–distortion bound for a data set: D(R) of a Gaussian source with the data's
 * covariance, by reverse water-filling over the covariance eigenvalues (Cover & Thomas, thm 10.3.3).
 *
 *   D(θ) = Σ_i min(θ, λ_i)                       (total squared error per vector, the loss of eq. 5)
 *   R(θ) = Σ_{i: λ_i > θ} ½ log2(λ_i / θ)        (bits per vector)
 *
 * What it is and is not: it is the smallest mean squared error any code of R bits per vector can
 * reach on Gaussian data with this covariance (the mean is free: it costs no bits). Among all
 * sources with a given covariance the Gaussian is the hardest to compress, so the data's own D(R)
 * lies at or below this curve; a quantizer may beat it on clustered (non-Gaussian) data. It is
 * drawn as a reference curve, never as a floor.
 */
import { Matrix } from '../core/matrix.js';
import { symmetricEigen } from '../core/pca.js';

export const RD_DEFINITION =
  'D(R) = distortion-rate function of a Gaussian source with the data covariance (reverse water-filling over its eigenvalues): ' +
  'the least mean ||x − x̂||² (summed over dimensions, as the loss) any code of R bits per vector reaches on such Gaussian data. ' +
  'The Gaussian is the hardest source for its covariance, so the data\'s own D(R) is at or below it; quantizers can go below it on clustered data.';

export interface RatePoint {
  /** Bits per vector. */
  bits: number;
  /** Total squared error per vector (sum over dimensions). */
  distortion: number;
  /** distortion / mean ||x||² (comparable with a quantizer's relativeLoss); null: not measured (no positive mean ||x||² known). */
  relativeDistortion: number | null;
  /** The water level θ. */
  waterLevel: number;
  /** Components with λ_i > θ (described with positive rate). */
  activeComponents: number;
}

export interface RateDistortionBound {
  dim: number;
  rows: number;
  /** Covariance eigenvalues, descending (negative round-off clipped to 0). */
  eigenvalues: number[];
  /** Σ λ_i = D(0): the error of x̂ = mean. */
  totalVariance: number;
  /** mean ||x||² of the rows (the denominator of relative loss). */
  meanNormSq: number;
  /** D(R) at the requested rates. */
  points: RatePoint[];
  /** D(R) on a grid of rates, for a curve. */
  curve: RatePoint[];
  definition: string;
}

/** R(θ) in bits. */
export function rateAt(eigenvalues: ArrayLike<number>, theta: number): number {
  let r = 0;
  for (let i = 0; i < eigenvalues.length; i++) if (eigenvalues[i] > theta) r += 0.5 * Math.log2(eigenvalues[i] / theta);
  return r;
}

/** D(θ). */
export function distortionAt(eigenvalues: ArrayLike<number>, theta: number): number {
  let d = 0;
  for (let i = 0; i < eigenvalues.length; i++) d += Math.min(theta, Math.max(0, eigenvalues[i]));
  return d;
}

/**
 * Reverse water-filling: the water level θ with R(θ) = bits, and D(θ). Exact up to float64: on each
 * interval between consecutive eigenvalues the active set is fixed, so θ is solved in closed form
 * (log2 θ = (Σ_active log2 λ_i − 2R) / |active|).
 */
export function reverseWaterFilling(eigenvalues: ArrayLike<number>, bits: number, meanNormSq?: number): RatePoint {
  if (!(bits >= 0)) throw new RangeError(`bits must be ≥ 0, got ${bits}`);
  // relative to mean ||x||² only when that is known and positive (all-zero rows: not measured, never NaN)
  const relative = (distortion: number) => (meanNormSq !== undefined && meanNormSq > 0 && Number.isFinite(meanNormSq) ? distortion / meanNormSq : null);
  const lam = Array.from(eigenvalues, (v) => Math.max(0, v)).filter((v) => v > 0).sort((a, b) => b - a);
  const total = lam.reduce((a, b) => a + b, 0);
  if (lam.length === 0 || bits === 0) {
    const theta = lam[0] ?? 0;
    return { bits, distortion: total, relativeDistortion: relative(total), waterLevel: theta, activeComponents: 0 };
  }
  // with the k largest active: θ_k = 2^((Σ_{i<k} log2 λ_i − 2R) / k); valid when λ_{k} ≤ θ_k < λ_{k−1}
  let sumLog = 0;
  for (let k = 1; k <= lam.length; k++) {
    sumLog += Math.log2(lam[k - 1]);
    const theta = 2 ** ((sumLog - 2 * bits) / k);
    const next = k < lam.length ? lam[k] : 0;
    if (theta >= next && theta < lam[k - 1]) {
      const distortion = distortionAt(lam, theta);
      return { bits, distortion, relativeDistortion: relative(distortion), waterLevel: theta, activeComponents: k };
    }
  }
  // unreachable for finite bits (k = all always qualifies since next = 0); keep the compiler happy
  const theta = 2 ** ((sumLog - 2 * bits) / lam.length);
  const distortion = distortionAt(lam, theta);
  return { bits, distortion, relativeDistortion: relative(distortion), waterLevel: theta, activeComponents: lam.length };
}

/** Covariance (about the mean, divided by n) in float64 and mean ||x||². */
export function covariance(x: Matrix): { cov: Float64Array; meanNormSq: number } {
  const { rows: n, dim: d, data } = x;
  if (n < 1) throw new RangeError('covariance of an empty matrix');
  const mean = new Float64Array(d);
  let normSq = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = data[i * d + j];
      mean[j] += v;
      normSq += v * v;
    }
  }
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) c[j] = data[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ca = c[a];
      if (ca === 0) continue;
      const o = a * d;
      for (let b = a; b < d; b++) cov[o + b] += ca * c[b];
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      cov[a * d + b] /= n;
      cov[b * d + a] = cov[a * d + b];
    }
  }
  return { cov, meanNormSq: normSq / n };
}

export interface CurveOptions {
  /** Rates of the curve, bits per vector; default: `curvePoints` log-spaced points from 1 to max(requested rates, 4·d). */
  curveBits?: number[];
  /** Default 40. */
  curvePoints?: number;
}

/** The bound for rows x at the given rates (bits per vector), plus a curve. */
export function gaussianRateDistortion(x: Matrix, bits: number[], opts: CurveOptions = {}): RateDistortionBound {
  const { cov, meanNormSq } = covariance(x);
  const { values } = symmetricEigen(cov, x.dim);
  const eigenvalues = Array.from(values, (v) => Math.max(0, v)).sort((a, b) => b - a);
  return boundFromEigenvalues(eigenvalues, meanNormSq, x.rows, bits, opts);
}

/** The bound from eigenvalues directly (tests, and data whose covariance is known). */
export function boundFromEigenvalues(eigenvalues: number[], meanNormSq: number, rows: number, bits: number[], opts: CurveOptions = {}): RateDistortionBound {
  const dim = eigenvalues.length;
  const maxBits = Math.max(4 * dim, ...bits);
  const curveBits = opts.curveBits ?? logGrid(1, maxBits, Math.max(2, opts.curvePoints ?? 40));
  const uniq = [...new Set(bits)].sort((a, b) => a - b);
  return {
    dim, rows, eigenvalues,
    totalVariance: eigenvalues.reduce((a, b) => a + b, 0),
    meanNormSq,
    points: uniq.map((b) => reverseWaterFilling(eigenvalues, b, meanNormSq)),
    curve: [0, ...curveBits].map((b) => reverseWaterFilling(eigenvalues, b, meanNormSq)),
    definition: RD_DEFINITION,
  };
}

function logGrid(from: number, to: number, points: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < points; i++) out.push(Number((from * (to / from) ** (i / (points - 1))).toPrecision(4)));
  return [...new Set(out)];
}
