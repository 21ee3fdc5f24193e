/**
 * TEXMEX vector files (the SIFT / GIST / Deep1B format): every row is an int32 dimension d
 * followed by d values: float32 (.fvecs), int32 (.ivecs, ground-truth ids) or uint8 (.bvecs).
 * Every row must announce the same d, and the file must hold whole rows.
 */
import { writeFileAtomic } from '../core/atomic.js';
import { InputError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { readInput } from './files.js';

type VecsKind = 'fvecs' | 'ivecs' | 'bvecs';
const ELEMENT_BYTES: Record<VecsKind, number> = { fvecs: 4, ivecs: 4, bvecs: 1 };

/** Checks the layout and returns (rows, dim); `source` names the file in errors. */
function vecsShape(buf: Uint8Array, kind: VecsKind, source: string): { rows: number; dim: number } {
  if (buf.length === 0) throw new InputError(`${source} is empty.`);
  if (buf.length < 4) throw new InputError(`${source} is truncated: ${buf.length} bytes cannot hold a row header.`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dim = view.getInt32(0, true);
  if (dim <= 0 || dim > 1 << 20) throw new InputError(`${source} is not a valid .${kind} file: its first row announces dimension ${dim}.`);
  const rowBytes = 4 + dim * ELEMENT_BYTES[kind];
  if (buf.length % rowBytes !== 0) {
    throw new InputError(`${source} is truncated or corrupt: ${buf.length} bytes is not a whole number of ${rowBytes}-byte rows of dimension ${dim}.`);
  }
  const rows = buf.length / rowBytes;
  for (let i = 1; i < rows; i++) {
    const di = view.getInt32(i * rowBytes, true);
    if (di !== dim) throw new InputError(`${source} is corrupt: row ${i} announces dimension ${di}, row 0 announced ${dim}.`);
  }
  return { rows, dim };
}

/** Reads a .fvecs or .bvecs file as a float32 Matrix. */
export function readVecs(path: string, kind: 'fvecs' | 'bvecs'): Matrix {
  const buf = readInput(path);
  const { rows, dim } = vecsShape(buf, kind, path);
  const out = Matrix.zeros(rows, dim);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const rowBytes = 4 + dim * ELEMENT_BYTES[kind];
  for (let i = 0; i < rows; i++) {
    const at = i * rowBytes + 4;
    if (kind === 'bvecs') for (let j = 0; j < dim; j++) out.data[i * dim + j] = buf[at + j];
    else for (let j = 0; j < dim; j++) out.data[i * dim + j] = view.getFloat32(at + 4 * j, true);
  }
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
