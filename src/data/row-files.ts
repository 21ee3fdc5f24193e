/**
 * Vector files read row range by row range (the out-of-core readers behind `RowSource`): .npy
 * (C order, float32 / float64 / float16), .fvecs, .bvecs, and the `train` / `test` datasets of an
 * ann-benchmarks .hdf5 file (src/data/hdf5-rows.ts). Only the header is read when a file is opened; each `read` is one
 * positioned `readSync` into a reused byte buffer (float32 little-endian .npy rows go straight into
 * the returned matrix), so a 3.8 GB base is streamed chunk by chunk with only the chunk resident.
 *
 * The checks are the whole-file readers' (src/data/npy.ts, src/data/fvecs.ts share their header
 * parsing with this file): a header that does not match the file's size is refused on open; the
 * per-row dimension headers of .fvecs / .bvecs and NaN / Inf values are checked in every chunk read,
 * each failure one sentence naming the file and the row.
 *
 * .ivecs files hold ids, not vectors: `openIdRows` reads their row ranges as int32.
 */
import { closeSync } from 'node:fs';
import { extname } from 'node:path';
import { InputError } from '../core/errors.js';
import { checkRowHeaders, decodeVecsRows, vecsLayout } from './fvecs.js';
import { FileRows, limited, openInput, readFully, type OpenOptions } from './file-rows.js';
import { openHdf5Rows } from './hdf5-rows.js';
import { decodeNpyValues, npyLayout, parseNpyHeader, type NpyLayout } from './npy.js';
import type { RowSource } from './row-source.js';

export type { OpenOptions } from './file-rows.js';
export { openHdf5Rows } from './hdf5-rows.js';

export const ROW_FILE_KINDS = ['.npy', '.fvecs', '.bvecs', '.hdf5', '.h5'];

/** Opens a vector file as a RowSource (HDF5 needs the async h5wasm module, hence the promise). */
export async function openRowSource(path: string, opts: OpenOptions = {}): Promise<RowSource> {
  const ext = extname(path).toLowerCase();
  if (ext === '.hdf5' || ext === '.h5') return openHdf5Rows(path, opts);
  return openRowFile(path, opts);
}

/** Opens a .npy, .fvecs or .bvecs file as a RowSource, synchronously. */
export function openRowFile(path: string, opts: OpenOptions = {}): RowSource {
  const ext = extname(path).toLowerCase();
  if (ext === '.npy') return new NpyRows(path, opts.limit);
  if (ext === '.fvecs' || ext === '.bvecs') return new VecsRows(path, ext.slice(1) as 'fvecs' | 'bvecs', opts.limit);
  if (ext === '.ivecs') throw new InputError(`${path} holds ids (.ivecs), not vectors; vector files are ${ROW_FILE_KINDS.join(', ')}.`);
  throw new InputError(`${path} has an unknown extension '${ext || '(none)'}'; vector files are ${ROW_FILE_KINDS.join(', ')}.`);
}

/** The visible row count: all rows, or the first `limit` (a positive integer). */
class NpyRows extends FileRows {
  readonly rows: number;
  readonly dim: number;
  private fd: number | null;
  private readonly layout: NpyLayout;

  constructor(path: string, limit?: number) {
    super(path);
    const { fd, size } = openInput(path);
    this.fd = fd;
    try {
      // magic (6) + version (2) + header length (2 or 4), then the header itself
      const head = Buffer.alloc(Math.min(size, 12));
      readFully(fd, head, head.length, 0, path);
      let prefix: Uint8Array = head;
      if (head.length >= 10 && head[6] >= 1 && head[6] <= 3) {
        const headerEnd = head[6] === 1 ? 10 + head.readUInt16LE(8) : 12 + (head.length >= 12 ? head.readUInt32LE(8) : 0);
        if (headerEnd > head.length && headerEnd <= size) {
          prefix = Buffer.alloc(headerEnd);
          readFully(fd, prefix, headerEnd, 0, path);
        }
      }
      this.layout = npyLayout(parseNpyHeader(prefix, path), size, path);
      if (this.layout.fortranOrder) {
        throw new InputError(`${path} is stored in Fortran (column-major) order; streamed reads need C order: rewrite it with numpy.save(path, numpy.ascontiguousarray(x)).`);
      }
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.dim = this.layout.dim;
    this.rows = limited(this.layout.rows, limit, path);
  }

  protected fill(start: number, count: number, out: Float32Array, at: number): void {
    if (this.fd === null) throw new Error(`${this.name} was read after close()`);
    const l = this.layout, n = count * this.dim, bytes = n * l.itemBytes;
    const position = l.dataOffset + start * this.dim * l.itemBytes;
    if (l.itemBytes === 4 && l.little) {
      // the stored bytes are the float32 values: read them straight into the output
      readFully(this.fd, new Uint8Array(out.buffer, out.byteOffset + at * 4, bytes), bytes, position, this.name);
      return;
    }
    const raw = this.buffer(bytes);
    readFully(this.fd, raw, bytes, position, this.name);
    decodeNpyValues(raw, n, l, out, at, this.name, start * this.dim);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

class VecsRows extends FileRows {
  readonly rows: number;
  readonly dim: number;
  private fd: number | null;
  private readonly rowBytes: number;

  constructor(path: string, private readonly kind: 'fvecs' | 'bvecs', limit?: number) {
    super(path);
    const { fd, size } = openInput(path);
    this.fd = fd;
    try {
      const head = Buffer.alloc(4);
      if (size >= 4) readFully(fd, head, 4, 0, path);
      const l = vecsLayout(size >= 4 ? head.readInt32LE(0) : 0, size, kind, path);
      this.dim = l.dim;
      this.rowBytes = l.rowBytes;
      this.rows = limited(l.rows, limit, path);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  protected fill(start: number, count: number, out: Float32Array, at: number): void {
    if (this.fd === null) throw new Error(`${this.name} was read after close()`);
    const bytes = count * this.rowBytes;
    const raw = this.buffer(bytes);
    readFully(this.fd, raw, bytes, start * this.rowBytes, this.name);
    checkRowHeaders(new DataView(raw.buffer, raw.byteOffset, bytes), count, this.rowBytes, this.dim, start, this.name);
    decodeVecsRows(raw, count, this.dim, this.kind, out, at);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Ids of an .ivecs file (e.g. TEXMEX ground truth), row range by row range. */
export interface IdRows {
  readonly name: string;
  readonly rows: number;
  readonly dim: number;
  /** Rows [start, start + count) as rows × dim int32 values. */
  read(start: number, count: number): Int32Array;
  close(): void;
}

export function openIdRows(path: string): IdRows {
  const { fd: opened, size } = openInput(path);
  let fd: number | null = opened;
  let layout: { rows: number; dim: number; rowBytes: number };
  try {
    const head = Buffer.alloc(4);
    if (size >= 4) readFully(opened, head, 4, 0, path);
    layout = vecsLayout(size >= 4 ? head.readInt32LE(0) : 0, size, 'ivecs', path);
  } catch (e) {
    closeSync(opened);
    throw e;
  }
  const { rows, dim, rowBytes } = layout;
  let raw = Buffer.alloc(0);
  return {
    name: path, rows, dim,
    read(start, count) {
      if (fd === null) throw new Error(`${path} was read after close()`);
      if (!(start >= 0 && count >= 0 && start + count <= rows)) throw new RangeError(`${path}: rows [${start}, ${start + count}) are outside [0, ${rows})`);
      const bytes = count * rowBytes;
      if (raw.length < bytes) raw = Buffer.allocUnsafe(bytes);
      readFully(fd, raw, bytes, start * rowBytes, path);
      const view = new DataView(raw.buffer, raw.byteOffset, bytes);
      checkRowHeaders(view, count, rowBytes, dim, start, path);
      const out = new Int32Array(count * dim);
      for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) out[i * dim + j] = view.getInt32(i * rowBytes + 4 + 4 * j, true);
      return out;
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}
