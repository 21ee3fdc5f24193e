// evaluateTask end to end: texts → (fake) encoder → the type's evaluator → main_score, on the
// fixture vectors; each distinct text embedded once, with the right role; main-score names; errors.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/core/errors.js';
import { shutdownWorkers } from '../../../src/core/parallel.js';
import type { TaskMeta, TaskType, TextTask } from '../../../src/data/text/types.js';
import { EVALUATORS, evaluateTask } from '../../../src/eval/mteb/evaluate.js';
import { addRows, close, fixture, matrix, tableEncoder, type FixtureMatrix } from './fixtures.js';

after(shutdownWorkers);

function meta<T extends TaskType>(type: T, mainScore = ''): TaskMeta & { type: T } {
  return { name: `test-${type}`, type, description: 'fixture', source: 'test/fixtures/mteb', licence: 'MIT', mainScore, split: 'test' };
}

test('every task type has an evaluator and an MTEB main score', () => {
  assert.deepEqual(Object.keys(EVALUATORS).sort(), ['BitextMining', 'Classification', 'Clustering', 'PairClassification', 'Reranking', 'Retrieval', 'STS']);
});

test('STS task: main_score is cos_sim_spearman (scipy), each distinct text embedded once as a document', async () => {
  const fx = fixture<{ emb1: FixtureMatrix; emb2: FixtureMatrix; scores: number[]; expected: Record<string, number> }>('sts');
  const table = new Map<string, Float32Array>();
  const s1 = addRows(table, 'left ', matrix(fx.emb1)), s2 = addRows(table, 'right ', matrix(fx.emb2));
  // repeat the first pair: its texts must not be embedded twice
  const task: TextTask = { meta: meta('STS'), data: { sentences1: [...s1, s1[0]], sentences2: [...s2, s2[0]], scores: [...fx.scores, fx.scores[0]] } };
  const { encode, calls } = tableEncoder(table, fx.emb1.dim);
  const r = await evaluateTask(task, encode);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].role, 'document');
  assert.equal(calls[0].texts.length, s1.length + s2.length);
  assert.equal(r.main_score, r.scores.cos_sim_spearman);
  // one duplicated pair changes the correlation only slightly
  close(r.main_score, fx.expected.cos_sim_spearman, 0.01, 'cos_sim_spearman');
  const exact = await evaluateTask({ ...task, data: { sentences1: s1, sentences2: s2, scores: fx.scores } }, encode);
  close(exact.main_score, fx.expected.cos_sim_spearman, 1e-9, 'cos_sim_spearman');
  // a later MTEB name for the same metric
  const named = await evaluateTask({ meta: meta('STS', 'cosine_pearson'), data: { sentences1: s1, sentences2: s2, scores: fx.scores } }, encode);
  close(named.main_score, fx.expected.cos_sim_pearson, 1e-9, 'cosine_pearson → cos_sim_pearson');
});

test('Classification task: train and test texts embedded together once; main_score accuracy', async () => {
  const { cases } = fixture<{ cases: { train: { x: FixtureMatrix; labels: string[] }; test: { x: FixtureMatrix; labels: string[] }; accuracy: number }[] }>('classification');
  const c = cases[0];
  const table = new Map<string, Float32Array>();
  const train = addRows(table, 'train ', matrix(c.train.x)), testTexts = addRows(table, 'test ', matrix(c.test.x));
  const { encode, calls } = tableEncoder(table, c.train.x.dim);
  const task: TextTask = { meta: meta('Classification'), data: { train: { texts: train, labels: c.train.labels }, test: { texts: testTexts, labels: c.test.labels } } };
  const r = await evaluateTask(task, encode, { seed: 5, classification: { samplesPerLabel: null } });
  assert.equal(calls.length, 1);
  assert.equal(calls[0].texts.length, train.length + testTexts.length);
  close(r.main_score, c.accuracy, 1 / c.test.labels.length + 1e-12, 'accuracy');
  // MTEB's default protocol (10 experiments × 8 per label) runs and gives a plausible accuracy
  const d = await evaluateTask(task, encode, { seed: 5 });
  assert.ok(d.main_score > 0.3 && d.main_score <= 1, `accuracy ${d.main_score}`);
  assert.equal(calls.length, 2);
});

test('Retrieval task: queries embedded as queries, title + " " + text as documents; main_score ndcg_at_10', async () => {
  const fx = fixture<{ queries: FixtureMatrix; corpus: FixtureMatrix; queryIds: string[]; corpusIds: string[]; qrels: Record<string, Record<string, number>>; expected: Record<string, number> }>('retrieval');
  const table = new Map<string, Float32Array>();
  const qTexts = addRows(table, 'question ', matrix(fx.queries));
  const docTexts = addRows(table, 'Title passage ', matrix(fx.corpus));
  const titles = docTexts.map((_, i) => (i % 2 === 0 ? 'Title' : '')); // odd docs carry the title inside the text
  const texts = docTexts.map((t, i) => (i % 2 === 0 ? t.slice('Title '.length) : t));
  // an extra query without qrels: not scored, not embedded
  const task: TextTask = {
    meta: meta('Retrieval'),
    data: {
      corpus: { ids: fx.corpusIds, titles, texts },
      queries: { ids: [...fx.queryIds, 'unjudged'], texts: [...qTexts, 'never embedded'] },
      qrels: new Map(Object.entries(fx.qrels).map(([q, d]) => [q, new Map(Object.entries(d))])),
    },
  };
  const { encode, calls } = tableEncoder(table, fx.queries.dim);
  const r = await evaluateTask(task, encode);
  assert.deepEqual(calls.map((c) => [c.role, c.texts.length]), [['query', fx.queryIds.length], ['document', fx.corpusIds.length]]);
  close(r.main_score, fx.expected.ndcg_at_10, 1e-9, 'ndcg_at_10');
  for (const k of ['map_at_100', 'recall_at_10', 'mrr_at_10']) close(r.scores[k], fx.expected[k], 1e-9, k);
});

test('Reranking (queries embedded as queries), PairClassification, BitextMining, Clustering tasks: main scores as MTEB', async () => {
  const rr = fixture<{ queries: FixtureMatrix; docs: FixtureMatrix; samples: { query: number; positive: number[]; negative: number[] }[]; expected: Record<string, number> }>('reranking');
  let table = new Map<string, Float32Array>();
  const q = addRows(table, 'q', matrix(rr.queries)), d = addRows(table, 'd', matrix(rr.docs));
  let enc = tableEncoder(table, rr.queries.dim);
  const r1 = await evaluateTask({ meta: meta('Reranking'), data: { samples: rr.samples.map((s) => ({ query: q[s.query], positive: s.positive.map((i) => d[i]), negative: s.negative.map((i) => d[i]) })) } }, enc.encode);
  close(r1.main_score, rr.expected.map, 1e-9, 'map');
  // queries through the query role (MTEB v1 calls the model's query encoder), candidates as documents
  assert.deepEqual(enc.calls.map((c) => c.role), ['query', 'document']);

  const pc = fixture<{ emb1: FixtureMatrix; emb2: FixtureMatrix; labels: (0 | 1)[]; expected: Record<string, Record<string, number>> }>('pair-classification');
  table = new Map();
  enc = tableEncoder(table, pc.emb1.dim);
  const a = addRows(table, 'a', matrix(pc.emb1)), b = addRows(table, 'b', matrix(pc.emb2));
  const r2 = await evaluateTask({ meta: meta('PairClassification'), data: { sentences1: a, sentences2: b, labels: pc.labels } }, enc.encode);
  close(r2.main_score, pc.expected.cos_sim.ap, 1e-9, 'cos_sim_ap');

  const bt = fixture<{ emb1: FixtureMatrix; emb2: FixtureMatrix; expected: Record<string, number> }>('bitext-mining');
  table = new Map();
  enc = tableEncoder(table, bt.emb1.dim);
  const r3 = await evaluateTask({ meta: meta('BitextMining'), data: { sentences1: addRows(table, 'en ', matrix(bt.emb1)), sentences2: addRows(table, 'fr ', matrix(bt.emb2)) } }, enc.encode);
  close(r3.main_score, bt.expected.f1, 1e-12, 'f1');

  const cl = fixture<{ sets: { x: FixtureMatrix; labels: string[]; kmeansVMeasure: number }[] }>('clustering');
  table = new Map();
  enc = tableEncoder(table, cl.sets[0].x.dim);
  const sets = cl.sets.map((s, i) => ({ texts: addRows(table, `set${i} `, matrix(s.x)), labels: s.labels }));
  const r4 = await evaluateTask({ meta: meta('Clustering'), data: { sets } }, enc.encode, { clustering: { nInit: 10 } });
  assert.equal(enc.calls.length, 1);
  close(r4.main_score, cl.sets.reduce((s, x) => s + x.kmeansVMeasure, 0) / cl.sets.length, 0.02, 'v_measure');
});

test('evaluateTask: impossible input is an InputError, before anything is embedded', async () => {
  const { encode, calls } = tableEncoder(new Map(), 2);
  const retrieval = (qrels: Map<string, Map<string, number>>): TextTask => ({
    meta: meta('Retrieval'),
    data: { corpus: { ids: ['d1'], titles: [''], texts: ['doc'] }, queries: { ids: ['q1'], texts: ['query'] }, qrels },
  });
  await assert.rejects(evaluateTask(retrieval(new Map([['q1', new Map([['d9', 1]])]])), encode), InputError);
  await assert.rejects(evaluateTask(retrieval(new Map([['q9', new Map([['d1', 1]])]])), encode), InputError);
  await assert.rejects(evaluateTask({ meta: meta('STS'), data: { sentences1: ['a', 'b'], sentences2: ['c'], scores: [1, 2] } }, encode), InputError);
  await assert.rejects(evaluateTask({ meta: meta('Classification'), data: { train: { texts: ['a', 'b'], labels: ['x', 'x'] }, test: { texts: ['c'], labels: ['x'] } } }, encode), InputError);
  await assert.rejects(evaluateTask({ meta: meta('Clustering'), data: { sets: [] } }, encode), InputError);
  await assert.rejects(evaluateTask({ meta: meta('PairClassification'), data: { sentences1: [], sentences2: [], labels: [] } }, encode), InputError);
  await assert.rejects(evaluateTask({ meta: meta('BitextMining'), data: { sentences1: ['a'], sentences2: [] } }, encode), InputError);
  await assert.rejects(evaluateTask({ meta: meta('Reranking'), data: { samples: [{ query: 'q', positive: [], negative: ['n'] }] } }, encode), InputError);
  await assert.rejects(evaluateTask({ meta: { ...meta('STS'), type: 'Summarization' as TaskType }, data: { sentences1: [], sentences2: [], scores: [] } } as unknown as TextTask, encode), InputError);
  assert.equal(calls.length, 0);
});

test('evaluateTask: a main score the type does not report is an InputError', async () => {
  const table = new Map<string, Float32Array>([['a', Float32Array.of(1, 0)], ['b', Float32Array.of(0, 1)], ['c', Float32Array.of(1, 1)]]);
  const { encode } = tableEncoder(table, 2);
  const data = { sentences1: ['a', 'b', 'c'], sentences2: ['b', 'c', 'a'], scores: [1, 2, 3] };
  await assert.rejects(evaluateTask({ meta: meta('STS', 'ndcg_at_10'), data }, encode), /main score 'ndcg_at_10'/);
});

test('evaluateTask: an encoder returning the wrong number of rows or non-finite values is rejected', async () => {
  const data = { sentences1: ['a', 'b'], sentences2: ['c', 'd'], scores: [1, 2] };
  const { Matrix } = await import('../../../src/core/matrix.js');
  await assert.rejects(evaluateTask({ meta: meta('STS'), data }, async () => Matrix.zeros(3, 2)), /3 embeddings for 4 texts/);
  await assert.rejects(evaluateTask({ meta: meta('STS'), data }, async (t) => new Matrix(new Float32Array(t.length * 2).fill(NaN), t.length, 2)), InputError);
});
