/**
 * Rows read on demand: the out-of-core side of the dataset layer. A `RowSource` hands out row
 * ranges or chosen rows as float32 matrices without holding the file, so a 10M-row base is read
 * chunk by chunk (exact ground truth, encoding, adding) while only the chunk in hand is resident.
 * `MatrixRowSource` wraps rows already in memory, so one code path serves both.
 */
import { Matrix } from '../core/matrix.js';

export interface ReadOptions {
  /** Back the returned matrix by a SharedArrayBuffer (worker threads read it without a copy). */
  shared?: boolean;
}

export interface RowSource {
  /** What the rows came from (a file path or dataset name), for messages. */
  readonly name: string;
  readonly rows: number;
  readonly dim: number;
  /** Rows [start, start + count) as a float32 matrix the caller owns. */
  read(start: number, count: number, opts?: ReadOptions): Matrix;
  /** The rows at `indices` (any order; ascending reads fastest), as a float32 matrix in that order. */
  readRows(indices: ArrayLike<number>): Matrix;
  /** Releases file handles; reading after close is an error. */
  close(): void;
}

/** A RowSource over a matrix already in memory (views, no copy for ranges). */
export class MatrixRowSource implements RowSource {
  readonly rows: number;
  readonly dim: number;
  constructor(
    readonly matrix: Matrix,
    readonly name = 'matrix',
  ) {
    this.rows = matrix.rows;
    this.dim = matrix.dim;
  }

  read(start: number, count: number, opts: ReadOptions = {}): Matrix {
    const view = this.matrix.sliceRows(start, start + count);
    return opts.shared ? view.toShared() : view;
  }

  readRows(indices: ArrayLike<number>): Matrix {
    const out = Matrix.zeros(indices.length, this.dim);
    for (let i = 0; i < indices.length; i++) out.data.set(this.matrix.row(indices[i]), i * this.dim);
    return out;
  }

  close(): void {}
}

/** The chunks [start, end) covering `rows` rows, `chunkRows` at a time. */
export function* chunkRanges(rows: number, chunkRows: number): Generator<[number, number]> {
  for (let s = 0; s < rows; s += chunkRows) yield [s, Math.min(rows, s + chunkRows)];
}
