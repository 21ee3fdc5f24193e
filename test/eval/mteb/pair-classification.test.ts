// PairClassification against sklearn average_precision_score and MTEB's threshold walks
// (test/fixtures/mteb/pair-classification.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/core/errors.js';
import { Matrix } from '../../../src/core/matrix.js';
import { pairClassificationScores } from '../../../src/eval/mteb/pair-classification.js';
import { close, fixture, matrix, type FixtureMatrix } from './fixtures.js';

type Metrics = Record<string, number>;
const fx = fixture<{ emb1: FixtureMatrix; emb2: FixtureMatrix; labels: number[]; expected: Record<string, Metrics> }>('pair-classification');

// Tolerance 1e-9: float64 on both sides from the same float32 vectors, no near-tied scores.
test('pair classification equals sklearn AP and MTEB best-threshold accuracy / F1 for each similarity', () => {
  const s = pairClassificationScores(matrix(fx.emb1), matrix(fx.emb2), fx.labels);
  for (const [sim, m] of Object.entries(fx.expected)) {
    for (const [k, v] of Object.entries(m)) close(s[`${sim}_${k}`], v, 1e-9, `${sim}_${k}`);
  }
  for (const k of ['accuracy', 'f1', 'precision', 'recall', 'ap']) {
    close(s[`max_${k}`], Math.max(...Object.values(fx.expected).map((m) => m[k])), 1e-9, `max_${k}`);
  }
  assert.ok(s.cos_sim_ap > 0.5 && s.cos_sim_ap < 1, 'the fixture is neither trivial nor hopeless');
});

test('pair classification hand case: perfectly separated cosines give AP 1, accuracy 1', () => {
  const e1 = Matrix.fromRows([[1, 0], [1, 0], [1, 0], [1, 0]]);
  const e2 = Matrix.fromRows([[1, 0.1], [1, 0.2], [0, 1], [-1, 1]]);
  const s = pairClassificationScores(e1, e2, [1, 1, 0, 0]);
  assert.equal(s.cos_sim_ap, 1);
  assert.equal(s.cos_sim_accuracy, 1);
  assert.equal(s.cos_sim_f1, 1);
  close(s.cos_sim_accuracy_threshold, (1 / Math.sqrt(1.04) + 0) / 2, 1e-7, 'threshold between the 2nd and 3rd pair');
});

test('pair classification: impossible input is an InputError', () => {
  const e = Matrix.fromRows([[1, 0], [0, 1]]);
  assert.throws(() => pairClassificationScores(e, e, [1, 1]), InputError); // one label only
  assert.throws(() => pairClassificationScores(e, e, [1, 2]), InputError);
  assert.throws(() => pairClassificationScores(e, e, [1]), InputError);
  assert.throws(() => pairClassificationScores(Matrix.zeros(0, 2), Matrix.zeros(0, 2), []), InputError);
});
