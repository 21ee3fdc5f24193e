// NaN is never a result: the metric functions whose input can be degenerate (no queries, a
// zero-norm evaluation set, no timings, no known mean ||x||²) throw a sentence or return null.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VqbenchError } from '../../src/core/errors.js';
import { Matrix } from '../../src/core/matrix.js';
import { latencyPercentiles, nnRecallAtK, quantileSorted, recallAtK } from '../../src/eval/ann.js';
import { quantizationLoss } from '../../src/eval/quantization.js';
import { boundFromEigenvalues, reverseWaterFilling } from '../../src/eval/rate-distortion.js';

const sentence = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof VqbenchError, `expected a VqbenchError, got ${(e as Error)?.stack}`);
  assert.match((e as Error).message, pattern);
  assert.doesNotMatch((e as Error).message, /NaN|\n/);
  return true;
};

test('recall with 0 queries, or with no valid exact neighbour, is an error, not NaN', () => {
  assert.throws(() => recallAtK([], [], 0, 10, 10, 10), sentence(/recall@10 is not defined on 0 queries/));
  assert.throws(() => nnRecallAtK([], [], 0, 10, 10, 1), sentence(/1-recall@1 is not defined on 0 queries/));
  assert.throws(() => recallAtK([1, 2], [-1, -1], 1, 2, 2, 2), sentence(/none of the 1 queries has an exact neighbour/));
  assert.throws(() => nnRecallAtK([1, 2], [-1, -1], 1, 2, 2, 1), sentence(/none of the 1 queries/));
  assert.equal(recallAtK([1, 2], [2, 1], 1, 2, 2, 2), 1);
});

test('relative loss of a zero-norm (or empty) evaluation set is an error, not NaN', () => {
  const zero = Matrix.zeros(5, 4);
  assert.throws(() => quantizationLoss(zero, zero), sentence(/relative loss is not defined: all 5 evaluation vectors have zero norm/));
  assert.throws(() => quantizationLoss(Matrix.zeros(0, 4), Matrix.zeros(0, 4)), sentence(/0 evaluation vectors/));
  const x = new Matrix(Float32Array.from([1, 0, 0, 2]), 2, 2);
  const nan = new Matrix(Float32Array.from([NaN, 0, 0, 2]), 2, 2);
  assert.throws(() => quantizationLoss(x, nan), (e: unknown) => e instanceof VqbenchError && /not finite/.test((e as Error).message));
  assert.deepEqual(quantizationLoss(x, x), { loss: 0, relativeLoss: 0, meanNormSq: 2.5 });
});

test('latency percentiles of an empty list are an error; a non-finite sample too', () => {
  assert.throws(() => latencyPercentiles([]), sentence(/not defined on 0 samples/));
  assert.throws(() => quantileSorted([], 0.5), sentence(/0 samples/));
  assert.throws(() => latencyPercentiles([1, NaN, 2]), VqbenchError);
  assert.throws(() => quantileSorted([1, 2], NaN), RangeError);
  assert.equal(latencyPercentiles([1, 2, 3]).p50, 2);
});

test('relative distortion without a positive mean ||x||² is null (not measured), never NaN', () => {
  assert.equal(reverseWaterFilling([4, 1], 1).relativeDistortion, null);
  assert.equal(reverseWaterFilling([4, 1], 0).relativeDistortion, null);
  const zero = boundFromEigenvalues([0, 0], 0, 3, [1, 2]);
  for (const p of [...zero.points, ...zero.curve]) assert.equal(p.relativeDistortion, null);
  assert.equal(reverseWaterFilling([4, 1], 0, 5).relativeDistortion, 1);
});
