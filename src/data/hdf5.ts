/**
 * ann-benchmarks `.hdf5` files, read with h5wasm (HDF5 compiled to WebAssembly): datasets `train`
 * (the base), `test` (queries), `neighbors` (exact ids, usually k = 100) and `distances`, and the
 * attribute `distance` ('angular' or 'euclidean'). Angular data is L2-normalized on load, so the
 * L2 order is the cosine order and the file's neighbours stay valid; their distances are converted
 * to squared L2 (angular: 2·(1 − cos); euclidean: d²), the convention of every vqbench result.
 *
 * HDF5 prints its error stack straight to file descriptor 2; while h5wasm runs, those writes are
 * captured so that a bad file ends in one sentence, not a page of diagnostics.
 */
import fs from 'node:fs';
import { InputError } from '../core/errors.js';
import { Matrix, normalizeRows } from '../core/matrix.js';
import { readInput } from './files.js';
import type { DatasetMetric, GroundTruth } from './types.js';

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export interface AnnBenchmarksFile {
  metric: DatasetMetric;
  base: Matrix;
  queries: Matrix;
  groundTruth?: GroundTruth;
}

type H5 = typeof import('h5wasm');
let h5: Promise<H5> | null = null;

async function h5wasm(): Promise<H5> {
  h5 ??= import('h5wasm/node').then(async (m) => {
    await m.ready;
    return m as unknown as H5;
  });
  return h5;
}

/** Runs fn with writes to fd 2 captured; returns its value, or throws with the last HDF5 message. */
function quietly<T>(fn: () => T): { value?: T; error?: Error; diag: string } {
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
  try {
    return { value: fn(), diag };
  } catch (e) {
    return { error: e as Error, diag };
  } finally {
    fs.writeSync = orig;
  }
}

/** The innermost message of the first HDF5 error stack, e.g. "truncated file: eof = 3000, ...". */
function lastHdf5Message(diag: string): string | null {
  const first = diag.split('HDF5-DIAG').find((b) => b.trim().length > 0) ?? '';
  const lines = [...first.matchAll(/#\d+: .*? in [\w.]+\(\): (.*)/g)];
  return lines.length ? lines[lines.length - 1][1].trim() : null;
}

export async function readAnnBenchmarksHdf5(path: string): Promise<AnnBenchmarksFile> {
  const head = readInput(path).subarray(0, 8);
  if (head.length < 8 || SIGNATURE.some((b, i) => head[i] !== b)) throw new InputError(`${path} is not an HDF5 file (no HDF5 signature at its start).`);
  const lib = await h5wasm();
  const r = quietly(() => {
    const f = new lib.File(path, 'r');
    try {
      const keys = f.keys();
      const read = (name: string) => {
        const ds = f.get(name) as { shape: number[] | null; value: unknown; dtype: unknown } | null;
        if (!ds || !ds.shape) return null;
        return { shape: ds.shape, value: ds.value as ArrayLike<number> | null };
      };
      const attr = f.attrs['distance'] as { value: unknown } | undefined;
      return { keys, train: read('train'), test: read('test'), neighbors: read('neighbors'), distances: read('distances'), distance: attr ? String(attr.value) : null };
    } finally {
      f.close();
    }
  });
  if (r.error || !r.value) {
    const why = lastHdf5Message(r.diag) ?? r.error?.message ?? 'unreadable';
    throw new InputError(`${path} cannot be read as HDF5: ${why}.`);
  }
  const v = r.value;
  for (const need of ['train', 'test'] as const) {
    if (!v[need]) throw new InputError(`${path} has no '${need}' dataset (an ann-benchmarks file holds train, test, neighbors, distances; it has ${v.keys.join(', ') || 'none'}).`);
  }
  const toMatrix = (name: string, x: { shape: number[]; value: ArrayLike<number> | null }): Matrix => {
    if (x.shape.length !== 2) throw new InputError(`${path}: '${name}' has shape (${x.shape.join(', ')}), expected (rows, dim).`);
    if (!x.value || typeof (x.value as { length?: unknown }).length !== 'number') throw new InputError(`${path}: '${name}' is not a numeric array.`);
    const m = Matrix.zeros(x.shape[0], x.shape[1]);
    if (x.value.length !== m.data.length) throw new InputError(`${path}: '${name}' holds ${x.value.length} values for shape (${x.shape.join(', ')}).`);
    m.data.set(x.value);
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
    const ids = Int32Array.from(v.neighbors.value as ArrayLike<number>);
    const dists = new Float32Array(nq * k);
    const src = v.distances?.value as ArrayLike<number> | undefined;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] >= base.rows) throw new InputError(`${path}: 'neighbors' names row ${ids[i]} but the base has ${base.rows} rows.`);
      const dv = src ? src[i] : NaN;
      dists[i] = metric === 'angular' ? 2 * dv : dv * dv;
    }
    groundTruth = { k, ids, dists };
  }
  return { metric, base, queries, groundTruth };
}
