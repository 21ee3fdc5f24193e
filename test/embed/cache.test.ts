// The embedding cache with a fake embedder that counts its calls: hits, resume after an
// interruption, corrupt chunks recomputed, and what the key depends on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Matrix } from '../../src/core/matrix.js';
import { encodeNpy, writeNpy } from '../../src/data/npy.js';
import { chunkFileName, embeddingCacheKey, embedWithCache, textsSha256 } from '../../src/embed/cache.js';
import { PrecomputedEmbedder } from '../../src/embed/precomputed.js';
import type { Embedder, EmbedRole } from '../../src/embed/types.js';

const DIM = 4;

/** Vectors that depend on the text and the role only; counts calls and texts; can fail after N calls. */
class FakeEmbedder implements Embedder {
  readonly dim = DIM;
  calls = 0;
  embedded = 0;
  batches: string[][] = [];
  constructor(readonly id = 'fake', readonly version = '1', private failAfter = Infinity) {}
  async embed(texts: string[], role: EmbedRole): Promise<Matrix> {
    if (this.calls >= this.failAfter) throw new Error('interrupted');
    this.calls++;
    this.embedded += texts.length;
    this.batches.push(texts);
    const m = Matrix.zeros(texts.length, DIM);
    texts.forEach((t, i) => {
      let h = role === 'query' ? 7 : 3;
      for (const c of t) h = (h * 31 + c.charCodeAt(0)) >>> 0;
      for (let j = 0; j < DIM; j++) m.data[i * DIM + j] = ((h >>> (j * 8)) & 255) / 255 - 0.5;
    });
    return m;
  }
}

let root = '';
const texts = Array.from({ length: 2500 }, (_, i) => `text number ${i}`);
before(() => { root = mkdtempSync(join(tmpdir(), 'vqbench-ecache-')); });
after(() => rmSync(root, { recursive: true, force: true }));
const fresh = () => mkdtempSync(join(root, 'c-'));

test('a second call is served from the cache without calling embed', async () => {
  const cacheDir = fresh();
  const e = new FakeEmbedder();
  const a = await embedWithCache(e, texts, 'document', { cacheDir });
  assert.equal(a.rows, 2500);
  assert.equal(e.calls, 3, '2500 texts in chunks of 1024: 3 calls');
  assert.deepEqual(e.batches.map((b) => b.length), [1024, 1024, 452]);
  const b = await embedWithCache(e, texts, 'document', { cacheDir });
  assert.equal(e.calls, 3, 'no new call');
  assert.deepEqual(Array.from(b.data), Array.from(a.data));
  assert.deepEqual(Array.from(a.row(1234)), Array.from((await new FakeEmbedder().embed([texts[1234]], 'document')).row(0)));
  const { dir } = embeddingCacheKey(e, texts, 'document', cacheDir);
  const chunks = [chunkFileName(0, 1024), chunkFileName(1024, 2048), chunkFileName(2048, 2500)];
  assert.deepEqual(readdirSync(dir).sort(), [...chunks.flatMap((c) => [c, `${c}.done.json`]), 'meta.json'].sort());
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
  assert.equal(meta.embedder, 'fake');
  assert.equal(meta.texts, 2500);
  assert.equal(meta.textsSha256, textsSha256(texts));
});

test('an interrupted run resumes at the first missing chunk and equals an uninterrupted run', async () => {
  const cacheDir = fresh();
  const reference = await embedWithCache(new FakeEmbedder(), texts, 'document', { cacheDir: fresh(), chunkSize: 500 });
  const failing = new FakeEmbedder('fake', '1', 2);
  await assert.rejects(embedWithCache(failing, texts, 'document', { cacheDir, chunkSize: 500 }), /interrupted/);
  assert.equal(failing.calls, 2, 'two chunks were done and written before the failure');
  const resumed = new FakeEmbedder();
  const progress: [number, number, string | undefined][] = [];
  const m = await embedWithCache(resumed, texts, 'document', { cacheDir, chunkSize: 500, onProgress: (d, t, l) => progress.push([d, t, l]) });
  assert.equal(resumed.calls, 3, 'only the 3 missing chunks');
  assert.equal(resumed.embedded, 1500);
  assert.deepEqual(resumed.batches.map((b) => b[0]), ['text number 1000', 'text number 1500', 'text number 2000']);
  assert.deepEqual(Array.from(m.data), Array.from(reference.data));
  assert.deepEqual(progress[0], [0, 1500, '(1000 cached)'], 'progress counts the texts still to embed');
  assert.deepEqual(progress.at(-1), [1500, 1500, '(1000 cached)']);
});

test('a corrupt chunk (bad header, wrong shape, truncated, NaN) is recomputed, never trusted', async () => {
  const cacheDir = fresh();
  const e = new FakeEmbedder();
  const good = await embedWithCache(e, texts, 'document', { cacheDir });
  const { dir } = embeddingCacheKey(e, texts, 'document', cacheDir);
  const c0 = join(dir, chunkFileName(0, 1024));
  const c1 = join(dir, chunkFileName(1024, 2048));
  const c2 = join(dir, chunkFileName(2048, 2500));
  const damages: [string, () => void][] = [
    ['bad header', () => writeFileSync(c0, 'not an npy file')],
    ['wrong shape', () => writeNpy(c1, Matrix.zeros(1024, DIM + 1))],
    ['truncated', () => writeFileSync(c2, encodeNpy(good.sliceRows(2048, 2500)).subarray(0, 500))],
    ['NaN', () => { const m = good.sliceRows(0, 1024).clone(); m.data[17] = NaN; writeNpy(c0, m); }],
    // a valid .npy of the right shape with one float changed: only the checksum can tell
    ['flipped byte', () => { const b = readFileSync(c1); b[b.length - 3] ^= 0x10; writeFileSync(c1, b); }],
    ['no completion marker', () => rmSync(`${c2}.done.json`)],
    ['garbled marker', () => writeFileSync(`${c0}.done.json`, '{"complete": tru')],
  ];
  for (const [what, damage] of damages) {
    damage();
    const before = e.calls;
    const again = await embedWithCache(e, texts, 'document', { cacheDir });
    assert.equal(e.calls, before + 1, `${what}: exactly one chunk recomputed`);
    assert.deepEqual(Array.from(again.data), Array.from(good.data), `${what}: result as before`);
  }
});

test('different role, texts, order, version or id → a different key; same inputs → the same key', () => {
  const e = new FakeEmbedder();
  const k = (emb: Embedder, t: string[], r: EmbedRole) => embeddingCacheKey(emb, t, r, root).dir;
  const base = k(e, texts, 'document');
  assert.equal(k(new FakeEmbedder(), texts.slice(), 'document'), base);
  assert.notEqual(k(e, texts, 'query'), base);
  assert.notEqual(k(e, texts.slice(0, -1), 'document'), base);
  assert.notEqual(k(e, [...texts].reverse(), 'document'), base);
  assert.notEqual(k(e, [...texts.slice(0, -1), texts.at(-1) + ' '], 'document'), base);
  assert.notEqual(k(new FakeEmbedder('fake', '2'), texts, 'document'), base);
  assert.notEqual(k(new FakeEmbedder('fake:q8', '1'), texts, 'document'), base);
  assert.notEqual(textsSha256(['ab', 'c']), textsSha256(['a', 'bc']), 'texts are length-prefixed');
  assert.notEqual(textsSha256(['a\u0000b']), textsSha256(['a', 'b']));
});

test('a different role or version is computed, not served from another key', async () => {
  const cacheDir = fresh();
  const some = texts.slice(0, 10);
  const e = new FakeEmbedder();
  const d = await embedWithCache(e, some, 'document', { cacheDir });
  const q = await embedWithCache(e, some, 'query', { cacheDir });
  assert.equal(e.calls, 2);
  assert.notDeepEqual(Array.from(q.data), Array.from(d.data));
  const v2 = new FakeEmbedder('fake', '2');
  await embedWithCache(v2, some, 'document', { cacheDir });
  assert.equal(v2.calls, 1);
});

test('writeFull keeps one all.npy instead of the chunks; empty input; precomputed passes through', async () => {
  const cacheDir = fresh();
  const e = new FakeEmbedder();
  const a = await embedWithCache(e, texts, 'document', { cacheDir, writeFull: true });
  const { dir } = embeddingCacheKey(e, texts, 'document', cacheDir);
  assert.deepEqual(readdirSync(dir).sort(), ['all.npy', 'all.npy.done.json', 'meta.json']);
  const b = await embedWithCache(e, texts, 'document', { cacheDir });
  assert.equal(e.calls, 3);
  assert.deepEqual(Array.from(b.data), Array.from(a.data));

  const empty = await embedWithCache(e, [], 'document', { cacheDir });
  assert.equal(empty.rows, 0);
  assert.equal(empty.dim, DIM);

  const file = join(cacheDir, 'vectors.npy');
  writeNpy(file, a.sliceRows(0, 3).clone());
  const pre = new PrecomputedEmbedder({ vectors: file });
  const p = await embedWithCache(pre, texts.slice(0, 3), 'document', { cacheDir });
  assert.deepEqual(Array.from(p.data), Array.from(a.sliceRows(0, 3).data));
  assert.ok(!existsSync(join(cacheDir, 'embeddings', 'precomputed_vectors.npy')), 'not copied into the cache');
});

test('an embedder returning the wrong shape is a bug, reported, and nothing is cached', async () => {
  const cacheDir = fresh();
  const bad: Embedder = { id: 'bad', version: '1', dim: DIM, embed: async (t) => Matrix.zeros(t.length - 1, DIM) };
  await assert.rejects(embedWithCache(bad, ['a', 'b'], 'document', { cacheDir }), /embed returned 1 × 4 for 2 texts/);
  const { dir } = embeddingCacheKey(bad, ['a', 'b'], 'document', cacheDir);
  assert.ok(!existsSync(join(dir, chunkFileName(0, 2))));
});
