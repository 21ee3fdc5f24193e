/**
 * Product quantization (Jégou et al. 2011): the space is cut into `books` sub-spaces (as equal as
 * possible: when d is not a multiple of books, the first d mod books sub-spaces get one extra
 * coordinate; faiss instead requires d divisible by M), each with its own k-means codebook of
 * `size` centroids. Codes: books × log2(size) bits.
 */
import { RATES, kmeansFlops } from '../core/cost.js';
import { Matrix } from '../core/matrix.js';
import { kmeans } from '../core/kmeans.js';
import { SIZE_AS_NBITS } from '../core/params.js';
import { nearestSync } from '../core/parallel.js';
import { CodebookQuantizer, bookMatrix, emptyCodes, subColumns } from './codebook-quantizer.js';
import { refineBook } from './refine.js';
import { runTrainer } from './trainers/run.js';
import type { Codes, QuantizerState, TrainOptions, TrainReport } from './types.js';
import { defineQuantizer } from './descriptor.js';

export class ProductQuantizer extends CodebookQuantizer {
  readonly name = 'pq';

  constructor(books = 4, size = 256) {
    super(books, size, false);
  }

  get label(): string {
    return `pq(m=${this.books},size=${this.size})`;
  }

  train(x: Matrix, opts: TrainOptions = {}): Promise<TrainReport> {
    return runTrainer(this, x, opts, async (notes) => {
      if (x.dim < this.books) throw new RangeError(`pq: ${this.books} sub-spaces need at least ${this.books} dimensions, got ${x.dim}`);
      this.dim = x.dim;
      const base = Math.floor(x.dim / this.books), extra = x.dim % this.books;
      this.subDim = Array.from({ length: this.books }, (_, m) => base + (m < extra ? 1 : 0));
      this.subOffset = this.subDim.map((_, m) => this.subDim.slice(0, m).reduce((a, b) => a + b, 0));
      if (extra) notes.push(`d = ${x.dim} is not a multiple of ${this.books}: sub-spaces of ${base + 1} and ${base} dimensions`);
      this.codebooks = [];
      const iters = opts.kmeansIters ?? 25;
      for (let m = 0; m < this.books; m++) {
        const sub = subColumns(x, this.subOffset[m], this.subDim[m]);
        const r = await kmeans(sub, {
          k: this.size, iters, seed: (opts.seed ?? 1234) + m,
          onProgress: (i) => opts.onProgress?.(m * iters + i, this.books * iters, `k-means book ${m + 1}/${this.books}`),
        });
        this.codebooks.push(r.centroids.data);
        if (r.splits) notes.push(`book ${m}: ${r.splits} empty clusters split`);
      }
    });
  }

  encode(x: Matrix): Codes {
    this.assertTrained();
    const codes = emptyCodes(x.rows, this.books, false);
    for (let m = 0; m < this.books; m++) {
      const { ids } = nearestSync(subColumns(x, this.subOffset[m], this.subDim[m]), bookMatrix(this, m));
      for (let i = 0; i < x.rows; i++) codes.codes[i * this.books + m] = ids[i];
    }
    return codes;
  }

  refine(x: Matrix, codes: Codes): void {
    for (let m = 0; m < this.books; m++) refineBook(this, x, codes, m, false);
  }

  static fromJSON(s: QuantizerState): ProductQuantizer {
    return new ProductQuantizer(s.params.books as number, s.params.size as number).restoreState(s);
  }
}

/**
 * PQ in faiss's vocabulary (`IndexPQ(d, M, nbits)`): `m` sub-spaces of 2^nbits codewords each. The
 * other quantizers' `books` / `size` are accepted as aliases (size must be a power of two).
 */
export const descriptor = defineQuantizer({
  id: 'pq',
  describe: 'product quantization: one k-means codebook of 2^nbits codewords per sub-space (m from 1 to 256, at most the dimension; nbits from 1 to 16)',
  params: {
    m: {
      default: 4, min: 1, max: 256, aliases: ['books'],
      describe: 'sub-spaces, one code each (faiss M). Default 4, the paper\'s setting; more = finer codes, more bits, and each sub-space gets fewer dimensions',
    },
    nbits: {
      default: 8, min: 1, max: 16, aliases: [SIZE_AS_NBITS],
      describe: 'bits per code: 2^nbits codewords per sub-space. Default 8 (256 codewords, one byte); +1 bit doubles the k-means work',
    },
  },
  create: (p) => new ProductQuantizer(p.m, 2 ** p.nbits),
  fromJSON: (s) => ProductQuantizer.fromJSON(s),
  cost: (p, w) => {
    const d = w.shape.dim, s = 2 ** p.nbits;
    const flops = p.m * kmeansFlops(w.trainRows, s, d / p.m) + 2 * w.evalRows * s * d;
    return (w.trainer === 'adam' ? 6 : 1) * flops / RATES.kernelFlops;
  },
});
