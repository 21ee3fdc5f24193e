// BitextMining against sklearn accuracy / precision / recall / f1 (test/fixtures/mteb/bitext-mining.json).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/core/errors.js';
import { Matrix } from '../../../src/core/matrix.js';
import { shutdownWorkers } from '../../../src/core/parallel.js';
import { bitextMiningScores, nearestByCosine } from '../../../src/eval/mteb/bitext-mining.js';
import { close, fixture, matrix, type FixtureMatrix } from './fixtures.js';

after(shutdownWorkers);

const fx = fixture<{ emb1: FixtureMatrix; emb2: FixtureMatrix; predictions: number[]; expected: Record<string, number> }>('bitext-mining');

// Exact: the nearest neighbours must be the same rows (the fixture keeps top-2 cosine gaps > 1e-6),
// the metrics are then exact arithmetic (1e-12).
test('bitext mining: same nearest neighbours as numpy, metrics equal sklearn (weighted = macro here)', async () => {
  assert.deepEqual(Array.from(await nearestByCosine(matrix(fx.emb1), matrix(fx.emb2))), fx.predictions);
  const s = await bitextMiningScores(matrix(fx.emb1), matrix(fx.emb2));
  for (const k of ['accuracy', 'precision', 'recall', 'f1']) close(s[k], fx.expected[k], 1e-12, k);
  close(s.f1, fx.expected.macro_f1, 1e-12, 'f1 equals the macro f1');
  assert.ok(s.accuracy > 0.3 && s.accuracy < 1, 'the fixture is neither trivial nor hopeless');
});

test('bitext mining hand case: two of three sentences are matched to the wrong line', async () => {
  const e1 = Matrix.fromRows([[1, 0], [0, 1], [1, 1]]);
  // row 0 of e1 is nearest to row 2 of e2 (cosine 1); row 2 of e1 is tied between rows 0 and 1 (the lower row wins)
  const e2 = Matrix.fromRows([[1, 0.1], [0.1, 1], [1, 0]]);
  const pred = Array.from(await nearestByCosine(e1, e2));
  assert.deepEqual(pred, [2, 1, 0]);
  const s = await bitextMiningScores(e1, e2);
  close(s.accuracy, 1 / 3, 1e-12, 'accuracy');
  // per gold label: 0 (p 0, r 0), 1 (p 1, r 1), 2 (p 0, r 0) → f1 1/3
  close(s.f1, 1 / 3, 1e-12, 'f1');
});

test('bitext mining: impossible input is an InputError', async () => {
  await assert.rejects(bitextMiningScores(Matrix.fromRows([[1, 0]]), Matrix.fromRows([[1, 0], [0, 1]])), InputError);
  await assert.rejects(bitextMiningScores(Matrix.zeros(0, 2), Matrix.zeros(0, 2)), InputError);
});
