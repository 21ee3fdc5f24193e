/**
 * MTEB Classification (AbsTaskClassification + logRegClassificationEvaluator, v1): for each of
 * n_experiments, undersample the train set to at most samples_per_label rows per label (MTEB shuffles
 * one index array again before each experiment and takes the first rows of each label in that
 * order), fit sklearn-style logistic regression (see logistic.ts) on their embeddings, predict the
 * test set, and score accuracy, f1 (macro), f1_weighted, and for a two-label train sample ap
 * (average precision of the hard predictions, as MTEB computes it); the scores are means over the
 * experiments. MTEB's defaults: 10 experiments, 8 samples per label (many MTEB tasks set 16 or 32).
 */
import { InputError } from '../../core/errors.js';
import type { Matrix } from '../../core/matrix.js';
import type { ProgressFn } from '../../core/progress.js';
import { Rng } from '../../core/rng.js';
import type { ClassificationData } from '../../data/text/types.js';
import { fitLogistic, predictLogistic, type LogisticOptions } from './logistic.js';
import { accuracy, averagePrecision, labelIndex, mean, precisionRecallF1 } from './metrics.js';
import { encodeDistinct, gather, meanOfItems, requireNonEmpty, requireSameLength, type Encode, type EvaluateOptions, type EvaluatorScores, type ItemizedScore } from './types.js';

export interface ClassificationOptions {
  /** Default 10 (MTEB's n_experiments). */
  nExperiments?: number;
  /** Rows kept per label in each experiment. Default 8 (MTEB's samples_per_label); null = every train row, once. */
  samplesPerLabel?: number | null;
  /** Logistic regression settings; defaults are sklearn's with MTEB's max_iter = 100. */
  logistic?: LogisticOptions;
  seed?: number;
  onProgress?: ProgressFn;
}

export type Label = string | number;

/** MTEB's _undersample_data: shuffle `order` in place, then keep the first `perLabel` rows of each label in that order. */
export function undersample(order: Uint32Array, labels: ArrayLike<number>, perLabel: number, rng: Rng): number[] {
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const taken = new Map<number, number>();
  const out: number[] = [];
  for (const i of order) {
    const c = taken.get(labels[i]) ?? 0;
    if (c < perLabel) {
      out.push(i);
      taken.set(labels[i], c + 1);
    }
  }
  return out;
}

/** Scores of one fit on the given train rows, and which test rows it got right. `yTrain`, `yTest`: indices into one label space. */
function experiment(trainX: Matrix, yTrain: Int32Array, testX: Matrix, yTest: Int32Array, logistic: LogisticOptions): { scores: Record<string, number>; correct: Uint8Array } {
  // the classes of this train sample, sorted (sklearn's classes_), as 0..k−1 for the fit
  const { ids, classes } = labelIndex(Array.from(yTrain));
  if (classes.length < 2) throw new InputError('Classification: the train set has one label only; logistic regression needs at least two.');
  const model = fitLogistic(trainX, ids, classes.length, logistic);
  const pred = Array.from(predictLogistic(model, testX), (k) => classes[k]);
  const weighted = precisionRecallF1(yTest, pred, 'weighted');
  const out: Record<string, number> = {
    accuracy: accuracy(yTest, pred),
    f1: precisionRecallF1(yTest, pred, 'macro').f1,
    f1_weighted: weighted.f1,
  };
  if (classes.length === 2) {
    const pos = classes[1];
    out.ap = averagePrecision(Array.from(yTest, (v) => (v === pos ? 1 : 0)), pred.map((v) => (v === pos ? 1 : 0)));
  }
  return { scores: out, correct: Uint8Array.from(yTest, (y, i) => (y === pred[i] ? 1 : 0)) };
}

/** The scores of a classification task, and what they average: each experiment's scores, and per test row how many experiments got it right. */
export interface ClassificationDetail {
  scores: Record<string, number>;
  experiments: Record<string, number>[];
  /** Test row i: the number of experiments that predicted its label. */
  correctCount: Float64Array;
}

/**
 * MTEB's classification protocol on embeddings: train rows `trainX` with labels `trainY`, test rows
 * `testX` with `testY`. Returns the mean of each metric over the experiments.
 */
export function classificationScores(
  trainX: Matrix, trainY: readonly Label[], testX: Matrix, testY: readonly Label[], opts: ClassificationOptions = {},
): Record<string, number> {
  return classificationDetail(trainX, trainY, testX, testY, opts).scores;
}

/** As `classificationScores`, with each experiment's scores and each test row's count of correct predictions. */
export function classificationDetail(
  trainX: Matrix, trainY: readonly Label[], testX: Matrix, testY: readonly Label[], opts: ClassificationOptions = {},
): ClassificationDetail {
  requireNonEmpty('Classification: the train set', trainX.rows);
  requireNonEmpty('Classification: the test set', testX.rows);
  requireSameLength('Classification train set', trainX.rows, trainY.length, 'vectors', 'labels');
  requireSameLength('Classification test set', testX.rows, testY.length, 'vectors', 'labels');
  if (trainX.dim !== testX.dim) throw new InputError(`Classification: train vectors have dimension ${trainX.dim}, test vectors ${testX.dim}.`);
  // one label space for train and test (a test label absent from train is never predicted)
  const all = labelIndex([...trainY, ...testY] as Label[]);
  const yTrain = all.ids.subarray(0, trainY.length), yTest = all.ids.subarray(trainY.length);
  if (new Set(yTrain).size < 2) throw new InputError('Classification: the train set has one label only; logistic regression needs at least two.');
  const perLabel = opts.samplesPerLabel === undefined ? 8 : opts.samplesPerLabel;
  const logistic = opts.logistic ?? {};
  const detail = (runs: { scores: Record<string, number>; correct: Uint8Array }[]): ClassificationDetail => {
    const experiments = runs.map((r) => r.scores);
    const scores: Record<string, number> = {};
    for (const key of Object.keys(experiments[0])) scores[key] = mean(experiments.map((r) => r[key]));
    const correctCount = new Float64Array(testX.rows);
    for (const r of runs) for (let i = 0; i < correctCount.length; i++) correctCount[i] += r.correct[i];
    return { scores, experiments, correctCount };
  };
  if (perLabel === null) return detail([experiment(trainX, yTrain, testX, yTest, logistic)]);
  if (!(perLabel >= 1)) throw new InputError(`Classification: samplesPerLabel must be at least 1, got ${perLabel}.`);
  const nExperiments = opts.nExperiments ?? 10;
  if (!(Number.isInteger(nExperiments) && nExperiments >= 1)) throw new InputError(`Classification: nExperiments must be a positive integer, got ${nExperiments}.`);
  const rng = new Rng(opts.seed ?? 1234);
  const order = Uint32Array.from({ length: trainX.rows }, (_, i) => i);
  const runs: { scores: Record<string, number>; correct: Uint8Array }[] = [];
  for (let e = 0; e < nExperiments; e++) {
    const rows = undersample(order, yTrain, perLabel, rng);
    runs.push(experiment(trainX.selectRows(rows), Int32Array.from(rows, (i) => yTrain[i]), testX, yTest, logistic));
    opts.onProgress?.(e + 1, nExperiments, 'classification experiments');
  }
  return detail(runs);
}

/**
 * The itemized form of a classification metric: accuracy over the test examples (per example, the
 * fraction of the experiments that got it right: 0/1 with one experiment, and their mean is the
 * accuracy, up to rounding with several); any other metric over the experiments (at least two).
 */
export function itemizeClassification(d: ClassificationDetail, metric: string): ItemizedScore | null {
  const e = d.experiments.length;
  const perExperiment = (k: string) => ({ name: `${k}_per_experiment`, what: `${k} of each of the ${e} experiments (train subsamples)`, values: Float64Array.from(d.experiments, (r) => r[k]) });
  if (metric === 'accuracy') {
    const values = d.correctCount.map((c) => c / e);
    const what = e === 1 ? '1 if each test example is classified correctly, else 0' : `fraction of the ${e} experiments that classify each test example correctly`;
    return meanOfItems(metric, 'test examples', { name: 'correct', what, values }, e >= 2 ? [perExperiment('accuracy')] : undefined);
  }
  if (e < 2 || !(metric in d.experiments[0])) return null;
  return meanOfItems(metric, 'experiments', perExperiment(metric));
}

export async function evaluateClassification(data: ClassificationData, encode: Encode, opts: EvaluateOptions = {}): Promise<EvaluatorScores> {
  const { train, test } = data;
  requireSameLength('Classification train split', train.texts.length, train.labels.length, 'texts', 'labels');
  requireSameLength('Classification test split', test.texts.length, test.labels.length, 'texts', 'labels');
  requireNonEmpty('Classification: the train split', train.texts.length);
  requireNonEmpty('Classification: the test split', test.texts.length);
  if (new Set(train.labels).size < 2) throw new InputError('Classification: the train split has one label only; logistic regression needs at least two.');
  const e = await encodeDistinct(encode, [...train.texts, ...test.texts], 'document');
  const n = train.texts.length;
  const d = classificationDetail(gather(e, 0, n), train.labels, gather(e, n), test.labels, {
    ...opts.classification, seed: opts.seed, onProgress: opts.onProgress,
  });
  return { main_score: d.scores.accuracy, scores: d.scores, itemize: (metric) => itemizeClassification(d, metric) };
}
