// Reranking against sklearn average_precision_score and MTEB's MRR@10 (test/fixtures/mteb/reranking.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/core/errors.js';
import { Matrix } from '../../../src/core/matrix.js';
import { rerankingScores } from '../../../src/eval/mteb/reranking.js';
import { close, fixture, matrix, type FixtureMatrix } from './fixtures.js';

interface Sample { query: number; positive: number[]; negative: number[]; ap: number; mrr_at_10: number }
const fx = fixture<{ queries: FixtureMatrix; docs: FixtureMatrix; samples: Sample[]; expected: { map: number; mrr_at_10: number } }>('reranking');

// Tolerance 1e-9: float64 cosines from the same float32 vectors, no near ties.
test('reranking MAP and MRR@10 equal sklearn AP / MTEB MRR, per sample and averaged', () => {
  const q = matrix(fx.queries), d = matrix(fx.docs);
  const s = rerankingScores(q, d, fx.samples);
  close(s.map, fx.expected.map, 1e-9, 'map');
  close(s.mrr_at_10, fx.expected.mrr_at_10, 1e-9, 'mrr_at_10');
  for (const sample of fx.samples) {
    const one = rerankingScores(q, d, [sample]);
    close(one.map, sample.ap, 1e-9, `ap of sample ${sample.query}`);
    close(one.mrr_at_10, sample.mrr_at_10, 1e-9, `mrr of sample ${sample.query}`);
  }
});

test('reranking hand case; samples without a positive or a negative are skipped (MTEB)', () => {
  const q = Matrix.fromRows([[1, 0]]);
  const d = Matrix.fromRows([[1, 0.1], [0, 1], [1, 0.5], [-1, 0]]); // cosines .995, 0, .894, -1
  // positive 1 ranks third after negatives 0 and 2: AP = 1/3, RR = 1/3
  const s = rerankingScores(q, d, [{ query: 0, positive: [1], negative: [0, 2, 3] }, { query: 0, positive: [], negative: [0] }]);
  close(s.map, 1 / 3, 1e-12, 'map');
  close(s.mrr_at_10, 1 / 3, 1e-12, 'mrr');
  assert.equal(rerankingScores(q, d, [{ query: 0, positive: [1], negative: [0, 2, 3] }], 2).mrr_at_2, 0);
});

test('reranking: impossible input is an InputError', () => {
  const q = Matrix.fromRows([[1, 0]]);
  assert.throws(() => rerankingScores(q, q, []), InputError);
  assert.throws(() => rerankingScores(q, q, [{ query: 0, positive: [0], negative: [] }]), InputError);
  assert.throws(() => rerankingScores(q, Matrix.fromRows([[1, 0, 0]]), [{ query: 0, positive: [0], negative: [0] }]), InputError);
});
