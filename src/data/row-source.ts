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
  /**
   * Write the rows into this array (at least count × dim values) and return a matrix viewing it:
   * a pass over a large file reuses one chunk buffer instead of allocating (and page-faulting) one
   * per read. The returned matrix is then the caller's until the next read into the same array.
   */
  into?: Float32Array;
}

/** The matrix a read of count rows returns: a view of `opts.into`, or a new (shared) one. */
export function readTarget(count: number, dim: number, opts: ReadOptions): Matrix {
  if (!opts.into) return Matrix.zeros(count, dim, opts.shared ?? false);
  if (opts.into.length < count * dim) throw new RangeError(`read: the target holds ${opts.into.length} values, ${count} × ${dim} are needed`);
  return new Matrix(opts.into.subarray(0, count * dim), count, dim);
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
    if (opts.into) {
      const out = readTarget(count, this.dim, opts);
      out.data.set(view.data);
      return out;
    }
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

/**
 * The rows of `source` except those at `excluded` (any order, distinct), in source order: the base
 * of a file whose held-out queries are read apart. Row i of this view is source row i + (the number
 * of excluded rows before it); a range read is one read of the source span, without the excluded rows.
 */
export class RowsExcept implements RowSource {
  readonly name: string;
  readonly rows: number;
  readonly dim: number;
  /** Sorted excluded rows, and excluded[j] − j (non-decreasing), searched to map a row. */
  private readonly excluded: Float64Array;
  private readonly shifted: Float64Array;
  /** The source span of the last read into a caller's array, reused. */
  private span: Float32Array | null = null;

  constructor(readonly source: RowSource, excluded: ArrayLike<number>) {
    this.name = source.name;
    this.dim = source.dim;
    this.excluded = Float64Array.from(excluded).sort();
    this.shifted = this.excluded.map((e, j) => e - j);
    this.rows = source.rows - this.excluded.length;
  }

  /** The source row of row i of this view. */
  sourceRow(i: number): number {
    // j = how many excluded rows come before it: the count of excluded[j] − j ≤ i
    let lo = 0, hi = this.shifted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.shifted[mid] <= i) lo = mid + 1;
      else hi = mid;
    }
    return i + lo;
  }

  read(start: number, count: number, opts: ReadOptions = {}): Matrix {
    if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 && start + count <= this.rows)) {
      throw new RangeError(`${this.name}: rows [${start}, ${start + count}) are outside [0, ${this.rows})`);
    }
    if (count === 0) return readTarget(0, this.dim, opts);
    const first = this.sourceRow(start), last = this.sourceRow(start + count - 1);
    const spanRows = last - first + 1;
    if (spanRows === count) return this.source.read(first, count, opts);
    let spanOpts: ReadOptions = { shared: false };
    if (opts.into) {
      // the span is read into a buffer of this view's own, kept for the next chunk
      if (!this.span || this.span.length < spanRows * this.dim) this.span = new Float32Array(Math.ceil(spanRows * 1.05) * this.dim);
      spanOpts = { into: this.span };
    }
    const span = this.source.read(first, spanRows, spanOpts);
    // copy the runs of kept rows between excluded ones (the span may be a view of a source's own rows, never modified)
    const d = this.dim, out = readTarget(count, d, opts);
    let to = 0;
    let j = first - start; // excluded rows before `first`
    let runStart = first;
    for (;;) {
      const runEnd = j < this.excluded.length && this.excluded[j] <= last ? this.excluded[j] : last + 1;
      out.data.set(span.data.subarray((runStart - first) * d, (runEnd - first) * d), to * d);
      to += runEnd - runStart;
      if (runEnd > last) break;
      runStart = runEnd + 1;
      j++;
    }
    return out;
  }

  readRows(indices: ArrayLike<number>): Matrix {
    const mapped = new Float64Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      if (!(indices[i] >= 0 && indices[i] < this.rows)) throw new RangeError(`${this.name}: row ${indices[i]} is outside [0, ${this.rows})`);
      mapped[i] = this.sourceRow(indices[i]);
    }
    return this.source.readRows(mapped);
  }

  close(): void {
    this.source.close();
  }
}
