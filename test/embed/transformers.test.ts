// The transformers.js embedder, run for real and offline on test/fixtures/tiny-bert (a tiny
// BERT-shaped ONNX model and a WordPiece tokenizer written by scripts/make-tiny-bert.py), checked
// against reference.json: the token ids of a reference BERT tokenizer and the last_hidden_state
// computed with numpy from the same weights (the model's math, independent of onnxruntime).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, UnavailableError } from '../../src/core/errors.js';
import { createEmbedder } from '../../src/embed/registry.js';
import { BGE_QUERY_INSTRUCTION, TransformersEmbedder } from '../../src/embed/transformers.js';

const TINY = fileURLToPath(new URL('../fixtures/tiny-bert/', import.meta.url)).replace(/\/$/, '');
const REF = JSON.parse(readFileSync(join(TINY, 'reference.json'), 'utf8')) as {
  hidden: number;
  texts: { text: string; ids: number[]; last_hidden_state: number[][] }[];
};
const H = REF.hidden;

let cls: TransformersEmbedder;
let mean: TransformersEmbedder;
let dir = '';

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
const unit = (v: number[]) => { const n = norm(v); return v.map((x) => x / n); };
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); return m; };
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-tf-'));
  cls = (await createEmbedder('bge-large', { modelPath: TINY, offline: true, threads: 1 })) as TransformersEmbedder;
  mean = await TransformersEmbedder.load({ name: 'tiny-mean', modelPath: TINY, pooling: 'mean', offline: true, batchSize: 2, threads: 1 });
});
after(async () => {
  await cls?.dispose();
  await mean?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('bge-large from a local folder: id, dim from config.json, bge conventions', () => {
  assert.equal(cls.id, 'bge-large:fp32');
  assert.match(cls.version, /^1\+[0-9a-f]{16}$/); // code version + fingerprint of the folder
  assert.equal(cls.dim, H);
  assert.equal(cls.pooling, 'cls');
  assert.equal(cls.normalize, true);
  assert.equal(cls.queryInstruction, BGE_QUERY_INSTRUCTION);
  assert.equal(cls.maxLength, 64);
  assert.equal(mean.id, 'tiny-mean:fp32');
  assert.equal(mean.queryInstruction, '');
});

test('the tokenizer gives the reference WordPiece ids (lower case, punctuation, ##pieces, [UNK])', async () => {
  const tok = (cls as unknown as { extractor: { tokenizer: (t: string) => { input_ids: { data: ArrayLike<bigint> } } } }).extractor.tokenizer;
  for (const r of REF.texts) {
    assert.deepEqual(Array.from(tok(r.text).input_ids.data, Number), r.ids, r.text);
  }
  assert.ok(REF.texts.some((r) => r.ids.includes(1)), 'a reference text exercises [UNK]');
});

test('shapes, unit norms, and CLS pooling = row 0 of last_hidden_state (numpy reference), normalized', async () => {
  const texts = REF.texts.map((r) => r.text);
  const m = await cls.embed(texts, 'document');
  assert.equal(m.rows, texts.length);
  assert.equal(m.dim, H);
  for (let i = 0; i < m.rows; i++) {
    assert.ok(Math.abs(norm(m.row(i)) - 1) < 1e-5, `row ${i} has norm 1`);
    const want = unit(REF.texts[i].last_hidden_state[0]);
    assert.ok(maxDiff(m.row(i), want) < 1e-4, `row ${i} equals the reference CLS vector (max diff ${maxDiff(m.row(i), want)})`);
  }
});

test('mean pooling = mean of last_hidden_state over the tokens, normalized; batching and padding do not change it', async () => {
  const texts = REF.texts.map((r) => r.text);
  const m = await mean.embed(texts, 'document'); // batch size 2: texts of different lengths padded together
  for (let i = 0; i < m.rows; i++) {
    const hs = REF.texts[i].last_hidden_state;
    const avg = Array.from({ length: H }, (_, j) => hs.reduce((s, row) => s + row[j], 0) / hs.length);
    assert.ok(maxDiff(m.row(i), unit(avg)) < 1e-4, `row ${i} equals the reference mean (max diff ${maxDiff(m.row(i), unit(avg))})`);
  }
  for (let i = 0; i < texts.length; i++) {
    const alone = await mean.embed([texts[i]], 'document');
    assert.ok(maxDiff(alone.row(0), m.row(i)) < 1e-5, `text ${i} alone = in a padded batch`);
  }
});

test('deterministic; different texts give different vectors; rows come back in the caller order', async () => {
  const texts = ['the dog runs in the park', 'a cat sleeps', 'the dog runs in the park', 'stock prices fell sharply today', ''];
  const a = await cls.embed(texts, 'document');
  const b = await cls.embed(texts, 'document');
  assert.deepEqual(Array.from(a.data), Array.from(b.data));
  assert.ok(maxDiff(a.row(0), a.row(2)) < 1e-6, 'same text, same vector');
  assert.ok(dot(a.row(0), a.row(1)) < 0.999, 'different texts differ');
  assert.ok(dot(a.row(1), a.row(3)) < 0.999);
  assert.ok(Math.abs(norm(a.row(4)) - 1) < 1e-5, 'the empty text ([CLS][SEP]) still gets a unit vector');
  const single = await cls.embed([texts[3]], 'document');
  assert.ok(maxDiff(single.row(0), a.row(3)) < 1e-5, 'length-sorted batching puts rows back in order');
});

test('the query instruction changes query vectors only, and equals embedding the prefixed text', async () => {
  const text = 'dogs running';
  const doc = await cls.embed([text], 'document');
  const query = await cls.embed([text], 'query');
  assert.ok(maxDiff(doc.row(0), query.row(0)) > 1e-3, 'query vector differs from the document vector');
  const ref = REF.texts.find((r) => r.text === BGE_QUERY_INSTRUCTION.trimEnd() + ' ' + text)!;
  assert.ok(ref, 'reference.json holds the prefixed text');
  assert.ok(maxDiff(query.row(0), unit(ref.last_hidden_state[0])) < 1e-4, 'query = CLS of instruction + text');
  const meanQ = await mean.embed([text], 'query');
  const meanD = await mean.embed([text], 'document');
  assert.deepEqual(Array.from(meanQ.data), Array.from(meanD.data), 'no instruction for a non-bge model');
});

test('progress is reported per batch up to the total', async () => {
  const calls: [number, number][] = [];
  await mean.embed(['a', 'b', 'c', 'd', 'e'], 'document', (d, t) => calls.push([d, t]));
  assert.deepEqual(calls, [[0, 5], [2, 5], [4, 5], [5, 5]]);
});

test('a missing --model-path folder is one sentence naming it and the expected layout', async () => {
  const missing = join(dir, 'no-such-model');
  await assert.rejects(createEmbedder('bge-large', { modelPath: missing, offline: true }), (e: Error) => {
    assert.ok(e instanceof InputError);
    assert.ok(e.message.includes(missing));
    assert.match(e.message, /transformers\.js layout/);
    assert.match(e.message, /onnx\/model\.onnx/);
    assert.equal(e.message.split(/\.\s/).length, 1, 'one sentence');
    return true;
  });
});

test('a folder without the q8 file: one sentence naming the missing file', async () => {
  await assert.rejects(createEmbedder('bge-large', { modelPath: TINY, dtype: 'q8' }), (e: Error) => {
    assert.ok(e instanceof InputError);
    assert.match(e.message, /lacks onnx\/model_quantized\.onnx/);
    return true;
  });
  await assert.rejects(createEmbedder('bge-large', { modelPath: TINY, dtype: 'int3' }), /--dtype: expected one of fp32, q8, got 'int3'/);
  await assert.rejects(createEmbedder('bge-large', { modelPath: TINY, pooling: 'max' }), /--pooling: expected one of cls, mean/);
});

test('a folder whose ONNX file is broken: UnavailableError, one line, names the folder', async () => {
  const broken = join(dir, 'broken');
  cpSync(TINY, broken, { recursive: true });
  cpSync(join(TINY, 'config.json'), join(broken, 'onnx', 'model.onnx')); // not an ONNX model
  await assert.rejects(createEmbedder('bge-large', { modelPath: broken, offline: true }), (e: Error) => {
    assert.ok(e instanceof UnavailableError, String(e));
    assert.ok(e.message.includes(broken));
    assert.ok(!e.message.includes('\n'));
    return true;
  });
});

test('a Hub model id offline and not cached: UnavailableError saying where we looked and --model-path', async () => {
  await assert.rejects(createEmbedder('bge-large', { offline: true }), (e: Error) => {
    assert.ok(e instanceof UnavailableError);
    assert.match(e.message, /Xenova\/bge-large-en-v1\.5/);
    assert.match(e.message, /looked in .*Xenova\/bge-large-en-v1\.5 and .*Xenova\/bge-large-en-v1\.5/);
    assert.match(e.message, /--model-path/);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
  await assert.rejects(createEmbedder('someone/some-model', { offline: true }), /someone\/some-model: model someone\/some-model \(model\.onnx\) is not available offline/);
});
