/**
 * Anisotropic (score-aware) product quantization, ScaNN's (Guo et al., ICML 2020: "Accelerating
 * large-scale inference with anisotropic vector quantization"; the "AVQ" of the ScaNN literature,
 * not the project's `avq`). For maximum inner product search an error parallel to the datapoint
 * changes the scores of the queries close to it more than an orthogonal one, so the loss of a
 * datapoint x with residual r = x − x̃ and unit direction u = x/||x|| is
 *
 *     ℓ(x, x̃) = h∥ ||r∥||² + h⊥ ||r⊥||² ∝ ||r||² + (η − 1)(r · u)²,   η = h∥ / h⊥,
 *
 * with, for the score-aware weight w(t) = 1[t ≥ T] (theorem 3.4; ScaNN's
 * ComputeParallelCostMultiplier), η = (d − 1) · (T²/||x||²) / (1 − T²/||x||²). `threshold` is T
 * (ScaNN's anisotropic_quantization_threshold, default 0.2), or `eta` fixes η for every vector
 * (η = 1: plain PQ's loss).
 *
 * Codebooks of PQ's shape (`m` sub-spaces of 2^nbits codewords). Training: PQ's k-means codebooks,
 * then `iterations` rounds of (a) encoding every training row by the anisotropic loss and (b) for
 * each book in turn, the exact codebook update given the codes: each codeword c of book m solves
 * [Σ_i (I + (η_i − 1) u_im u_imᵀ)] c = Σ_i [x_im + (η_i − 1) b_i u_im] over the rows i that chose it,
 * b_i = u_i · x_i − u_i,¬m · x̃_i,¬m (a d/m × d/m system; block coordinate descent, so the training
 * loss never rises). Encoding: the nearest codeword per sub-space (L2), then coordinate descent over
 * the sub-spaces on the anisotropic loss until no code changes (at most ENCODE_PASSES passes).
 * Decoding is PQ's.
 */
import { RATES, kmeansFlops } from '../core/cost.js';
import { InputError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { nearestSync } from '../core/parallel.js';
import { CodebookQuantizer, bookMatrix, emptyCodes, subColumns } from './codebook-quantizer.js';
import { defineQuantizer } from './descriptor.js';
import { ProductQuantizer, descriptor as pqDescriptor } from './pq.js';
import type { Codes, QuantizerState, TrainOptions, TrainReport } from './types.js';

/** Coordinate-descent passes of the anisotropic encoding (ScaNN: a few; it stops when nothing changes). */
export const ENCODE_PASSES = 10;

/**
 * η = h∥/h⊥ of a datapoint of squared norm `normSq` in d dimensions for threshold T (ScaNN's
 * ComputeParallelCostMultiplier). T² ≥ ||x||² (a point no query can score T against) is capped at
 * T²/||x||² = 0.999.
 */
export function parallelWeight(threshold: number, normSq: number, d: number): number {
  if (!(normSq > 0)) return 1;
  const t = Math.min(0.999, (threshold * threshold) / normSq);
  return d > 1 ? ((d - 1) * t) / (1 - t) : 1;
}

export class AnisotropicQuantizer extends CodebookQuantizer {
  readonly name = 'scann';
  /** The anisotropic loss per training row after each round (the first: PQ's k-means codebooks). */
  objective: number[] = [];

  constructor(books = 4, size = 256, readonly threshold = 0.2, readonly eta = 0, readonly iterations = 10) {
    super(books, size, false);
  }

  get label(): string {
    return `scann(m=${this.books},size=${this.size},${this.eta > 0 ? `eta=${this.eta}` : `threshold=${this.threshold}`})`;
  }

  override get config(): Record<string, unknown> {
    return { books: this.books, size: this.size, threshold: this.threshold, eta: this.eta, iterations: this.iterations };
  }

  /** η of each row of x. */
  weights(x: Matrix): Float64Array {
    const d = x.dim, out = new Float64Array(x.rows);
    for (let i = 0; i < x.rows; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += x.data[i * d + j] ** 2;
      out[i] = this.eta > 0 ? this.eta : parallelWeight(this.threshold, s, d);
    }
    return out;
  }

  async train(x: Matrix, opts: TrainOptions = {}): Promise<TrainReport> {
    const t0 = performance.now();
    if (x.dim < this.books) throw new InputError(`--m ${this.books}: scann needs at most one sub-space per dimension, and the data has ${x.dim} dimensions.`);
    const pq = new ProductQuantizer(this.books, this.size);
    const report = await pq.train(x, opts);
    this.dim = pq.dim;
    this.subDim = pq.subDim;
    this.subOffset = pq.subOffset;
    this.codebooks = pq.codebooks;
    const notes = [...report.notes];
    const eta = this.weights(x);
    let lo = Infinity, hi = -Infinity, capped = 0;
    for (const e of eta) { lo = Math.min(lo, e); hi = Math.max(hi, e); }
    if (this.eta === 0) {
      const cap = parallelWeight(1, 1, x.dim);
      for (const e of eta) if (e >= cap * (1 - 1e-12)) capped++;
    }
    notes.push(`anisotropic weight η = h∥/h⊥ from ${lo.toPrecision(4)} to ${hi.toPrecision(4)} over the training rows${capped ? ` (${capped} rows with ||x|| ≤ T capped)` : ''}`);
    let codes = this.encodeWith(x, eta, null);
    this.objective = [anisotropicLoss(x, this.decode(codes), eta)];
    for (let it = 0; it < this.iterations; it++) {
      for (let m = 0; m < this.books; m++) this.updateBook(x, codes, eta, m);
      codes = this.encodeWith(x, eta, codes);
      this.objective.push(anisotropicLoss(x, this.decode(codes), eta));
      opts.onProgress?.(it + 1, this.iterations, `anisotropic round ${it + 1}/${this.iterations}`);
    }
    if (this.iterations) notes.push(`scann: ${this.iterations} rounds, anisotropic loss per training row ${this.objective[0].toPrecision(6)} → ${this.objective.at(-1)!.toPrecision(6)}`);
    return { seconds: (performance.now() - t0) / 1000, notes };
  }

  encode(x: Matrix): Codes {
    this.assertTrained();
    return this.encodeWith(x, this.weights(x), null);
  }

  /**
   * Codes minimising the anisotropic loss by coordinate descent over the books, starting from
   * `start` (training: the previous round's codes, so the loss cannot rise) or from the L2-nearest codes.
   */
  private encodeWith(x: Matrix, eta: Float64Array, start: Codes | null): Codes {
    const { books, size } = this, d = this.dim, n = x.rows;
    const codes = start ? { ...start, codes: start.codes.slice() } : emptyCodes(n, books, false);
    if (!start) {
      for (let m = 0; m < books; m++) {
        const { ids } = nearestSync(subColumns(x, this.subOffset[m], this.subDim[m]), bookMatrix(this, m));
        for (let i = 0; i < n; i++) codes.codes[i * books + m] = ids[i];
      }
    }
    const norms = this.codebooks.map((cb, m) => {
      const sd = this.subDim[m], out = new Float64Array(size);
      for (let k = 0; k < size; k++) for (let j = 0; j < sd; j++) out[k] += cb[k * sd + j] ** 2;
      return out;
    });
    const r = new Float64Array(d), u = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const w = eta[i] - 1;
      if (w === 0 && start === null) continue; // η = 1: the L2-nearest codes are optimal
      let nx = 0;
      for (let j = 0; j < d; j++) nx += x.data[i * d + j] ** 2;
      const inv = nx > 0 ? 1 / Math.sqrt(nx) : 0;
      for (let j = 0; j < d; j++) u[j] = x.data[i * d + j] * inv;
      // r = x − x̃
      for (let j = 0; j < d; j++) r[j] = x.data[i * d + j];
      for (let m = 0; m < books; m++) {
        const cb = this.codebooks[m], sd = this.subDim[m], off = this.subOffset[m], k = codes.codes[i * books + m];
        for (let j = 0; j < sd; j++) r[off + j] -= cb[k * sd + j];
      }
      for (let pass = 0; pass < ENCODE_PASSES; pass++) {
        let changed = false;
        for (let m = 0; m < books; m++) {
          const cb = this.codebooks[m], sd = this.subDim[m], off = this.subOffset[m], cur = codes.codes[i * books + m];
          // r' = r + c_cur on sub-space m (book m removed); a = r' · u
          for (let j = 0; j < sd; j++) r[off + j] += cb[cur * sd + j];
          let a = 0;
          for (let j = 0; j < d; j++) a += r[j] * u[j];
          // loss(c) − const = ||c||² − 2 c·r'_m + w (a − c·u_m)²
          let best = cur, bestCost = Infinity;
          for (let c = 0; c < size; c++) {
            let cr = 0, cu = 0;
            for (let j = 0; j < sd; j++) { const v = cb[c * sd + j]; cr += v * r[off + j]; cu += v * u[off + j]; }
            const cost = norms[m][c] - 2 * cr + w * (a - cu) ** 2;
            if (cost < bestCost || (cost === bestCost && c === cur)) { bestCost = cost; best = c; }
          }
          if (best !== cur) { changed = true; codes.codes[i * books + m] = best; }
          for (let j = 0; j < sd; j++) r[off + j] -= cb[best * sd + j];
        }
        if (!changed) break;
      }
    }
    return codes;
  }

  /** The exact update of book m's codewords given the codes (see the file comment). */
  private updateBook(x: Matrix, codes: Codes, eta: Float64Array, m: number): void {
    const { books, size } = this, d = this.dim, n = x.rows;
    const sd = this.subDim[m], off = this.subOffset[m], cb = this.codebooks[m];
    const a = new Float64Array(size * sd * sd), rhs = new Float64Array(size * sd), count = new Uint32Array(size);
    const u = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const k = codes.codes[i * books + m], w = eta[i] - 1;
      let nx = 0;
      for (let j = 0; j < d; j++) nx += x.data[i * d + j] ** 2;
      const inv = nx > 0 ? 1 / Math.sqrt(nx) : 0;
      for (let j = 0; j < d; j++) u[j] = x.data[i * d + j] * inv;
      // b = u·x − u_¬m · x̃_¬m = u_m · x_m + u_¬m · r_¬m
      let b = 0;
      for (let j = 0; j < sd; j++) b += u[off + j] * x.data[i * d + off + j];
      for (let mm = 0; mm < books; mm++) {
        if (mm === m) continue;
        const c2 = this.codebooks[mm], sd2 = this.subDim[mm], off2 = this.subOffset[mm], k2 = codes.codes[i * books + mm];
        for (let j = 0; j < sd2; j++) b += u[off2 + j] * (x.data[i * d + off2 + j] - c2[k2 * sd2 + j]);
      }
      count[k]++;
      const ao = k * sd * sd, ro = k * sd;
      for (let p = 0; p < sd; p++) {
        rhs[ro + p] += x.data[i * d + off + p] + w * b * u[off + p];
        a[ao + p * sd + p] += 1;
        if (w !== 0) for (let q = 0; q < sd; q++) a[ao + p * sd + q] += w * u[off + p] * u[off + q];
      }
    }
    for (let k = 0; k < size; k++) {
      if (!count[k]) continue; // nobody chose it: left as it is
      const c = solve(a.subarray(k * sd * sd, (k + 1) * sd * sd), rhs.subarray(k * sd, (k + 1) * sd), sd);
      if (c) for (let j = 0; j < sd; j++) cb[k * sd + j] = c[j];
    }
  }

  /** Not used: the adam trainer fine-tunes the PQ codebooks (its own refine) before the anisotropic rounds. */
  refine(): void {}

  static fromJSON(s: QuantizerState): AnisotropicQuantizer {
    const p = s.params;
    return new AnisotropicQuantizer(p.books as number, p.size as number, p.threshold as number, p.eta as number, p.iterations as number).restoreState(s);
  }
}

/** Mean over rows of ||r||² + (η − 1)(r·u)², the anisotropic loss (h⊥ = 1). */
export function anisotropicLoss(x: Matrix, xhat: Matrix, eta: Float64Array): number {
  const d = x.dim;
  let total = 0;
  for (let i = 0; i < x.rows; i++) {
    let rr = 0, ru = 0, nx = 0;
    for (let j = 0; j < d; j++) {
      const v = x.data[i * d + j], r = v - xhat.data[i * d + j];
      rr += r * r; ru += r * v; nx += v * v;
    }
    total += rr + (nx > 0 ? (eta[i] - 1) * (ru * ru) / nx : 0);
  }
  return total / x.rows;
}

/** Solves the symmetric system a c = b (n × n) by Gaussian elimination with partial pivoting; null when singular. */
function solve(a0: Float64Array, b0: Float64Array, n: number): Float64Array | null {
  const a = Float64Array.from(a0), b = Float64Array.from(b0);
  for (let col = 0; col < n; col++) {
    let p = col, best = Math.abs(a[col * n + col]);
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]) > best) { best = Math.abs(a[r * n + col]); p = r; }
    if (!(best > 1e-12)) return null;
    if (p !== col) {
      for (let j = 0; j < n; j++) { const t = a[p * n + j]; a[p * n + j] = a[col * n + j]; a[col * n + j] = t; }
      const t = b[p]; b[p] = b[col]; b[col] = t;
    }
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col] / a[col * n + col];
      if (f === 0) continue;
      for (let j = col; j < n; j++) a[r * n + j] -= f * a[col * n + j];
      b[r] -= f * b[col];
    }
  }
  const c = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let j = r + 1; j < n; j++) s -= a[r * n + j] * c[j];
    c[r] = s / a[r * n + r];
  }
  return c;
}

export const descriptor = defineQuantizer({
  id: 'scann',
  describe: "ScaNN's anisotropic (score-aware) product quantization for inner product: PQ codebooks and codes trained on ||r||² + (η − 1)(r·u)², the error parallel to the vector weighted η times, η from the threshold T or given; m × nbits bits per vector",
  params: {
    m: pqDescriptor.params.m,
    nbits: pqDescriptor.params.nbits,
    threshold: {
      default: 0.2, min: 0.01, max: 0.99, integer: false,
      describe: "ScaNN's anisotropic_quantization_threshold T: the inner products that matter are those ≥ T; η = (d − 1)·(T²/||x||²)/(1 − T²/||x||²) per vector. Default 0.2",
    },
    eta: {
      default: 0, min: 0, max: 1e6, integer: false,
      describe: 'a fixed η = h∥/h⊥ for every vector instead of the threshold (1 = plain PQ\'s loss). Default 0: from the threshold',
    },
    iterations: {
      default: 10, min: 0, max: 1000,
      describe: 'rounds of anisotropic encoding + exact codebook update after the k-means codebooks. Default 10; 0 = PQ codebooks with anisotropic encoding',
    },
  },
  create: (p) => new AnisotropicQuantizer(p.m, 2 ** p.nbits, p.threshold, p.eta, p.iterations),
  fromJSON: (s) => AnisotropicQuantizer.fromJSON(s),
  cost: (p, w) => {
    const d = w.shape.dim, s = 2 ** p.nbits, sd = d / p.m;
    // an encoding: ~3 coordinate-descent passes, each two products per codeword and one u·r' per book
    const encode = (rows: number) => 3 * rows * (4 * s * d + 4 * p.m * d);
    // a round: an encoding of the training rows, per book the rows' terms (u, b: 4·d) and systems (sd²), the solves (sd³/3 per codeword)
    const round = encode(w.trainRows) + w.trainRows * (4 * p.m * d + d * sd) + (s * p.m * sd ** 3) / 3;
    const flops = p.m * kmeansFlops(w.trainRows, s, sd) + p.iterations * round + encode(w.evalRows);
    return (w.trainer === 'adam' ? 6 : 1) * flops / RATES.kernelFlops;
  },
});
