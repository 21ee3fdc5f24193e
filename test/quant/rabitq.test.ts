// RaBitQ (src/quant/rabitq.ts): faiss 1.7.3 has none, so the paper's stated properties are checked
// instead: the codes and the two scalars by hand, the estimator's unbiasedness over seeded rotations,
// the error bound's coverage at its stated confidence, and the extended form's gains with bits, on
// seeded clustered data and real GloVe rows (test/fixtures/data/glove-sample.npy).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Matrix } from '../../src/core/matrix.js';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { readNpy } from '../../src/data/npy.js';
import { quantizationLoss } from '../../src/eval/quantization.js';
import { RabitqQuantizer, boundConfidence, readScalars } from '../../src/quant/rabitq.js';
import { createQuantizer, parseQuantizerSpec, quantizerFromJSON, quantizerLabel } from '../../src/quant/registry.js';
import { inputError } from '../helpers/errors.js';
import { mixture } from '../helpers/data.js';
import { assertUserError, runCli } from '../helpers/cli.js';

after(shutdownWorkers);

const SAMPLE = fileURLToPath(new URL('../fixtures/data/glove-sample.npy', import.meta.url));
const glove = readNpy(SAMPLE);
const base = glove.sliceRows(0, 900), queries = glove.sliceRows(900, 1000);

async function trained(bits: number, x: Matrix, seed: number): Promise<RabitqQuantizer> {
  const q = createQuantizer('rabitq', { bits }) as RabitqQuantizer;
  await q.train(x, { seed });
  return q;
}

/** ⟨x_t − c, v_i⟩ exactly (float64), v = q − c (centred) or q. */
function truth(q: RabitqQuantizer, x: Matrix, v: Matrix, centred: boolean): Float64Array {
  const d = x.dim, c = q.centre!, out = new Float64Array(v.rows * x.rows);
  for (let i = 0; i < v.rows; i++) {
    for (let t = 0; t < x.rows; t++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x.data[t * d + j] - c[j]) * (v.data[i * d + j] - (centred ? c[j] : 0));
      out[i * x.rows + t] = s;
    }
  }
  return out;
}

test('1 bit: the codes are the signs of R(x − c), the scalars ‖x − c‖ and ‖R(x − c)‖₁/(‖x − c‖√D); D + 64 bits', async () => {
  const q = await trained(1, base, 3);
  const d = base.dim, c = q.centre!, R = q.rotation!;
  // the centroid is the training mean
  for (const j of [0, 17, 99]) {
    let m = 0;
    for (let i = 0; i < base.rows; i++) m += base.data[i * d + j];
    assert.ok(Math.abs(c[j] - m / base.rows) < 1e-5, `centre[${j}]`);
  }
  // the rotation is orthogonal
  for (const [a, b] of [[0, 0], [3, 3], [0, 1], [5, 77]]) {
    let s = 0;
    for (let j = 0; j < d; j++) s += R[a * d + j] * R[b * d + j];
    assert.ok(Math.abs(s - (a === b ? 1 : 0)) < 1e-9, `R_${a} · R_${b} = ${s}`);
  }
  const codes = q.encode(queries);
  assert.equal(codes.books, d + 4);
  let signs = 0, checked = 0;
  for (let i = 0; i < queries.rows; i++) {
    const r = Array.from({ length: d }, (_, j) => queries.data[i * d + j] - c[j]);
    const y = Array.from({ length: d }, (_, a) => r.reduce((s, v, j) => s + R[a * d + j] * v, 0));
    const norm = Math.hypot(...r), l1 = y.reduce((s, v) => s + Math.abs(v), 0);
    for (let j = 0; j < d; j++) {
      if (Math.abs(y[j]) < 1e-5) continue; // float32 rounding may flip a coordinate this close to 0
      checked++;
      if (codes.codes[i * (d + 4) + j] === (y[j] > 0 ? 1 : 0)) signs++;
    }
    const [n, ipf] = readScalars(codes.codes, i, d);
    assert.ok(Math.abs(n - norm) <= 1e-5 * norm, `‖r‖ ${n} vs ${norm}`);
    assert.ok(Math.abs(ipf - l1 / (norm * Math.sqrt(d))) < 1e-5, `⟨ō, o⟩ ${ipf}`);
    assert.ok(ipf > 0.7 && ipf < 0.9, `⟨ō, o⟩ ${ipf} near √(2/π) ≈ 0.80`);
  }
  assert.equal(signs, checked);
  assert.equal(q.bitsPerVector, d + 64);
  assert.equal((await trained(4, base, 3)).bitsPerVector, 4 * d + 64);
});

test('the estimator is unbiased over seeded rotations (1 and 4 bits); the uncorrected ⟨ō, v⟩‖r‖ is not', async () => {
  const x = mixture(400, 48, 5, 7);
  const o = x.sliceRows(0, 4), v = x.sliceRows(4, 8), S = 300;
  for (const bits of [1, 4]) {
    const errs: number[][] = Array.from({ length: 16 }, () => []), naive: number[][] = Array.from({ length: 16 }, () => []);
    let want: Float64Array | null = null;
    for (let seed = 1; seed <= S; seed++) {
      const q = await trained(bits, x, seed);
      want ??= truth(q, o, v, true);
      const codes = q.encode(o);
      const e = q.estimate(codes, v, true);
      for (let p = 0; p < 16; p++) {
        const ipf = readScalars(codes.codes, p % 4, 48)[1];
        errs[p].push(e.value[p] - want[p]);
        naive[p].push(e.value[p] * ipf - want[p]);
      }
    }
    const z = (a: number[]) => {
      const m = a.reduce((s, u) => s + u, 0) / a.length;
      const sd = Math.sqrt(a.reduce((s, u) => s + (u - m) ** 2, 0) / (a.length - 1));
      return m / (sd / Math.sqrt(a.length));
    };
    const zs = errs.map(z), zNaive = naive.map(z);
    // 16 pairs, 300 rotations each: |z| < 4 for every pair (a false alarm has probability ~1e-3)
    assert.ok(zs.every((u) => Math.abs(u) < 4), `${bits} bit(s): z of the mean errors ${zs.map((u) => u.toFixed(2)).join(', ')}`);
    // the test has the power to see a bias: ⟨ō, v⟩‖r‖ shrinks every inner product by ⟨ō, o⟩
    if (bits === 1) assert.ok(Math.max(...zNaive.map(Math.abs)) > 10, `uncorrected z: ${zNaive.map((u) => u.toFixed(1)).join(', ')}`);
  }
});

test('the error bound covers the true inner product at its stated confidence or better (ε0 = 1.9 and 1; l2 and ip forms)', async () => {
  const d = base.dim;
  const conf19 = boundConfidence(1.9, d), conf1 = boundConfidence(1, d);
  // the stated confidence: ≈ erf(ε0/√2) (0.9426, 0.6827) at D = 100
  assert.ok(Math.abs(conf19 - 0.9426) < 0.01 && Math.abs(conf1 - 0.6827) < 0.01, `${conf19}, ${conf1}`);
  assert.ok(Math.abs(boundConfidence(1.9, 100_000) - 0.94257) < 1e-3);
  for (const bits of [1, 3]) {
    for (const centred of [true, false]) {
      let in19 = 0, in1 = 0, n = 0;
      for (const seed of [1, 2, 3]) {
        const q = await trained(bits, base, seed);
        const codes = q.encode(base);
        const want = truth(q, base, queries, centred);
        const e19 = q.estimate(codes, queries, centred, 1.9), e1 = q.estimate(codes, queries, centred, 1);
        for (let p = 0; p < want.length; p++) {
          const err = Math.abs(e19.value[p] - want[p]);
          if (err <= e19.bound[p]) in19++;
          if (err <= e1.bound[p]) in1++;
          n++;
        }
      }
      const what = `${bits} bit(s), ${centred ? 'l2 (v = q − c)' : 'ip (v = q)'}: coverage ${(in19 / n).toFixed(4)} at ε0 = 1.9 (stated ${conf19.toFixed(4)}), ${(in1 / n).toFixed(4)} at ε0 = 1 (stated ${conf1.toFixed(4)})`;
      assert.ok(in19 / n >= conf19 - 0.01, what);
      assert.ok(in1 / n >= conf1 - 0.01, what);
      // and the bound is not vacuous: at ε0 = 1 a good share of the errors fall outside it
      assert.ok(in1 / n < 0.9, what);
      console.log(what);
    }
  }
});

test('more bits: ⟨ō, o⟩ rises, the bound shrinks about 2^(B−1)-fold, the loss falls (1 → 2 → 4 → 8)', async () => {
  const rows: { bits: number; ipf: number; loss: number }[] = [];
  for (const bits of [1, 2, 4, 8]) {
    const q = await trained(bits, base, 5);
    const codes = q.encode(queries);
    let ipf = 0;
    for (let i = 0; i < queries.rows; i++) ipf += readScalars(codes.codes, i, base.dim)[1] / queries.rows;
    rows.push({ bits, ipf, loss: quantizationLoss(queries, q.decode(codes)).loss });
  }
  console.log(rows.map((r) => `bits ${r.bits}: mean ⟨ō, o⟩ ${r.ipf.toFixed(4)}, loss ${r.loss.toPrecision(4)}`).join('; '));
  for (let i = 1; i < rows.length; i++) {
    assert.ok(rows[i].ipf > rows[i - 1].ipf, `⟨ō, o⟩ ${rows[i - 1].ipf} → ${rows[i].ipf}`);
    assert.ok(rows[i].loss < rows[i - 1].loss, `loss ${rows[i - 1].loss} → ${rows[i].loss}`);
  }
  // the bound's factor √(1 − ⟨ō, o⟩²)/⟨ō, o⟩: about halved per extra bit
  const f = (ipf: number) => Math.sqrt(1 - ipf * ipf) / ipf;
  for (const [i, bits] of [[1, 2], [2, 4]] as const) {
    const ratio = f(rows[0].ipf) / f(rows[i].ipf), nominal = 2 ** (bits - 1);
    assert.ok(ratio > nominal / 2 && ratio < nominal * 2, `bound 1 bit / ${bits} bits = ${ratio.toFixed(2)} (nominal ${nominal})`);
  }
  // 1 bit: the loss is 1 − ⟨ō, o⟩² of the residual energy (decoding projects on ō)
  assert.ok(rows[0].ipf > 0.75 && rows[3].ipf > 0.999, JSON.stringify(rows));
});

test('state: fromJSON(toJSON) encodes and decodes the same; labels; bad bits, trainer and metric are one sentence', async () => {
  const q = await trained(3, base, 9);
  const back = quantizerFromJSON(JSON.parse(JSON.stringify(q.toJSON())));
  assert.deepEqual(back.encode(queries).codes, q.encode(queries).codes);
  assert.deepEqual(back.decode(q.encode(queries)).data, q.decode(q.encode(queries)).data);
  assert.equal(quantizerLabel('rabitq'), 'rabitq:bits=1');
  assert.deepEqual(parseQuantizerSpec('rabitq:bits=4'), { id: 'rabitq', params: { bits: 4 } });
  await inputError(() => parseQuantizerSpec('rabitq:bits=9'), /--bits: rabitq parameter 'bits' must be an integer from 1 to 8/);
  await inputError(() => createQuantizer('rabitq', { bits: 0 }), /bits/);
  await inputError(() => new RabitqQuantizer(1.5), /^--bits: rabitq takes an integer from 1 to 8 bits per dimension, got 1.5\.$/);
  await inputError(() => createQuantizer('rabitq').train(base, { trainer: 'adam' }), /--trainer adam: rabitq/);
  assert.throws(() => new RabitqQuantizer(1).encode(base), /not trained/);
  const env = { VQBENCH_CACHE: process.env.VQBENCH_CACHE ?? '' };
  assertUserError(runCli(['quantize', '--data', SAMPLE, '--method', 'rabitq', '--bits', '9'], env), /bits/);
  assertUserError(runCli(['index', '--data', SAMPLE, '--index', 'rabitq:metric=cosine'], env), /'metric' must be one of 'l2', 'ip', got 'cosine'/);
});
