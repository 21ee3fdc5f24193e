/**
 * What PQ, RVQ, AVQ and WRVQ share: `books` codebooks of `size` codewords, book m living on the
 * coordinates [subOffset[m], subOffset[m] + subDim[m]) (the whole space for RVQ/AVQ/WRVQ, a
 * sub-space for PQ), and an additive decoder x̂ = Σ_m w_m · C_m[code_m], with w_m = 1 unless the
 * quantizer stores per-vector weights (WRVQ, as fp16). The Adam trainer works on this shape alone.
 */
import { Matrix } from '../core/matrix.js';
import { decodeHalfArray } from '../core/fp16.js';
import type { CodeLayout, Codes, Quantizer, QuantizerState, TrainOptions, TrainReport } from './types.js';

export abstract class CodebookQuantizer implements Quantizer {
  abstract readonly name: string;
  /** One flat array per book: size × subDim[m]. Empty until trained. */
  codebooks: Float32Array[] = [];
  subOffset: number[] = [];
  subDim: number[] = [];
  dim = 0;

  constructor(
    readonly books: number,
    readonly size: number,
    /** Whether codes carry one fp16 weight per book (counted in bitsPerVector). */
    readonly storesWeights: boolean,
  ) {
    if (!Number.isInteger(books) || books < 1) throw new RangeError(`books must be a positive integer, got ${books}`);
    if (!Number.isInteger(size) || size < 2 || size > 65536) throw new RangeError(`size must be an integer in [2, 65536], got ${size}`);
  }

  /** Bits of one code index. */
  get indexBits(): number {
    return Math.ceil(Math.log2(this.size));
  }

  get bitsPerVector(): number {
    return this.books * this.indexBits + (this.storesWeights ? 16 * this.books : 0);
  }

  /**
   * What one vector's code stores, as results record it: `codes` values of `size` levels each, then
   * `extraBits` of stored weights or scalars (codes × log2 size + extraBits = bitsPerVector). Here:
   * one index per book, plus WRVQ's fp16 weights.
   */
  get codeLayout(): CodeLayout {
    const weights = this.storesWeights ? 16 * this.books : 0;
    return {
      codes: this.books, size: this.size, extraBits: weights,
      describe: `${this.books} × ${this.indexBits}-bit codes${weights ? ` + ${this.books} fp16 weights` : ''}`,
    };
  }

  /**
   * Whether the paper's compression ratio (eqs. 6 and 9: d over the books, in its own units)
   * describes this method: yes for codes counted in books (PQ, RVQ, AVQ, WRVQ, OPQ, ScaNN); the
   * per-dimension codes (sq, binary, rabitq) have no such books, so their ratio is left null.
   */
  get hasPaperRatio(): boolean {
    return true;
  }

  /** Training rows needed: k-means wants one per codeword; a method that learns no codewords (sq, binary) says fewer. */
  get minTrainRows(): number {
    return this.size;
  }

  /** Canonical configuration name, used for result paths and chart labels. */
  abstract get label(): string;

  /** The parameters that define this quantizer (books and size included). */
  get config(): Record<string, unknown> {
    return { books: this.books, size: this.size };
  }

  abstract train(x: Matrix, opts?: TrainOptions): Promise<TrainReport>;
  /**
   * Codes of x. `init` (rows × books) is a starting point that a local-search encoder (avq) improves
   * on and never ends worse than; the others ignore it.
   */
  abstract encode(x: Matrix, init?: Uint16Array): Codes;

  /**
   * One k-means style codebook update given fixed codes (the refinement pass of the Adam trainer):
   * each codeword becomes the (weighted) mean of what it should reconstruct.
   */
  abstract refine(x: Matrix, codes: Codes): void;

  /** Called after each gradient step, to restore invariants (WRVQ: unit codewords). */
  project(): void {}

  protected assertTrained(): void {
    if (this.codebooks.length !== this.books) throw new Error(`${this.name}: not trained`);
  }

  /** The per-vector weights as floats (1 everywhere when none are stored). */
  weightValues(codes: Codes): Float32Array | null {
    return codes.weights ? decodeHalfArray(codes.weights) : null;
  }

  decode(codes: Codes): Matrix {
    this.assertTrained();
    const { n, books } = codes;
    const d = this.dim;
    const out = Matrix.zeros(n, d);
    const o = out.data;
    const w = this.weightValues(codes);
    for (let i = 0; i < n; i++) {
      for (let m = 0; m < books; m++) {
        const cb = this.codebooks[m], sd = this.subDim[m];
        const src = codes.codes[i * books + m] * sd;
        const dst = i * d + this.subOffset[m];
        const s = w ? w[i * books + m] : 1;
        for (let j = 0; j < sd; j++) o[dst + j] += s * cb[src + j];
      }
    }
    return out;
  }

  toJSON(): QuantizerState {
    this.assertTrained();
    return {
      kind: this.name,
      params: this.config,
      dim: this.dim,
      codebooks: this.codebooks.map((c) => Array.from(c)),
      extra: { subOffset: this.subOffset, subDim: this.subDim },
    };
  }

  protected restoreState(s: QuantizerState): this {
    this.dim = s.dim;
    this.codebooks = s.codebooks.map((c) => Float32Array.from(c));
    this.subOffset = (s.extra?.subOffset as number[]) ?? [];
    this.subDim = (s.extra?.subDim as number[]) ?? [];
    return this;
  }
}

/** The codeword matrix of book m as a Matrix view (size × subDim). */
export function bookMatrix(q: CodebookQuantizer, m: number): Matrix {
  return new Matrix(q.codebooks[m], q.size, q.subDim[m]);
}

/** Copies columns [off, off + w) of x into a new contiguous matrix. */
export function subColumns(x: Matrix, off: number, w: number): Matrix {
  const out = Matrix.zeros(x.rows, w);
  for (let i = 0; i < x.rows; i++) out.data.set(x.data.subarray(i * x.dim + off, i * x.dim + off + w), i * w);
  return out;
}

/** Returns x − x̂ as a new matrix. */
export function residual(x: Matrix, xhat: Matrix): Matrix {
  const out = x.clone();
  for (let i = 0; i < out.data.length; i++) out.data[i] -= xhat.data[i];
  return out;
}

export function emptyCodes(n: number, books: number, weights: boolean): Codes {
  return { n, books, codes: new Uint16Array(n * books), weights: weights ? new Uint16Array(n * books) : undefined };
}
