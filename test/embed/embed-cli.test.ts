// `vqbench embed` through the real CLI, the device and batch-size flags: a missing CUDA provider is
// one sentence and exit 2 (before any model loads), auto falls back with its note and embeds on the
// CPU, and every bad --device / --batch-size / --chunk-rows / --emit-task is one sentence naming it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../src/core/errors.js';
import { EMBED_FLAGS } from '../../src/cli/embed.js';
import { readFlags } from '../../src/cli/flags.js';
import { readNpy } from '../../src/data/npy.js';
import { CUDA_PROVIDER_FILES, ortPackage } from '../../src/embed/devices.js';
import { assertUserError, runCli } from '../helpers/cli.js';
import { wordnetGlosses } from './wordnet-texts.js';

const TINY = fileURLToPath(new URL('../fixtures/tiny-bert/', import.meta.url)).replace(/\/$/, '');
const dir = mkdtempSync(path.join(tmpdir(), 'vqbench-embed-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const TEXTS = path.join(dir, 'glosses.txt');
writeFileSync(TEXTS, wordnetGlosses(60).join('\n') + '\n');
const env = { VQBENCH_CACHE: path.join(dir, 'cache') }; // embeddings of this file only; nothing here needs another cache entry
const embed = (...args: string[]) => runCli(['embed', '--dataset', TEXTS, ...args], env);
const tiny = ['--model', 'bge-large', '--model-path', TINY, '--offline'];
const ort = ortPackage();
const hasCuda = ort !== null && CUDA_PROVIDER_FILES.every((f) => existsSync(path.join(ort.binDir, f)));

test('--device cuda without the provider: exit 2, one sentence naming what is missing and the install command; nothing written', (t) => {
  if (hasCuda) return t.skip('this install has the CUDA provider libraries');
  const out = path.join(dir, 'cuda.npy');
  assertUserError(embed(...tiny, '--device', 'cuda', '--out', out),
    /^error: --device cuda: the installed onnxruntime-node has no CUDA execution provider \(libonnxruntime_providers_cuda\.so and libonnxruntime_providers_shared\.so are missing in .+\); get it with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` .*, or use --device cpu\.$/);
  assert.ok(!existsSync(out));
});

test('--device auto without the provider: the note on stderr, the vectors of --device cpu, the device in the manifest', (t) => {
  if (hasCuda) return t.skip('this install has the CUDA provider libraries');
  const auto = embed(...tiny, '--device', 'auto', '--batch-size', '7', '--chunk-rows', '25', '--out', path.join(dir, 'auto.npy'), '--json');
  assert.equal(auto.code, 0, auto.stderr);
  assert.match(auto.stderr, /^note: --device auto: the installed onnxruntime-node has no CUDA execution provider .*; running on the CPU\.$/m);
  const m = JSON.parse(auto.stdout);
  assert.deepEqual([m.device, m.batchSize, m.rows, m.chunks, m.computedChunks], ['cpu', 7, 60, 3, 3]);
  // --device cpu, one chunk, default batch: the same rows (read from a different set of chunk files, so computed again)
  const cpu = embed(...tiny, '--chunk-rows', '100', '--out', path.join(dir, 'cpu.npy'), '--json');
  assert.equal(cpu.code, 0, cpu.stderr);
  assert.doesNotMatch(cpu.stderr, /note:/);
  assert.deepEqual([JSON.parse(cpu.stdout).device, JSON.parse(cpu.stdout).computedChunks], ['cpu', 1]);
  const a = readNpy(path.join(dir, 'auto.npy')), b = readNpy(path.join(dir, 'cpu.npy'));
  let diff = 0;
  for (let i = 0; i < a.data.length; i++) diff = Math.max(diff, Math.abs(a.data[i] - b.data[i]));
  assert.equal(a.rows, 60);
  assert.ok(diff < 1e-5, `auto vs cpu: max diff ${diff}`);
});

test('bad --device, --batch-size, --chunk-rows and --emit-task: one sentence naming the flag, exit 2, nothing written', () => {
  const out = path.join(dir, 'never.npy');
  const task = path.join(dir, 'never-task.json');
  // through the CLI: exit 2 and one line (the flag checker's sentences)
  assertUserError(embed('--device', 'gpu', '--out', out), /^error: --device must be one of 'cpu', 'cuda', 'auto', got 'gpu'/);
  assertUserError(embed('--model', 'glove-avg', '--batch-size', '8', '--out', out), /^error: --batch-size: glove-avg does not embed in batches; leave the flag out\.$/);
  assertUserError(embed('--chunk-rows', '0', '--emit-task', task), /^error: --chunk-rows must be an integer from 1 to 1000000000, got '0'\.$/);
  // the same checker in process, for the rest
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ 'batch-size': '0' }, /^--batch-size must be an integer from 1 to 65536, got '0'\.$/],
    [{ 'batch-size': '2.5' }, /^--batch-size .* got '2\.5'\.$/],
    [{ 'chunk-rows': 'many' }, /^--chunk-rows .* got 'many'\.$/],
    [{ device: 'cuda ' }, /^--device must be one of 'cpu', 'cuda', 'auto', got 'cuda '/],
  ];
  for (const [argv, pattern] of cases) assert.throws(() => readFlags(argv, EMBED_FLAGS), (e: Error) => e instanceof InputError && pattern.test(e.message));
  assert.equal(readFlags({}, EMBED_FLAGS).device, 'cpu');
  assert.ok(!existsSync(out) && !existsSync(task));
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('never') || f.includes('.tmp-')), []);
});
