/**
 * Weight residual vector quantization (the WRVQ paper, eq. 8). Codebooks hold unit directions.
 * Each stage picks the codeword closest to the normalized residual (argmin ||u − c|| = argmax r·c
 * for unit c), and stores a per-vector weight W_i, so that x̂ = Σ_i W_i c_i. Two weight rules:
 *  - 'paper': W_i = ||r_{i−1}||, the residual length, as eq. 8 is written (W_i = d_0 Π_{j<i} d_j);
 *  - 'gain':  W_i = r_{i−1} · c_i, the optimal scale of the chosen unit codeword (its projection).
 * Weights are stored as fp16 and the residual passed on is computed with the rounded weight, so the
 * measured loss includes the rounding and errors do not compound. Codes: books × (log2 size + 16)
 * bits. Encoding is greedy, stage by stage.
 *
 * Beyond the paper (ours): `weightBits` 8 or 4 stores each weight as the index of one of 2^bits
 * levels learned per stage on the training rows' weights (a Lloyd–Max scalar quantizer, i.e. 1-d
 * k-means started at the quantiles; the levels are fp16 values, so the Codes keep carrying fp16
 * patterns and every decoder and scan reads them unchanged). The level error is what enters the loss
 * (unit codewords: a weight off by δ leaves δ² more to the later stages), which is the squared error
 * Lloyd–Max minimizes; a log-scale grid would minimize relative error instead. bitsPerVector is then
 * books × (log2 size + weightBits); the per-stage level tables (2^bits values per stage) are part of
 * the model, like the codebooks, and not counted per vector.
 */
import { RATES, kmeansFlops } from '../core/cost.js';
import { InputError } from '../core/errors.js';
import { Matrix, normalizeRows } from '../core/matrix.js';
import { kmeans } from '../core/kmeans.js';
import { nearest, nearestSync } from '../core/parallel.js';
import { fromHalf, toHalf } from '../core/fp16.js';
import { CodebookQuantizer, bookMatrix, emptyCodes } from './codebook-quantizer.js';
import { refineBook } from './refine.js';
import { runTrainer } from './trainers/run.js';
import type { CodeLayout, Codes, QuantizerState, TrainOptions, TrainReport } from './types.js';
import { defineQuantizer } from './descriptor.js';
import { BOOKS, SIZE } from './shared-params.js';

export type WeightRule = 'paper' | 'gain';
export const WEIGHT_RULES: readonly WeightRule[] = ['paper', 'gain'];
/** Bits of one stored weight: 16 = fp16 (the paper), 8 or 4 = an index into the stage's learned levels (ours). */
export const WEIGHT_BITS: readonly number[] = [16, 8, 4];

export class WeightedResidualQuantizer extends CodebookQuantizer {
  readonly name = 'wrvq';

  /** Per stage, the sorted fp16-exact levels a weight is coded to (weightBits < 16); empty for fp16. */
  weightLevels: Float32Array[] = [];

  constructor(books = 4, size = 256, readonly weightRule: WeightRule = 'paper', readonly weightBits = 16) {
    super(books, size, true);
    if (!WEIGHT_RULES.includes(weightRule)) throw new RangeError(`unknown weight rule '${weightRule}'`);
    if (!WEIGHT_BITS.includes(weightBits)) throw new RangeError(`weightBits must be one of ${WEIGHT_BITS.join(', ')}, got ${weightBits}`);
  }

  get label(): string {
    return `wrvq(books=${this.books},size=${this.size},weights=${this.weightRule}${this.weightBits === 16 ? '' : `,weightBits=${this.weightBits}`})`;
  }

  /** Code indices and the weights at weightBits each. */
  override get bitsPerVector(): number {
    return this.books * (this.indexBits + this.weightBits);
  }

  override get codeLayout(): CodeLayout {
    const w = this.weightBits === 16 ? 'fp16' : `${this.weightBits}-bit`;
    return { codes: this.books, size: this.size, extraBits: this.books * this.weightBits, describe: `${this.books} × ${this.indexBits}-bit codes + ${this.books} ${w} weights` };
  }

  train(x: Matrix, opts: TrainOptions = {}): Promise<TrainReport> {
    return runTrainer(this, x, opts, async (notes) => {
      this.dim = x.dim;
      this.subOffset = new Array(this.books).fill(0);
      this.subDim = new Array(this.books).fill(x.dim);
      this.codebooks = [];
      const iters = opts.kmeansIters ?? 25;
      this.weightLevels = [];
      const quantized = this.weightBits < 16;
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
        if (m + 1 < this.books || quantized) {
          const { ids, dists } = await nearest(r, bookMatrix(this, m), 'ip');
          if (quantized) this.weightLevels.push(lloydMax(this.rawWeights(r, dists), 2 ** this.weightBits));
          if (m + 1 < this.books) this.applyStage(r, m, ids, dists, new Uint16Array(x.rows), w, 0, 1);
        }
      }
      if (quantized) notes.push(`wrvq: weights in ${this.weightBits} bits, ${2 ** this.weightBits} levels per stage learned on the training rows (Lloyd–Max; ours, not the paper's)`);
    });
  }

  /** Each row's unrounded weight at this stage: ||r|| ('paper') or r·c ('gain'). */
  private rawWeights(r: Matrix, dots: Float32Array): Float64Array {
    const out = new Float64Array(r.rows);
    for (let i = 0; i < r.rows; i++) out[i] = this.weightRule === 'paper' ? rowNorm(r.data, i * r.dim, r.dim) : dots[i];
    return out;
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
    const levels = this.weightBits < 16 ? this.weightLevels[m] : null;
    for (let i = 0; i < r.rows; i++) {
      const wv = paper ? rowNorm(rd, i * d, d) : dots[i];
      const h = toHalf(levels ? levels[nearestLevel(levels, wv)] : wv);
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
    return { ...super.config, weights: this.weightRule, ...(this.weightBits !== 16 && { weightBits: this.weightBits }) };
  }

  override toJSON(): QuantizerState {
    const s = super.toJSON();
    if (this.weightBits < 16) s.extra = { ...s.extra, weightLevels: this.weightLevels.map((l) => Array.from(l)) };
    return s;
  }

  static fromJSON(s: QuantizerState): WeightedResidualQuantizer {
    const q = new WeightedResidualQuantizer(s.params.books as number, s.params.size as number, (s.params.weights as WeightRule) ?? 'paper', (s.params.weightBits as number | undefined) ?? 16).restoreState(s);
    q.weightLevels = ((s.extra?.weightLevels as number[][] | undefined) ?? []).map((l) => Float32Array.from(l));
    return q;
  }
}

function rowNorm(a: Float32Array, o: number, d: number): number {
  let s = 0;
  for (let j = o, e = o + d; j < e; j++) s += a[j] * a[j];
  return Math.sqrt(s);
}

/** The index of the level nearest to v in ascending `levels` (the lower one on a tie). */
export function nearestLevel(levels: Float32Array, v: number): number {
  let lo = 0, hi = levels.length - 1;
  if (!(v > levels[0])) return 0;
  if (v >= levels[hi]) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (levels[mid] <= v) lo = mid;
    else hi = mid;
  }
  return v - levels[lo] <= levels[hi] - v ? lo : hi;
}

/**
 * A scalar quantizer of `values` with `count` levels minimizing the mean squared error (Lloyd–Max:
 * 1-d k-means, started at the quantiles), each level then rounded to fp16 so that it is stored exactly.
 * Ascending; a level no value is nearest to keeps its place.
 */
export function lloydMax(values: Float64Array, count: number, iters = 50): Float32Array {
  const v = values.slice().sort();
  const n = v.length;
  const lv = new Float64Array(count);
  if (n === 0) return new Float32Array(count);
  for (let k = 0; k < count; k++) lv[k] = v[Math.min(n - 1, Math.floor(((k + 0.5) / count) * n))];
  const sum = new Float64Array(count), cnt = new Float64Array(count);
  for (let it = 0; it < iters; it++) {
    sum.fill(0);
    cnt.fill(0);
    // the values are sorted, so the cells are consecutive runs: one sweep with a moving boundary
    let k = 0;
    for (let i = 0; i < n; i++) {
      while (k + 1 < count && v[i] > (lv[k] + lv[k + 1]) / 2) k++;
      sum[k] += v[i];
      cnt[k]++;
    }
    let moved = false;
    for (let c = 0; c < count; c++) {
      if (cnt[c] === 0) continue;
      const m = sum[c] / cnt[c];
      if (m !== lv[c]) { lv[c] = m; moved = true; }
    }
    if (!moved) break;
  }
  const out = Float32Array.from(lv, (x) => fromHalf(toHalf(x)));
  return out.sort();
}

export const descriptor = defineQuantizer({
  id: 'wrvq',
  describe: 'weight residual vector quantization (paper eq. 8), fp16 weights, or 8/4-bit weights with weightBits (ours) (books from 1 to 64, size from 2 to 65536, weights paper or gain)',
  params: {
    books: BOOKS,
    size: SIZE,
    weights: {
      default: 'paper', choices: WEIGHT_RULES,
      describe: "weight rule: 'paper' (the residual length, eq. 8 as written) or 'gain' (the projection on the codeword, the optimal scale). Default 'paper'; same bits, 'gain' has lower loss",
    },
    weightBits: {
      default: 16, min: 4, max: 16,
      describe: "bits per stored weight: 16 (fp16, the paper's; default), 8 or 4 (ours, not the paper's: an index into 2^bits levels per stage learned on the training rows); fewer bits per vector, a little more loss",
    },
  },
  create: (p) => {
    const bits = p.weightBits;
    if (!WEIGHT_BITS.includes(bits)) throw new InputError(`--weight-bits: wrvq parameter 'weightBits' must be 16 (fp16, the paper's), 8 or 4, got ${bits}.`);
    return new WeightedResidualQuantizer(p.books, p.size, p.weights as WeightRule, bits);
  },
  fromJSON: (s) => WeightedResidualQuantizer.fromJSON(s),
  cost: (p, w) => {
    const { books: b, size: s } = p, d = w.shape.dim, n = w.trainRows;
    const flops = b * kmeansFlops(n, s, d) + 2 * (n + w.evalRows) * s * d * b;
    return (w.trainer === 'adam' ? 6 : 1) * flops / RATES.kernelFlops;
  },
});
