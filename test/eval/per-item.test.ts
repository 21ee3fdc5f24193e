// The per-item values behind the averaged metrics (what a bootstrap resamples): per-query recall and
// nearest-neighbour hits, per-row squared errors. Their in-order mean is the metric, bit for bit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Matrix } from '../../src/core/matrix.js';
import { Rng } from '../../src/core/rng.js';
import { nnRecallAtK, nnRecallPerQuery, recallAtK, recallPerQuery } from '../../src/eval/ann.js';
import { quantizationLoss, rowSquaredErrors } from '../../src/eval/quantization.js';

const mean = (x: Float64Array) => x.reduce((s, v) => s + v, 0) / x.length;

test('recallPerQuery / nnRecallPerQuery: one value per counted query; their mean is recallAtK / nnRecallAtK', () => {
  const exact = [0, 1, 2, 3, /**/ 10, 11, 12, 13, /**/ -1, -1, -1, -1];
  const approx = [2, 0, 9, /**/ 13, 12, 11, /**/ 5, 6, 7];
  assert.deepEqual(Array.from(recallPerQuery(approx, exact, 3, 3, 4, 3)), [2 / 3, 2 / 3]); // q2 has no exact id: skipped
  assert.deepEqual(Array.from(nnRecallPerQuery(approx, exact, 3, 3, 4, 2)), [1, 0]);
  assert.equal(recallPerQuery([], [], 0, 3, 3, 3).length, 0);
  const rng = new Rng(5);
  const nq = 300, k = 10;
  const truth = Array.from({ length: nq * k }, (_, i) => Math.floor(i / k) * 100 + (i % k));
  const found = truth.map((id) => (rng.float() < 0.7 ? id : -1 - rng.int(5)));
  for (const at of [1, 5, 10]) {
    assert.equal(mean(recallPerQuery(found, truth, nq, k, k, at)), recallAtK(found, truth, nq, k, k, at));
    assert.equal(mean(nnRecallPerQuery(found, truth, nq, k, k, at)), nnRecallAtK(found, truth, nq, k, k, at));
  }
});

test('rowSquaredErrors: ||x_i − x̂_i||² per row; their in-order mean is the loss', () => {
  const x = new Matrix(Float32Array.from([1, 0, 0, 2, 3, 3]), 3, 2);
  const xhat = new Matrix(Float32Array.from([1, 1, 0, 0, 3, 3]), 3, 2);
  assert.deepEqual(Array.from(rowSquaredErrors(x, xhat)), [1, 4, 0]);
  const rng = new Rng(2);
  const a = new Matrix(Float32Array.from({ length: 500 * 16 }, () => rng.normal()), 500, 16);
  const b = new Matrix(Float32Array.from({ length: 500 * 16 }, () => rng.normal()), 500, 16);
  const per = rowSquaredErrors(a, b);
  let s = 0;
  for (const v of per) s += v;
  assert.equal(s / per.length, quantizationLoss(a, b).loss);
  assert.throws(() => rowSquaredErrors(a, x), RangeError);
});

test('per-item files: float64 values round-trip bit-exactly, numpy reads them, a truncated file is one InputError', async () => {
  const { writePerItem, readPerItem } = await import('../../src/eval/per-item-files.js');
  const { existsSync, mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { execFileSync } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'vqb-peritem-'));
  const values = Float64Array.from({ length: 1001 }, (_, i) => Math.sin(i) / 3 + i * 1e-9);
  const p = join(dir, 'sub', 'errors.npy');
  writePerItem(p, values);
  assert.deepEqual(readPerItem(p), values);
  if (existsSync('/usr/bin/python3')) {
    const sum = execFileSync('/usr/bin/python3', ['-c', `import numpy as np; a = np.load(${JSON.stringify(p)}); print(a.dtype, a.shape[0], repr(float(a[7])))`]).toString().trim();
    assert.equal(sum, `float64 1001 ${values[7]}`);
  }
  const cut = join(dir, 'cut.npy');
  writeFileSync(cut, readFileSync(p).subarray(0, 500));
  assert.throws(() => readPerItem(cut), (e: Error) => e.name === 'InputError' && e.message.includes(cut) && e.message.includes('truncated'));
});
