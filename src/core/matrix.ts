import { InputError } from './errors.js';

/**
 * A dense row-major float32 matrix: `rows` vectors of `dim` components in one flat array.
 * Backed by a SharedArrayBuffer when created with `shared`, so worker threads can read it without a copy.
 */
export class Matrix {
  constructor(
    readonly data: Float32Array,
    readonly rows: number,
    readonly dim: number,
  ) {
    if (data.length !== rows * dim) {
      throw new RangeError(`Matrix: data has ${data.length} values, expected ${rows} × ${dim}`);
    }
  }

  static zeros(rows: number, dim: number, shared = false): Matrix {
    const buf = shared ? new SharedArrayBuffer(rows * dim * 4) : new ArrayBuffer(rows * dim * 4);
    return new Matrix(new Float32Array(buf), rows, dim);
  }

  static fromRows(rows: ArrayLike<number>[], dim?: number): Matrix {
    const d = dim ?? (rows.length ? rows[0].length : 0);
    const m = Matrix.zeros(rows.length, d);
    rows.forEach((r, i) => {
      if (r.length !== d) throw new RangeError(`Matrix.fromRows: row ${i} has ${r.length} values, expected ${d}`);
      m.data.set(r as ArrayLike<number>, i * d);
    });
    return m;
  }

  /** A view of row i (no copy). */
  row(i: number): Float32Array {
    return this.data.subarray(i * this.dim, (i + 1) * this.dim);
  }

  /** Rows [start, end) as a view (no copy). */
  sliceRows(start: number, end: number): Matrix {
    return new Matrix(this.data.subarray(start * this.dim, end * this.dim), end - start, this.dim);
  }

  /** The given rows, copied into a new matrix. */
  selectRows(ids: ArrayLike<number>): Matrix {
    const out = Matrix.zeros(ids.length, this.dim);
    for (let i = 0; i < ids.length; i++) out.data.set(this.row(ids[i]), i * this.dim);
    return out;
  }

  /** A copy whose storage is a SharedArrayBuffer (returns this when already shared). */
  toShared(): Matrix {
    if (this.data.buffer instanceof SharedArrayBuffer) return this;
    const out = Matrix.zeros(this.rows, this.dim, true);
    out.data.set(this.data);
    return out;
  }

  clone(): Matrix {
    return new Matrix(this.data.slice(), this.rows, this.dim);
  }
}

/** Throws an InputError naming `source` if any value is NaN or ±Infinity. */
export function assertFinite(m: Matrix, source: string): void {
  const d = m.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v - v !== 0) {
      const row = Math.floor(i / m.dim);
      throw new InputError(`${source}: row ${row} contains ${Number.isNaN(v) ? 'NaN' : 'an infinite value'} (column ${i % m.dim}).`);
    }
  }
}

/** Divides each row by its L2 norm in place (zero rows are left as they are). */
export function normalizeRows(m: Matrix): Matrix {
  const { data, rows, dim } = m;
  for (let i = 0; i < rows; i++) {
    const o = i * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) s += data[o + j] * data[o + j];
    if (s > 0) {
      const inv = 1 / Math.sqrt(s);
      for (let j = 0; j < dim; j++) data[o + j] *= inv;
    }
  }
  return m;
}
