/**
 * Raw per-query results in ann-benchmarks' result layout (ann_benchmarks/results.py, runner.py):
 * one HDF5 file per search configuration, `{k}/{algo}/{name, \W+ → _}.hdf5`, holding
 *
 * - `times`     float32 (nq)      seconds of each query (one query at a time, one thread)
 * - `neighbors` int32   (nq, k)   returned ids, best first, padded with -1
 * - `distances` float32 (nq, k)   exact distances of the returned ids, recomputed from the vectors in
 *                                  ann-benchmarks' convention (euclidean: ‖q − x‖; angular: 1 − cos;
 *                                  ip: −q·x), padded with +inf
 *
 * and vqbench's extra `index_distances` float32 (nq, k): the ranking distances as the index
 * returned them (for a quantizing index, approximate; squared L2 for l2/angular), which ann-benchmarks
 * ignores. The attributes are ann-benchmarks' (`batch_mode, best_search_time, candidates,
 * expect_extra, name, run_count, distance, count, build_time, index_size` (kB)`, algo, dataset`)
 * plus what says which distances are which. Booleans are int8 0/1 (h5py reads them as numbers,
 * ann-benchmarks only tests their truth).
 *
 * Writes go to a temporary sibling renamed over the target (src/core/atomic.ts); a file that is
 * truncated or malformed is refused with an InputError naming it.
 */
import fs from 'node:fs';
import { dirname, join } from 'node:path';
import { ensureDir, tempSibling } from '../core/atomic.js';
import { InputError } from '../core/errors.js';
import { fsInputError } from '../core/fs-errors.js';
import { h5wasm, lastHdf5Message, quietly, SIGNATURE } from '../data/hdf5.js';
import { readInput } from '../data/files.js';
import type { DatasetMetric } from '../data/types.js';
import type { Matrix } from '../core/matrix.js';

export type RawAttr = string | number | boolean;

export interface AnnResult {
  /** nq × k returned ids, -1 padded. */
  neighbors: Int32Array;
  /** nq × k exact distances of the returned ids (ann-benchmarks' convention), +inf padded. */
  distances: Float32Array;
  /** Seconds per query. */
  times: Float32Array;
  nq: number;
  k: number;
  attrs: Record<string, RawAttr>;
  /** nq × k ranking distances as the index returned them (vqbench's extra dataset), when present. */
  indexDistances?: Float32Array;
}

/** The file name ann-benchmarks gives a configuration: its name with every run of non-word characters replaced by `_`. */
export function rawFileName(name: string): string {
  return `${name.replace(/\W+/g, '_')}.hdf5`;
}

/** `{k}/{algo}/{name → _}.hdf5`, the path of a configuration's raw file under a raw-results folder (always with `/`). */
export function rawRelativePath(k: number, algo: string, name: string): string {
  return `${k}/${algo.replace(/\W+/g, '_')}/${rawFileName(name)}`;
}

function checkShapes(r: Pick<AnnResult, 'neighbors' | 'distances' | 'times' | 'nq' | 'k' | 'indexDistances'>, path: string): void {
  const { nq, k } = r;
  if (!Number.isInteger(nq) || nq < 1 || !Number.isInteger(k) || k < 1) throw new RangeError(`writeAnnResult ${path}: nq and k must be positive integers, got ${nq}, ${k}`);
  if (r.neighbors.length !== nq * k) throw new RangeError(`writeAnnResult ${path}: neighbors has ${r.neighbors.length} values, expected ${nq} × ${k}`);
  if (r.distances.length !== nq * k) throw new RangeError(`writeAnnResult ${path}: distances has ${r.distances.length} values, expected ${nq} × ${k}`);
  if (r.indexDistances && r.indexDistances.length !== nq * k) throw new RangeError(`writeAnnResult ${path}: indexDistances has ${r.indexDistances.length} values, expected ${nq} × ${k}`);
  if (r.times.length !== nq) throw new RangeError(`writeAnnResult ${path}: times has ${r.times.length} values, expected ${nq}`);
}

/** ann-benchmarks' float attributes: written as float64 even when their value is whole. */
const FLOAT_ATTRS = new Set(['best_search_time', 'candidates', 'build_time', 'index_size']);

type H5File = InstanceType<Awaited<ReturnType<typeof h5wasm>>['File']>;

function writeAttrs(f: H5File, attrs: Record<string, RawAttr>): void {
  for (const [name, v] of Object.entries(attrs)) {
    if (typeof v === 'string') f.create_attribute(name, v);
    else if (typeof v === 'boolean') f.create_attribute(name, v ? 1 : 0, [], '<b');
    else if (Number.isInteger(v) && Math.abs(v) < 2 ** 31 && !FLOAT_ATTRS.has(name)) f.create_attribute(name, v, [], '<i');
    else f.create_attribute(name, v, [], '<d');
  }
}

/** Writes an HDF5 file at `path` (folders created) through a temporary sibling renamed over it. */
async function writeHdf5(path: string, fill: (f: H5File) => void): Promise<void> {
  ensureDir(dirname(path), path);
  const st = fs.statSync(path, { throwIfNoEntry: false });
  if (st?.isDirectory()) throw fsInputError(Object.assign(new Error('EISDIR'), { code: 'EISDIR', path }), path, 'write')!;
  const lib = await h5wasm();
  const tmp = tempSibling(path);
  const w = quietly(() => {
    const f = new lib.File(tmp, 'w');
    try {
      fill(f);
    } finally {
      f.close();
    }
  });
  try {
    if (w.error) {
      const e = fsInputError(w.error, path, 'write');
      if (e) throw e;
      throw new InputError(`${path} cannot be written: ${lastHdf5Message(w.diag) ?? w.error.message}.`);
    }
    fs.renameSync(tmp, path);
  } catch (e) {
    try { fs.rmSync(tmp, { force: true }); } catch { /* gone */ }
    throw fsInputError(e, path, 'write') ?? e;
  }
}

/** Writes one configuration's raw results to `path` (folders created), atomically. */
export async function writeAnnResult(path: string, r: AnnResult): Promise<void> {
  checkShapes(r, path);
  await writeHdf5(path, (f) => {
    const { nq, k } = r;
    f.create_dataset({ name: 'times', data: r.times, shape: [nq], dtype: '<f' });
    f.create_dataset({ name: 'neighbors', data: r.neighbors, shape: [nq, k], dtype: '<i' });
    f.create_dataset({ name: 'distances', data: r.distances, shape: [nq, k], dtype: '<f' });
    if (r.indexDistances) f.create_dataset({ name: 'index_distances', data: r.indexDistances, shape: [nq, k], dtype: '<f' });
    writeAttrs(f, r.attrs);
  });
}

type Read = { shape: number[]; value: unknown } | null;

/** The named numeric datasets (null when absent) and the root attributes of an HDF5 file; a file that is not HDF5 or is truncated is an InputError naming it. */
async function readArrays<N extends string>(path: string, names: readonly N[]): Promise<{ arrays: Record<N, Read>; attrs: Record<string, RawAttr> }> {
  const bytes = readInput(path);
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new InputError(`${path} is not an HDF5 file (no HDF5 signature at its start).`);
  const lib = await h5wasm();
  const r = quietly(() => {
    const f = new lib.File(path, 'r');
    try {
      const read = (name: string): Read => {
        const ds = f.get(name);
        if (!ds || !(ds instanceof lib.Dataset)) return null;
        const { type, size, shape } = ds.metadata;
        if (!shape || (type !== 0 && type !== 1)) throw new InputError(`${path}: '${name}' does not hold numbers.`);
        const claimed = shape.reduce((a, b) => a * b, 1) * size;
        if (ds.filters.length === 0 && claimed > bytes.length) throw new InputError(`${path}: '${name}' claims shape (${shape.join(', ')}), ${claimed} bytes, more than the ${bytes.length}-byte file holds (truncated?).`);
        return { shape, value: ds.value as unknown };
      };
      const attrs: Record<string, RawAttr> = {};
      for (const [name, a] of Object.entries(f.attrs)) {
        const v = (a as { value: unknown }).value;
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') attrs[name] = v;
        else if (typeof v === 'bigint') attrs[name] = Number(v);
        else if (ArrayBuffer.isView(v) && (v as unknown as ArrayLike<number>).length === 1) attrs[name] = Number((v as unknown as ArrayLike<number>)[0]);
      }
      const arrays = Object.fromEntries(names.map((n) => [n, read(n)])) as Record<N, Read>;
      return { arrays, attrs };
    } finally {
      f.close();
    }
  });
  if (r.error instanceof InputError) throw r.error;
  if (r.error || !r.value) throw new InputError(`${path} cannot be read as HDF5 (truncated or malformed): ${lastHdf5Message(r.diag) ?? r.error?.message ?? 'unreadable'}.`);
  return r.value;
}

/** A dataset as a typed array of the expected shape, or an InputError naming the file. */
function typedArray<T extends Int32Array | Float32Array>(path: string, name: string, x: Read, ctor: new (n: number) => T, shape: number[]): T {
  if (!x || x.shape.join(',') !== shape.join(',')) throw new InputError(`${path}: '${name}' has shape (${x?.shape.join(', ')}), expected (${shape.join(', ')}).`);
  const val = x.value as ArrayLike<number> | null;
  if (!val || typeof val.length !== 'number' || val.length !== shape.reduce((a, b) => a * b, 1)) throw new InputError(`${path}: '${name}' holds ${val?.length ?? 0} values for shape (${shape.join(', ')}).`);
  if (val instanceof ctor) return val as T;
  const out = new ctor(val.length);
  out.set(val as ArrayLike<number>);
  return out;
}

/** (nq, k) of a 2-d `neighbors` dataset, or an InputError. */
function neighborShape(path: string, x: Read): [number, number] {
  const [nq, k] = x!.shape;
  if (x!.shape.length !== 2 || !(nq > 0) || !(k > 0)) throw new InputError(`${path}: 'neighbors' has shape (${x!.shape.join(', ')}), expected (queries, k).`);
  return [nq, k];
}

/** Reads a raw result file back; a file that is not one (truncated, malformed, shapes that disagree) is an InputError naming it. */
export async function readAnnResult(path: string): Promise<AnnResult> {
  const { arrays: v, attrs } = await readArrays(path, ['times', 'neighbors', 'distances', 'index_distances'] as const);
  for (const need of ['times', 'neighbors', 'distances'] as const) {
    if (!v[need]) throw new InputError(`${path} has no '${need}' dataset: it is not an ann-benchmarks result file.`);
  }
  const [nq, k] = neighborShape(path, v.neighbors);
  const out: AnnResult = {
    nq, k, attrs,
    neighbors: typedArray(path, 'neighbors', v.neighbors, Int32Array, [nq, k]),
    distances: typedArray(path, 'distances', v.distances, Float32Array, [nq, k]),
    times: typedArray(path, 'times', v.times, Float32Array, [nq]),
  };
  if (v.index_distances) out.indexDistances = typedArray(path, 'index_distances', v.index_distances, Float32Array, [nq, k]);
  return out;
}

/**
 * The exact ground truth of a run's queries, as ann-benchmarks' dataset files hold it: `neighbors`
 * int32 (nq, k) and `distances` float32 (nq, k) in ann-benchmarks' distance convention (ascending),
 * attribute `distance`. Written once per index cell (`raw/<cell>/truth.hdf5`) so that every metric
 * can be recomputed from the run folder alone, without the dataset.
 */
export interface AnnTruth {
  nq: number;
  k: number;
  ids: Int32Array;
  dists: Float32Array;
  attrs: Record<string, RawAttr>;
}

/** The truth file's name inside a cell's raw folder. */
export const TRUTH_FILE = 'truth.hdf5';

/** A filtered search's truth file beside it (the exact neighbours among the rows the filter keeps): `truth_label_1p.hdf5`. */
export function filteredTruthFile(filter: string): string {
  return `truth_${filter.replace(/\W+/g, '_')}.hdf5`;
}

export async function writeAnnTruth(path: string, t: AnnTruth): Promise<void> {
  if (!Number.isInteger(t.nq) || t.nq < 1 || !Number.isInteger(t.k) || t.k < 1) throw new RangeError(`writeAnnTruth ${path}: nq and k must be positive integers, got ${t.nq}, ${t.k}`);
  if (t.ids.length !== t.nq * t.k || t.dists.length !== t.nq * t.k) throw new RangeError(`writeAnnTruth ${path}: expected ${t.nq} × ${t.k} ids and distances`);
  await writeHdf5(path, (f) => {
    f.create_dataset({ name: 'neighbors', data: t.ids, shape: [t.nq, t.k], dtype: '<i' });
    f.create_dataset({ name: 'distances', data: t.dists, shape: [t.nq, t.k], dtype: '<f' });
    writeAttrs(f, t.attrs);
  });
}

export async function readAnnTruth(path: string): Promise<AnnTruth> {
  const { arrays: v, attrs } = await readArrays(path, ['neighbors', 'distances'] as const);
  if (!v.neighbors || !v.distances) throw new InputError(`${path} has no '${v.neighbors ? 'distances' : 'neighbors'}' dataset: it is not a ground-truth file.`);
  const [nq, k] = neighborShape(path, v.neighbors);
  return { nq, k, attrs, ids: typedArray(path, 'neighbors', v.neighbors, Int32Array, [nq, k]), dists: typedArray(path, 'distances', v.distances, Float32Array, [nq, k]) };
}

/** Joins a raw-results folder and a relative raw path. */
export const rawPath = (dir: string, relative: string): string => join(dir, ...relative.split('/'));

/** The `distance` attribute ann-benchmarks gives a metric. */
export function annDistanceName(metric: DatasetMetric): string {
  return metric === 'l2' ? 'euclidean' : metric === 'angular' ? 'angular' : 'ip';
}

export const EXACT_DISTANCES_NOTE =
  "exact distances of the returned ids, recomputed from the dataset's vectors in float64 as ann-benchmarks does " +
  '(euclidean: ||q - x||; angular: 1 - cos(q, x); ip: -q.x), +inf for padding';
export const INDEX_DISTANCES_NOTE =
  "ranking distances as the index returned them (approximate for a quantizing index; squared L2 ascending, or inner products descending, as the index's metric says), padding as returned";

/**
 * Exact distances (ann-benchmarks' convention, `EXACT_DISTANCES_NOTE`) between each query and the
 * ids returned for it (nq × k, -1 padded → +inf), computed in float64 and stored as float32.
 */
export function exactDistances(base: Matrix, queries: Matrix, ids: Int32Array, k: number, metric: DatasetMetric): Float32Array {
  const nq = queries.rows, dim = queries.dim;
  if (ids.length !== nq * k) throw new RangeError(`exactDistances: ${ids.length} ids for ${nq} × ${k}`);
  const out = new Float32Array(nq * k);
  const b = base.data, q = queries.data;
  for (let i = 0; i < nq; i++) {
    const qo = i * dim;
    let qq = 0;
    for (let d = 0; d < dim; d++) qq += q[qo + d] * q[qo + d];
    for (let j = 0; j < k; j++) {
      const id = ids[i * k + j];
      if (id < 0 || id >= base.rows) {
        out[i * k + j] = Infinity;
        continue;
      }
      const xo = id * dim;
      let dot = 0, xx = 0, sq = 0;
      for (let d = 0; d < dim; d++) {
        const a = q[qo + d], c = b[xo + d];
        dot += a * c;
        xx += c * c;
        sq += (a - c) * (a - c);
      }
      out[i * k + j] = metric === 'l2' ? Math.sqrt(sq) : metric === 'angular' ? 1 - dot / Math.sqrt(qq * xx || 1) : -dot;
    }
  }
  return out;
}

/** A streaming run's answers in big-ann-benchmarks' streaming results layout (benchmark/streaming/results.py). */
export interface StreamRawResult {
  nq: number;
  k: number;
  /** Per search step (1-based runbook step number), the row ids returned, nq × k, padded with −1. */
  steps: { step: number; neighbors: Int32Array }[];
  attrs: Record<string, RawAttr>;
}

/**
 * Writes a streaming run as big-ann-benchmarks does: one dataset `neighbors_step{n}` (int32, nq × k)
 * per search step n, attributes `num_searches` and `step_{i}` = n of the i-th search (1-based, in
 * order), plus `attrs`; atomically.
 */
export async function writeStreamResult(path: string, r: StreamRawResult): Promise<void> {
  for (const s of r.steps) if (s.neighbors.length !== r.nq * r.k) throw new RangeError(`writeStreamResult ${path}: step ${s.step} has ${s.neighbors.length} values, expected ${r.nq} × ${r.k}`);
  await writeHdf5(path, (f) => {
    r.steps.forEach((s, i) => {
      f.create_dataset({ name: `neighbors_step${s.step}`, data: s.neighbors, shape: [r.nq, r.k], dtype: '<i' });
      f.create_attribute(`step_${i + 1}`, s.step, [], '<i');
    });
    f.create_attribute('num_searches', r.steps.length, [], '<i');
    writeAttrs(f, r.attrs);
  });
}

/** A streaming results file read back: each search step's neighbours and the root attributes. */
export async function readStreamResult(path: string): Promise<{ steps: { step: number; neighbors: Int32Array; nq: number; k: number }[]; attrs: Record<string, RawAttr> }> {
  const probe = await readArrays(path, []);
  const n = Number(probe.attrs.num_searches);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${path}: attribute num_searches is missing or not a positive integer.`);
  const stepOf = Array.from({ length: n }, (_, i) => Number(probe.attrs[`step_${i + 1}`]));
  const names = stepOf.map((s) => `neighbors_step${s}`);
  const { arrays } = await readArrays(path, names);
  const steps = stepOf.map((step, i) => {
    const x = arrays[names[i]];
    if (!x) throw new InputError(`${path}: '${names[i]}' is missing.`);
    const [nq, k] = x.shape;
    return { step, nq, k, neighbors: typedArray(path, names[i], x, Int32Array, [nq, k]) };
  });
  return { steps, attrs: probe.attrs };
}
