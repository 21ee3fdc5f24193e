/**
 * Vector files read row range by row range (the out-of-core readers behind `RowSource`): .npy
 * (C order, float32 / float64 / float16), .fvecs, .bvecs, and the `train` / `test` datasets of an
 * ann-benchmarks .hdf5 file. Only the header is read when a file is opened; each `read` is one
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
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { InputError } from '../core/errors.js';
import { Matrix, normalizeRows } from '../core/matrix.js';
import { requireExistingFile } from './files.js';
import { checkRowHeaders, decodeVecsRows, vecsLayout } from './fvecs.js';
import { SIGNATURE, h5wasm, lastHdf5Message, quietly } from './hdf5.js';
import { decodeNpyValues, npyLayout, parseNpyHeader, type NpyLayout } from './npy.js';
import type { ReadOptions, RowSource } from './row-source.js';

export interface OpenOptions {
  /** Only the first `limit` rows of the file are visible (the spec grammar's `:limit=N`). */
  limit?: number;
  /** Which dataset of an ann-benchmarks .hdf5 file: 'train' (the base, default) or 'test' (the queries). */
  hdf5Dataset?: 'train' | 'test';
}

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
function limited(rows: number, limit: number | undefined, path: string): number {
  if (limit === undefined) return rows;
  if (!Number.isInteger(limit) || limit < 1) throw new InputError(`the limit of ${path} must be a positive integer, got ${limit}.`);
  return Math.min(rows, limit);
}

/** Throws one sentence naming the file and row when m (rows `rowOf(i)` of the file) holds NaN or Inf. */
function assertFiniteRows(m: Matrix, source: string, rowOf: (i: number) => number): void {
  const d = m.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v - v !== 0) {
      throw new InputError(`${source}: row ${rowOf(Math.floor(i / m.dim))} contains ${Number.isNaN(v) ? 'NaN' : 'an infinite value'} (column ${i % m.dim}).`);
    }
  }
}

/** The shared part of the file readers: bounds, reused buffers, readRows by runs, finiteness. */
abstract class FileRows implements RowSource {
  abstract readonly rows: number;
  abstract readonly dim: number;
  private scratch: Buffer = Buffer.alloc(0);

  constructor(readonly name: string) {}

  /** Writes rows [start, start + count) as float32 into out[at...). */
  protected abstract fill(start: number, count: number, out: Float32Array, at: number): void;
  abstract close(): void;

  /** A byte buffer of at least n bytes, reused across reads. */
  protected buffer(n: number): Buffer {
    if (this.scratch.length < n) this.scratch = Buffer.allocUnsafe(Math.max(n, Math.min(2 * this.scratch.length, 1 << 28)));
    return this.scratch;
  }

  read(start: number, count: number, opts: ReadOptions = {}): Matrix {
    if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 && start + count <= this.rows)) {
      throw new RangeError(`${this.name}: rows [${start}, ${start + count}) are outside [0, ${this.rows})`);
    }
    const out = Matrix.zeros(count, this.dim, opts.shared ?? false);
    this.fill(start, count, out.data, 0);
    assertFiniteRows(out, this.name, (i) => start + i);
    return out;
  }

  readRows(indices: ArrayLike<number>): Matrix {
    const n = indices.length, d = this.dim;
    const out = Matrix.zeros(n, d);
    for (let i = 0; i < n; i++) {
      const r = indices[i];
      if (!(Number.isInteger(r) && r >= 0 && r < this.rows)) throw new RangeError(`${this.name}: row ${r} is outside [0, ${this.rows})`);
    }
    // ascending order, then runs of nearby rows read with one call each (gaps of a few rows are read and skipped)
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => indices[a] - indices[b]);
    const MAX_GAP = 4, MAX_RUN = 4096;
    let scratch = new Float32Array(0);
    for (let s = 0; s < n; ) {
      let e = s + 1;
      while (e < n && indices[order[e]] - indices[order[e - 1]] <= MAX_GAP && indices[order[e]] - indices[order[s]] < MAX_RUN) e++;
      const first = indices[order[s]], span = indices[order[e - 1]] - first + 1;
      if (scratch.length < span * d) scratch = new Float32Array(span * d);
      this.fill(first, span, scratch, 0);
      for (let j = s; j < e; j++) out.data.set(scratch.subarray((indices[order[j]] - first) * d, (indices[order[j]] - first + 1) * d), order[j] * d);
      s = e;
    }
    assertFiniteRows(out, this.name, (i) => indices[i]);
    return out;
  }
}

/** Reads exactly `length` bytes at `position` of fd into buf[0...); a short read means the file shrank. */
function readFully(fd: number, buf: Uint8Array, length: number, position: number, path: string): void {
  let done = 0;
  while (done < length) {
    // readSync reads at most 2 GiB per call
    const got = readSync(fd, buf, done, Math.min(length - done, 1 << 30), position + done);
    if (got === 0) throw new InputError(`${path} is truncated: it ended at byte ${position + done} while ${length - done} more bytes were expected (was it changed while being read?).`);
    done += got;
  }
}

/** Opens a file the user named, or one sentence saying why not. */
function openInput(path: string): { fd: number; size: number } {
  requireExistingFile(path);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new InputError(`${path} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
  return { fd, size: fstatSync(fd).size };
}

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

type H5File = { get(name: string): unknown; keys(): string[]; attrs: Record<string, { value: unknown }>; close(): void };
type H5Dataset = { metadata: { type: number; size: number; shape: number[] | null }; slice(ranges: ([number, number] | [])[]): unknown };

/**
 * An ann-benchmarks .hdf5 dataset read by hyperslab: h5wasm's Node build reads the real file
 * system (NODERAWFS), so `slice` reads only the rows asked for, never the whole file. Angular
 * files are L2-normalized row by row as they are read (as the whole-file reader does).
 */
class Hdf5Rows extends FileRows {
  private file: H5File | null;

  constructor(
    name: string,
    file: H5File,
    private readonly ds: H5Dataset,
    readonly rows: number,
    readonly dim: number,
    readonly normalize: boolean,
  ) {
    super(name);
    this.file = file;
  }

  protected fill(start: number, count: number, out: Float32Array, at: number): void {
    if (this.file === null) throw new Error(`${this.name} was read after close()`);
    if (count === 0) return;
    const r = quietly(() => this.ds.slice([[start, start + count], []]));
    if (r.error || !r.value) throw new InputError(`${this.name} cannot be read as HDF5 (rows ${start} to ${start + count - 1}): ${lastHdf5Message(r.diag) ?? r.error?.message ?? 'unreadable'}.`);
    const v = r.value as ArrayLike<number>;
    if (v.length !== count * this.dim) throw new InputError(`${this.name}: rows ${start} to ${start + count - 1} hold ${v.length} values, not ${count} × ${this.dim}.`);
    const dst = out.subarray(at, at + count * this.dim);
    dst.set(v);
    if (!(v instanceof Float32Array)) {
      for (let i = 0; i < dst.length; i++) {
        if (Number.isFinite(v[i]) && !Number.isFinite(dst[i])) throw new InputError(`${this.name} holds ${v[i]} (row ${start + Math.floor(i / this.dim)}), beyond the float32 range vectors are computed in.`);
      }
    }
    if (this.normalize) {
      // an Inf row would become NaN: the finiteness check names it either way
      normalizeRows(new Matrix(dst, count, this.dim));
    }
  }

  close(): void {
    this.file?.close();
    this.file = null;
  }
}

/** Opens the `train` (or `test`) dataset of an ann-benchmarks file; also says its metric. */
export async function openHdf5Rows(path: string, opts: OpenOptions = {}): Promise<RowSource & { metric: 'l2' | 'angular' }> {
  const which = opts.hdf5Dataset ?? 'train';
  const { fd, size } = openInput(path);
  const head = Buffer.alloc(8);
  try {
    if (size >= 8) readFully(fd, head, 8, 0, path);
  } finally {
    closeSync(fd);
  }
  if (size < 8 || SIGNATURE.some((b, i) => head[i] !== b)) throw new InputError(`${path} is not an HDF5 file (no HDF5 signature at its start).`);
  const lib = await h5wasm();
  const r = quietly(() => new lib.File(path, 'r') as unknown as H5File);
  if (r.error || !r.value) throw new InputError(`${path} cannot be read as HDF5: ${lastHdf5Message(r.diag) ?? r.error?.message ?? 'unreadable'}.`);
  const file = r.value;
  try {
    const got = quietly(() => {
      const ds = file.get(which);
      const attr = file.attrs['distance'];
      return { ds: ds instanceof lib.Dataset ? (ds as unknown as H5Dataset) : null, distance: attr ? String(attr.value) : 'euclidean', keys: file.keys() };
    });
    if (got.error || !got.value) throw new InputError(`${path} cannot be read as HDF5: ${lastHdf5Message(got.diag) ?? got.error?.message ?? 'unreadable'}.`);
    const { ds, distance, keys } = got.value;
    if (!ds) throw new InputError(`${path} has no '${which}' dataset (an ann-benchmarks file holds train, test, neighbors, distances; it has ${keys.join(', ') || 'none'}).`);
    if (distance !== 'angular' && distance !== 'euclidean') throw new InputError(`${path} uses distance '${distance}'; vqbench supports angular and euclidean ann-benchmarks files.`);
    const { type, size: item, shape } = ds.metadata;
    if (type !== 1) throw new InputError(`${path}: '${which}' does not hold floating-point vectors (HDF5 type class ${type}).`);
    if (item === 2) throw new InputError(`${path}: '${which}' holds float16 values, which h5wasm cannot read; convert it to float32.`);
    if (!shape || shape.length !== 2 || shape[0] === 0 || shape[1] === 0) throw new InputError(`${path}: '${which}' has shape (${shape?.join(', ') ?? 'none'}), expected (rows, dim) with rows and dim > 0.`);
    const rows = limited(shape[0], opts.limit, path);
    const src = new Hdf5Rows(`${path} ('${which}')`, file, ds, rows, shape[1], distance === 'angular');
    return Object.assign(src, { metric: distance === 'angular' ? ('angular' as const) : ('l2' as const) });
  } catch (e) {
    file.close();
    throw e;
  }
}
