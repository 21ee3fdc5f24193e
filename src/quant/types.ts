import type { Matrix } from '../core/matrix.js';
import type { ProgressFn } from '../core/progress.js';

/**
 * Codes of n vectors: `books` code indices per vector (row-major), plus, for quantizers that store
 * them, per-vector per-book scales as fp16 bit patterns (WRVQ's weights). Every array here is
 * counted by `bitsPerVector`.
 */
export interface Codes {
  n: number;
  books: number;
  codes: Uint16Array;
  /** fp16 bit patterns, n × books, when the quantizer stores per-stage weights. */
  weights?: Uint16Array;
}

export type TrainerKind = 'kmeans' | 'adam';

export interface TrainOptions {
  /** Seed of every random choice made while training. Default 1234. */
  seed?: number;
  /** 'kmeans' (the paper's L: stage-wise / sub-space k-means) or 'adam' (the paper's T). Default 'kmeans'. */
  trainer?: TrainerKind;
  /** k-means iterations per codebook. Default 25 (as faiss). */
  kmeansIters?: number;
  /** Adam: iterations (default 1000), learning rate (default 0.001), k-means pass every N (default 100). */
  adamIters?: number;
  adamLr?: number;
  adamRefineEvery?: number;
  /** Adam minibatch rows (default 8192; 0 = full batch). */
  adamBatch?: number;
  onProgress?: ProgressFn;
}

export interface TrainReport {
  seconds: number;
  /** Free-form notes of what the trainer did (iterations run, empty clusters split, ...). */
  notes: string[];
}

/** Serializable state; `fromJSON` of the same quantizer kind restores an identical quantizer. */
export interface QuantizerState {
  kind: string;
  params: Record<string, unknown>;
  dim: number;
  /** Codebooks, one flat array per book (size × sub-dimension). */
  codebooks: number[][];
  extra?: Record<string, unknown>;
}

/** What one vector's code stores (CodebookQuantizer.codeLayout): codes × log2(size) + extraBits = bitsPerVector. */
export interface CodeLayout {
  /** Stored code values per vector: books, or dimensions for per-dimension codes (sq, binary, rabitq). */
  codes: number;
  /** Levels of each code value (2^bits). */
  size: number;
  /** Bits stored beside the codes: WRVQ's weights, RaBitQ's two float32 scalars; 0 otherwise. */
  extraBits: number;
  /** One phrase for tables: `4 × 8-bit codes + 4 fp16 weights`, `100 × 1-bit levels + 2 float32 scalars (‖r‖, ⟨ō, o⟩)`. */
  describe: string;
}

export interface Quantizer {
  readonly name: string;
  /** Every stored bit per vector: code indices, fp16 weights, stored norms. */
  readonly bitsPerVector: number;
  train(x: Matrix, opts?: TrainOptions): Promise<TrainReport>;
  encode(x: Matrix): Codes;
  decode(codes: Codes): Matrix;
  toJSON(): QuantizerState;
}
