// Universal Sentence Encoder Lite (weights in node_modules, so this runs offline): 512-d unit rows,
// semantic sanity on real sentences, batching and the empty-text edge case of the library.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEmbedder } from '../../src/embed/registry.js';
import { USE_LITE_DIM, UseLiteEmbedder } from '../../src/embed/use-lite.js';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
const norm = (v: ArrayLike<number>) => Math.sqrt(dot(v, v));

test('use-lite: 512-d, unit norms, paraphrases closer than unrelated sentences', async () => {
  const e = await createEmbedder('use-lite');
  assert.equal(e.id, 'use-lite');
  assert.equal(e.dim, USE_LITE_DIM);
  const texts = [
    'A man is playing a guitar.',
    'A person plays the guitar.',
    'The stock market fell sharply today.',
    'How do I bake bread at home?',
    'What is a simple recipe for homemade bread?',
    'The central bank raised interest rates again.',
  ];
  const m = await e.embed(texts, 'document');
  assert.equal(m.rows, texts.length);
  assert.equal(m.dim, 512);
  for (let i = 0; i < m.rows; i++) assert.ok(Math.abs(norm(m.row(i)) - 1) < 1e-5, `row ${i} norm ${norm(m.row(i))}`);
  const s = (i: number, j: number) => dot(m.row(i), m.row(j));
  assert.ok(s(0, 1) > s(0, 2) + 0.3, `guitar paraphrase ${s(0, 1)} vs stock market ${s(0, 2)}`);
  assert.ok(s(3, 4) > s(3, 2) + 0.3, `bread paraphrase ${s(3, 4)} vs stock market ${s(3, 2)}`);
  assert.ok(s(2, 5) > s(2, 0), `finance ${s(2, 5)} vs guitar ${s(2, 0)}`);
});

test('use-lite: batching does not change vectors, queries = documents, progress per batch', async () => {
  const e = new UseLiteEmbedder({ batchSize: 2 });
  const texts = ['one fish', 'two fish', 'red fish', 'blue fish', 'a rather longer sentence about fish and the sea'];
  const calls: [number, number][] = [];
  const batched = await e.embed(texts, 'document', (d, t) => calls.push([d, t]));
  assert.deepEqual(calls, [[0, 5], [2, 5], [4, 5], [5, 5]]);
  const whole = await new UseLiteEmbedder({ batchSize: 256 }).embed(texts, 'query');
  for (let i = 0; i < texts.length; i++) {
    assert.ok(dot(batched.row(i), whole.row(i)) > 1 - 1e-5, `row ${i} identical across batchings and roles`);
  }
});

test('use-lite: empty texts keep their row (the library drops a trailing empty text)', async () => {
  const e = new UseLiteEmbedder({ batchSize: 4 });
  const m = await e.embed(['hello world', '', 'goodbye', ''], 'document');
  assert.equal(m.rows, 4);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(norm(m.row(i)) - 1) < 1e-5);
  assert.ok(dot(m.row(1), m.row(3)) > 1 - 1e-6, 'every empty text gets the same vector');
  const alone = await e.embed(['hello world'], 'document');
  assert.ok(dot(alone.row(0), m.row(0)) > 1 - 1e-5);
  const onlyEmpty = await e.embed([''], 'document');
  assert.ok(dot(onlyEmpty.row(0), m.row(1)) > 1 - 1e-6);
});
