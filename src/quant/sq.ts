/**
 * Scalar quantization: every dimension on its own, with the type names of MTEB v2's compression
 * wrapper and sentence-transformers' `quantize_embeddings`:
 *
 * - int8 / uint8 / int4 / uint4: 2^bits evenly spaced levels per dimension over a range learned on
 *   the training rows (`calibration` minmax: the column's min and max; percentile: its
 *   [100 − p, p] percentiles, p in (50, 100], values outside are clipped), each value coded by its nearest level.
 *   Signed and unsigned types share the levels and differ only in the stored integer (code − 2^(bits−1)),
 *   so their loss is the same. A constant dimension (zero range) is legal, with a note: every level is
 *   the constant, so it is coded exactly and nothing is divided by the zero range (no NaN).
 * - fp16 / bf16: the value's 16-bit pattern (IEEE half, round to nearest even; bfloat16 = the upper
 *   half of the float32, rounded to nearest even); nothing is learned.
 *
 * As a CodebookQuantizer: one book per dimension on a 1-d sub-space, `size` = 2^bits codewords, so
 * bitsPerVector = dim × bits (faiss's ScalarQuantizer QT_8bit / QT_4bit / QT_fp16 store the same).
 * The number of books is the dimension, known once trained.
 */
import { InputError } from '../core/errors.js';
import { decodeHalfArray, toHalf } from '../core/fp16.js';
import { Matrix } from '../core/matrix.js';
import { RATES } from '../core/cost.js';
import { CodebookQuantizer, emptyCodes } from './codebook-quantizer.js';
import { defineQuantizer } from './descriptor.js';
import type { CodeLayout, Codes, QuantizerState, TrainOptions, TrainReport } from './types.js';

export const SQ_TYPES = ['fp16', 'bf16', 'int8', 'uint8', 'int4', 'uint4'] as const;
export type SqType = (typeof SQ_TYPES)[number];
export const SQ_CALIBRATIONS = ['minmax', 'percentile'] as const;

/** Bits stored per dimension by each type. */
export const SQ_BITS: Readonly<Record<SqType, number>> = { fp16: 16, bf16: 16, int8: 8, uint8: 8, int4: 4, uint4: 4 };

const isFloatType = (t: SqType) => t === 'fp16' || t === 'bf16';

/** The value of every 16-bit pattern, per float type, built on first use (one 256 KB table shared by every book). */
const tables: Partial<Record<'fp16' | 'bf16', Float32Array>> = {};
function valueTable(t: 'fp16' | 'bf16'): Float32Array {
  const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
  if (t === 'fp16') return (tables.fp16 ??= decodeHalfArray(all));
  return (tables.bf16 ??= new Float32Array(Uint32Array.from(all, (h) => h << 16).buffer));
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The bfloat16 pattern nearest to `v` (round to nearest, ties to even; NaN stays a NaN). */
export function toBf16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff)) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export class ScalarQuantizer extends CodebookQuantizer {
  readonly name = 'sq';
  /** Per dimension: the first level and the spacing of the levels (integer types). */
  private lo = new Float64Array(0);
  private step = new Float64Array(0);

  constructor(
    readonly type: SqType,
    readonly calibration: 'minmax' | 'percentile' = 'minmax',
    readonly percentile = 99,
    dim = 1,
  ) {
    super(dim, 2 ** SQ_BITS[type], false);
  }

  get label(): string {
    return `sq(type=${this.type})`;
  }

  override get config(): Record<string, unknown> {
    return { type: this.type, calibration: this.calibration, percentile: this.percentile };
  }

  /** dim × bits; before training the dimension is unknown, so the bits are too (the estimator then says "not known"). */
  override get bitsPerVector(): number {
    if (!this.dim) throw new Error('sq: bits per vector are dim × bits, known once trained');
    return this.dim * SQ_BITS[this.type];
  }

  override get codeLayout(): CodeLayout {
    const bits = this.bitsPerVector / this.dim;
    return { codes: this.dim, size: this.size, extraBits: 0, describe: `${this.dim} × ${this.type} (${bits} bits each)` };
  }

  /** Per-dimension codes: the paper's ratio (d over books) does not describe them. */
  override get hasPaperRatio(): boolean {
    return false;
  }

  /** One row gives a range (a constant one); nothing is clustered. */
  override get minTrainRows(): number {
    return 1;
  }

  async train(x: Matrix, opts: TrainOptions = {}): Promise<TrainReport> {
    const t0 = performance.now();
    if ((opts.trainer ?? 'kmeans') !== 'kmeans') throw new InputError(`--trainer ${opts.trainer}: sq learns per-dimension ranges, not codebooks, so only the default trainer (kmeans) applies.`);
    if (x.rows < 1) throw new InputError('sq: no training rows to learn the per-dimension ranges from.');
    const notes: string[] = [];
    this.setDim(x.dim);
    if (isFloatType(this.type)) {
      const t = valueTable(this.type as 'fp16' | 'bf16');
      this.codebooks = Array.from({ length: x.dim }, () => t);
      notes.push(`${this.type}: values rounded to 16 bits, nothing learned`);
    } else {
      const constant = this.learnRanges(x);
      this.codebooks = this.levels();
      if (constant) notes.push(`${constant} of ${x.dim} dimensions have a zero range on the training rows (constant): each is coded exactly as its constant (every level equals it; nothing is divided by the zero range, so no NaN)`);
    }
    return { seconds: (performance.now() - t0) / 1000, notes };
  }

  /** Per-dimension ranges (min/max or percentiles); returns how many dimensions are constant. */
  private learnRanges(x: Matrix): number {
    const d = x.dim, n = x.rows, L = this.size;
    this.lo = new Float64Array(d);
    this.step = new Float64Array(d);
    const col = new Float64Array(n);
    let constant = 0;
    for (let j = 0; j < d; j++) {
      for (let i = 0; i < n; i++) col[i] = x.data[i * d + j];
      let lo: number, hi: number;
      if (this.calibration === 'minmax') {
        lo = Infinity; hi = -Infinity;
        for (let i = 0; i < n; i++) { if (col[i] < lo) lo = col[i]; if (col[i] > hi) hi = col[i]; }
      } else {
        col.sort();
        lo = quantile(col, (100 - this.percentile) / 100);
        hi = quantile(col, this.percentile / 100);
      }
      this.lo[j] = lo;
      this.step[j] = (hi - lo) / (L - 1);
      if (!(hi > lo)) constant++;
    }
    return constant;
  }

  private levels(): Float32Array[] {
    return Array.from({ length: this.dim }, (_, j) => Float32Array.from({ length: this.size }, (_, k) => this.lo[j] + k * this.step[j]));
  }

  private setDim(d: number): void {
    // the number of books is the dimension, known only now (declared readonly for the other quantizers)
    (this as { books: number }).books = d;
    this.dim = d;
    this.subDim = new Array(d).fill(1);
    this.subOffset = Array.from({ length: d }, (_, j) => j);
  }

  encode(x: Matrix): Codes {
    this.assertTrained();
    const d = this.dim, n = x.rows, codes = emptyCodes(n, d, false), c = codes.codes, v = x.data;
    if (this.type === 'fp16') for (let i = 0; i < n * d; i++) c[i] = toHalf(v[i]);
    else if (this.type === 'bf16') for (let i = 0; i < n * d; i++) c[i] = toBf16(v[i]);
    else {
      const top = this.size - 1;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < d; j++) {
          const s = this.step[j];
          const k = s > 0 ? Math.round((v[i * d + j] - this.lo[j]) / s) : 0;
          c[i * d + j] = k < 0 ? 0 : k > top ? top : k;
        }
      }
    }
    return codes;
  }

  /** The Adam trainer is refused in train(); nothing to refine. */
  refine(): void {}

  override toJSON(): QuantizerState {
    this.assertTrained();
    // float types: the codebooks are the fixed 16-bit value tables, rebuilt on load rather than stored
    return {
      kind: this.name, params: this.config, dim: this.dim, codebooks: [],
      extra: isFloatType(this.type) ? {} : { lo: Array.from(this.lo), step: Array.from(this.step) },
    };
  }

  static fromJSON(s: QuantizerState): ScalarQuantizer {
    const q = new ScalarQuantizer(s.params.type as SqType, s.params.calibration as 'minmax' | 'percentile', s.params.percentile as number, s.dim);
    q.setDim(s.dim);
    if (isFloatType(q.type)) {
      const t = valueTable(q.type as 'fp16' | 'bf16');
      q.codebooks = Array.from({ length: s.dim }, () => t);
    } else {
      q.lo = Float64Array.from(s.extra!.lo as number[]);
      q.step = Float64Array.from(s.extra!.step as number[]);
      q.codebooks = q.levels();
    }
    return q;
  }
}

/** The q-quantile of sorted values, linear interpolation (numpy's default). */
function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1), i = Math.floor(pos), f = pos - i;
  return i + 1 < sorted.length ? sorted[i] + f * (sorted[i + 1] - sorted[i]) : sorted[i];
}

export const descriptor = defineQuantizer({
  id: 'sq',
  describe: 'scalar quantization per dimension: fp16, bf16, or int8/uint8/int4/uint4 levels over per-dimension ranges learned on the training rows (MTEB v2 / sentence-transformers types); dim × bits per vector',
  params: {
    type: {
      default: 'int8', choices: SQ_TYPES,
      describe: 'stored type per dimension: fp16 or bf16 (16 bits, nothing learned), int8/uint8 (256 levels), int4/uint4 (16 levels). Default int8',
    },
    calibration: {
      default: 'minmax', choices: SQ_CALIBRATIONS,
      describe: "integer types: each dimension's range from the training rows' min and max (minmax, default), or from their [100 − p, p] percentiles (percentile; outliers are clipped)",
    },
    percentile: {
      default: 99, min: 50, exclusiveMin: true, max: 100, integer: false,
      describe: 'calibration percentile p in (50, 100]: the range is [100 − p, p] percentiles of each dimension (50 would be a zero range). Default 99; 100 = minmax',
    },
  },
  create: (p) => new ScalarQuantizer(p.type as SqType, p.calibration as 'minmax' | 'percentile', p.percentile),
  fromJSON: (s) => ScalarQuantizer.fromJSON(s),
  // one pass over the training rows (a sort per column for percentiles), one over the evaluation rows
  cost: (p, w) => ((p.calibration === 'percentile' ? 20 : 2) * w.trainRows + 4 * w.evalRows) * w.shape.dim / RATES.kernelFlops,
});
