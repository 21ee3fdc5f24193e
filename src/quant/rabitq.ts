/**
 * RaBitQ (Gao & Long, SIGMOD 2024; the extended multi-bit form of Gao et al. 2025, as in
 * VectorDB-NTU/RaBitQ-Library): a seeded random orthogonal rotation P, and per vector o_r
 *
 *   r = o_r − c (c the centroid: the training mean in this flat form), o = r / ‖r‖,
 *   y = P⁻¹ o (here P⁻¹ = R, R a seeded Haar-random orthogonal matrix: y_j = R_j · o),
 *   a grid point g ∈ {±0.5, ±1.5, …, ±(2^(B−1) − 0.5)}^D: the sign of y_j and a level e_j ∈ [0, 2^(B−1))
 *   (g_j = ±(e_j + 0.5)); stored as x_u = g + (2^B − 1)/2 ∈ [0, 2^B − 1], B bits per dimension,
 *   ō = Rᵀ g / ‖g‖ (the unit codeword), and two float32 scalars: ‖r‖ and ⟨ō, o⟩.
 *
 * B = 1 is the original RaBitQ: g = ±0.5 by sign, ⟨ō, o⟩ = ‖y‖₁ / √D. For B > 1 the levels are
 * e_j = min(2^(B−1) − 1, ⌊t·|y_j|⌋) for the rescale factor t maximising ⟨ō, o⟩, searched over a
 * geometric grid of 64 factors t·max|y| ∈ [1, 2^(B−1) + 10] (the library enumerates every critical
 * factor; the grid is within a hair of it, and any choice keeps the estimator unbiased).
 *
 * Estimator (both forms): for a query vector v, ⟨o, v⟩ ≈ ⟨ō, v⟩ / ⟨ō, o⟩, unbiased under the random
 * rotation; its error is √((1 − ⟨o, v̂⟩²)(1 − ⟨ō, o⟩²)) / ⟨ō, o⟩ · ‖v‖ · u, with u a coordinate of a
 * uniform unit vector in R^(D−1), so |error| ≤ ‖v‖ · √((1 − ⟨ō, o⟩²) / ⟨ō, o⟩²) · ε0 / √(D − 1) with
 * probability at least `boundConfidence(ε0, D)` (0.94 for ε0 = 1.9, the paper's default). Squared
 * L2: ‖o_r − q‖² = ‖r‖² + ‖q − c‖² − 2‖r‖⟨o, q − c⟩ (v = q − c); inner product:
 * ⟨o_r, q⟩ = ‖r‖⟨o, q⟩ + ⟨c, q⟩ (v = q, so only the two scalars are stored).
 *
 * Codes: D levels x_u (B bits each) then the two float32 scalars as four 16-bit words (books = D + 4);
 * bitsPerVector = D·B + 64. D is not padded (the paper pads to a multiple of 64 for its SIMD scan).
 * Decoding, for the loss: the projection of r on ō, c + ‖r‖⟨ō, o⟩ ō (the least-squares point on
 * the codeword's ray); the estimator's own reconstruction ‖r‖/⟨ō, o⟩ ō is unbiased but not smaller.
 */
import { InputError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { RATES } from '../core/cost.js';
import { randomRotation, rotateRows } from './rotation.js';
import { CodebookQuantizer, emptyCodes } from './codebook-quantizer.js';
import { defineQuantizer } from './descriptor.js';
import type { CodeLayout, Codes, QuantizerState, TrainOptions, TrainReport } from './types.js';

export const RABITQ_MAX_BITS = 8;
/** 16-bit words after the D levels of a code row: ‖r‖ and ⟨ō, o⟩ as float32. */
export const RABITQ_SCALAR_WORDS = 4;
/** The paper's default ε0. */
export const RABITQ_EPSILON0 = 1.9;
/** Rescale factors tried per vector for B > 1. */
const GRID = 64;

const f32 = new Float32Array(2), u16 = new Uint16Array(f32.buffer);

/** ‖r‖ and ⟨ō, o⟩ of code row t (the four words after its D levels). */
export function readScalars(codes: Uint16Array, t: number, d: number): [number, number] {
  const o = t * (d + RABITQ_SCALAR_WORDS) + d;
  u16[0] = codes[o]; u16[1] = codes[o + 1]; u16[2] = codes[o + 2]; u16[3] = codes[o + 3];
  return [f32[0], f32[1]];
}

function writeScalars(codes: Uint16Array, t: number, d: number, norm: number, ipf: number): void {
  const o = t * (d + RABITQ_SCALAR_WORDS) + d;
  f32[0] = norm;
  f32[1] = ipf;
  codes[o] = u16[0]; codes[o + 1] = u16[1]; codes[o + 2] = u16[2]; codes[o + 3] = u16[3];
}

/** `bits`, checked: an integer from 1 to 8 (else one sentence naming the flag). */
export function checkBits(bits: number, what = '--bits'): number {
  if (!Number.isInteger(bits) || bits < 1 || bits > RABITQ_MAX_BITS) throw new InputError(`${what}: rabitq takes an integer from 1 to ${RABITQ_MAX_BITS} bits per dimension, got ${bits}.`);
  return bits;
}

export class RabitqQuantizer extends CodebookQuantizer {
  readonly name = 'rabitq';
  /** The centroid c (the training mean) and the rotation R (D × D, row-major, float64). */
  centre: Float32Array | null = null;
  rotation: Float64Array | null = null;
  private rot32: Float32Array | null = null;
  private rotT32: Float32Array | null = null;

  constructor(readonly bits = 1, dim = 1) {
    super(dim + RABITQ_SCALAR_WORDS, 2 ** checkBits(bits), false);
  }

  get label(): string {
    return `rabitq(bits=${this.bits})`;
  }

  override get config(): Record<string, unknown> {
    return { bits: this.bits };
  }

  /** D·B bits of levels plus the two float32 scalars; unknown before training. */
  override get bitsPerVector(): number {
    if (!this.dim) throw new Error('rabitq: bits per vector follow the dimension, known once trained');
    return this.dim * this.bits + 64;
  }

  /** D levels of B bits, then ‖r‖ and ⟨ō, o⟩ as float32 (the four 16-bit words after the levels are those scalars, not codes). */
  override get codeLayout(): CodeLayout {
    return { codes: this.dim, size: this.size, extraBits: 64, describe: `${this.dim} × ${this.bits}-bit levels + 2 float32 scalars (‖r‖, ⟨ō, o⟩)` };
  }

  /** Per-dimension codes: the paper's ratio (d over books) does not describe them. */
  override get hasPaperRatio(): boolean {
    return false;
  }

  /** The mean of one row is a centroid; nothing is clustered. */
  override get minTrainRows(): number {
    return 1;
  }

  /** The offset of the levels: g = x_u − (2^B − 1)/2. */
  get half(): number {
    return (2 ** this.bits - 1) / 2;
  }

  protected override assertTrained(): void {
    if (!this.rotation || !this.centre) throw new Error('rabitq: not trained');
  }

  async train(x: Matrix, opts: TrainOptions = {}): Promise<TrainReport> {
    const t0 = performance.now();
    if ((opts.trainer ?? 'kmeans') !== 'kmeans') throw new InputError(`--trainer ${opts.trainer}: rabitq learns a centroid and draws a random rotation, not codebooks, so only the default trainer (kmeans) applies.`);
    if (x.rows < 1) throw new InputError('rabitq: no training rows to take the centroid of; give at least 1.');
    const d = x.dim, mu = new Float64Array(d);
    for (let i = 0; i < x.rows; i++) for (let j = 0; j < d; j++) mu[j] += x.data[i * d + j];
    this.setDim(d);
    this.centre = Float32Array.from(mu, (v) => v / x.rows);
    this.setRotation(randomRotation(d, opts.seed ?? 1234));
    return { seconds: (performance.now() - t0) / 1000, notes: [`centroid: the mean of ${x.rows} training rows; rotation: seeded random orthogonal ${d} × ${d} (seed ${opts.seed ?? 1234})`] };
  }

  private setDim(d: number): void {
    (this as { books: number }).books = d + RABITQ_SCALAR_WORDS;
    this.dim = d;
    this.codebooks = [];
    this.subDim = [];
    this.subOffset = [];
  }

  private setRotation(r: Float64Array): void {
    const d = this.dim;
    this.rotation = r;
    this.rot32 = Float32Array.from(r);
    this.rotT32 = new Float32Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) this.rotT32[j * d + i] = r[i * d + j];
  }

  /** R v for each row v of x (n × D): out[i][j] = R_j · x_i. */
  rotate(x: Float32Array, n: number): Float32Array {
    this.assertTrained();
    return rotateRows(x, n, this.dim, this.rot32!);
  }

  /** Rows minus the centroid. */
  centred(x: Matrix): Float32Array {
    this.assertTrained();
    const d = this.dim, c = this.centre!, out = new Float32Array(x.rows * d);
    for (let i = 0; i < x.rows; i++) for (let j = 0; j < d; j++) out[i * d + j] = x.data[i * d + j] - c[j];
    return out;
  }

  encode(x: Matrix): Codes {
    this.assertTrained();
    const d = this.dim, n = x.rows, w = d + RABITQ_SCALAR_WORDS, B = this.bits, L = 2 ** (B - 1);
    const r = this.centred(x);
    const y = this.rotate(r, n);
    const codes = emptyCodes(n, w, false);
    const a = new Float64Array(d), e = new Int32Array(d);
    for (let i = 0; i < n; i++) {
      let rn = 0, yn = 0;
      for (let j = 0; j < d; j++) { rn += r[i * d + j] ** 2; yn += y[i * d + j] ** 2; }
      const norm = Math.sqrt(rn), ynorm = Math.sqrt(yn);
      let ipf = 1;
      e.fill(0);
      if (ynorm > 0) {
        for (let j = 0; j < d; j++) a[j] = Math.abs(y[i * d + j]) / ynorm;
        ipf = B === 1 ? a.reduce((s, v) => s + v, 0) / Math.sqrt(d) : bestLevels(a, L, e);
      }
      for (let j = 0; j < d; j++) codes.codes[i * w + j] = y[i * d + j] > 0 || ynorm === 0 ? L + e[j] : L - 1 - e[j];
      writeScalars(codes.codes, i, d, norm, ipf);
    }
    return codes;
  }

  /** Code row t's grid point g (rotated space) and its norm. */
  gridPoint(codes: Codes, t: number, out: Float64Array = new Float64Array(this.dim)): number {
    const d = this.dim, w = d + RABITQ_SCALAR_WORDS, h = this.half;
    let s = 0;
    for (let j = 0; j < d; j++) { out[j] = codes.codes[t * w + j] - h; s += out[j] * out[j]; }
    return Math.sqrt(s);
  }

  /** c + ‖r‖⟨ō, o⟩ ō: the least-squares point on the codeword's ray. */
  override decode(codes: Codes): Matrix {
    this.assertTrained();
    const d = this.dim, n = codes.n, g = new Float64Array(d), rot = new Float32Array(n * d);
    for (let t = 0; t < n; t++) {
      const gn = this.gridPoint(codes, t, g);
      const [norm, ipf] = readScalars(codes.codes, t, d);
      const s = gn > 0 ? (norm * ipf) / gn : 0;
      for (let j = 0; j < d; j++) rot[t * d + j] = s * g[j];
    }
    const out = rotateRows(rot, n, d, this.rotT32!), c = this.centre!;
    for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) out[t * d + j] += c[j];
    return new Matrix(out, n, d);
  }

  /**
   * The estimator, directly (the reference the index's table scan is checked against): for queries
   * v_i (q − c when `centred`, else q) and code rows t, value[i·n + t] ≈ ⟨o_r,t − c, v_i⟩ =
   * ‖r_t‖ ⟨ō_t, v_i⟩ / ⟨ō_t, o_t⟩, and bound[i·n + t] = ‖r_t‖ ‖v_i‖ √((1 − ⟨ō, o⟩²)/⟨ō, o⟩²) ε0/√(D − 1).
   */
  estimate(codes: Codes, q: Matrix, centred: boolean, epsilon0 = RABITQ_EPSILON0): { value: Float64Array; bound: Float64Array } {
    this.assertTrained();
    const d = this.dim, n = codes.n, nq = q.rows;
    const v = centred ? this.centred(q) : q.data;
    const vr = this.rotate(v, nq);
    const value = new Float64Array(nq * n), bound = new Float64Array(nq * n);
    const g = new Float64Array(d), scale = epsilon0 / Math.sqrt(Math.max(1, d - 1));
    for (let t = 0; t < n; t++) {
      const gn = this.gridPoint(codes, t, g);
      const [norm, ipf] = readScalars(codes.codes, t, d);
      const beta = (Math.sqrt(Math.max(0, 1 - ipf * ipf)) / ipf) * scale;
      for (let i = 0; i < nq; i++) {
        let dot = 0, vn = 0;
        for (let j = 0; j < d; j++) { dot += g[j] * vr[i * d + j]; vn += v[i * d + j] ** 2; }
        value[i * n + t] = gn > 0 ? (norm * dot) / (gn * ipf) : 0;
        bound[i * n + t] = norm * Math.sqrt(vn) * beta;
      }
    }
    return { value, bound };
  }

  /** Nothing is learned from codes. */
  refine(): void {}

  override toJSON(): QuantizerState {
    this.assertTrained();
    return { kind: this.name, params: this.config, dim: this.dim, codebooks: [], extra: { centre: Array.from(this.centre!), rotation: Array.from(this.rotation!) } };
  }

  static fromJSON(s: QuantizerState): RabitqQuantizer {
    const q = new RabitqQuantizer(s.params.bits as number, s.dim);
    q.setDim(s.dim);
    q.centre = Float32Array.from(s.extra!.centre as number[]);
    q.setRotation(Float64Array.from(s.extra!.rotation as number[]));
    return q;
  }
}

/**
 * The levels e (|y| given as a, a unit vector of absolute values) maximising ⟨g, a⟩/‖g‖ for
 * g_j = e_j + 0.5, e_j = min(L − 1, ⌊t·a_j⌋), over the 1-bit code (t → 0) and a geometric grid of t.
 * Writes the best levels into e and returns ⟨ō, o⟩.
 */
export function bestLevels(a: Float64Array, L: number, e: Int32Array): number {
  const d = a.length;
  let maxA = 0, sumA = 0;
  for (let j = 0; j < d; j++) { if (a[j] > maxA) maxA = a[j]; sumA += a[j]; }
  let best = sumA / Math.sqrt(d), bestT = 0; // every level 0: the 1-bit code
  if (maxA === 0) return best;
  const top = L + 10;
  for (let k = 0; k < GRID; k++) {
    const t = top ** (k / (GRID - 1)) / maxA;
    let num = 0, den = 0;
    for (let j = 0; j < d; j++) {
      const g = Math.min(L - 1, Math.floor(t * a[j])) + 0.5;
      num += g * a[j];
      den += g * g;
    }
    const cos = num / Math.sqrt(den);
    if (cos > best) { best = cos; bestT = t; }
  }
  for (let j = 0; j < d; j++) e[j] = Math.min(L - 1, Math.floor(bestT * a[j]));
  return best;
}

/**
 * P(|√(D − 1)·u| ≤ ε0) for u a coordinate of a uniform unit vector in R^(D−1) (density ∝
 * (1 − u²)^((D−4)/2)): the confidence at which the bound holds (at least: the estimator's error
 * carries a further factor √(1 − ⟨o, q⟩²) ≤ 1). About erf(ε0/√2) for large D: 0.943 at ε0 = 1.9.
 */
export function boundConfidence(epsilon0: number, d: number): number {
  const m = d - 1;
  if (m < 3) return epsilon0 >= Math.sqrt(Math.max(1, m)) ? 1 : NaN;
  const lim = Math.sqrt(m), p = (m - 3) / 2;
  const f = (t: number) => Math.max(0, 1 - (t * t) / m) ** p;
  const simpson = (b: number) => {
    const steps = 4000, h = b / steps;
    let s = f(0) + f(b);
    for (let i = 1; i < steps; i++) s += (i % 2 ? 4 : 2) * f(i * h);
    return (s * h) / 3;
  };
  return Math.min(1, simpson(Math.min(epsilon0, lim)) / simpson(lim));
}

export const descriptor = defineQuantizer({
  id: 'rabitq',
  describe: 'RaBitQ (Gao & Long 2024): seeded random rotation, B bits per dimension of the normalized residual to the training mean (B = 1: its sign; B > 1: the extended form), plus ‖r‖ and ⟨ō, o⟩ as float32; D·B + 64 bits per vector',
  params: {
    bits: {
      default: 1, min: 1, max: RABITQ_MAX_BITS,
      describe: 'bits per dimension: 1 (the original RaBitQ, default) to 8 (the extended form: a sign and B − 1 bits of level, ⟨ō, o⟩ maximised over rescale factors)',
    },
  },
  create: (p) => new RabitqQuantizer(p.bits),
  fromJSON: (s) => RabitqQuantizer.fromJSON(s),
  cost: (p, w) => {
    const d = w.shape.dim;
    // the rotation drawn (Gram–Schmidt, 4·d³), then per row: the rotation (2·d²) and, for B > 1, the factor grid
    return (4 * d * d * d + (w.trainRows + 2 * w.evalRows) * (2 * d * d + (p.bits > 1 ? 4 * GRID * d : 2 * d))) / RATES.kernelFlops;
  },
});
