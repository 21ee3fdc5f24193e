/**
 * TEXMEX vector files (the SIFT / GIST / Deep1B format): every row is an int32 dimension d
 * followed by d values: float32 (.fvecs), int32 (.ivecs, ground-truth ids) or uint8 (.bvecs).
 * Every row must announce the same d, and the file must hold whole rows.
 */
import { writeFileAtomic } from '../core/atomic.js';
import { InputError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { readInput } from './files.js';

export type VecsKind = 'fvecs' | 'ivecs' | 'bvecs';
export const ELEMENT_BYTES: Record<VecsKind, number> = { fvecs: 4, ivecs: 4, bvecs: 1 };

/**
 * The shape of a vecs file from its size and the dimension its first row announces (`headBytes`:
 * how many bytes the file has for that header). Shared by the whole-file reader and the streamed
 * one (src/data/row-files.ts), which checks the other rows' headers as it reads them.
 */
export function vecsLayout(firstDim: number, fileBytes: number, kind: VecsKind, source: string): { rows: number; dim: number; rowBytes: number } {
  if (fileBytes === 0) throw new InputError(`${source} is empty.`);
  if (fileBytes < 4) throw new InputError(`${source} is truncated: ${fileBytes} bytes cannot hold a row header.`);
  const dim = firstDim;
  if (dim <= 0 || dim > 1 << 20) throw new InputError(`${source} is not a valid .${kind} file: its first row announces dimension ${dim}.`);
  const rowBytes = 4 + dim * ELEMENT_BYTES[kind];
  if (fileBytes % rowBytes !== 0) {
    throw new InputError(`${source} is truncated or corrupt: ${fileBytes} bytes is not a whole number of ${rowBytes}-byte rows of dimension ${dim}.`);
  }
  return { rows: fileBytes / rowBytes, dim, rowBytes };
}

/** Checks the dimension announced by each of `count` rows in `view` (row `first` of the file at offset 0). */
export function checkRowHeaders(view: DataView, count: number, rowBytes: number, dim: number, first: number, source: string): void {
  for (let i = 0; i < count; i++) {
    const di = view.getInt32(i * rowBytes, true);
    if (di !== dim) throw new InputError(`${source} is corrupt: row ${first + i} announces dimension ${di}, row 0 announced ${dim}.`);
  }
}

/** Checks the layout and returns (rows, dim); `source` names the file in errors. */
function vecsShape(buf: Uint8Array, kind: VecsKind, source: string): { rows: number; dim: number } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const { rows, dim, rowBytes } = vecsLayout(buf.length >= 4 ? view.getInt32(0, true) : 0, buf.length, kind, source);
  checkRowHeaders(view, rows, rowBytes, dim, 0, source);
  return { rows, dim };
}

/** Decodes `count` rows (headers already checked) from `bytes` into out[at...) as float32. */
export function decodeVecsRows(bytes: Uint8Array, count: number, dim: number, kind: 'fvecs' | 'bvecs', out: Float32Array, at: number): void {
  const rowBytes = 4 + dim * ELEMENT_BYTES[kind];
  if (kind === 'bvecs') {
    for (let i = 0; i < count; i++) {
      const from = i * rowBytes + 4;
      for (let j = 0; j < dim; j++) out[at + i * dim + j] = bytes[from + j];
    }
    return;
  }
  if (bytes.byteOffset % 4 === 0) {
    // aligned: each row's values are a Float32Array view, copied in one call (little-endian hosts)
    const f = new Float32Array(bytes.buffer, bytes.byteOffset, (count * rowBytes) / 4);
    for (let i = 0; i < count; i++) out.set(f.subarray(i * (dim + 1) + 1, (i + 1) * (dim + 1)), at + i * dim);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * rowBytes);
  for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) out[at + i * dim + j] = view.getFloat32(i * rowBytes + 4 + 4 * j, true);
}

/** Reads a .fvecs or .bvecs file as a float32 Matrix. */
export function readVecs(path: string, kind: 'fvecs' | 'bvecs'): Matrix {
  const buf = readInput(path);
  const { rows, dim } = vecsShape(buf, kind, path);
  const out = Matrix.zeros(rows, dim);
  decodeVecsRows(buf, rows, dim, kind, out.data, 0);
  return out;
}

/** Reads an .ivecs file (e.g. ground-truth neighbour ids): rows × dim int32 values. */
export function readIvecs(path: string): { rows: number; dim: number; data: Int32Array } {
  const buf = readInput(path);
  const { rows, dim } = vecsShape(buf, 'ivecs', path);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const data = new Int32Array(rows * dim);
  for (let i = 0; i < rows; i++) for (let j = 0; j < dim; j++) data[i * dim + j] = view.getInt32(i * (4 + 4 * dim) + 4 + 4 * j, true);
  return { rows, dim, data };
}

function encodeVecs(rows: number, dim: number, put: (view: DataView, at: number, i: number, j: number) => void, bytes: number): Uint8Array {
  const rowBytes = 4 + dim * bytes;
  const out = new Uint8Array(rows * rowBytes);
  const view = new DataView(out.buffer);
  for (let i = 0; i < rows; i++) {
    view.setInt32(i * rowBytes, dim, true);
    for (let j = 0; j < dim; j++) put(view, i * rowBytes + 4 + j * bytes, i, j);
  }
  return out;
}

export function writeFvecs(path: string, m: Matrix): void {
  writeFileAtomic(path, encodeVecs(m.rows, m.dim, (v, at, i, j) => v.setFloat32(at, m.data[i * m.dim + j], true), 4));
}

export function writeIvecs(path: string, rows: number, dim: number, data: ArrayLike<number>): void {
  writeFileAtomic(path, encodeVecs(rows, dim, (v, at, i, j) => v.setInt32(at, data[i * dim + j], true), 4));
}

/** Writes m as .bvecs; values are rounded and must fit in [0, 255]. */
export function writeBvecs(path: string, m: Matrix): void {
  writeFileAtomic(path, encodeVecs(m.rows, m.dim, (v, at, i, j) => v.setUint8(at, Math.round(m.data[i * m.dim + j])), 1));
}
