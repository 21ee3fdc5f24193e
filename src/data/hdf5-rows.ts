/**
 * The `train` and `test` datasets of an ann-benchmarks .hdf5 file as RowSources (see row-files.ts).
 */
import { closeSync } from 'node:fs';
import { InputError } from '../core/errors.js';
import { Matrix, normalizeRows } from '../core/matrix.js';
import { FileRows, limited, openInput, readFully, type OpenOptions } from './file-rows.js';
import { SIGNATURE, h5wasm, lastHdf5Message, quietly } from './hdf5.js';
import type { RowSource } from './row-source.js';

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
