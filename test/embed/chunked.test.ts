// A large embedding job in resumable chunks (src/embed/chunked.ts), on 300 real WordNet glosses with
// the GloVe-average embedder (exact, fast): chunked output = one embed call over all texts; a job
// killed after chunk j resumes and computes only the rest (model calls counted); a corrupt chunk is
// recomputed alone; a cell's single chunk is computed once; assembly streams an exact .npy.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Matrix } from '../../src/core/matrix.js';
import { readNpy } from '../../src/data/npy.js';
import { chunkFileName, embeddingCacheKey } from '../../src/embed/cache.js';
import { assembleChunks, fillChunks, fillOneChunk } from '../../src/embed/chunked.js';
import { createGloveAvgEmbedder } from '../../src/embed/glove-avg.js';
import type { Embedder, EmbedRole } from '../../src/embed/types.js';
import { wordnetGlosses } from './wordnet-texts.js';

const dir = mkdtempSync(join(tmpdir(), 'vqbench-chunked-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const glove = createGloveAvgEmbedder();
const texts = wordnetGlosses(300);
const groups = [{ role: 'document' as const, texts }];

/** The GloVe embedder, counting its calls and rows, optionally failing (a kill) at call number `failAt`. */
function counting(failAt = Infinity): Embedder & { calls: number; rows: number } {
  const e = {
    id: glove.id, version: glove.version, dim: glove.dim, calls: 0, rows: 0,
    async embed(t: string[], role: EmbedRole): Promise<Matrix> {
      if (e.calls + 1 >= failAt) throw new Error('killed');
      e.calls++;
      e.rows += t.length;
      return glove.embed(t, role);
    },
  };
  return e;
}

const bytes = (p: string) => readFileSync(p);

test('chunked output equals one embed call over all texts, and the one-chunk output byte for byte', async () => {
  const cacheDir = join(dir, 'c1');
  const e = counting();
  const stats = await fillChunks(e, groups, { chunkRows: 64, cacheDir });
  assert.deepEqual([stats.rows, stats.chunks, stats.computedChunks, stats.computedRows], [300, 5, 5, 300]);
  assert.equal(e.calls, 5);
  assembleChunks(e, groups, join(dir, 'chunked.npy'), { chunkRows: 64, cacheDir });
  const got = readNpy(join(dir, 'chunked.npy'));
  const want = await glove.embed(texts, 'document');
  assert.equal(got.rows, 300);
  assert.deepEqual(got.data, want.data);
  await fillChunks(e, groups, { chunkRows: 1000, cacheDir });
  assembleChunks(e, groups, join(dir, 'whole.npy'), { chunkRows: 1000, cacheDir });
  assert.deepEqual(bytes(join(dir, 'chunked.npy')), bytes(join(dir, 'whole.npy')));
  // a second pass computes nothing
  const again = counting();
  const s2 = await fillChunks(again, groups, { chunkRows: 64, cacheDir });
  assert.deepEqual([again.calls, s2.computedChunks, s2.computedRows], [0, 0, 0]);
});

test('a job killed after chunk j resumes at chunk j + 1 and computes only the rest; progress counts the rest, labelled with the cached rows', async () => {
  const cacheDir = join(dir, 'c2');
  const killed = counting(3); // chunks 0 and 1 are stored, the third call dies
  await assert.rejects(fillChunks(killed, groups, { chunkRows: 64, cacheDir }), /killed/);
  assert.equal(killed.calls, 2);
  const progress: [number, number, string | undefined][] = [];
  const resumed = counting();
  const stats = await fillChunks(resumed, groups, { chunkRows: 64, cacheDir, onProgress: (d, t, l) => progress.push([d, t, l]) });
  assert.equal(resumed.calls, 3, 'chunks 2, 3 and 4 only');
  assert.equal(resumed.rows, 300 - 128);
  assert.deepEqual([stats.computedChunks, stats.computedRows], [3, 172]);
  assert.deepEqual(progress[0], [0, 172, '(128 cached)']);
  assert.deepEqual(progress.at(-1), [172, 172, '(128 cached)']);
  assert.ok(progress.every(([d], i) => i === 0 || d >= progress[i - 1][0]), 'progress never goes back');
  assembleChunks(resumed, groups, join(dir, 'resumed.npy'), { chunkRows: 64, cacheDir });
  assert.deepEqual(bytes(join(dir, 'resumed.npy')), bytes(join(dir, 'chunked.npy')));
});

test('a corrupt chunk is recomputed alone; the chunk markers record the device', async () => {
  const cacheDir = join(dir, 'c2');
  const { dir: keyDir } = embeddingCacheKey(glove, texts, 'document', cacheDir);
  const marker = JSON.parse(readFileSync(join(keyDir, `${chunkFileName(64, 128)}.done.json`), 'utf8'));
  assert.equal(marker.device, 'cpu');
  const f = join(keyDir, chunkFileName(64, 128));
  const buf = readFileSync(f);
  buf[buf.length - 1] ^= 0xff;
  writeFileSync(f, buf);
  const e = counting();
  const origWrite = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write; // the cache's one warning line
  try {
    const stats = await fillChunks(e, groups, { chunkRows: 64, cacheDir });
    assert.deepEqual([e.calls, e.rows, stats.computedChunks], [1, 64, 1]);
  } finally {
    process.stderr.write = origWrite;
  }
});

test('one chunk for a cell: computed once, then found; a range that is not a chunk is refused; assembly without every chunk leaves no file', async () => {
  const cacheDir = join(dir, 'c3');
  const e = counting();
  const first = await fillOneChunk(e, groups[0], 128, 192, { chunkRows: 64, cacheDir });
  const second = await fillOneChunk(e, groups[0], 128, 192, { chunkRows: 64, cacheDir });
  assert.deepEqual([first.computed, second.computed, e.calls, e.rows], [true, false, 1, 64]);
  await assert.rejects(fillOneChunk(e, groups[0], 100, 164, { chunkRows: 64, cacheDir }), /not a chunk of 300 texts at 64 per chunk/);
  assert.throws(() => assembleChunks(e, groups, join(dir, 'partial.npy'), { chunkRows: 64, cacheDir }), /chunk \[0, 64\) of the documents left the cache/);
  assert.ok(!readdirSync(dir).some((f) => f.startsWith('partial') || f.includes('.tmp-')), 'no output and no temporary file');
  // the rest by the whole job: one chunk fewer to compute
  const stats = await fillChunks(e, groups, { chunkRows: 64, cacheDir });
  assert.equal(stats.computedChunks, 4);
});

test('two groups (queries and documents) are cached apart and assembled in order', async () => {
  const cacheDir = join(dir, 'c4');
  const two = [{ role: 'query' as const, texts: texts.slice(0, 50) }, { role: 'document' as const, texts: texts.slice(50, 170) }];
  const e = counting();
  const stats = await fillChunks(e, two, { chunkRows: 40, cacheDir });
  assert.deepEqual([stats.rows, stats.chunks], [170, 2 + 3]);
  assembleChunks(e, two, join(dir, 'two.npy'), { chunkRows: 40, cacheDir });
  const got = readNpy(join(dir, 'two.npy'));
  const want = await glove.embed(texts.slice(0, 170), 'document'); // glove-avg ignores the role
  assert.deepEqual(got.data, want.data);
});
