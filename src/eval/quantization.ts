/**
 * Quantization metrics. loss = mean over vectors of ||x − x̂||² (paper eq. 5); relativeLoss = loss
 * divided by mean ||x||²; bits per vector counts every stored bit; the paper's compression ratio
 * (eq. 6: d / n for PQ, RVQ, AVQ; eq. 9: d / (n·(16 + log2 s)) for WRVQ) is given beside the honest
 * ratio 32·d / bitsPerVector (float32 bits over stored bits).
 */
import type { Matrix } from '../core/matrix.js';
import { l2sq, dot } from '../core/distance.js';
import type { CodebookQuantizer } from '../quant/codebook-quantizer.js';
import { VqbenchError } from '../core/errors.js';

/**
 * Loss and relative loss of x̂ against x. Throws a VqbenchError (never returns NaN) when they are not
 * defined: no rows, or every row of x has zero norm (relative loss divides by mean ||x||²).
 */
export function quantizationLoss(x: Matrix, xhat: Matrix): { loss: number; relativeLoss: number; meanNormSq: number } {
  if (x.rows !== xhat.rows || x.dim !== xhat.dim) throw new RangeError('quantizationLoss: shapes differ');
  if (x.rows === 0) throw new VqbenchError('the quantization loss is not defined on 0 evaluation vectors: give at least one.');
  const d = x.dim;
  let err = 0, norm = 0;
  for (let i = 0; i < x.rows; i++) {
    err += l2sq(x.data, i * d, xhat.data, i * d, d);
    norm += dot(x.data, i * d, x.data, i * d, d);
  }
  const loss = err / x.rows, meanNormSq = norm / x.rows;
  if (!(meanNormSq > 0)) throw new VqbenchError(`the relative loss is not defined: all ${x.rows} evaluation vectors have zero norm.`);
  if (!Number.isFinite(loss) || !Number.isFinite(meanNormSq)) throw new VqbenchError(`the quantization loss is not finite (loss ${loss}, mean ||x||² ${meanNormSq}): the vectors or their reconstruction hold a NaN or infinity.`);
  return { loss, relativeLoss: loss / meanNormSq, meanNormSq };
}

/**
 * ||x_i − x̂_i||² of every row, in row order (the values `quantizationLoss` averages, summed the same
 * way, so their in-order mean is its loss; a bootstrap resamples them).
 */
export function rowSquaredErrors(x: Matrix, xhat: Matrix): Float64Array {
  if (x.rows !== xhat.rows || x.dim !== xhat.dim) throw new RangeError('rowSquaredErrors: shapes differ');
  const d = x.dim;
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) out[i] = l2sq(x.data, i * d, xhat.data, i * d, d);
  return out;
}

/** The paper's compression ratio, in the paper's own units (eqs. 6 and 9). */
export function paperCompressionRatio(q: CodebookQuantizer): number | null {
  if (!q.hasPaperRatio) return null;
  return q.storesWeights ? q.dim / (q.books * (16 + Math.log2(q.size))) : q.dim / q.books;
}

/** Float32 bits of a vector over the bits stored for it. */
export function honestCompressionRatio(q: CodebookQuantizer): number {
  return (32 * q.dim) / q.bitsPerVector;
}
