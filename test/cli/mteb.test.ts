// `vqbench embed` and `vqbench mteb` end to end on real prepared tasks (UDHR, WordNet) with the
// GloVe-average embedder (fast), plus the bad-input cases.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { readNpy } from '../../src/data/npy.js';
import { assertUserError, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vqbench-mteb-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Interval { lo: number; hi: number; resamples: number; level: number; method: string; over: string }
interface Variant {
  variant: string; method: string | null; bitsPerVector: number; main_score: number; delta: number; scores: Record<string, number>;
  mainScoreCI: Interval | null; deltaCI?: (Interval & { diff: number; significant: boolean }) | null;
  perItem?: { path: string; what: string; statistic: string; over: string; gold?: { path: string; what: string } };
  perItemExtra?: { path: string; what: string }[];
}
interface MtebOut { embedderId: string; embedderVersion: string; dim: number; trainRows: number; tasks: { task: string; type: string; variants: Variant[] }[] }

let glove: MtebOut;

test('mteb: original vs a quantizer on two real tasks; bits, deltas and MTEB main scores', () => {
  const r = runCli(['mteb', '--model', 'glove-avg', '--tasks', 'udhr-bitext-en-es', 'wordnet-wup-sts',
    '--quantizer', 'pq:books=4,size=16', '--train-size', '2000', '--json', '--output-folder', path.join(dir, 'mteb'), '--raw', path.join(dir, 'raw')]);
  assert.equal(r.code, 0, r.stderr);
  glove = JSON.parse(r.stdout) as MtebOut;
  // MTEB's results layout (test/cli/mteb-results.test.ts checks it against the loader's format)
  const revision = path.join(dir, 'mteb', 'vqbench__glove-avg', glove.embedderVersion);
  const stsFile = JSON.parse(readFileSync(path.join(revision, 'wordnet-wup-sts.json'), 'utf8')) as { task_name: string; dataset_revision: string; evaluation_time: number; scores: { test: Record<string, unknown>[] } };
  assert.equal(stsFile.task_name, 'wordnet-wup-sts');
  assert.equal(stsFile.scores.test[0].main_score, glove.tasks[1].variants[0].main_score);
  assert.equal(stsFile.scores.test[0].cosine_spearman, glove.tasks[1].variants[0].main_score, "MTEB's current name of cos_sim_spearman");
  assert.ok(stsFile.dataset_revision.length > 0 && stsFile.evaluation_time >= 0);
  assert.deepEqual(readdirSync(path.join(revision, 'experiments')), ['quantizer_pq_m=4,nbits=4'], 'the original beside one quantized variant');
  assert.equal(glove.dim, 100);
  assert.equal(glove.trainRows, 2000);
  assert.deepEqual(glove.tasks.map((t) => [t.task, t.type]), [['udhr-bitext-en-es', 'BitextMining'], ['wordnet-wup-sts', 'STS']]);
  for (const t of glove.tasks) {
    const [orig, pq] = t.variants;
    assert.equal(orig.variant, 'original');
    assert.equal(orig.bitsPerVector, 3200);
    assert.equal(pq.method, 'pq');
    assert.equal(pq.variant, 'pq:m=4,nbits=4', 'the canonical label: books/size given, m/nbits named');
    assert.equal(pq.bitsPerVector, 16); // 4 codes of 4 bits
    assert.ok(Math.abs(pq.delta - (pq.main_score - orig.main_score)) < 1e-12);
    assert.ok(orig.main_score >= -1 && orig.main_score <= 1);
  }
  const sts = glove.tasks[1].variants[0];
  assert.equal(sts.main_score, sts.scores.cos_sim_spearman ?? sts.scores.cosine_spearman);
  // GloVe word averages carry real meaning: gloss similarity correlates with WordNet's Wu-Palmer score
  assert.ok(sts.main_score > 0.1, `Spearman ${sts.main_score}`);
});

test('mteb: every variant carries its 95% bootstrap interval, quantized ones the paired interval of delta, and --raw keeps the per-item values', () => {
  const [orig, pq] = glove.tasks[1].variants; // wordnet-wup-sts
  for (const v of [orig, pq]) {
    const ci = v.mainScoreCI!;
    assert.deepEqual([ci.over, ci.resamples, ci.level, ci.method], ['pairs', 1000, 0.95, 'percentile']);
    assert.ok(ci.lo < v.main_score && v.main_score < ci.hi, `${v.variant}: ${v.main_score} in [${ci.lo}, ${ci.hi}]`);
    assert.ok(ci.hi - ci.lo < 0.2, 'about 4/√1500 wide');
    assert.equal(v.perItem!.statistic, 'spearman');
    assert.equal(v.perItem!.path, path.join(dir, 'raw', 'wordnet-wup-sts', `${v.variant === 'original' ? 'original' : 'pq_m=4_nbits=4'}.cos_sim.npy`));
    assert.ok(existsSync(v.perItem!.gold!.path));
  }
  assert.equal(orig.deltaCI, undefined);
  const d = pq.deltaCI!;
  assert.equal(d.diff, pq.delta);
  assert.ok(d.lo <= d.diff && d.diff <= d.hi);
  assert.equal(d.significant, !(d.lo <= 0 && 0 <= d.hi));
  assert.equal(d.over, 'pairs');
  // BitextMining: F1 over the pairs, the predictions kept
  const bt = glove.tasks[0].variants[0];
  assert.deepEqual([bt.mainScoreCI!.over, bt.perItem!.statistic], ['pairs', 'weighted f1']);
  assert.ok(bt.perItemExtra!.some((f) => f.path.endsWith('original.correct.npy')));
  // numpy reads the files and scipy recomputes the main score from them alone
  if (existsSync('/usr/bin/python3')) {
    const py = spawnSync('/usr/bin/python3', ['-c', [
      'import sys, numpy as np, scipy.stats as st',
      'sim, gold = np.load(sys.argv[1]), np.load(sys.argv[2])',
      'print(sim.dtype, len(sim), repr(float(st.spearmanr(gold, sim).correlation)))',
    ].join('\n'), orig.perItem!.path, orig.perItem!.gold!.path], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const [dtype, n, rho] = py.stdout.trim().split(' ');
    assert.deepEqual([dtype, Number(n)], ['float64', 1500]);
    assert.ok(Math.abs(Number(rho) - orig.main_score) < 1e-12, `scipy ${rho} vs ${orig.main_score}`);
  }
});

test('embed writes vectors that mteb reads back as precomputed, with the same scores', () => {
  const out = path.join(dir, 'udhr.npy');
  const e = runCli(['embed', '--dataset', 'udhr-bitext-en-es', '--model', 'glove-avg', '--out', out, '--json']);
  assert.equal(e.code, 0, e.stderr);
  const manifest = JSON.parse(e.stdout) as { rows: number; dim: number; groups: { role: string; rows: number }[] };
  const m = readNpy(out);
  assert.equal(m.rows, manifest.rows);
  assert.equal(m.dim, 100);
  assert.ok(existsSync(`${out}.texts.jsonl`));
  assert.equal(readFileSync(`${out}.texts.jsonl`, 'utf8').trim().split('\n').length, m.rows);

  const r = runCli(['mteb', '--model', 'precomputed', '--vectors', out, '--tasks', 'udhr-bitext-en-es', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const pre = JSON.parse(r.stdout) as MtebOut;
  assert.equal(pre.tasks[0].variants[0].main_score, glove.tasks[0].variants[0].main_score);
});

test('mteb and embed: bad input is one sentence, exit 2', () => {
  assertUserError(runCli(['mteb', '--model', 'glove-avgg', '--tasks', 'udhr-bitext-en-es']), /glove-avg/);
  assertUserError(runCli(['mteb', '--model', 'glove-avg', '--tasks', 'no-such-task']), /no-such-task/);
  assertUserError(runCli(['mteb', '--model', 'glove-avg', '--tasks', 'udhr-bitext-en-es', '--quantizer', 'pq:books=x']), /--books: pq parameter 'm' must be an integer from 1 to 256, got 'x'/);
  assertUserError(runCli(['mteb', '--model', 'glove-avg', '--tasks', 'udhr-bitext-en-es', '--quantizer', 'pq:m=4,size=100']), /'size' must be a power of two/);
  assertUserError(runCli(['mteb', '--model', 'glove-avg', '--tasks', 'udhr-bitext-en-es', '--quantizer', 'wrvq:beam=2']), /--quantizer: wrvq has no parameter 'beam'; its parameters: books, size, weights/);
  assertUserError(runCli(['mteb', '--model', 'glove-avg', '--tasks', 'udhr-bitext-en-es', '--quantizer', 'pqq']), /unknown quantizer 'pqq'/);
  assertUserError(runCli(['mteb', '--model', 'bge-large', '--offline', '--model-path', path.join(dir, 'missing'), '--tasks', 'udhr-bitext-en-es']), /missing/);
  assertUserError(runCli(['embed', '--dataset', path.join(dir, 'nothing-here'), '--model', 'glove-avg']), /nothing-here/);
  assertUserError(runCli(['mteb', '--model', 'glove-avg', '--tasks', 'udhr-bitext-en-es', '--raw', '']), /--raw needs a folder/);
});
