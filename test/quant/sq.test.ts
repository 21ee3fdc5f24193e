// Scalar quantization (src/quant/sq.ts) against faiss's ScalarQuantizer on real GloVe rows
// (test/fixtures/sq-binary-faiss.json, written by scripts/make-sq-binary-fixtures.py), and its
// types, calibration, constant dimensions and bad input.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Matrix } from '../../src/core/matrix.js';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { toHalf } from '../../src/core/fp16.js';
import { readNpy } from '../../src/data/npy.js';
import { quantizationLoss } from '../../src/eval/quantization.js';
import { encodeParallel } from '../../src/quant/encode-parallel.js';
import { createQuantizer, parseQuantizerSpec, quantizerFromJSON, quantizerLabel, resolveQuantizerParams, QUANTIZERS } from '../../src/quant/registry.js';
import { ScalarQuantizer, toBf16 } from '../../src/quant/sq.js';
import { inputError } from '../helpers/errors.js';
import { assertUserError, runCli } from '../helpers/cli.js';
import { randomMatrix } from '../helpers/data.js';

after(shutdownWorkers);

const FAISS = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/sq-binary-faiss.json', import.meta.url)), 'utf8'));
const SAMPLE = fileURLToPath(new URL('../fixtures/data/glove-sample.npy', import.meta.url));
const all = readNpy(SAMPLE);
const train = all.sliceRows(FAISS.train[0], FAISS.train[1]), held = all.sliceRows(FAISS.held[0], FAISS.held[1]);

async function trained(params: Record<string, unknown>, x: Matrix = train): Promise<ScalarQuantizer> {
  const q = createQuantizer('sq', params as Record<string, string>) as ScalarQuantizer;
  await q.train(x, { seed: 1 });
  return q;
}

const lossOn = (q: ScalarQuantizer, x: Matrix) => quantizationLoss(x, q.decode(q.encode(x))).loss;

for (const type of ['int8', 'int4', 'fp16'] as const) {
  test(`sq:type=${type}: held-out loss within 3% of faiss ${FAISS.sq[type].faiss} (1e-6 absolute below 1e-4), same bits`, async () => {
    const q = await trained({ type });
    const ours = lossOn(q, held), theirs = FAISS.sq[type].loss as number;
    if (theirs < 1e-4) assert.ok(Math.abs(ours - theirs) <= 1e-6, `${type}: ${ours} vs faiss ${theirs}`);
    else assert.ok(Math.abs(ours - theirs) <= 0.03 * theirs, `${type}: ${ours} vs faiss ${theirs}`);
    assert.equal(q.bitsPerVector, FAISS.sq[type].bitsPerVector);
    assert.equal(q.bitsPerVector, train.dim * { int8: 8, int4: 4, fp16: 16 }[type]);
  });
}

test('signed and unsigned types share their levels (equal loss); more bits, lower loss: int4 > int8 > bf16 > fp16 > 0', async () => {
  const l: Record<string, number> = {};
  for (const type of ['int4', 'uint4', 'int8', 'uint8', 'bf16', 'fp16']) l[type] = lossOn(await trained({ type }), held);
  assert.equal(l.int8, l.uint8);
  assert.equal(l.int4, l.uint4);
  assert.ok(l.int4 > l.int8 && l.int8 > l.bf16 && l.bf16 > l.fp16 && l.fp16 > 0, JSON.stringify(l));
});

test('fp16 codes are the IEEE half patterns; bf16 rounds to nearest even on the upper 16 bits of the float32', async () => {
  const x = Matrix.fromRows([[1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -2.5e-3, 65504, 1e-8]]);
  const fp = await trained({ type: 'fp16' }, x);
  assert.deepEqual(Array.from(fp.encode(x).codes), Array.from(x.data, toHalf));
  const bf = await trained({ type: 'bf16' }, x);
  const back = bf.decode(bf.encode(x)).data;
  assert.equal(back[0], 1);
  assert.equal(back[1], 1, 'a tie (half an ulp of 2^-7) rounds to the even mantissa');
  assert.equal(back[2], 1 + 2 ** -6, '1.5 ulp rounds up to the even mantissa');
  assert.equal(toBf16(-0), 0x8000);
  assert.ok(Math.abs(back[3] - -2.5e-3) <= 2 ** -8 * 2.5e-3);
});

test('integer codes: the nearest of 2^bits evenly spaced levels over each dimension\'s training min..max, clipped outside', async () => {
  // dimension 0 spans 0..15 (levels 0, 1, ..., 15 for int4), dimension 1 spans −1..1
  const x = Matrix.fromRows(Array.from({ length: 16 }, (_, i) => [i, -1 + (2 * i) / 15]));
  const q = await trained({ type: 'uint4' }, x);
  const probe = Matrix.fromRows([[3.4, 0.1], [3.6, 1], [-7, 5], [99, -3]]);
  const c = q.encode(probe).codes;
  assert.deepEqual(Array.from(c), [3, 8, 4, 15, 0, 15, 15, 0]);
  const level = (k: number) => Math.fround(-1 + k * (2 / 15));
  assert.deepEqual(Array.from(q.decode(q.encode(probe)).data), [3, level(8), 4, level(15), 0, level(15), 15, -1]);
});

test('calibration=percentile: the range is the [100 − p, p] percentiles (numpy\'s linear interpolation); an outlier no longer stretches it', async () => {
  const rows = Array.from({ length: 101 }, (_, i) => [i]);
  rows[100] = [1e6]; // one outlier
  const x = Matrix.fromRows(rows);
  const minmax = await trained({ type: 'int8' }, x);
  const pct = await trained({ type: 'int8', calibration: 'percentile', percentile: 90 }, x);
  // numpy: np.percentile(values, [10, 90]) = [10, 90] on 0..99 plus 1e6
  const dec = pct.decode(pct.encode(Matrix.fromRows([[10], [90], [-5], [2e6]]))).data;
  assert.ok(Math.abs(dec[0] - 10) < 1e-4 && Math.abs(dec[1] - 90) < 1e-4, `${dec}`);
  assert.equal(dec[2], dec[0], 'clipped below');
  assert.equal(dec[3], dec[1], 'clipped above');
  const bulk = x.sliceRows(10, 91);
  assert.ok(lossOn(pct, bulk) < lossOn(minmax, bulk) / 100, 'the bulk is coded far finer');
});

test('a constant dimension (zero range) is legal: it decodes to its constant, with a note; int4 on it loses nothing there', async () => {
  const x = randomMatrix(200, 4, 3);
  for (let i = 0; i < x.rows; i++) x.data[i * 4 + 2] = 0.75;
  const q = createQuantizer('sq', { type: 'int4' });
  const rep = await q.train(x, { seed: 1 });
  assert.ok(rep.notes.some((n) => /1 of 4 dimensions have a zero range on the training rows \(constant\): each is coded exactly as its constant/.test(n)), rep.notes.join('; '));
  const y = q.decode(q.encode(x));
  for (let i = 0; i < x.rows; i++) assert.equal(y.data[i * 4 + 2], 0.75);
  assert.ok(Number.isFinite(quantizationLoss(x, y).loss));
});

test('toJSON/fromJSON round-trips every type; fp16/bf16 store no value tables; parallel encoding equals serial', async () => {
  for (const type of ['int8', 'uint4', 'fp16', 'bf16']) {
    const q = await trained({ type, calibration: 'percentile', percentile: 97.5 });
    const json = JSON.stringify(q.toJSON());
    if (type.endsWith('16')) assert.ok(json.length < 1000, `${type}: ${json.length} characters`);
    const r = quantizerFromJSON(JSON.parse(json));
    assert.equal(r.bitsPerVector, q.bitsPerVector);
    assert.deepEqual(r.encode(held).codes, q.encode(held).codes);
    assert.deepEqual(r.decode(r.encode(held)).data, q.decode(q.encode(held)).data);
    assert.deepEqual((await encodeParallel(q, all)).codes, q.encode(all).codes, type);
  }
});

test('spec: sq:type=int4 reads and labels with every parameter; bits are unknown before training', () => {
  assert.deepEqual(parseQuantizerSpec('sq:type=int4'), { id: 'sq', params: { type: 'int4', calibration: 'minmax', percentile: 99 } });
  assert.equal(quantizerLabel('sq', { type: 'int4' }), 'sq:type=int4,calibration=minmax,percentile=99');
  assert.throws(() => createQuantizer('sq').bitsPerVector, /known once trained/);
  const work = { shape: { base: 1000, queries: 100, dim: 100 }, trainRows: 1000, evalRows: 100, trainer: 'kmeans' as const };
  assert.ok(QUANTIZERS.sq.cost(resolveQuantizerParams('sq', { calibration: 'percentile' }), work) > QUANTIZERS.sq.cost(resolveQuantizerParams('sq'), work));
});

test('bad input: unknown type, percentile out of range, the adam trainer: one sentence each', async () => {
  await inputError(() => parseQuantizerSpec('sq:type=int3'), /^--type: sq parameter 'type' must be one of 'fp16', 'bf16', 'int8', 'uint8', 'int4', 'uint4', got 'int3'; did you mean 'int8'\?$/);
  await inputError(() => parseQuantizerSpec('sq:percentile=101'), /--percentile: sq parameter 'percentile' must be a number above 50 and at most 100, got '101'\./);
  // 50 makes every range [median, median]: refused, not a silently constant code
  await inputError(() => parseQuantizerSpec('sq:calibration=percentile,percentile=50'), /--percentile: .* above 50 and at most 100, got '50'\./);
  await inputError(() => createQuantizer('sq').train(train, { trainer: 'adam' }), /^--trainer adam: sq learns per-dimension ranges, not codebooks/);
});

test('CLI: vqbench quantize --method sq:type=int4 runs on a .npy file; an unknown type exits 2 with one sentence', () => {
  const ok = runCli(['quantize', '--data', SAMPLE, '--method', 'sq:type=int4', '--json'], { VQBENCH_CACHE: process.env.VQBENCH_CACHE ?? '' });
  assert.equal(ok.code, 0, ok.stderr);
  const r = JSON.parse(ok.stdout);
  assert.equal(r.label, 'sq:type=int4,calibration=minmax,percentile=99');
  assert.equal(r.bitsPerVector, 400);
  assert.ok(r.loss > 0 && r.loss < 0.05, String(r.loss));
  assertUserError(runCli(['quantize', '--data', SAMPLE, '--method', 'sq', '--type', 'int3']), /--type: sq parameter 'type' must be one of/);
});
