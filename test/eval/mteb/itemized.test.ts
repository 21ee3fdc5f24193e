// Each task type's main score item by item (what a bootstrap resamples): a mean over items equals
// the score bit for bit (or to rounding where documented), a statistic over pairs recomputes it
// exactly on the identity resample and equals the plain metric on any resample; the intervals
// bracket the score and the paired interval of a variant against itself is [0, 0].
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/core/rng.js';
import { shutdownWorkers } from '../../../src/core/parallel.js';
import type { TaskMeta, TaskType, TextTask } from '../../../src/data/text/types.js';
import { evaluateTask, type ItemizedScore } from '../../../src/eval/mteb/evaluate.js';
import { deltaInterval, mainScoreInterval } from '../../../src/eval/mteb/intervals.js';
import { averagePrecision, precisionRecallF1, spearman } from '../../../src/eval/mteb/metrics.js';
import { addRows, close, fixture, matrix, tableEncoder, type FixtureMatrix } from './fixtures.js';

after(shutdownWorkers);

function meta<T extends TaskType>(type: T, mainScore = ''): TaskMeta & { type: T } {
  return { name: `test-${type}`, type, description: 'fixture', source: 'test/fixtures/mteb', licence: 'MIT', mainScore, split: 'test' };
}

/** The in-order mean of a series (how every evaluator averages). */
function inOrderMean(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

function resample(n: number, seed: number): Uint32Array {
  const rng = new Rng(seed);
  return Uint32Array.from({ length: n }, () => rng.int(n));
}

const identity = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);
const gather = (x: ArrayLike<number>, idx: Uint32Array) => Array.from(idx, (i) => x[i]);

/** The interval brackets the score; the paired interval of the variant against itself is exactly 0. */
function checkIntervals(it: ItemizedScore, score: number): void {
  const ci = mainScoreInterval(it, 11);
  assert.ok(ci.lo <= score && score <= ci.hi, `${it.metric} ${score} in [${ci.lo}, ${ci.hi}]`);
  assert.equal(ci.over, it.over);
  assert.equal(ci.resamples, 1000);
  assert.deepEqual(mainScoreInterval(it, 11), ci, 'the same seed, the same interval');
  const d = deltaInterval(it, it, 11);
  assert.deepEqual([d.diff, d.lo, d.hi, d.significant], [0, 0, 0, false]);
}

async function retrievalTask(mainScore = '') {
  const fx = fixture<{ queries: FixtureMatrix; corpus: FixtureMatrix; queryIds: string[]; corpusIds: string[]; qrels: Record<string, Record<string, number>>; expected: Record<string, number> }>('retrieval');
  const table = new Map<string, Float32Array>();
  const qTexts = addRows(table, 'question ', matrix(fx.queries));
  const docTexts = addRows(table, 'passage ', matrix(fx.corpus));
  const task: TextTask = {
    meta: meta('Retrieval', mainScore),
    data: {
      corpus: { ids: fx.corpusIds, titles: docTexts.map(() => ''), texts: docTexts },
      queries: { ids: fx.queryIds, texts: qTexts },
      qrels: new Map(Object.entries(fx.qrels).map(([q, d]) => [q, new Map(Object.entries(d))])),
    },
  };
  return { r: await evaluateTask(task, tableEncoder(table, fx.queries.dim).encode), fx };
}

test('Retrieval: per-query nDCG@10 (and MRR@10, MAP@10) whose in-order mean is the task\'s nDCG@10 exactly', async () => {
  const { r, fx } = await retrievalTask();
  const it = r.itemized!;
  assert.equal(it.metric, 'ndcg_at_10');
  assert.equal(it.over, 'queries');
  assert.equal(it.statistic, 'mean');
  assert.equal(it.n, Object.keys(fx.qrels).length);
  assert.equal(it.series[0].what, 'nDCG@10 of each query');
  assert.equal(inOrderMean(it.series[0].values), r.main_score, 'bit for bit');
  close(r.main_score, fx.expected.ndcg_at_10, 1e-9, 'ndcg_at_10 (sklearn)');
  assert.deepEqual(it.extra!.map((s) => s.name), ['mrr_at_10', 'map_at_10']);
  assert.equal(inOrderMean(it.extra![0].values), r.scores.mrr_at_10);
  assert.equal(inOrderMean(it.extra![1].values), r.scores.map_at_10);
  for (const v of it.series[0].values) assert.ok(v >= 0 && v <= 1);
  checkIntervals(it, r.main_score);
  // a task whose main score is another ranking metric gets its own per-query values
  const other = await retrievalTask('recall_at_100');
  assert.equal(other.r.itemized!.metric, 'recall_at_100');
  assert.equal(inOrderMean(other.r.itemized!.series[0].values), other.r.main_score);
});

test('STS: per-pair cosine and gold scores; Spearman recomputed on a resample equals scipy\'s formula on the resampled pairs', async () => {
  const fx = fixture<{ emb1: FixtureMatrix; emb2: FixtureMatrix; scores: number[] }>('sts');
  const table = new Map<string, Float32Array>();
  const s1 = addRows(table, 'left ', matrix(fx.emb1)), s2 = addRows(table, 'right ', matrix(fx.emb2));
  const r = await evaluateTask({ meta: meta('STS'), data: { sentences1: s1, sentences2: s2, scores: fx.scores } }, tableEncoder(table, fx.emb1.dim).encode);
  const it = r.itemized!;
  assert.deepEqual([it.metric, it.over, it.statistic, it.n], ['cos_sim_spearman', 'pairs', 'spearman', fx.scores.length]);
  const [sim, gold] = it.series;
  assert.deepEqual([sim.name, gold.name], ['cos_sim', 'gold']);
  assert.deepEqual(Array.from(gold.values), fx.scores);
  assert.equal(it.of(identity(it.n)), r.main_score, 'bit for bit');
  assert.equal(spearman(gold.values, sim.values), r.main_score);
  for (let s = 0; s < 5; s++) {
    const idx = resample(it.n, s);
    close(it.of(idx), spearman(gather(gold.values, idx), gather(sim.values, idx)), 1e-12, `resample ${s}`);
  }
  checkIntervals(it, r.main_score);
  // Pearson as the main score: a statistic too
  const p = await evaluateTask({ meta: meta('STS', 'cos_sim_pearson'), data: { sentences1: s1, sentences2: s2, scores: fx.scores } }, tableEncoder(table, fx.emb1.dim).encode);
  assert.equal(p.itemized!.statistic, 'pearson');
  assert.equal(p.itemized!.of(identity(it.n)), p.main_score);
});

test('PairClassification: per-pair cosine and labels; AP recomputed on a resample equals sklearn\'s formula on the resampled pairs', async () => {
  const pc = fixture<{ emb1: FixtureMatrix; emb2: FixtureMatrix; labels: (0 | 1)[] }>('pair-classification');
  const table = new Map<string, Float32Array>();
  const a = addRows(table, 'a', matrix(pc.emb1)), b = addRows(table, 'b', matrix(pc.emb2));
  const task = (main: string): TextTask => ({ meta: meta('PairClassification', main), data: { sentences1: a, sentences2: b, labels: pc.labels } });
  const r = await evaluateTask(task(''), tableEncoder(table, pc.emb1.dim).encode);
  const it = r.itemized!;
  assert.deepEqual([it.metric, it.over, it.statistic], ['cos_sim_ap', 'pairs', 'ap']);
  assert.equal(it.of(identity(it.n)), r.main_score);
  for (let s = 0; s < 5; s++) {
    const idx = resample(it.n, s);
    close(it.of(idx), averagePrecision(gather(it.series[1].values, idx), gather(it.series[0].values, idx)), 1e-12, `resample ${s}`);
  }
  checkIntervals(it, r.main_score);
  // a distance's AP ranks by the negated distance
  const e = await evaluateTask(task('euclidean_ap'), tableEncoder(table, pc.emb1.dim).encode);
  assert.match(e.itemized!.series[0].what, /^negated Euclidean distance/);
  assert.equal(e.itemized!.of(identity(it.n)), e.main_score);
  // best-threshold accuracy does not resample this way
  assert.equal((await evaluateTask(task('cos_sim_accuracy'), tableEncoder(table, pc.emb1.dim).encode)).itemized, undefined);
});

test('Classification: per-test-example correctness; one experiment: its mean is the accuracy exactly; ten: to rounding', async () => {
  const { cases } = fixture<{ cases: { train: { x: FixtureMatrix; labels: string[] }; test: { x: FixtureMatrix; labels: string[] } }[] }>('classification');
  const c = cases[0];
  const table = new Map<string, Float32Array>();
  const train = addRows(table, 'train ', matrix(c.train.x)), testTexts = addRows(table, 'test ', matrix(c.test.x));
  const task: TextTask = { meta: meta('Classification'), data: { train: { texts: train, labels: c.train.labels }, test: { texts: testTexts, labels: c.test.labels } } };
  const { encode } = tableEncoder(table, c.train.x.dim);
  const one = await evaluateTask(task, encode, { seed: 5, classification: { samplesPerLabel: null } });
  const it = one.itemized!;
  assert.deepEqual([it.metric, it.over, it.statistic, it.n], ['accuracy', 'test examples', 'mean', c.test.labels.length]);
  assert.ok(it.series[0].values.every((v) => v === 0 || v === 1));
  assert.equal(inOrderMean(it.series[0].values), one.main_score, 'bit for bit');
  checkIntervals(it, one.main_score);
  const ten = await evaluateTask(task, encode, { seed: 5 });
  const t = ten.itemized!;
  assert.equal(t.over, 'test examples');
  assert.match(t.series[0].what, /fraction of the 10 experiments/);
  close(inOrderMean(t.series[0].values), ten.main_score, 1e-12, 'mean of per-example fractions');
  assert.equal(t.extra![0].values.length, 10);
  close(inOrderMean(t.extra![0].values), ten.main_score, 1e-15, 'mean of the experiments\' accuracies');
  // f1 does not decompose over test examples: resampled over the experiments
  const f1 = await evaluateTask({ ...task, meta: meta('Classification', 'f1') }, encode, { seed: 5 });
  assert.deepEqual([f1.itemized!.over, f1.itemized!.n], ['experiments', 10]);
  assert.equal(inOrderMean(f1.itemized!.series[0].values), f1.main_score);
});

test('Reranking, Clustering, BitextMining: per-query AP, per-set V-measure, per-pair predictions', async () => {
  const rr = fixture<{ queries: FixtureMatrix; docs: FixtureMatrix; samples: { query: number; positive: number[]; negative: number[] }[] }>('reranking');
  let table = new Map<string, Float32Array>();
  const q = addRows(table, 'q', matrix(rr.queries)), d = addRows(table, 'd', matrix(rr.docs));
  const r1 = await evaluateTask({ meta: meta('Reranking'), data: { samples: rr.samples.map((s) => ({ query: q[s.query], positive: s.positive.map((i) => d[i]), negative: s.negative.map((i) => d[i]) })) } }, tableEncoder(table, rr.queries.dim).encode);
  assert.deepEqual([r1.itemized!.metric, r1.itemized!.over], ['map', 'queries']);
  assert.equal(inOrderMean(r1.itemized!.series[0].values), r1.main_score);
  assert.equal(inOrderMean(r1.itemized!.extra![0].values), r1.scores.mrr_at_10);
  checkIntervals(r1.itemized!, r1.main_score);

  const cl = fixture<{ sets: { x: FixtureMatrix; labels: string[] }[] }>('clustering');
  table = new Map();
  const sets = cl.sets.map((s, i) => ({ texts: addRows(table, `set${i} `, matrix(s.x)), labels: s.labels }));
  const r2 = await evaluateTask({ meta: meta('Clustering'), data: { sets } }, tableEncoder(table, cl.sets[0].x.dim).encode);
  assert.ok(cl.sets.length >= 2);
  assert.deepEqual([r2.itemized!.over, r2.itemized!.n], ['experiments', cl.sets.length]);
  assert.equal(inOrderMean(r2.itemized!.series[0].values), r2.main_score);
  // one set: nothing to resample
  const r2one = await evaluateTask({ meta: meta('Clustering'), data: { sets: sets.slice(0, 1) } }, tableEncoder(table, cl.sets[0].x.dim).encode);
  assert.equal(r2one.itemized, undefined);

  const bt = fixture<{ emb1: FixtureMatrix; emb2: FixtureMatrix; predictions: number[] }>('bitext-mining');
  table = new Map();
  const data = { sentences1: addRows(table, 'en ', matrix(bt.emb1)), sentences2: addRows(table, 'fr ', matrix(bt.emb2)) };
  const r3 = await evaluateTask({ meta: meta('BitextMining'), data }, tableEncoder(table, bt.emb1.dim).encode);
  const it = r3.itemized!;
  assert.deepEqual([it.metric, it.over, it.statistic], ['f1', 'pairs', 'weighted f1']);
  assert.deepEqual(Array.from(it.series[0].values), bt.predictions, 'the nearest row of each sentence, as sklearn found it');
  assert.equal(it.of(identity(it.n)), r3.main_score);
  const gold = Int32Array.from({ length: it.n }, (_, i) => i);
  const idx = resample(it.n, 3);
  assert.equal(it.of(idx), precisionRecallF1(gather(gold, idx), gather(it.series[0].values, idx), 'weighted').f1);
  checkIntervals(it, r3.main_score);
  const acc = await evaluateTask({ meta: meta('BitextMining', 'accuracy'), data }, tableEncoder(table, bt.emb1.dim).encode);
  assert.equal(inOrderMean(acc.itemized!.series[0].values), acc.main_score);
});
