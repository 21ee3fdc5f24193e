/**
 * Residual vector quantization: x ≈ c_1 + … + c_n, stage i quantizing what stages before it left.
 * Training (the paper's L) is faiss's progressive scheme: stage i runs k-means on the residuals of
 * every kept beam entry (progressive-dimension k-means by default, as faiss's Train_progressive_dim),
 * then the beam advances one stage. Encoding is beam search (`beam`, 5 by
 * default as faiss's max_beam_size; 1 = greedy). Codes: books × log2(size) bits.
 */
import { RATES, kmeansFlops } from '../core/cost.js';
import { Matrix } from '../core/matrix.js';
import { kmeans, progressiveKmeans } from '../core/kmeans.js';
import { CodebookQuantizer, bookMatrix } from './codebook-quantizer.js';
import { beamEncode, beamInit, beamResiduals, beamStep } from './beam.js';
import { refineBook } from './refine.js';
import { runTrainer } from './trainers/run.js';
import type { Codes, QuantizerState, TrainOptions, TrainReport } from './types.js';
import { defineQuantizer } from './descriptor.js';
import { BOOKS, SIZE } from './shared-params.js';

export class ResidualQuantizer extends CodebookQuantizer {
  readonly name = 'rvq';

  constructor(books = 4, size = 256, readonly beam = 5, readonly progressive = true) {
    super(books, size, false);
    if (!Number.isInteger(beam) || beam < 1) throw new RangeError(`beam must be a positive integer, got ${beam}`);
  }

  get label(): string {
    return `rvq(books=${this.books},size=${this.size},beam=${this.beam})`;
  }

  train(x: Matrix, opts: TrainOptions = {}): Promise<TrainReport> {
    return runTrainer(this, x, opts, async (notes) => {
      this.dim = x.dim;
      this.subOffset = new Array(this.books).fill(0);
      this.subDim = new Array(this.books).fill(x.dim);
      this.codebooks = [];
      // faiss's RQ: 10 iterations per progressive step; plain k-means: 25 (faiss's Clustering default)
      const iters = opts.kmeansIters ?? (this.progressive ? 10 : 25);
      let state = beamInit(x);
      for (let m = 0; m < this.books; m++) {
        const kmOpts = {
          k: this.size, iters, seed: (opts.seed ?? 1234) + m,
          onProgress: (i: number, t: number) => opts.onProgress?.(m * t + i, this.books * t, `k-means stage ${m + 1}/${this.books}`),
        };
        const r = this.progressive ? await progressiveKmeans(beamResiduals(state), kmOpts) : await kmeans(beamResiduals(state), kmOpts);
        this.codebooks.push(r.centroids.data);
        if (r.splits) notes.push(`stage ${m}: ${r.splits} empty clusters split`);
        if (m + 1 < this.books) state = await beamStep(state, r.centroids, this.beam);
      }
      if (this.progressive) notes.push(`rvq: progressive-dimension k-means per stage (faiss Train_progressive_dim, 10 steps × ${iters} iterations)`);
    });
  }

  encode(x: Matrix): Codes {
    this.assertTrained();
    const books = Array.from({ length: this.books }, (_, m) => bookMatrix(this, m));
    return { n: x.rows, books: this.books, codes: beamEncode(x, books, this.beam) };
  }

  refine(x: Matrix, codes: Codes): void {
    for (let m = 0; m < this.books; m++) refineBook(this, x, codes, m, false);
  }

  override get config(): Record<string, unknown> {
    return { ...super.config, beam: this.beam, progressive: this.progressive };
  }

  static fromJSON(s: QuantizerState): ResidualQuantizer {
    return new ResidualQuantizer(s.params.books as number, s.params.size as number, (s.params.beam as number) ?? 5, (s.params.progressive as boolean) ?? true).restoreState(s);
  }
}

export const descriptor = defineQuantizer({
  id: 'rvq',
  describe: 'residual vector quantization, beam-search encoding (books from 1 to 64, size from 2 to 65536, beam from 1 to 64)',
  params: {
    books: BOOKS,
    size: SIZE,
    beam: {
      default: 5, min: 1, max: 64,
      describe: 'beam width of training and encoding. Default 5 (faiss max_beam_size); 1 = greedy; wider = lower loss, time grows linearly',
    },
  },
  create: (p) => new ResidualQuantizer(p.books, p.size, p.beam),
  fromJSON: (s) => ResidualQuantizer.fromJSON(s),
  cost: (p, w) => {
    const { books: b, size: s, beam } = p, d = w.shape.dim, n = w.trainRows;
    const flops = b * (kmeansFlops(n, s, d) + 2 * n * s * d * beam) + 2 * w.evalRows * s * d * b * beam;
    return (w.trainer === 'adam' ? 6 : 1) * flops / RATES.kernelFlops;
  },
});
