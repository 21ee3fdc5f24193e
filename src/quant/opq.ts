/**
 * Optimized product quantization (Ge et al. 2013, the non-parametric form; faiss's OPQMatrix is the
 * reference): an orthogonal d × d rotation R learned so that PQ on y = R x loses less, then PQ on
 * the rotated rows. Codes: m × nbits bits, as PQ (the rotation is shared, like the codebooks).
 *
 * Training, as faiss's OPQMatrix::train: at most 65,536 training rows (a seeded sample), centred;
 * R starts as a seeded random rotation; each of `iterations` rounds (faiss niter = 50)
 *   1. projects Y = X Rᵀ,
 *   2. trains the PQ of the round on Y (k-means per sub-space: 40 Lloyd iterations in the first
 *      round, then 4 starting from the previous round's centroids: faiss's niter_pq_0, niter_pq and
 *      hot start; at most 1,000 rows per centroid), encodes and decodes Y into Ŷ,
 *   3. solves the orthogonal Procrustes problem min ||X Rᵀ − Ŷ||² over orthogonal R: R is the
 *      orthogonal polar factor of Ŷᵀ X (faiss: U Vᵀ of its SVD).
 * Then the final PQ (`ProductQuantizer`, the chosen trainer, kmeans or adam) is trained on the
 * rotated, uncentred training rows, as faiss's IndexPreTransform trains the IndexPQ behind it.
 * Encoding rotates then encodes; decoding decodes then applies Rᵀ.
 *
 * Sub-spaces are as `pq`'s: when d is not a multiple of m the first d mod m get one more coordinate
 * (faiss requires d divisible by M); m must not exceed d.
 */
import { RATES, kmeansFlops } from '../core/cost.js';
import { innerProducts } from '../core/distance.js';
import { InputError } from '../core/errors.js';
import { kmeans } from '../core/kmeans.js';
import { Matrix } from '../core/matrix.js';
import { nearest, nearestSync } from '../core/parallel.js';
import { Rng } from '../core/rng.js';
import { centred, columnMeans, orthogonalityError, polarFactor, randomRotation, rotateRows, transpose } from './rotation.js';
import { CodebookQuantizer, bookMatrix, emptyCodes, subColumns } from './codebook-quantizer.js';
import { defineQuantizer } from './descriptor.js';
import { ProductQuantizer, descriptor as pqDescriptor } from './pq.js';
import { refineBook } from './refine.js';
import { TRAINERS } from './trainers/run.js';
import type { Codes, QuantizerState, TrainOptions, TrainReport } from './types.js';

/** faiss OPQMatrix: max_train_points, niter_pq_0, niter_pq, and the PQ's max_points_per_centroid. */
export const OPQ_MAX_TRAIN_ROWS = 65536;
export const OPQ_FIRST_PQ_ITERS = 40;
export const OPQ_PQ_ITERS = 4;
const OPQ_POINTS_PER_CENTROID = 1000;

export class OptimizedProductQuantizer extends CodebookQuantizer {
  readonly name = 'opq';
  /** R (d × d, row-major, float64): y = R x, x̂ = Rᵀ ŷ. Null before training (the identity). */
  rotation: Float64Array | null = null;
  /** R and Rᵀ as float32, for the inner-product kernel. */
  private r32: Float32Array | null = null;
  private rt32: Float32Array | null = null;
  /** The PQ loss per training row at the first and the last round (in the rotated space, centred rows). */
  objective: { first: number; last: number } | null = null;

  constructor(books = 4, size = 256, readonly iterations = 50) {
    super(books, size, false);
  }

  get label(): string {
    return `opq(m=${this.books},size=${this.size},iterations=${this.iterations})`;
  }

  override get config(): Record<string, unknown> {
    return { books: this.books, size: this.size, iterations: this.iterations };
  }

  async train(x: Matrix, opts: TrainOptions = {}): Promise<TrainReport> {
    const t0 = performance.now();
    if (x.dim < this.books) throw new InputError(`--m ${this.books}: opq needs at most one sub-space per dimension, and the data has ${x.dim} dimensions.`);
    if (x.rows < this.size) throw new InputError(`--nbits ${Math.log2(this.size)} (size ${this.size}) needs at least ${this.size} training rows, one per codeword, more than the ${x.rows} given.`);
    const trainer = opts.trainer ?? 'kmeans';
    if (!TRAINERS.includes(trainer)) throw new InputError(`unknown trainer '${trainer}'; use one of: ${TRAINERS.join(', ')}.`);
    const seed = opts.seed ?? 1234, d = x.dim;
    const notes: string[] = [];
    this.dim = d;
    const base = Math.floor(d / this.books), extra = d % this.books;
    this.subDim = Array.from({ length: this.books }, (_, m) => base + (m < extra ? 1 : 0));
    this.subOffset = this.subDim.map((_, m) => this.subDim.slice(0, m).reduce((a, b) => a + b, 0));

    // the rotation, on a centred sample
    const sample = x.rows > OPQ_MAX_TRAIN_ROWS ? x.selectRows(new Rng(seed).sample(x.rows, OPQ_MAX_TRAIN_ROWS)) : x;
    if (sample !== x) notes.push(`OPQ rotation learned on a seeded sample of ${OPQ_MAX_TRAIN_ROWS} of the ${x.rows} training rows`);
    const xc = centredMatrix(sample);
    this.setRotation(randomRotation(d, seed));
    const n = xc.rows, xcT = transpose(xc.data, n, d);
    let centroids: Matrix[] | null = null;
    let first = NaN, last = NaN;
    for (let it = 0; it < this.iterations; it++) {
      const y = this.rotate(xc);
      const iters = it === 0 ? OPQ_FIRST_PQ_ITERS : OPQ_PQ_ITERS;
      const next: Matrix[] = [];
      const yhat = Matrix.zeros(n, d);
      let err = 0;
      for (let m = 0; m < this.books; m++) {
        const off = this.subOffset[m], sd = this.subDim[m];
        const sub = subColumns(y, off, sd);
        const r = await kmeans(sub, {
          k: this.size, iters, seed: seed + 7919 * it + m, maxPointsPerCentroid: OPQ_POINTS_PER_CENTROID,
          init: centroids ? centroids[m] : 'random',
        });
        next.push(r.centroids);
        const { ids, dists } = await nearest(sub, r.centroids);
        const c = r.centroids.data;
        for (let i = 0; i < n; i++) {
          yhat.data.set(c.subarray(ids[i] * sd, (ids[i] + 1) * sd), i * d + off);
          err += Math.max(0, dists[i]);
        }
      }
      centroids = next;
      err /= n;
      if (it === 0) first = err;
      last = err;
      opts.onProgress?.(it + 1, this.iterations + 1, `OPQ rotation, round ${it + 1}/${this.iterations}`);
      // Procrustes: R maximising tr(Rᵀ C), C = Ŷᵀ X (d × d): rows of Ŷᵀ against rows of Xᵀ
      const c = new Float32Array(d * d);
      innerProducts(transpose(yhat.data, n, d), 0, d, xcT, 0, d, n, c, d);
      this.setRotation(procrustes(Float64Array.from(c), d, this.rotation!));
    }
    this.objective = this.iterations > 0 ? { first, last } : null;
    if (this.objective) notes.push(`OPQ: ${this.iterations} rounds, PQ loss per centred training row ${first.toPrecision(6)} → ${last.toPrecision(6)} (before the last rotation update)`);
    else notes.push('OPQ: 0 rounds, a seeded random rotation before PQ');

    // the final PQ on the rotated (uncentred) rows, with the chosen trainer
    const pq = new ProductQuantizer(this.books, this.size);
    const report = await pq.train(this.rotate(x), {
      ...opts,
      onProgress: opts.onProgress && ((i, total, what) => opts.onProgress!(i, total, `final PQ: ${what ?? ''}`)),
    });
    this.codebooks = pq.codebooks;
    notes.push(...report.notes);
    return { seconds: (performance.now() - t0) / 1000, notes };
  }

  private setRotation(r: Float64Array | null): void {
    this.rotation = r;
    this.r32 = r ? Float32Array.from(r) : null;
    this.rt32 = r ? transpose(this.r32!, this.dim, this.dim) : null;
  }

  /** X Rᵀ (rows y = R x); x itself before training. */
  rotate(x: Matrix): Matrix {
    if (!this.r32) return x;
    return new Matrix(rotateRows(x.data, x.rows, this.dim, this.r32), x.rows, this.dim);
  }

  encode(x: Matrix): Codes {
    this.assertTrained();
    const y = this.rotate(x);
    const codes = emptyCodes(x.rows, this.books, false);
    for (let m = 0; m < this.books; m++) {
      const { ids } = nearestSync(subColumns(y, this.subOffset[m], this.subDim[m]), bookMatrix(this, m));
      for (let i = 0; i < x.rows; i++) codes.codes[i * this.books + m] = ids[i];
    }
    return codes;
  }

  /** PQ's decoding in the rotated space, then Rᵀ: x̂ = Rᵀ ŷ. */
  override decode(codes: Codes): Matrix {
    const y = super.decode(codes);
    if (!this.rt32) return y;
    return new Matrix(rotateRows(y.data, codes.n, this.dim, this.rt32), codes.n, this.dim);
  }

  /** The k-means codebook update, in the rotated space (x given in the original one). */
  refine(x: Matrix, codes: Codes): void {
    const y = this.rotate(x);
    for (let m = 0; m < this.books; m++) refineBook(this, y, codes, m, false);
  }

  override toJSON(): QuantizerState {
    const s = super.toJSON();
    return { ...s, extra: { ...s.extra, rotation: this.rotation ? Array.from(this.rotation) : null } };
  }

  static fromJSON(s: QuantizerState): OptimizedProductQuantizer {
    const q = new OptimizedProductQuantizer(s.params.books as number, s.params.size as number, s.params.iterations as number).restoreState(s);
    q.setRotation(s.extra?.rotation ? Float64Array.from(s.extra.rotation as number[]) : null);
    return q;
  }
}

/** The rows minus their mean (float32). */
function centredMatrix(x: Matrix): Matrix {
  return new Matrix(centred(x, columnMeans(x)), x.rows, x.dim);
}

/**
 * The orthogonal R maximising tr(Rᵀ C) (the polar factor of C). When C is singular or nearly so
 * (rank-deficient data: some directions carry no variance, any rotation of them is as good), a
 * small multiple of the previous rotation is added, which picks it for those directions.
 */
function procrustes(c: Float64Array, d: number, prev: Float64Array): Float64Array {
  try {
    const r = polarFactor(c, d);
    if (orthogonalityError(r, d) < 1e-6) return r;
  } catch {
    // singular: regularised below
  }
  let norm = 0;
  for (const v of c) norm += v * v;
  const eps = (Math.sqrt(norm / d) || 1) * 1e-4;
  const r = polarFactor(c.map((v, i) => v + eps * prev[i]), d);
  return orthogonalityError(r, d) < 1e-6 ? r : prev;
}

export const descriptor = defineQuantizer({
  id: 'opq',
  describe: 'optimized product quantization: an orthogonal rotation learned by alternating orthogonal Procrustes and PQ (faiss OPQMatrix), then PQ on the rotated vectors; m × nbits bits per vector (m from 1 to 256, at most the dimension)',
  params: {
    m: pqDescriptor.params.m,
    nbits: pqDescriptor.params.nbits,
    iterations: {
      default: 50, min: 0, max: 1000,
      describe: 'rounds of PQ training + orthogonal Procrustes that learn the rotation (faiss OPQMatrix niter: 50); 0 = a seeded random rotation',
    },
  },
  create: (p) => new OptimizedProductQuantizer(p.m, 2 ** p.nbits, p.iterations),
  fromJSON: (s) => OptimizedProductQuantizer.fromJSON(s),
  cost: (p, w) => {
    const d = w.shape.dim, s = 2 ** p.nbits, n = Math.min(w.trainRows, OPQ_MAX_TRAIN_ROWS);
    const lloyd = p.iterations > 0 ? OPQ_FIRST_PQ_ITERS + OPQ_PQ_ITERS * (p.iterations - 1) : 0;
    // per round: Lloyd iterations and one encoding of the sample (2·n·s·d each), three n × d × d products, the polar factor (~10 inversions)
    const rounds = 2 * Math.min(n, OPQ_POINTS_PER_CENTROID * s) * s * d * lloyd + p.iterations * (2 * n * s * d + 6 * n * d * d + 20 * d * d * d);
    // the final PQ, as pq's cost, and the rotations of the training and evaluation rows; the adam
    // trainer multiplies the whole by 6, as for the other quantizers
    const final = p.m * kmeansFlops(w.trainRows, s, d / p.m) + 2 * w.evalRows * s * d + 4 * (w.trainRows + w.evalRows) * d * d;
    return (w.trainer === 'adam' ? 6 : 1) * (rounds + final) / RATES.kernelFlops;
  },
});
