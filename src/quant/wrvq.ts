/**
 * Weight residual vector quantization (the WRVQ paper, eq. 8). Codebooks hold unit directions.
 * Each stage picks the codeword closest to the normalized residual (argmin ||u − c|| = argmax r·c
 * for unit c), and stores a per-vector weight W_i, so that x̂ = Σ_i W_i c_i. Two weight rules:
 *  - 'paper': W_i = ||r_{i−1}||, the residual length, as eq. 8 is written (W_i = d_0 Π_{j<i} d_j);
 *  - 'gain':  W_i = r_{i−1} · c_i, the optimal scale of the chosen unit codeword (its projection).
 * Weights are stored as fp16 and the residual passed on is computed with the rounded weight, so the
 * measured loss includes the rounding and errors do not compound. Codes: books × (log2 size + 16)
 * bits. Encoding is greedy, stage by stage.
 */
import { RATES, kmeansFlops } from '../core/cost.js';
import { Matrix, normalizeRows } from '../core/matrix.js';
import { kmeans } from '../core/kmeans.js';
import { nearest, nearestSync } from '../core/parallel.js';
import { fromHalf, toHalf } from '../core/fp16.js';
import { CodebookQuantizer, bookMatrix, emptyCodes } from './codebook-quantizer.js';
import { refineBook } from './refine.js';
import { runTrainer } from './trainers/run.js';
import type { Codes, QuantizerState, TrainOptions, TrainReport } from './types.js';
import { defineQuantizer } from './descriptor.js';
import { BOOKS, SIZE } from './shared-params.js';

export type WeightRule = 'paper' | 'gain';
export const WEIGHT_RULES: readonly WeightRule[] = ['paper', 'gain'];

export class WeightedResidualQuantizer extends CodebookQuantizer {
  readonly name = 'wrvq';

  constructor(books = 4, size = 256, readonly weightRule: WeightRule = 'paper') {
    super(books, size, true);
    if (!WEIGHT_RULES.includes(weightRule)) throw new RangeError(`unknown weight rule '${weightRule}'`);
  }

  get label(): string {
    return `wrvq(books=${this.books},size=${this.size},weights=${this.weightRule})`;
  }

  train(x: Matrix, opts: TrainOptions = {}): Promise<TrainReport> {
    return runTrainer(this, x, opts, async (notes) => {
      this.dim = x.dim;
      this.subOffset = new Array(this.books).fill(0);
      this.subDim = new Array(this.books).fill(x.dim);
      this.codebooks = [];
      const iters = opts.kmeansIters ?? 25;
      const r = x.clone();
      const w = new Uint16Array(x.rows);
      for (let m = 0; m < this.books; m++) {
        // spherical k-means on the normalized residuals: the codebook learns directions only
        const u = normalizeRows(r.clone());
        const km = await kmeans(u, {
          k: this.size, iters, seed: (opts.seed ?? 1234) + m, spherical: true,
          onProgress: (i) => opts.onProgress?.(m * iters + i, this.books * iters, `k-means stage ${m + 1}/${this.books}`),
        });
        this.codebooks.push(km.centroids.data);
        if (km.splits) notes.push(`stage ${m}: ${km.splits} empty clusters split`);
        if (m + 1 < this.books) {
          const { ids, dists } = await nearest(r, bookMatrix(this, m), 'ip');
          this.applyStage(r, m, ids, dists, new Uint16Array(x.rows), w, 0, 1);
        }
      }
    });
  }

  /**
   * Stage m on residuals r (updated in place), given each row's best codeword and its dot product
   * with it: writes the code and fp16 weight of row i at codes[i·stride + offset] and
   * weights[i·stride + offset], and subtracts the weighted codeword.
   */
  private applyStage(
    r: Matrix, m: number, ids: Int32Array, dots: Float32Array,
    codes: Uint16Array, weights: Uint16Array, offset: number, stride: number,
  ): void {
    const d = r.dim, rd = r.data, cd = this.codebooks[m];
    const paper = this.weightRule === 'paper';
    for (let i = 0; i < r.rows; i++) {
      let wv: number;
      if (paper) {
        let s = 0;
        for (let j = i * d, e = j + d; j < e; j++) s += rd[j] * rd[j];
        wv = Math.sqrt(s);
      } else {
        wv = dots[i];
      }
      const h = toHalf(wv);
      const wr = fromHalf(h);
      const k = ids[i];
      codes[i * stride + offset] = k;
      weights[i * stride + offset] = h;
      for (let j = 0; j < d; j++) rd[i * d + j] -= wr * cd[k * d + j];
    }
  }

  encode(x: Matrix): Codes {
    this.assertTrained();
    const codes = emptyCodes(x.rows, this.books, true);
    const r = x.clone();
    for (let m = 0; m < this.books; m++) {
      const { ids, dists } = nearestSync(r, bookMatrix(this, m), 'ip');
      this.applyStage(r, m, ids, dists, codes.codes, codes.weights!, m, this.books);
    }
    return codes;
  }

  refine(x: Matrix, codes: Codes): void {
    for (let m = 0; m < this.books; m++) refineBook(this, x, codes, m, true);
  }

  /** Codewords stay unit directions after a gradient step. */
  override project(): void {
    for (const cb of this.codebooks) normalizeRows(new Matrix(cb, this.size, this.dim));
  }

  override get config(): Record<string, unknown> {
    return { ...super.config, weights: this.weightRule };
  }

  static fromJSON(s: QuantizerState): WeightedResidualQuantizer {
    return new WeightedResidualQuantizer(s.params.books as number, s.params.size as number, (s.params.weights as WeightRule) ?? 'paper').restoreState(s);
  }
}

export const descriptor = defineQuantizer({
  id: 'wrvq',
  describe: 'weight residual vector quantization (paper eq. 8), fp16 weights (books from 1 to 64, size from 2 to 65536, weights paper or gain)',
  params: {
    books: BOOKS,
    size: SIZE,
    weights: {
      default: 'paper', choices: WEIGHT_RULES,
      describe: "weight rule: 'paper' (the residual length, eq. 8 as written) or 'gain' (the projection on the codeword, the optimal scale). Default 'paper'; same bits, 'gain' has lower loss",
    },
  },
  create: (p) => new WeightedResidualQuantizer(p.books, p.size, p.weights as WeightRule),
  fromJSON: (s) => WeightedResidualQuantizer.fromJSON(s),
  cost: (p, w) => {
    const { books: b, size: s } = p, d = w.shape.dim, n = w.trainRows;
    const flops = b * kmeansFlops(n, s, d) + 2 * (n + w.evalRows) * s * d * b;
    return (w.trainer === 'adam' ? 6 : 1) * flops / RATES.kernelFlops;
  },
});
