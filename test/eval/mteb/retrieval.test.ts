// Retrieval against sklearn ndcg_score and a direct numpy trec_eval computation
// (test/fixtures/mteb/retrieval.json).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/core/errors.js';
import { Matrix } from '../../../src/core/matrix.js';
import { shutdownWorkers } from '../../../src/core/parallel.js';
import { retrievalScores } from '../../../src/eval/mteb/retrieval.js';
import { close, fixture, matrix, type FixtureMatrix } from './fixtures.js';

after(shutdownWorkers);

interface Fx {
  queries: FixtureMatrix; corpus: FixtureMatrix; queryIds: string[]; corpusIds: string[];
  qrels: Record<string, Record<string, number>>; kValues: number[]; expected: Record<string, number>;
}
const fx = fixture<Fx>('retrieval');
const qrelsOf = (o: Record<string, Record<string, number>>) => new Map(Object.entries(o).map(([q, d]) => [q, new Map(Object.entries(d))]));

// Tolerance 1e-9: the whole corpus (120 < top 1000) is ranked by float64 cosines from the same
// float32 vectors, no two of them equal in float32 (the fixture checks), so every metric is exact.
test('retrieval metrics equal sklearn ndcg_score and trec_eval map_cut / recall / P / MTEB MRR', async () => {
  const s = await retrievalScores(matrix(fx.queries), matrix(fx.corpus), fx.queryIds, fx.corpusIds, qrelsOf(fx.qrels));
  for (const [k, v] of Object.entries(fx.expected)) close(s[k], v, 1e-9, k);
  assert.ok(s.ndcg_at_10 > 0.2 && s.ndcg_at_10 < 1, 'the fixture is neither trivial nor hopeless');
  assert.equal(s.recall_at_1000, 1);
});

test('retrieval: topK cuts the ranked list; only the queries of qrels are scored', async () => {
  const q = matrix(fx.queries), c = matrix(fx.corpus);
  const full = await retrievalScores(q, c, fx.queryIds, fx.corpusIds, qrelsOf(fx.qrels));
  const cut = await retrievalScores(q, c, fx.queryIds, fx.corpusIds, qrelsOf(fx.qrels), { topK: 10 });
  close(cut.ndcg_at_10, full.ndcg_at_10, 1e-12, 'ndcg@10 needs only the top 10');
  assert.ok(cut.recall_at_100 < full.recall_at_100);
  const one = Object.fromEntries(Object.entries(fx.qrels).slice(0, 1));
  const s1 = await retrievalScores(q, c, fx.queryIds, fx.corpusIds, qrelsOf(one));
  assert.ok(s1.ndcg_at_10 >= 0 && s1.ndcg_at_10 <= 1);
});

test('retrieval hand case: a document with the query id is ignored (MTEB ignore_identical_ids)', async () => {
  const q = Matrix.fromRows([[1, 0]]);
  const c = Matrix.fromRows([[1, 0], [1, 0.2], [0, 1]]);
  const qrels = new Map([['x', new Map([['b', 1]])]]);
  // ids: the best match has the query's own id 'x' and is dropped, so 'b' ranks first
  const s = await retrievalScores(q, c, ['x'], ['x', 'b', 'c'], qrels, { kValues: [1, 3] });
  assert.equal(s.ndcg_at_1, 1);
  assert.equal(s.precision_at_3, 1 / 3);
  const kept = await retrievalScores(q, c, ['x'], ['x', 'b', 'c'], qrels, { kValues: [1, 3], ignoreIdenticalIds: false });
  assert.equal(kept.ndcg_at_1, 0);
  close(kept.ndcg_at_3, 1 / Math.log2(3), 1e-12, 'ndcg@3 with b second');
});

test('retrieval: impossible input is an InputError', async () => {
  const q = Matrix.fromRows([[1, 0]]), c = Matrix.fromRows([[1, 0], [0, 1]]);
  const ok = new Map([['q', new Map([['a', 1]])]]);
  await assert.rejects(retrievalScores(q, c, ['q'], ['a', 'b'], new Map([['nope', new Map([['a', 1]])]])), InputError);
  await assert.rejects(retrievalScores(q, c, ['q'], ['a', 'b'], new Map([['q', new Map([['zzz', 1]])]])), InputError);
  await assert.rejects(retrievalScores(q, c, ['q'], ['a', 'b'], new Map()), InputError);
  await assert.rejects(retrievalScores(q, c, ['q'], ['a', 'a'], ok), InputError);
  await assert.rejects(retrievalScores(q, c, ['q'], ['a'], ok), InputError);
  await assert.rejects(retrievalScores(q, Matrix.zeros(0, 2), ['q'], [], ok), InputError);
});
