/**
 * Per-stage diagnostics of a multi-codebook quantizer (RVQ, WRVQ, AVQ): what each book adds, in
 * numbers, measured on held-out rows and their codes in one pass over the rows.
 *
 * For stage m (1-based) of a quantizer with books b_1 … b_B and codes k, weights w (1 unless the
 * quantizer stores weights), the partial reconstruction is x̂_m = Σ_{j ≤ m} w_j · C_j[k_j] and
 *
 *   loss          mean ||x − x̂_m||² (the quantizer's loss after m books; at m = B it is the loss
 *                 `quantizationLoss` gives, bit for bit: x̂_m is accumulated in float32 exactly as
 *                 `decode` does, and the squared errors summed in the same order)
 *   residualNorm  ||x − x̂_m|| over the rows: mean and the 10th, 50th and 90th percentiles
 *   cosine        mean over rows of cos(r_{m−1}, w_m C_m[k_m]): how well the added vector points
 *                 along what was left (WRVQ's 'paper' weight, the residual length, shrinks the
 *                 residual only when this cosine is above 1/2: ||r − ||r|| c||² = ||r||² (2 − 2 cos))
 *   perplexity    exp(entropy) of book m's code frequencies (= size when every codeword is used
 *                 equally often, 1 when one codeword takes all rows)
 *   dead          codewords of book m no held-out row chose
 *   weights       (quantizers that store weights) the stage's weights: min, max, mean and a
 *                 histogram of `bins` equal-width bins over [min, max]
 *
 * Diagnostics are about books that add up over the whole space; PQ (sub-spaces) and the
 * per-dimension quantizers (sq, binary) have no stages in this sense and are not given any.
 */
import { l2sq } from '../core/distance.js';
import type { Matrix } from '../core/matrix.js';
import type { CodebookQuantizer } from '../quant/codebook-quantizer.js';
import type { Codes } from '../quant/types.js';
import { quantileSorted } from './ann.js';

/** The quantizers whose books are stages (each spans the whole space, added in order). */
export const STAGED_METHODS: readonly string[] = ['rvq', 'wrvq', 'avq'];

export interface WeightHistogram {
  min: number;
  max: number;
  mean: number;
  /** Counts of `counts.length` equal-width bins over [min, max] (the last bin closed). */
  counts: number[];
}

export interface StageDiagnostics {
  /** 1-based stage (book) number. */
  stage: number;
  /** mean ||x − x̂_stage||² over the held-out rows. */
  loss: number;
  residualNorm: { mean: number; p10: number; p50: number; p90: number };
  /** Mean cosine between the residual before the stage and the vector the stage adds (rows where either is zero are left out; null if all are). */
  cosine: number | null;
  /** exp(entropy) of the book's code frequencies. */
  perplexity: number;
  /** Codewords no held-out row chose. */
  dead: number;
  /** Codewords in the book. */
  size: number;
  /** The stage's per-vector weights, when the quantizer stores them (WRVQ). */
  weights?: WeightHistogram;
}

export interface StageReport {
  /** Rows the diagnostics were measured on. */
  rows: number;
  stages: StageDiagnostics[];
}

/** exp(−Σ p log p) of the frequencies in `counts` (0 log 0 = 0); 0 when there are no counts. */
export function perplexity(counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total === 0) return 0;
  let h = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] > 0) {
      const p = counts[i] / total;
      h -= p * Math.log(p);
    }
  }
  return Math.exp(h);
}

/** min, max, mean and `bins` equal-width counts of `v` (all in one bin when min = max). */
export function histogram(v: ArrayLike<number>, bins = 16): WeightHistogram {
  const n = v.length;
  if (n === 0) return { min: 0, max: 0, mean: 0, counts: new Array<number>(bins).fill(0) };
  let min = Infinity, max = -Infinity, sum = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i];
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
  }
  const counts = new Array<number>(bins).fill(0);
  const width = (max - min) / bins;
  for (let i = 0; i < n; i++) counts[width > 0 ? Math.min(bins - 1, Math.floor((v[i] - min) / width)) : 0]++;
  return { min, max, mean: sum / n, counts };
}

/**
 * The diagnostics of every stage of `q` on rows `x` and their codes (`codes = q.encode(x)`).
 * One pass over the rows: each row's partial reconstruction is built book by book in a float32
 * buffer, as `decode` builds it.
 */
export function stageDiagnostics(q: CodebookQuantizer, x: Matrix, codes: Codes, opts: { bins?: number } = {}): StageReport {
  const { books, size } = q;
  const n = x.rows, d = x.dim;
  if (codes.n !== n || codes.books !== books) throw new RangeError(`stageDiagnostics: ${codes.n} × ${codes.books} codes for ${n} rows of a ${books}-book quantizer`);
  if (q.dim !== d) throw new RangeError(`stageDiagnostics: rows of dimension ${d} for a quantizer of dimension ${q.dim}`);
  const w = q.weightValues(codes);
  const xd = x.data, cc = codes.codes;
  const partial = new Float32Array(d);
  const errSum = new Float64Array(books);
  const norms = new Float64Array(books * n);
  const cosSum = new Float64Array(books), cosRows = new Float64Array(books);
  const counts = Array.from({ length: books }, () => new Float64Array(size));
  for (let i = 0; i < n; i++) {
    partial.fill(0);
    const xo = i * d;
    let prevSq = l2sq(xd, xo, partial, 0, d);
    for (let m = 0; m < books; m++) {
      const cb = q.codebooks[m], sd = q.subDim[m], off = q.subOffset[m];
      const k = cc[i * books + m];
      const s = w ? w[i * books + m] : 1;
      counts[m][k]++;
      // cos(r_{m−1}, s·c): r_{m−1} = x − x̂_{m−1} on the book's coordinates (the rest of the added vector is zero)
      let rc = 0, cc2 = 0;
      for (let j = 0; j < sd; j++) {
        const add = s * cb[k * sd + j];
        rc += (xd[xo + off + j] - partial[off + j]) * add;
        cc2 += add * add;
        partial[off + j] += add; // float32 store: the same rounding as decode's `o[dst + j] += s * cb[src + j]`
      }
      if (prevSq > 0 && cc2 > 0) {
        cosSum[m] += rc / Math.sqrt(prevSq * cc2);
        cosRows[m]++;
      }
      const e = l2sq(xd, xo, partial, 0, d);
      errSum[m] += e;
      norms[m * n + i] = Math.sqrt(e);
      prevSq = e;
    }
  }
  const stages: StageDiagnostics[] = [];
  const weightsOf = new Float64Array(n);
  for (let m = 0; m < books; m++) {
    const sorted = norms.subarray(m * n, (m + 1) * n).slice().sort();
    let normSum = 0;
    for (let i = 0; i < n; i++) normSum += sorted[i];
    let dead = 0;
    for (let k = 0; k < size; k++) if (counts[m][k] === 0) dead++;
    const st: StageDiagnostics = {
      stage: m + 1,
      loss: errSum[m] / n,
      residualNorm: n
        ? { mean: normSum / n, p10: quantileSorted(sorted, 0.1), p50: quantileSorted(sorted, 0.5), p90: quantileSorted(sorted, 0.9) }
        : { mean: 0, p10: 0, p50: 0, p90: 0 },
      cosine: cosRows[m] > 0 ? cosSum[m] / cosRows[m] : null,
      perplexity: perplexity(counts[m]),
      dead,
      size,
    };
    if (w) {
      for (let i = 0; i < n; i++) weightsOf[i] = w[i * books + m];
      st.weights = histogram(weightsOf, opts.bins ?? 16);
    }
    stages.push(st);
  }
  return { rows: n, stages };
}
