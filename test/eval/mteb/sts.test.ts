// STS against scipy 1.10 spearmanr / pearsonr (test/fixtures/mteb/sts.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/core/errors.js';
import { Matrix } from '../../../src/core/matrix.js';
import { stsScores } from '../../../src/eval/mteb/sts.js';
import { close, fixture, matrix, type FixtureMatrix } from './fixtures.js';

const fx = fixture<{ emb1: FixtureMatrix; emb2: FixtureMatrix; scores: number[]; expected: Record<string, number> }>('sts');

// Tolerance 1e-9: same float32 inputs, float64 arithmetic on both sides, no near-tied cosines
// (the fixture checks), gold scores with many ties (average ranks).
test('STS correlations equal scipy spearmanr / pearsonr of cosine and negated distances', () => {
  const s = stsScores(matrix(fx.emb1), matrix(fx.emb2), fx.scores);
  for (const [k, v] of Object.entries(fx.expected)) close(s[k], v, 1e-9, k);
  assert.deepEqual(Object.keys(s).sort(), Object.keys(fx.expected).sort());
});

test('STS hand case: cosine order equal to gold order gives Spearman 1', () => {
  const e1 = Matrix.fromRows([[1, 0], [1, 0], [1, 0]]);
  const e2 = Matrix.fromRows([[1, 0], [1, 1], [0, 1]]); // cosines 1, 0.707, 0
  const s = stsScores(e1, e2, [5, 2.5, 0]);
  close(s.cos_sim_spearman, 1, 1e-12, 'spearman');
  close(s.cos_sim_pearson, 0.9725753987341064, 1e-7, 'pearson'); // scipy: r of (1, 1/√2, 0) and (5, 2.5, 0)
});

test('STS: impossible input is an InputError', () => {
  const e = Matrix.fromRows([[1, 0], [0, 1]]);
  assert.throws(() => stsScores(e, e, [1]), InputError);
  assert.throws(() => stsScores(e, Matrix.fromRows([[1, 0]]), [1, 2]), InputError);
  assert.throws(() => stsScores(e.sliceRows(0, 1), e.sliceRows(0, 1), [1]), InputError);
  assert.throws(() => stsScores(e, e, [1, NaN]), InputError);
});
