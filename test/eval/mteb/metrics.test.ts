// Hand-computed cases for the shared metrics (expected values checked against scipy / sklearn 1.2
// where a library defines the metric; the trec_eval cases are worked out in the comments).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  averagePrecision, bestAccuracyThreshold, bestF1Threshold, labelIndex, mean, pearson, precisionRecallF1,
  rankAverage, rankingMetrics, reciprocalRankAtK, spearman, std, trecOrder, vMeasure, type RankedList,
} from '../../../src/eval/mteb/metrics.js';
import { close } from './fixtures.js';

const EXACT = 1e-12;

test('mean, std (numpy ddof 0), labelIndex in sorted order', () => {
  assert.equal(mean([1, 2, 3, 6]), 3);
  close(std([1, 2, 3, 6]), Math.sqrt(3.5), EXACT, 'std');
  assert.ok(Number.isNaN(mean([])));
  const { ids, classes } = labelIndex(['b', 'a', 'c', 'a']);
  assert.deepEqual(classes, ['a', 'b', 'c']);
  assert.deepEqual(Array.from(ids), [1, 0, 2, 0]);
  assert.deepEqual(labelIndex([10, 2, 2]).classes, [2, 10]); // numeric, not string, order
});

test('rank averages, Spearman with ties and Pearson match scipy', () => {
  assert.deepEqual(Array.from(rankAverage([5, 6, 7, 8, 7])), [1, 2, 3.5, 5, 3.5]);
  close(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 0.8207826816681233, EXACT, 'spearmanr');
  close(pearson([1, 2, 3], [2, 4, 7]), 0.9933992677987828, EXACT, 'pearsonr');
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])), 'a constant side has no correlation');
  assert.throws(() => pearson([1, 2], [1, 2, 3]), RangeError);
});

test('average precision: step-wise, tied scores enter together (sklearn)', () => {
  // thresholds .9 .8 .7 .6: (P, R) = (1, .5), (.5, .5), (2/3, 1), (.5, 1) → .5·1 + .5·2/3
  close(averagePrecision([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.6]), 0.8333333333333333, EXACT, 'ap');
  // a tie of a positive and a negative enters as one threshold: .5·.5 + .5·2/3
  close(averagePrecision([1, 0, 1], [0.5, 0.5, 0.2]), 0.5833333333333333, EXACT, 'ap with a tie');
  assert.ok(Number.isNaN(averagePrecision([0, 0], [0.1, 0.2])));
});

test('precision / recall / f1, macro over labels of y_true ∪ y_pred and weighted by support (sklearn, zero_division 0)', () => {
  close(precisionRecallF1([0, 0, 1, 2], [0, 1, 1, 1], 'macro').f1, 0.38888888888888884, EXACT, 'macro f1');
  close(precisionRecallF1([0, 0, 1, 2], [0, 1, 1, 1], 'weighted').f1, 0.4583333333333333, EXACT, 'weighted f1');
  // label 1 occurs only among the predictions: it counts in macro, with weight 0 in weighted
  close(precisionRecallF1([0, 0], [0, 1], 'macro').f1, 1 / 3, EXACT, 'macro f1, predicted-only label');
  close(precisionRecallF1([0, 0], [0, 1], 'weighted').f1, 2 / 3, EXACT, 'weighted f1, predicted-only label');
  const w = precisionRecallF1([0, 0, 1, 2], [0, 1, 1, 1], 'weighted');
  close(w.precision, (2 * 1 + 1 / 3 + 0) / 4, EXACT, 'weighted precision');
  close(w.recall, (2 * 0.5 + 1 + 0) / 4, EXACT, 'weighted recall');
});

test('V-measure, homogeneity, completeness (sklearn)', () => {
  const r = vMeasure([0, 0, 1, 1], [0, 1, 1, 1]);
  close(r.v_measure, 0.34371101848545077, EXACT, 'v_measure');
  close(r.homogeneity, 0.31127812445913283, EXACT, 'homogeneity');
  close(r.completeness, 0.38368854659634427, EXACT, 'completeness');
  close(vMeasure([0, 0, 1, 1, 2], [2, 2, 0, 0, 1]).v_measure, 1, EXACT, 'a renamed partition');
  assert.equal(vMeasure([0, 0, 1, 1], [0, 0, 0, 0]).v_measure, 0);
  assert.equal(vMeasure([0, 0, 0], [0, 1, 2]).v_measure, 0);
});

test('best accuracy / F1 thresholds walk the sorted pairs as MTEB does', () => {
  // most similar first: (.9, 1) (.8, 0) (.3, 1) (.1, 0); cuts after pairs 0, 1, 2
  // accuracy: 3/4 at (.9+.8)/2, then 2/4, then 3/4 again (not strictly better: the first is kept)
  assert.deepEqual(bestAccuracyThreshold([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0], true), { accuracy: 0.75, threshold: (0.9 + 0.8) / 2 });
  // F1: 2/3, 1/2, then 0.8 with precision 2/3, recall 1 at (.3+.1)/2
  const f = bestF1Threshold([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0], true);
  close(f.f1, 0.8, EXACT, 'f1');
  close(f.precision, 2 / 3, EXACT, 'precision');
  assert.equal(f.recall, 1);
  close(f.threshold, 0.2, EXACT, 'threshold');
  // distances: smaller is more similar, so the same data negated gives the same answers
  assert.equal(bestAccuracyThreshold([-0.9, -0.8, -0.3, -0.1], [1, 0, 1, 0], false).accuracy, 0.75);
  close(bestF1Threshold([-0.9, -0.8, -0.3, -0.1], [1, 0, 1, 0], false).threshold, -0.2, EXACT, 'distance threshold');
});

test('reciprocal rank at k', () => {
  assert.equal(reciprocalRankAtK([2, 0, 1], [true, false, false], 10), 1 / 2); // item 0 is second
  assert.equal(reciprocalRankAtK([2, 0, 1], [false, true, false], 2), 0); // item 1 is third, beyond k
});

test('trec_eval order: score descending, ties by document id descending, scores compared as float32', () => {
  const list: RankedList = { ids: ['a', 'c', 'b', 'd'], scores: [0.5, 0.5, 0.9, 0.5 + 1e-12] };
  // 0.5 + 1e-12 rounds to 0.5 in float32: a three-way tie broken d > c > a
  assert.deepEqual(trecOrder(list).map((i) => list.ids[i]), ['b', 'd', 'c', 'a']);
});

test('rankingMetrics: ndcg_cut, map_cut, recall, P and MRR with trec_eval semantics', () => {
  const qrels = new Map([
    ['q1', new Map([['a', 2], ['b', 1], ['c', 0]])], // c is judged non-relevant: num_rel = 2
    ['q2', new Map([['x', 1]])], // no run for q2: it scores 0 and still counts in the mean
  ]);
  // scores tie a and d at 0.8: d ranks first (id descending), so the ranking is c d a b
  const run = new Map<string, RankedList>([['q1', { ids: ['c', 'a', 'd', 'b'], scores: [0.9, 0.8, 0.8, 0.1] }]]);
  const m = rankingMetrics(run, qrels, [1, 3, 5]);
  const idcg3 = 2 / Math.log2(2) + 1 / Math.log2(3);
  const half = (v: number) => v / 2; // mean over the two queries of qrels
  close(m.ndcg_at_1, 0, EXACT, 'ndcg@1');
  close(m.ndcg_at_3, half((2 / Math.log2(4)) / idcg3), EXACT, 'ndcg@3');
  close(m.ndcg_at_5, half((2 / Math.log2(4) + 1 / Math.log2(5)) / idcg3), EXACT, 'ndcg@5');
  close(m.map_at_3, half((1 / 3) / 2), EXACT, 'map@3 divides by num_rel, not min(k, num_rel)');
  close(m.map_at_5, half((1 / 3 + 2 / 4) / 2), EXACT, 'map@5');
  close(m.recall_at_3, half(1 / 2), EXACT, 'recall@3');
  close(m.recall_at_5, half(1), EXACT, 'recall@5');
  close(m.precision_at_5, half(2 / 5), EXACT, 'P@5 divides by k even when fewer are retrieved');
  close(m.mrr_at_1, 0, EXACT, 'mrr@1');
  close(m.mrr_at_3, half(1 / 3), EXACT, 'mrr@3');
});
