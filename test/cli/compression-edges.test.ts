// Issue 13 §6 through the real CLI: the compression methods' bad input (a metric binary / rabitq do
// not support, opq with more sub-spaces than dimensions, bits out of range, an unknown sq type, a
// calibration percentile outside (50, 100]) is one sentence naming the flag, exit 2; a constant
// dimension in real data is legal for int4 / uint4: a note says so and nothing comes out NaN.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { readNpy, writeNpy } from '../../src/data/npy.js';
import { assertUserError, type CliRun } from '../helpers/cli.js';

const BIN = fileURLToPath(new URL('../../bin/vqbench.mjs', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../fixtures/data/glove-sample.npy', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'vqbench-compression-edges-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Real GloVe rows with dimension 7 set to one constant: a zero range on every split. */
const CONSTANT = path.join(dir, 'glove-constant-dim.npy');
const glove = readNpy(SAMPLE);
for (let i = 0; i < glove.rows; i++) glove.data[i * glove.dim + 7] = 0.3125;
writeNpy(CONSTANT, glove);

/** The CLI in a child process, asynchronously (the cases start together: most of each is start-up). */
function cli(...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, VQBENCH_PROGRESS: '0' } });
    let stdout = '', stderr = '';
    c.stdout.on('data', (b) => (stdout += b));
    c.stderr.on('data', (b) => (stderr += b));
    c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const quantize = (...a: string[]) => cli('quantize', '--data', CONSTANT, '--eval-size', '50', ...a);
const index = (...a: string[]) => cli('index', '--data', CONSTANT, '--queries', '20', '--runs', '1', '--warmup', '0', ...a);

/** Every number in a parsed JSON value (JSON writes NaN and ±Infinity as null, so null counts as not finite). */
function nonFinite(v: unknown, at = '$'): string[] {
  if (v === null) return [at];
  if (typeof v === 'number') return Number.isFinite(v) ? [] : [at];
  if (Array.isArray(v)) return v.flatMap((x, i) => nonFinite(x, `${at}[${i}]`));
  if (typeof v === 'object') return Object.entries(v as object).flatMap(([k, x]) => nonFinite(x, `${at}.${k}`));
  return [];
}

test('bad input of the compression methods: one sentence naming the flag or parameter, exit 2, no stack', async () => {
  const cases: [Promise<CliRun>, RegExp][] = [
    // a metric binary / rabitq do not support (their indexes scan l2 or ip; the quantizers take no metric)
    [index('--index', 'binary', '--metric', 'cosine'), /^error: --metric: binary build parameter 'metric' must be one of 'l2', 'ip', got 'cosine'\.$/],
    [index('--index', 'rabitq:metric=angular'), /^error: --metric: rabitq build parameter 'metric' must be one of 'l2', 'ip', got 'angular'\.$/],
    // opq: more sub-spaces than the 100 dimensions; nbits out of 1…16 for opq and scann
    [quantize('--method', 'opq:m=128,nbits=2'), /^error: --m 128: opq needs at most one sub-space per dimension, and the data has 100 dimensions\.$/],
    [quantize('--method', 'opq', '--nbits', '17'), /^error: --nbits: opq parameter 'nbits' must be an integer from 1 to 16, got '17'\.$/],
    [quantize('--method', 'scann:nbits=0'), /^error: --nbits: scann parameter 'nbits' must be an integer from 1 to 16, got '0'\.$/],
    // rabitq bits out of 1…8, as a quantizer and as an index
    [quantize('--method', 'rabitq:bits=9'), /^error: --bits: rabitq parameter 'bits' must be an integer from 1 to 8, got '9'\.$/],
    [index('--index', 'rabitq', '--bits', '0'), /^error: --bits: rabitq build parameter 'bits' must be an integer from 1 to 8, got '0'\.$/],
    // sq: an unknown type; a percentile outside (50, 100] (50 itself would be a zero range everywhere)
    [index('--index', 'sq:type=int3'), /^error: --type: sq build parameter 'type' must be one of 'fp16', 'bf16', 'int8', 'uint8', 'int4', 'uint4', got 'int3'; did you mean 'int8'\?$/],
    [quantize('--method', 'sq:type=int4,calibration=percentile,percentile=50'), /^error: --percentile: sq parameter 'percentile' must be a number above 50 and at most 100, got '50'\.$/],
    [index('--index', 'sq', '--calibration', 'percentile', '--percentile', '100.5'), /^error: --percentile: sq build parameter 'percentile' must be a number above 50 and at most 100, got '100\.5'\.$/],
  ];
  const runs = await Promise.all(cases.map(([r]) => r));
  runs.forEach((r, i) => {
    assertUserError(r, cases[i][1]);
    assert.equal(r.stdout, '');
  });
});

test('a constant dimension in real data: int4 / uint4 (minmax and percentile) say so in a note, code it exactly, and nothing is NaN', async () => {
  const [int4, uint4, idx] = await Promise.all([
    quantize('--method', 'sq:type=int4', '--json'),
    quantize('--method', 'sq:type=uint4,calibration=percentile,percentile=99', '--json'),
    index('--index', 'sq:type=int4', '--json'),
  ]);
  const note = /^1 of 100 dimensions have a zero range on the training rows \(constant\): each is coded exactly as its constant/;
  for (const r of [int4, uint4, idx]) {
    assert.equal(r.code, 0, r.stderr);
    const rec = JSON.parse(r.stdout.trim().split('\n')[0]);
    assert.ok(rec.notes.some((n: string) => note.test(n)), rec.notes.join(' | '));
    const scores = rec.loss !== undefined ? { loss: rec.loss, relativeLoss: rec.relativeLoss, lossCI: rec.lossCI } : { recall: rec.recall, nnRecall: rec.nnRecall };
    assert.deepEqual(nonFinite(scores), [], JSON.stringify(scores));
  }
  // the loss is int4's on the 99 varying dimensions: a coarse code, yet far below the data's own spread
  const q = JSON.parse(int4.stdout);
  assert.ok(q.relativeLoss > 0 && q.relativeLoss < 0.05, `relative loss ${q.relativeLoss}`);
  const i = JSON.parse(idx.stdout.trim());
  assert.ok(i.recall['10'] > 0.5, `int4 flat scan recall@10 ${i.recall['10']}`);
});

test('opq with a dimension that is not a multiple of m: accepted as pq is (uneven sub-spaces, faiss would refuse), with a note saying so', async () => {
  const r = await quantize('--method', 'opq:m=3,nbits=2,iterations=2', '--json');
  assert.equal(r.code, 0, r.stderr);
  const rec = JSON.parse(r.stdout);
  assert.ok(rec.notes.includes('d = 100 is not a multiple of 3: sub-spaces of 34 and 33 dimensions'), rec.notes.join(' | '));
  assert.equal(rec.bitsPerVector, 6);
  assert.ok(Number.isFinite(rec.loss) && rec.loss > 0);
});
