/**
 * ann-benchmarks `.hdf5` files, read with h5wasm (HDF5 compiled to WebAssembly): datasets `train`
 * (the base), `test` (queries), `neighbors` (exact ids, usually k = 100) and `distances`, and the
 * attribute `distance` ('angular' or 'euclidean'). Angular data is L2-normalized on load, so the
 * L2 order is the cosine order and the file's neighbours stay valid; their distances are converted
 * to squared L2 (angular: 2·(1 − cos); euclidean: d²), the convention of every vqbench result.
 *
 * HDF5 prints its error stack straight to file descriptor 2; while h5wasm runs, those writes are
 * captured so that a bad file ends in one sentence, not a page of diagnostics. Each dataset's
 * type and shape are checked against the file's size before its data is read (a corrupt header
 * must not allocate terabytes); neighbours must be ids of base rows (-1 padding is refused, as in
 * TEXMEX ground truth), distances finite and of the neighbours' shape.
 */
import fs from 'node:fs';
import { InputError } from '../core/errors.js';
import { Matrix, assertFinite, normalizeRows } from '../core/matrix.js';
import { readInput } from './files.js';
import type { DatasetMetric, GroundTruth } from './types.js';

export const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export interface AnnBenchmarksFile {
  metric: DatasetMetric;
  base: Matrix;
  queries: Matrix;
  groundTruth?: GroundTruth;
}

type H5 = typeof import('h5wasm');
let h5: Promise<H5> | null = null;

export async function h5wasm(): Promise<H5> {
  h5 ??= import('h5wasm/node').then(async (m) => {
    await m.ready;
    return m as unknown as H5;
  });
  return h5;
}

/** Runs fn with writes to fd 2 and process.stderr captured; returns its value, or throws with the last HDF5 message. */
export function quietly<T>(fn: () => T): { value?: T; error?: Error; diag: string } {
  const orig = fs.writeSync;
  let diag = '';
  (fs as { writeSync: unknown }).writeSync = function (fd: number, buf: unknown, ...rest: unknown[]) {
    if (fd === 2) {
      if (typeof buf === 'string') {
        diag += buf;
        return Buffer.byteLength(buf);
      }
      // writeSync(fd, buffer, offset, length): the buffer is often the whole wasm heap
      const b = buf as Uint8Array;
      const offset = (rest[0] as number | undefined) ?? 0;
      const length = (rest[1] as number | undefined) ?? b.length - offset;
      diag += Buffer.from(b.buffer, b.byteOffset + offset, length).toString('utf8');
      return length;
    }
    return (orig as (...a: unknown[]) => number).call(fs, fd, buf, ...rest);
  };
  // h5wasm's own warnings and aborts ("Invalid UTF-8 leading byte", "Aborted(...)") go through console.error
  const origWrite = process.stderr.write;
  process.stderr.write = ((chunk: unknown) => {
    diag += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { value: fn(), diag };
  } catch (e) {
    return { error: e as Error, diag };
  } finally {
    fs.writeSync = orig;
    process.stderr.write = origWrite;
  }
}

/** The innermost message of the first HDF5 error stack, e.g. "truncated file: eof = 3000, ...". */
export function lastHdf5Message(diag: string): string | null {
  const first = diag.split('HDF5-DIAG').find((b) => b.trim().length > 0) ?? '';
  const lines = [...first.matchAll(/#\d+: .*? in [\w.]+\(\): (.*)/g)];
  return lines.length ? lines[lines.length - 1][1].trim() : null;
}

export async function readAnnBenchmarksHdf5(path: string): Promise<AnnBenchmarksFile> {
  const bytes = readInput(path);
  const head = bytes.subarray(0, 8);
  if (head.length < 8 || SIGNATURE.some((b, i) => head[i] !== b)) throw new InputError(`${path} is not an HDF5 file (no HDF5 signature at its start).`);
  const lib = await h5wasm();
  const r = quietly(() => {
    const f = new lib.File(path, 'r');
    try {
      const keys = f.keys();
      const read = (name: string) => {
        const ds = f.get(name) as { metadata: { type: number; size: number; shape: number[] | null }; filters: unknown[]; value: unknown } | null;
        if (!ds || !(ds instanceof lib.Dataset)) return null;
        const { type, size, shape } = ds.metadata;
        if (!shape) return null;
        // the header's sizes are checked before h5wasm allocates them: a corrupt shape must not allocate terabytes
        if (type !== 0 && type !== 1) throw new InputError(`${path}: '${name}' does not hold numbers (HDF5 type class ${type}).`);
        if (type === 1 && size === 2) throw new InputError(`${path}: '${name}' holds float16 values, which h5wasm cannot read; convert it to float32.`);
        const claimed = shape.reduce((a, b) => a * b, 1) * size;
        const limit = ds.filters.length === 0 ? bytes.length : Math.min(2 ** 31, bytes.length * 64); // compressed: float vectors never shrink 64×
        if (claimed > limit) throw new InputError(`${path}: '${name}' claims shape (${shape.join(', ')}), ${claimed} bytes, more than the ${bytes.length}-byte file can hold.`);
        const value = ds.value;
        // int64 datasets (numpy's default for ids) come back as BigInt64Array
        const numbers = value instanceof BigInt64Array || value instanceof BigUint64Array ? Float64Array.from(value, Number) : (value as ArrayLike<number> | null);
        return { shape, value: numbers };
      };
      const attr = f.attrs['distance'] as { value: unknown } | undefined;
      return { keys, train: read('train'), test: read('test'), neighbors: read('neighbors'), distances: read('distances'), distance: attr ? String(attr.value) : null };
    } finally {
      f.close();
    }
  });
  if (r.error instanceof InputError) throw r.error;
  if (r.error || !r.value) {
    const why = lastHdf5Message(r.diag) ?? r.error?.message ?? 'unreadable';
    throw new InputError(`${path} cannot be read as HDF5: ${why}.`);
  }
  const v = r.value;
  for (const need of ['train', 'test'] as const) {
    if (!v[need] && v.keys.includes(need)) throw new InputError(`${path}: '${need}' is not a readable dataset (corrupt object header or not an array).`);
    if (!v[need]) throw new InputError(`${path} has no '${need}' dataset (an ann-benchmarks file holds train, test, neighbors, distances; it has ${v.keys.join(', ') || 'none'}).`);
  }
  const toMatrix = (name: string, x: { shape: number[]; value: ArrayLike<number> | null }): Matrix => {
    if (x.shape.length !== 2) throw new InputError(`${path}: '${name}' has shape (${x.shape.join(', ')}), expected (rows, dim).`);
    if (x.shape[0] === 0 || x.shape[1] === 0) throw new InputError(`${path}: '${name}' has shape (${x.shape.join(', ')}); it holds no vectors.`);
    if (!x.value || typeof (x.value as { length?: unknown }).length !== 'number') throw new InputError(`${path}: '${name}' is not a numeric array.`);
    const m = Matrix.zeros(x.shape[0], x.shape[1]);
    if (x.value.length !== m.data.length) throw new InputError(`${path}: '${name}' holds ${x.value.length} values for shape (${x.shape.join(', ')}).`);
    m.data.set(x.value);
    if (!(x.value instanceof Float32Array)) for (let i = 0; i < m.data.length; i++) {
      if (Number.isFinite(x.value[i]) && !Number.isFinite(m.data[i])) throw new InputError(`${path}: '${name}' holds ${x.value[i]} (row ${Math.floor(i / m.dim)}), beyond the float32 range vectors are computed in.`);
    }
    // before normalizing: an Inf row would become NaN and be reported as such
    assertFinite(m, `${path} ('${name}')`);
    return m;
  };
  const base = toMatrix('train', v.train!);
  const queries = toMatrix('test', v.test!);
  if (base.dim !== queries.dim) throw new InputError(`${path}: queries ('test') have dimension ${queries.dim} but the base ('train') has ${base.dim}.`);
  const distance = v.distance ?? 'euclidean';
  if (distance !== 'angular' && distance !== 'euclidean') throw new InputError(`${path} uses distance '${distance}'; vqbench supports angular and euclidean ann-benchmarks files.`);
  const metric: DatasetMetric = distance === 'angular' ? 'angular' : 'l2';
  if (metric === 'angular') {
    normalizeRows(base);
    normalizeRows(queries);
  }
  let groundTruth: GroundTruth | undefined;
  if (v.neighbors) {
    const [nq, k] = v.neighbors.shape;
    if (nq !== queries.rows || v.neighbors.shape.length !== 2) throw new InputError(`${path}: 'neighbors' has shape (${v.neighbors.shape.join(', ')}) for ${queries.rows} queries.`);
    if (k === 0) throw new InputError(`${path}: 'neighbors' has shape (${v.neighbors.shape.join(', ')}); it lists no neighbours.`);
    const given = v.neighbors.value;
    if (!given || given.length !== nq * k) throw new InputError(`${path}: 'neighbors' holds ${given?.length ?? 0} values for shape (${v.neighbors.shape.join(', ')}).`);
    if (v.distances && (v.distances.shape.length !== 2 || v.distances.shape[0] !== nq || v.distances.shape[1] !== k || v.distances.value?.length !== nq * k)) {
      throw new InputError(`${path}: 'distances' has shape (${v.distances.shape.join(', ')}) but 'neighbors' has (${nq}, ${k}).`);
    }
    const ids = new Int32Array(nq * k);
    const dists = new Float32Array(nq * k);
    const src = v.distances?.value ?? undefined;
    for (let i = 0; i < ids.length; i++) {
      const id = given[i];
      if (!Number.isInteger(id) || id < 0 || id >= base.rows) {
        throw new InputError(`${path}: 'neighbors' names row ${id} (query ${Math.floor(i / k)}) but the base has rows 0 to ${base.rows - 1}.`);
      }
      ids[i] = id;
      const dv = src ? src[i] : NaN;
      if (src && !Number.isFinite(dv)) throw new InputError(`${path}: 'distances' holds ${Number.isNaN(dv) ? 'NaN' : 'an infinite value'} (query ${Math.floor(i / k)}, rank ${i % k}).`);
      dists[i] = metric === 'angular' ? 2 * dv : dv * dv;
      // a distance is ≥ 0 (float32 rounding aside) and its square must stay a float32
      if (src && (dv < -1e-5 || !Number.isFinite(dists[i]))) throw new InputError(`${path}: 'distances' holds ${dv} (query ${Math.floor(i / k)}, rank ${i % k}), not a ${metric === 'angular' ? 'cosine' : 'euclidean'} distance.`);
    }
    groundTruth = { k, ids, dists };
  }
  return { metric, base, queries, groundTruth };
}
