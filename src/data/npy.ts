/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0): a magic string, a header dict
 * ({'descr', 'fortran_order', 'shape'}) and the raw array. Reads 2-D float32 / float64 / float16
 * arrays (little or big endian, C or Fortran order) into a float32 Matrix; writes float32 v1.0.
 * Every malformed file ends in an InputError naming the file.
 */
import { writeFileAtomic } from '../core/atomic.js';
import { InputError } from '../core/errors.js';
import { fromHalf } from '../core/fp16.js';
import { Matrix } from '../core/matrix.js';
import { readInput } from './files.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the array data. */
  dataOffset: number;
}

/** Parses the header of an .npy buffer; `source` names the file in error messages. */
export function parseNpyHeader(buf: Uint8Array, source: string): NpyHeader {
  const bad = (why: string) => new InputError(`${source} is not a valid .npy file: ${why}.`);
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) throw bad('it does not start with the \\x93NUMPY magic string');
  const major = buf[6];
  if (major < 1 || major > 3) throw bad(`unsupported format version ${major}.${buf[7]}`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (buf.length < 8 + lenBytes) throw bad('the header is truncated');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  if (start + headerLen > buf.length) throw bad('the header is truncated');
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^'\r\n]*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)\r\n]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad('the header dict lacks descr, fortran_order or shape');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw bad(`the shape (${shapeText}) is not a tuple of sizes`);
  return { descr, fortranOrder: fortran === 'True', shape, dataOffset: start + headerLen };
}

/** Where a 2-D float array lives in an .npy file and how its values are stored. */
export interface NpyLayout {
  rows: number;
  dim: number;
  /** Bytes per value: 2 (float16), 4 (float32) or 8 (float64). */
  itemBytes: 2 | 4 | 8;
  little: boolean;
  fortranOrder: boolean;
  dataOffset: number;
}

/**
 * Checks a parsed header against the file's size (`fileBytes`): a 2-D float array of nonzero
 * dimension whose data exactly fills the rest of the file. Shared by the whole-file reader and
 * the streamed one (src/data/row-files.ts).
 */
export function npyLayout(h: NpyHeader, fileBytes: number, source: string): NpyLayout {
  const m = /^([<>|=])([fiu])(\d+)$/.exec(h.descr);
  const supported = "float32 ('<f4'), float64 ('<f8') or float16 ('<f2')";
  if (!m || m[2] !== 'f' || !['2', '4', '8'].includes(m[3])) {
    throw new InputError(`${source} holds dtype '${h.descr}', not ${supported}: convert it with numpy's astype('float32').`);
  }
  if (h.shape.length !== 2) throw new InputError(`${source} holds an array of shape (${h.shape.join(', ')}); vectors must be a 2-D array (rows, dim).`);
  const [rows, dim] = h.shape;
  if (dim === 0) throw new InputError(`${source} holds vectors of dimension 0.`);
  const itemBytes = Number(m[3]) as 2 | 4 | 8;
  const need = rows * dim * itemBytes;
  const have = fileBytes - h.dataOffset;
  if (have < need) throw new InputError(`${source} is truncated: its header promises ${rows} × ${dim} values (${need} bytes) but only ${have} bytes follow.`);
  if (have > need) throw new InputError(`${source} is corrupt: its header promises ${rows} × ${dim} values (${need} bytes) but ${have} bytes follow.`);
  return { rows, dim, itemBytes, little: m[1] !== '>', fortranOrder: h.fortranOrder, dataOffset: h.dataOffset };
}

/**
 * Decodes `n` stored values from `bytes` into out[at, at + n) as float32; `first` is the index of
 * the first value in the file (for the message when a float64 overflows float32).
 */
export function decodeNpyValues(bytes: Uint8Array, n: number, l: NpyLayout, out: Float32Array, at: number, source: string, first: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, n * l.itemBytes);
  if (l.itemBytes === 4 && l.little && bytes.byteOffset % 4 === 0) {
    out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n), at);
  } else if (l.itemBytes === 4) {
    for (let i = 0; i < n; i++) out[at + i] = view.getFloat32(4 * i, l.little);
  } else if (l.itemBytes === 8) {
    for (let i = 0; i < n; i++) {
      const v = view.getFloat64(8 * i, l.little);
      out[at + i] = v;
      if (Number.isFinite(v) && !Number.isFinite(out[at + i])) throw new InputError(`${source} holds ${v} (value ${first + i}), beyond the float32 range vectors are computed in.`);
    }
  } else {
    for (let i = 0; i < n; i++) out[at + i] = fromHalf(view.getUint16(2 * i, l.little));
  }
}

/** Reads a 2-D float .npy file as a float32 Matrix. */
export function readNpy(path: string): Matrix {
  return parseNpy(readInput(path), path);
}

export function parseNpy(buf: Uint8Array, source: string): Matrix {
  const l = npyLayout(parseNpyHeader(buf, source), buf.length, source);
  const { rows, dim } = l;
  const out = Matrix.zeros(rows, dim);
  const n = rows * dim;
  decodeNpyValues(buf.subarray(l.dataOffset), n, l, out.data, 0, source, 0);
  if (l.fortranOrder) {
    // column-major on disk: transpose into row-major
    const o = out.data;
    const t = new Float32Array(n);
    for (let j = 0; j < dim; j++) for (let i = 0; i < rows; i++) t[i * dim + j] = o[j * rows + i];
    o.set(t);
  }
  return out;
}

/** The header of a float32 v1.0 .npy file of rows × dim (the data follows it). */
export function npyHeader(rows: number, dim: number): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${dim}), }`;
  // pad with spaces so that magic + 2 + 2 + header (ending in \n) is a multiple of 64
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  return out;
}

/** The bytes of a float32 v1.0 .npy file holding m. */
export function encodeNpy(m: Matrix): Uint8Array {
  const head = npyHeader(m.rows, m.dim);
  const out = new Uint8Array(head.length + m.rows * m.dim * 4);
  out.set(head, 0);
  out.set(new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength), head.length);
  return out;
}

/** Writes m as a float32 .npy file, atomically. */
export function writeNpy(path: string, m: Matrix): void {
  writeFileAtomic(path, encodeNpy(m));
}
