/**
 * The codebook update shared by the refinement passes: for book m, with every other book's choice
 * fixed, the best codeword k is the weighted mean of what it has to reconstruct,
 * c_k = Σ w_i t_i / Σ w_i² over the vectors i that chose k, where t_i = x_i − Σ_{j≠m} w_ij C_j[code_ij]
 * on book m's coordinates. Codewords nobody chose are left as they are.
 */
import type { Matrix } from '../core/matrix.js';
import type { CodebookQuantizer } from './codebook-quantizer.js';
import type { Codes } from './types.js';

export function refineBook(q: CodebookQuantizer, x: Matrix, codes: Codes, m: number, unit: boolean): void {
  const { books, size } = q;
  const off = q.subOffset[m], sd = q.subDim[m], d = x.dim;
  const w = q.weightValues(codes);
  const acc = new Float64Array(size * sd);
  const den = new Float64Array(size);
  const t = new Float64Array(sd);
  for (let i = 0; i < codes.n; i++) {
    for (let j = 0; j < sd; j++) t[j] = x.data[i * d + off + j];
    for (let b = 0; b < books; b++) {
      if (b === m || q.subOffset[b] !== off) continue; // other books on the same coordinates
      const cb = q.codebooks[b];
      const s = w ? w[i * books + b] : 1;
      const src = codes.codes[i * books + b] * sd;
      for (let j = 0; j < sd; j++) t[j] -= s * cb[src + j];
    }
    const k = codes.codes[i * books + m];
    const s = w ? w[i * books + m] : 1;
    for (let j = 0; j < sd; j++) acc[k * sd + j] += s * t[j];
    den[k] += s * s;
  }
  const cb = q.codebooks[m];
  for (let k = 0; k < size; k++) {
    if (den[k] === 0) continue;
    let norm = 0;
    for (let j = 0; j < sd; j++) norm += acc[k * sd + j] * acc[k * sd + j];
    // a unit codebook keeps only the direction of the mean
    const scale = unit ? (norm > 0 ? 1 / Math.sqrt(norm) : 0) : 1 / den[k];
    if (scale === 0) continue;
    for (let j = 0; j < sd; j++) cb[k * sd + j] = acc[k * sd + j] * scale;
  }
}
