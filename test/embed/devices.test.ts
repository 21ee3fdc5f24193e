// --device for the transformers.js embedder, on the tiny BERT fixture (test/fixtures/tiny-bert) and
// this machine's onnxruntime-node (no CUDA provider installed here): the CPU path, the sentence for a
// missing provider, auto falling back with its note, a provider whose files are there but that does
// not start (onnxruntime's real failure), and the per-embedder checks of --device and --batch-size.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, UnavailableError } from '../../src/core/errors.js';
import { Matrix } from '../../src/core/matrix.js';
import { writeNpy } from '../../src/data/npy.js';
import { CUDA_PROVIDER_FILES, cudaProviderStatus, nativeErrorClause, ortPackage, parseDevice } from '../../src/embed/devices.js';
import { createEmbedder } from '../../src/embed/registry.js';
import { TransformersEmbedder } from '../../src/embed/transformers.js';
import { wordnetGlosses } from './wordnet-texts.js';

const TINY = fileURLToPath(new URL('../fixtures/tiny-bert/', import.meta.url)).replace(/\/$/, '');
const texts = wordnetGlosses(40);
const dir = mkdtempSync(join(tmpdir(), 'vqbench-devices-'));
const oneSentence = (m: string) => !m.includes('\n') && m.trimEnd().endsWith('.') && !/\.\s+[A-Z]/.test(m.replace(/`[^`]*`/g, ''));

let cpu: TransformersEmbedder;
before(async () => {
  cpu = await TransformersEmbedder.load({ name: 'tiny', modelPath: TINY, offline: true, threads: 1, device: 'cpu' });
});
after(async () => {
  await cpu?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const installedHasCuda = () => {
  const ort = ortPackage();
  return ort !== null && CUDA_PROVIDER_FILES.every((f) => existsSync(join(ort.binDir, f)));
};

test('the CPU path: device cpu is recorded, not in the id; vectors unit length; another batch size gives the same vectors', async () => {
  assert.equal(cpu.device, 'cpu');
  assert.equal(cpu.id, 'tiny:fp32');
  const a = await cpu.embed(texts, 'document');
  for (let i = 0; i < a.rows; i++) assert.ok(Math.abs(Math.hypot(...a.row(i)) - 1) < 1e-5);
  const b = await cpu.withBatchSize(3).embed(texts, 'document');
  let diff = 0;
  for (let i = 0; i < a.data.length; i++) diff = Math.max(diff, Math.abs(a.data[i] - b.data[i]));
  assert.ok(diff < 1e-5, `batch 16 vs 3: max diff ${diff}`);
  assert.throws(() => cpu.withBatchSize(0), /--batch-size: expected a positive integer, got 0\./);
});

test('the provider check reads the installed package: listed backends and the provider libraries beside the binding', () => {
  const bin = join(dir, 'bin');
  const listed = () => [{ name: 'cpu', bundled: true }, { name: 'cuda', bundled: false }];
  const none = cudaProviderStatus({ binDir: bin, listSupportedBackends: listed });
  assert.equal(none.available, false);
  if (!none.available) assert.match(none.reason, /has no CUDA execution provider \(libonnxruntime_providers_cuda\.so and libonnxruntime_providers_shared\.so are missing in .*bin\)/);
  const noCuda = cudaProviderStatus({ binDir: bin, listSupportedBackends: () => [{ name: 'cpu', bundled: true }] });
  assert.ok(!noCuda.available && /built without the CUDA execution provider \(it lists cpu\)/.test(noCuda.reason));
  // the files appear: available (whether it starts is for the session to tell)
  mkdirSync(bin, { recursive: true });
  for (const f of CUDA_PROVIDER_FILES) writeFileSync(join(bin, f), '');
  assert.deepEqual(cudaProviderStatus({ binDir: bin, listSupportedBackends: listed }), { available: true, binDir: bin });
  assert.equal(cudaProviderStatus(null).available, false);
  // this machine's install: a real answer either way
  const real = cudaProviderStatus();
  assert.equal(real.available, installedHasCuda());
});

test('--device cuda without the provider: UnavailableError, one sentence saying what is missing and how to get it', async (t) => {
  if (installedHasCuda()) return t.skip('this install has the CUDA provider libraries');
  await assert.rejects(TransformersEmbedder.load({ name: 'tiny', modelPath: TINY, offline: true, device: 'cuda' }), (e: Error) => {
    assert.ok(e instanceof UnavailableError, String(e));
    assert.match(e.message, /^--device cuda: the installed onnxruntime-node has no CUDA execution provider \(libonnxruntime_providers_cuda\.so/);
    assert.match(e.message, /ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node/);
    assert.match(e.message, /or use --device cpu\.$/);
    assert.ok(oneSentence(e.message), e.message);
    return true;
  });
});

test('--device auto without the provider: runs on the CPU with one note, same vectors as cpu', async (t) => {
  if (installedHasCuda()) return t.skip('this install has the CUDA provider libraries');
  const notes: string[] = [];
  const auto = await TransformersEmbedder.load({ name: 'tiny', modelPath: TINY, offline: true, threads: 1, device: 'auto', onNote: (l) => notes.push(l) });
  try {
    assert.equal(auto.device, 'cpu');
    assert.equal(notes.length, 1);
    assert.match(notes[0], /^note: --device auto: the installed onnxruntime-node has no CUDA execution provider .*; running on the CPU\.$/);
    assert.deepEqual((await auto.embed(texts, 'document')).data, (await cpu.embed(texts, 'document')).data);
  } finally {
    await auto.dispose();
  }
});

test('provider files present but it does not start (onnxruntime fails to load it): cuda is one sentence, auto falls back with a note', async () => {
  const present = () => ({ available: true as const, binDir: join(dir, 'bin') });
  await assert.rejects(TransformersEmbedder.load({ name: 'tiny', modelPath: TINY, offline: true, device: 'cuda', cudaStatus: present }), (e: Error) => {
    assert.ok(e instanceof UnavailableError, String(e));
    assert.match(e.message, /^--device cuda: onnxruntime-node's CUDA execution provider did not start \(.+\); check the NVIDIA driver, CUDA 12 and cuDNN 9, or use --device cpu\.$/);
    assert.ok(!e.message.includes('\n') && !e.message.includes('\u001b'), e.message);
    return true;
  });
  const notes: string[] = [];
  const auto = await TransformersEmbedder.load({ name: 'tiny', modelPath: TINY, offline: true, threads: 1, device: 'auto', cudaStatus: present, onNote: (l) => notes.push(l) });
  try {
    assert.equal(auto.device, 'cpu');
    assert.equal(notes.length, 1);
    assert.match(notes[0], /^note: --device auto: onnxruntime-node's CUDA execution provider did not start \(.+\); running on the CPU\.$/);
    assert.deepEqual((await auto.embed(texts.slice(0, 5), 'document')).data, (await cpu.embed(texts.slice(0, 5), 'document')).data);
  } finally {
    await auto.dispose();
  }
});

test('onnxruntime messages become one clause: first line, no colours, no appended log line', () => {
  const raw = 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library\u001b[1;31m2026-12-02 06:48:21.564 [E:onnxruntime:x] more\nsecond line';
  assert.equal(nativeErrorClause(new Error(raw)), 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library');
});

test('--device and --batch-size per embedder: one sentence each; auto on a CPU-only embedder is the CPU', async () => {
  assert.throws(() => parseDevice('gpu'), (e: Error) => e instanceof InputError && e.message === "--device: expected one of cpu, cuda, auto, got 'gpu'.");
  await assert.rejects(createEmbedder('use-lite', { device: 'cuda' }), (e: Error) => e instanceof InputError && /^--device cuda: use-lite runs on the CPU only \(TensorFlow\.js's WebAssembly backend\); use --device cpu\.$/.test(e.message));
  await assert.rejects(createEmbedder('glove-avg', { batchSize: 8 }), (e: Error) => e instanceof InputError && e.message === '--batch-size: glove-avg does not embed in batches; leave the flag out.');
  await assert.rejects(createEmbedder('use-lite', { batchSize: 0 }), /--batch-size: expected a positive integer, got 0\./);
  await assert.rejects(TransformersEmbedder.load({ modelPath: TINY, batchSize: 2.5 }), /--batch-size: expected a positive integer, got 2\.5\./);
  const written: string[] = [];
  const orig = process.stderr.write;
  process.stderr.write = ((s: string) => { written.push(String(s)); return true; }) as typeof process.stderr.write;
  try {
    writeNpy(join(dir, 'v.npy'), Matrix.fromRows([[1, 0], [0, 1]]));
    const p = await createEmbedder('precomputed', { device: 'auto', vectors: join(dir, 'v.npy') });
    assert.equal(p.dim, 2);
  } finally {
    process.stderr.write = orig;
  }
  assert.deepEqual(written, ['note: --device auto: precomputed runs on the CPU only (vectors read from a file, no model); running on the CPU.\n']);
});
