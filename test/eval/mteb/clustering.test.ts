// Clustering against scikit-learn 1.2 (test/fixtures/mteb/clustering.json).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/core/errors.js';
import { Matrix } from '../../../src/core/matrix.js';
import { shutdownWorkers } from '../../../src/core/parallel.js';
import { clusterSetScores, clusteringScores } from '../../../src/eval/mteb/clustering.js';
import { labelIndex, mean, std, vMeasure } from '../../../src/eval/mteb/metrics.js';
import { close, fixture, matrix, type FixtureMatrix } from './fixtures.js';

after(shutdownWorkers);

interface ClusterSet {
  x: FixtureMatrix; labels: string[]; k: number; assignment: number[];
  assignmentScores: { v_measure: number; homogeneity: number; completeness: number };
  kmeansVMeasure: number; miniBatchKMeansVMeasure: number; kmeansOneStartMeanVMeasure: number;
}
const { sets } = fixture<{ sets: ClusterSet[] }>('clustering');

// Tolerances: V-measure of given assignments is exact arithmetic (1e-12). k-means runs differ
// between implementations (init draws), so the k-means-based score is compared with sklearn
// KMeans(k-means++, n_init=10) within 0.02 when we also keep the best of 10 starts; the default
// single start (MTEB's) lands in a local optimum now and then, as sklearn's does: its mean over 10
// seeds is compared with sklearn's mean over 10 random states within 0.05.
const EXACT = 1e-12;
const KMEANS_TOL = 0.02;
const ONE_START_MEAN_TOL = 0.05;

test('V-measure of given assignments equals sklearn v_measure_score / homogeneity / completeness', () => {
  for (const s of sets) {
    const r = vMeasure(labelIndex(s.labels).ids, s.assignment);
    close(r.v_measure, s.assignmentScores.v_measure, EXACT, 'v_measure');
    close(r.homogeneity, s.assignmentScores.homogeneity, EXACT, 'homogeneity');
    close(r.completeness, s.assignmentScores.completeness, EXACT, 'completeness');
  }
});

test('k-means with k = number of labels, best of 10 starts: V-measure within 0.02 of sklearn KMeans(n_init=10)', async () => {
  for (const s of sets) {
    const r = await clusterSetScores(matrix(s.x), s.labels, { seed: 1, nInit: 10 });
    close(r.v_measure, s.kmeansVMeasure, KMEANS_TOL, `v_measure (k = ${s.k})`);
  }
  const all = await clusteringScores(sets.map((s) => ({ x: matrix(s.x), labels: s.labels })), { seed: 1, nInit: 10 });
  close(all.v_measure, mean(sets.map((s) => s.kmeansVMeasure)), KMEANS_TOL, 'mean v_measure');
  close(all.v_measure_std, std(sets.map((s) => s.kmeansVMeasure)), KMEANS_TOL, 'v_measure_std');
});

test('k-means with one start (the default): mean V-measure over 10 seeds within 0.05 of sklearn one-start KMeans', async () => {
  for (const s of sets) {
    const v: number[] = [];
    for (let seed = 1; seed <= 10; seed++) v.push((await clusterSetScores(matrix(s.x), s.labels, { seed })).v_measure);
    close(mean(v), s.kmeansOneStartMeanVMeasure, ONE_START_MEAN_TOL, `mean v_measure over seeds (k = ${s.k})`);
  }
  // deterministic under the seed
  const sx = sets.map((s) => ({ x: matrix(s.x), labels: s.labels }));
  assert.deepEqual(await clusteringScores(sx, { seed: 3 }), await clusteringScores(sx, { seed: 3 }));
});

test('clustering: more k-means starts never raise the inertia', async () => {
  const s = sets[2];
  const one = await clusterSetScores(matrix(s.x), s.labels, { seed: 4, nInit: 1 });
  const three = await clusterSetScores(matrix(s.x), s.labels, { seed: 4, nInit: 3 });
  assert.ok(three.inertia <= one.inertia + 1e-6);
});

test('clustering: impossible input is an InputError', async () => {
  const x = Matrix.fromRows([[0, 0], [1, 1], [2, 2]]);
  await assert.rejects(clusterSetScores(x, ['a', 'a', 'a']), InputError);
  await assert.rejects(clusterSetScores(x, ['a', 'b']), InputError);
  await assert.rejects(clusterSetScores(Matrix.zeros(0, 2), []), InputError);
  await assert.rejects(clusteringScores([]), InputError);
});
