/**
 * Binary quantization: one sign bit per dimension (sentence-transformers' `precision="binary"`),
 * optionally after a learned rotation:
 *
 * - rotation none: bit j = x_j > 0, the coordinates as they are.
 * - rotation itq: Iterative Quantization (Gong & Lazebnik 2011; faiss's ITQMatrix is the reference):
 *   the training rows are centred, then an orthogonal R (seeded random start) alternates
 *   B = sign(V R) and R = the orthogonal polar factor of Vᵀ B (faiss: SVD U S Wᵀ of Vᵀ B, R = U Wᵀ),
 *   `itqIters` times (faiss: 50), minimising ||B − V R||². Bit j = ((x − μ) R)_j > 0.
 *
 * Decoding, so that the loss is comparable with the other quantizers: per rotated dimension, the
 * mean of the training values on each side of 0 (the conditional mean of the bit), rotated back
 * and μ added. Stored: dim bits per vector (the rotation and the means are shared, like codebooks).
 */
import { InputError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { Rng } from '../core/rng.js';
import { innerProducts } from '../core/distance.js';
import { RATES } from '../core/cost.js';
import { CodebookQuantizer, emptyCodes } from './codebook-quantizer.js';
import { centred, columnMeans, polarFactor, randomRotation, rotateRows, transpose } from './rotation.js';
import { defineQuantizer } from './descriptor.js';
import type { CodeLayout, Codes, QuantizerState, TrainOptions, TrainReport } from './types.js';

export const BINARY_ROTATIONS = ['none', 'itq'] as const;
export type BinaryRotation = (typeof BINARY_ROTATIONS)[number];

export class BinaryQuantizer extends CodebookQuantizer {
  readonly name = 'binary';
  /** itq: the centre μ and the rotation R (d × d, row-major, float64); null for rotation none. */
  mean: Float64Array | null = null;
  rotation: Float64Array | null = null;
  /** R as float32, for the inner-product kernel. */
  private rotation32: Float32Array | null = null;

  constructor(readonly rotationKind: BinaryRotation = 'none', readonly itqIters = 50, dim = 1) {
    super(dim, 2, false);
  }

  get label(): string {
    return `binary(rotation=${this.rotationKind})`;
  }

  override get config(): Record<string, unknown> {
    return { rotation: this.rotationKind, itqIters: this.itqIters };
  }

  /** One bit per dimension; unknown before training (the estimator then says "not known"). */
  override get bitsPerVector(): number {
    if (!this.dim) throw new Error('binary: bits per vector are the dimension, known once trained');
    return this.dim;
  }

  override get codeLayout(): CodeLayout {
    return { codes: this.bitsPerVector, size: 2, extraBits: 0, describe: `${this.dim} sign bits` };
  }

  /** Per-dimension codes: the paper's ratio (d over books) does not describe them. */
  override get hasPaperRatio(): boolean {
    return false;
  }

  /** Two rows can give both sides of 0 their means; nothing is clustered. */
  override get minTrainRows(): number {
    return 2;
  }

  async train(x: Matrix, opts: TrainOptions = {}): Promise<TrainReport> {
    const t0 = performance.now();
    if ((opts.trainer ?? 'kmeans') !== 'kmeans') throw new InputError(`--trainer ${opts.trainer}: binary learns sign thresholds (and an ITQ rotation), not codebooks, so only the default trainer (kmeans) applies.`);
    if (x.rows < 2) throw new InputError(`binary: ${x.rows} training rows are too few to learn the per-bit means from; give at least 2.`);
    const notes: string[] = [];
    const d = x.dim;
    this.setDim(d);
    if (this.rotationKind === 'itq') {
      this.mean = columnMeans(x);
      const sample = x.rows > ITQ_MAX_ROWS ? x.selectRows(new Rng(opts.seed ?? 1234).sample(x.rows, ITQ_MAX_ROWS)) : x;
      if (sample !== x) notes.push(`ITQ rotation learned on a seeded sample of ${ITQ_MAX_ROWS} of the ${x.rows} training rows`);
      const r = itqRotation(centred(sample, this.mean), sample.rows, d, this.itqIters, opts.seed ?? 1234);
      this.rotation = r.rotation;
      this.rotation32 = Float32Array.from(r.rotation);
      notes.push(`ITQ: ${this.itqIters} iterations, ||B − VR||² ${r.first.toPrecision(6)} → ${r.last.toPrecision(6)} per row`);
    } else {
      this.mean = null;
      this.rotation = null;
      this.rotation32 = null;
    }
    const y = this.rotated(x);
    // the conditional mean of each side of 0, per rotated dimension
    const sum = new Float64Array(2 * d), count = new Float64Array(2 * d);
    for (let i = 0; i < x.rows; i++) {
      for (let j = 0; j < d; j++) {
        const v = y[i * d + j], b = v > 0 ? 1 : 0;
        sum[2 * j + b] += v;
        count[2 * j + b]++;
      }
    }
    let oneSided = 0;
    this.codebooks = Array.from({ length: d }, (_, j) => {
      if (!count[2 * j] || !count[2 * j + 1]) oneSided++;
      // an empty side is never produced on the training rows; 0 (the threshold) is its best guess
      return Float32Array.of(count[2 * j] ? sum[2 * j] / count[2 * j] : 0, count[2 * j + 1] ? sum[2 * j + 1] / count[2 * j + 1] : 0);
    });
    if (oneSided) notes.push(`${oneSided} of ${d} dimensions have every training value on one side of 0`);
    return { seconds: (performance.now() - t0) / 1000, notes };
  }

  private setDim(d: number): void {
    // the number of books is the dimension, known only now (declared readonly for the other quantizers)
    (this as { books: number }).books = d;
    this.dim = d;
    this.subDim = new Array(d).fill(1);
    this.subOffset = Array.from({ length: d }, (_, j) => j);
  }

  /** (x − μ) R (itq), or x itself (none). */
  private rotated(x: Matrix): Float32Array {
    if (!this.rotation32) return x.data;
    return rotateRows(centred(x, this.mean!), x.rows, this.dim, transpose(this.rotation32, this.dim, this.dim));
  }

  encode(x: Matrix): Codes {
    this.assertTrained();
    const y = this.rotated(x);
    const codes = emptyCodes(x.rows, this.dim, false);
    for (let i = 0; i < y.length; i++) codes.codes[i] = y[i] > 0 ? 1 : 0;
    return codes;
  }

  /** The per-bit means in the rotated space, rotated back and μ added. */
  override decode(codes: Codes): Matrix {
    const inRotated = super.decode(codes);
    if (!this.rotation) return inRotated;
    const d = this.dim, n = codes.n, mu = this.mean!;
    // x̂_a = μ_a + Σ_j ŷ_j R[a][j]: ŷ against the rows of R
    const o = rotateRows(inRotated.data, n, d, this.rotation32!);
    for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) o[i * d + a] += mu[a];
    return new Matrix(o, n, d);
  }

  /** The Adam trainer is refused in train(); nothing to refine. */
  refine(): void {}

  override toJSON(): QuantizerState {
    const s = super.toJSON();
    return { ...s, extra: { ...s.extra, mean: this.mean ? Array.from(this.mean) : null, rotation: this.rotation ? Array.from(this.rotation) : null } };
  }

  static fromJSON(s: QuantizerState): BinaryQuantizer {
    const q = new BinaryQuantizer(s.params.rotation as BinaryRotation, s.params.itqIters as number, s.dim);
    q.restoreState(s);
    q.setDim(s.dim);
    q.mean = s.extra?.mean ? Float64Array.from(s.extra.mean as number[]) : null;
    q.rotation = s.extra?.rotation ? Float64Array.from(s.extra.rotation as number[]) : null;
    q.rotation32 = q.rotation ? Float32Array.from(q.rotation) : null;
    return q;
  }
}

/**
 * ITQ on centred rows v (n × d, float32): the rotation (float64, row-major) and ||B − VR||² per row
 * before the first update and after the last. The n × d × d products run in the inner-product kernel.
 */
export function itqRotation(v: Float32Array, n: number, d: number, iters: number, seed: number): { rotation: Float64Array; first: number; last: number } {
  let r = randomRotation(d, seed);
  const vt = transpose(v, n, d);
  const project = () => rotateRows(v, n, d, transpose(Float32Array.from(r), d, d));
  const objective = (proj: Float32Array) => {
    let s = 0;
    for (let i = 0; i < proj.length; i++) s += (proj[i] > 0 ? 1 - proj[i] : -1 - proj[i]) ** 2;
    return s / n;
  };
  let proj = project();
  const first = objective(proj);
  const bt = new Float32Array(d * n), c = new Float32Array(d * d);
  for (let it = 0; it < iters; it++) {
    // Bᵀ (d × n) of B = sign(V R); then C = Vᵀ B (d × d): rows of Vᵀ against rows of Bᵀ
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) bt[j * n + i] = proj[i * d + j] > 0 ? 1 : -1;
    innerProducts(vt, 0, d, bt, 0, d, n, c, d);
    r = polarFactor(Float64Array.from(c), d);
    proj = project();
  }
  return { rotation: r, first, last: objective(proj) };
}

/** ITQ learns its rotation on at most this many training rows (a seeded sample): its cost is iters × 2·n·d². */
export const ITQ_MAX_ROWS = 16384;

export const descriptor = defineQuantizer({
  id: 'binary',
  describe: 'one sign bit per dimension (sentence-transformers binary), optionally after an ITQ rotation learned on the training rows; decoded as the per-bit conditional means; dim bits per vector',
  params: {
    rotation: {
      default: 'none', choices: BINARY_ROTATIONS,
      describe: "'none': the sign of each coordinate (default); 'itq': centre, then an ITQ rotation (faiss ITQMatrix) learned on the training rows",
    },
    itqIters: {
      default: 50, min: 0, max: 1000,
      describe: 'rotation itq: alternating iterations (faiss: 50); each costs two n × d × d products and a d × d eigen-decomposition',
    },
  },
  create: (p) => new BinaryQuantizer(p.rotation as BinaryRotation, p.itqIters),
  fromJSON: (s) => BinaryQuantizer.fromJSON(s),
  cost: (p, w) => {
    const d = w.shape.dim;
    const itq = p.rotation === 'itq' ? p.itqIters * (4 * w.trainRows * d * d + 20 * d * d * d) + 2 * (w.trainRows + 2 * w.evalRows) * d * d : 0;
    return (itq + 4 * (w.trainRows + w.evalRows) * d) / RATES.kernelFlops;
  },
});
