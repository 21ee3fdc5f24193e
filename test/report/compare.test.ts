// `compareRuns` on real runs (the task runner on a tiny seeded .npy, test/helpers/compare-runs.ts):
// a run against itself, an injected recall regression, timing only on one machine fingerprint,
// queries that differ (unpaired), loss intervals, and the bad inputs (other task, missing, truncated).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAnnResult, readAnnTruth, writeAnnResult, writeAnnTruth } from '../../src/eval/raw-results.js';
import type { IndexRecord } from '../../src/run/index-job.js';
import type { QuantizeResult } from '../../src/run/quantize.js';
import { compareRuns, formatComparison, type RunComparison } from '../../src/report/compare.js';
import { unpairedBootstrapDiff } from '../../src/eval/bootstrap.js';
import { Rng } from '../../src/core/rng.js';
import { inputError } from '../helpers/errors.js';
import { mixture } from '../helpers/data.js';
import { createQuantizer } from '../../src/quant/registry.js';
import { rowSquaredErrors } from '../../src/eval/quantization.js';
import { writePerItem } from '../../src/eval/per-item-files.js';
import { copyRun, INDEX_CELL, injectRecallRegression, QUANTIZE_CELL, readCell, sharedCompareRuns, writeCell } from '../helpers/compare-runs.js';

let runs: { base: string; other: string };
let scratch = '';
let n = 0;
/** A fresh copy of the base run. */
const copy = () => copyRun(runs.base, mkdtempSync(join(scratch, `c${n++}-`)));

before(async () => {
  runs = await sharedCompareRuns();
  scratch = mkdtempSync(join(tmpdir(), 'vqbench-compare-test-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

const QUALITY_PER_QUERY = ['k-nn', 'epsilon', 'largeepsilon', 'recall', 'nnRecall'];
const TIMING = ['qps', 'p50', 'p95', 'p99', 'p999', 'build', 'queriessize'];

function configOf(c: RunComparison, cell: string, config: string) {
  const cfg = c.cells.find((x) => x.cell === cell)?.configs.find((x) => x.config === config);
  assert.ok(cfg, `${cell} ${config} compared`);
  return cfg;
}

test('a run compared with itself: quality paired and not significant, sizes equal, timing not compared without a fingerprint, no regression', async () => {
  const c = await compareRuns(runs.base, runs.base);
  assert.deepEqual([c.onlyInA, c.onlyInB], [[], []]);
  assert.deepEqual(c.cells.map((x) => x.cell).sort(), [INDEX_CELL, QUANTIZE_CELL]);
  assert.deepEqual(c.regressions, []);
  const recs = readCell<IndexRecord[]>(runs.base, INDEX_CELL).metrics!;
  const index = c.cells.find((x) => x.cell === INDEX_CELL)!;
  assert.deepEqual(index.configs.map((x) => x.config), ['nprobe=1', 'nprobe=8']);
  for (const [i, cfg] of index.configs.entries()) {
    for (const id of QUALITY_PER_QUERY) {
      const m = cfg.metrics[id];
      assert.equal(m.verdict, 'not significant', `${cfg.config} ${id}`);
      assert.equal(m.method, 'paired bootstrap over 100 queries');
      assert.deepEqual([m.diff, m.lo, m.hi], [0, 0, 0]);
    }
    // recomputed from the raw files, equal to the cell JSON's cached values
    assert.equal(cfg.metrics.recall.a, recs[i].recall![10]);
    assert.equal(cfg.metrics.nnRecall.a, recs[i].nnRecall![10]);
    assert.equal(cfg.metrics.indexsize.verdict, 'equal');
    assert.equal(cfg.metrics.indexsize.a, recs[i].indexBytes / 1024);
    assert.equal(cfg.metrics.rel.verdict, 'no interval');
    const fingerprinted = (recs[i] as { fingerprint?: { id?: string } }).fingerprint?.id !== undefined;
    for (const id of TIMING) {
      if (fingerprinted) assert.ok(['not significant', 'no repeats'].includes(cfg.metrics[id].verdict), `${id}: ${cfg.metrics[id].verdict}`);
      else assert.deepEqual([cfg.metrics[id].verdict, cfg.metrics[id].diff], ['not comparable (different machines)', null]);
    }
  }
  const q = configOf(c, QUANTIZE_CELL, 'pq:m=2,nbits=4');
  assert.equal(q.metrics.loss.verdict, 'not significant');
  assert.equal(q.metrics.bitsPerVector.verdict, 'equal');
  const text = formatComparison(c);
  assert.match(text, /^Legend: B − A is the difference/m);
  assert.match(text, /No metric got significantly worse in B\./);
});

test('an injected recall regression is found (paired, worse, in its configuration only) and numpy agrees on the difference', async () => {
  const bad = copy();
  const raw = await injectRecallRegression(bad, 8);
  const c = await compareRuns(runs.base, bad);
  const hit = configOf(c, INDEX_CELL, 'nprobe=8');
  for (const id of ['recall', 'k-nn', 'nnRecall', 'epsilon']) {
    const m = hit.metrics[id];
    assert.equal(m.verdict, 'worse', id);
    assert.equal(m.method, 'paired bootstrap over 100 queries');
    assert.ok(m.lo! <= m.diff! && m.diff! <= m.hi! && m.hi! < 0, `${id}: ${m.diff} [${m.lo}, ${m.hi}]`);
  }
  assert.ok(hit.metrics.recall.diff! < -0.4);
  assert.equal(hit.metrics.rel.verdict, 'not measured'); // padding: rel is not defined for B
  for (const [id, m] of Object.entries(configOf(c, INDEX_CELL, 'nprobe=1').metrics)) assert.notEqual(m.verdict, 'worse', id);
  assert.deepEqual(c.regressions.map((r) => `${r.config} ${r.metric}`).sort(), ['nprobe=8 epsilon', 'nprobe=8 k-nn', 'nprobe=8 largeepsilon', 'nprobe=8 nnRecall', 'nprobe=8 recall']);
  // the other way round it is better, and nothing regressed
  const back = await compareRuns(bad, runs.base);
  assert.equal(configOf(back, INDEX_CELL, 'nprobe=8').metrics.recall.verdict, 'better');
  assert.deepEqual(back.regressions, []);

  // h5py / numpy: set recall@10 of both files against the truth, and the difference
  if (!existsSync('/usr/bin/python3')) return;
  const py = `
import sys, h5py, numpy as np
t = h5py.File(sys.argv[3], 'r')['neighbors'][:, :10]
def recall(p):
    n = h5py.File(p, 'r')['neighbors'][:, :10]
    return np.mean([len(set(a[a >= 0]) & set(b)) / 10 for a, b in zip(n, t)])
print(repr(recall(sys.argv[2]) - recall(sys.argv[1])))`;
  const r = spawnSync('/usr/bin/python3', ['-c', py, join(runs.base, raw), join(bad, raw), join(runs.base, 'raw', INDEX_CELL, 'truth.hdf5')], { encoding: 'utf8' });
  if (r.status !== 0 && /No module named/.test(r.stderr)) return;
  assert.equal(r.status, 0, r.stderr);
  assert.ok(Math.abs(Number(r.stdout) - hit.metrics.recall.diff!) < 1e-12, `numpy ${r.stdout} vs ${hit.metrics.recall.diff}`);
});

test('timing: compared only on one machine fingerprint, better or worse only when the run ranges do not overlap; a load warning is mentioned', async () => {
  const a = copy(), b = copy();
  const setTiming = async (dir: string, fingerprint: string, slowdown: number, spread: number[], loadWarning: string | null) => {
    const cell = readCell<IndexRecord[]>(dir, INDEX_CELL);
    for (const rec of cell.metrics!) {
      const r = await readAnnResult(join(dir, rec.raw!));
      r.attrs.best_search_time = (r.attrs.best_search_time as number) * slowdown;
      await writeAnnResult(join(dir, rec.raw!), r);
      const qps = 1 / (r.attrs.best_search_time as number);
      Object.assign(rec, { qps, fingerprint: { id: fingerprint }, qpsRuns: spread.map((f) => qps * f), qpsMedian: qps * spread[1], loadWarning });
    }
    writeCell(dir, cell);
  };
  await setTiming(a, 'machine-1', 1, [1, 0.97, 0.95], null);
  await setTiming(b, 'machine-1', 2, [1, 0.97, 0.95], 'the 1-minute load average was 1.7 on 2 cores while this configuration was timed; its timings are unreliable');
  let c = await compareRuns(a, b);
  let cfg = configOf(c, INDEX_CELL, 'nprobe=1');
  assert.equal(cfg.metrics.qps.verdict, 'worse');
  assert.equal(cfg.metrics.qps.method, 'one machine; min–max ranges of 3 vs 3 runs');
  assert.ok(Math.abs(cfg.metrics.qps.b! / cfg.metrics.qps.a! - 0.5) < 1e-6);
  assert.ok(cfg.metrics.qps.hi! < 0);
  assert.equal(cfg.metrics.qpsMedian.verdict, 'worse');
  assert.equal(cfg.metrics.queriessize.verdict, 'worse');
  assert.equal(cfg.metrics.p50.verdict, 'no repeats');
  assert.ok(cfg.notes.some((x) => /^B: the 1-minute load average was 1\.7/.test(x)), cfg.notes.join(' | '));
  assert.ok(c.regressions.some((r) => r.metric === 'qps'));

  await setTiming(b, 'machine-1', 0.51, [1, 0.97, 0.95], null); // back to ~1.04× A's time: the ranges overlap
  cfg = configOf(await compareRuns(a, b), INDEX_CELL, 'nprobe=1');
  assert.equal(cfg.metrics.qps.verdict, 'not significant');
  assert.ok(cfg.metrics.qps.lo! <= 0 && cfg.metrics.qps.hi! >= 0);

  await setTiming(b, 'machine-2', 2, [1, 0.97, 0.95], null);
  c = await compareRuns(a, b);
  cfg = configOf(c, INDEX_CELL, 'nprobe=1');
  for (const id of [...TIMING, 'qpsMedian']) {
    assert.equal(cfg.metrics[id].verdict, 'not comparable (different machines)', id);
    assert.equal(cfg.metrics[id].diff, null, id);
  }
  assert.equal(cfg.metrics.qps.method, 'fingerprints machine-1 ≠ machine-2');
  assert.deepEqual(c.regressions, []);
});

test('queries that differ are compared unpaired; equal samples stay not significant', async () => {
  const b = copy();
  const path = join(b, 'raw', INDEX_CELL, 'truth.hdf5');
  const t = await readAnnTruth(path);
  // the same neighbour set for query 0 in another order: set recall is unchanged, the ids are not the same
  const q0 = t.ids.subarray(0, t.k);
  [q0[1], q0[2]] = [q0[2], q0[1]];
  await writeAnnTruth(path, t);
  const cfg = configOf(await compareRuns(runs.base, b), INDEX_CELL, 'nprobe=8');
  assert.equal(cfg.metrics.recall.method, 'unpaired bootstrap (100 vs 100 queries, not the same)');
  assert.equal(cfg.metrics.recall.verdict, 'not significant');
  assert.equal(cfg.metrics.recall.diff, 0);
  assert.ok(cfg.metrics.recall.lo! < 0 && cfg.metrics.recall.hi! > 0);
});

test('quantize cells without per-row errors: the loss intervals are compared, and one that moved out is worse', async () => {
  const a = copy(), b = copy();
  for (const dir of [a, b]) { // runs made before per-row errors were kept
    const cell = readCell<QuantizeResult & { raw?: unknown }>(dir, QUANTIZE_CELL);
    delete cell.metrics!.raw;
    writeCell(dir, cell);
  }
  const cell = readCell<QuantizeResult>(b, QUANTIZE_CELL);
  const m = cell.metrics!;
  const width = m.lossCI!.hi - m.lossCI!.lo;
  m.loss += 2 * width;
  m.lossCI = { lo: m.lossCI!.lo + 2 * width, hi: m.lossCI!.hi + 2 * width };
  writeCell(b, cell);
  const c = await compareRuns(a, b);
  const loss = configOf(c, QUANTIZE_CELL, 'pq:m=2,nbits=4').metrics.loss;
  assert.equal(loss.verdict, 'worse');
  assert.match(loss.method, /^overlap of the two 95% intervals/);
  assert.ok(c.regressions.some((r) => r.cell === QUANTIZE_CELL && r.metric === 'loss'));
});

test('quantize cells with per-row errors: a paired bootstrap over the rows when both have the same rows, unpaired otherwise', async () => {
  // real per-row squared errors of two PQ quantizers (2 and 4 sub-spaces of 16 codewords) on seeded rows
  const x = mixture(1100, 16, 8, 5);
  const train = x.sliceRows(0, 1000), evalRows = x.sliceRows(1000, 1100);
  const errors = async (m: number) => {
    const q = createQuantizer('pq', { m, nbits: 4 });
    await q.train(train, { seed: 1 });
    return rowSquaredErrors(evalRows, q.decode(q.encode(evalRows)));
  };
  const [e2, e4] = [await errors(2), await errors(4)];
  const withRows = (dir: string, e: Float64Array) => {
    const cell = readCell<QuantizeResult & { raw?: { rowErrors: string } }>(dir, QUANTIZE_CELL);
    const rel = `raw/${QUANTIZE_CELL}/row-errors.npy`;
    writePerItem(join(dir, rel), e);
    cell.metrics!.loss = e.reduce((s, v) => s + v, 0) / e.length;
    cell.metrics!.raw = { rowErrors: rel };
    writeCell(dir, cell);
  };
  const a = copy(), b = copy();
  withRows(a, e2);
  withRows(b, e4);
  let loss = configOf(await compareRuns(a, b), QUANTIZE_CELL, 'pq:m=2,nbits=4').metrics.loss;
  assert.equal(loss.method, 'paired bootstrap over 100 rows');
  assert.equal(loss.verdict, 'better'); // 4 sub-spaces reconstruct better than 2
  assert.ok(loss.diff! < 0 && loss.hi! < 0 && loss.lo! <= loss.diff!);
  withRows(b, e4.subarray(0, 80));
  loss = configOf(await compareRuns(a, b), QUANTIZE_CELL, 'pq:m=2,nbits=4').metrics.loss;
  assert.equal(loss.method, 'unpaired bootstrap (100 vs 80 rows, not the same)');
  assert.ok(loss.lo! <= loss.diff! && loss.diff! <= loss.hi!);
});

test('MTEB cells: per task and variant, paired over per-example values whose mean is the main score, else the intervals', async () => {
  // an MTEB-shaped cell (a real MTEB run costs tens of seconds): seeded per-query nDCG values
  const rng = new Rng(11);
  const ndcg = Float64Array.from({ length: 50 }, () => rng.float());
  const worse = ndcg.map((v, i) => (i % 5 === 0 ? v : Math.max(0, v - 0.2)));
  const mean = (x: Float64Array) => x.reduce((s, v) => s + v, 0) / x.length;
  const CELL = 'mteb.toy.original';
  const addCell = (dir: string, items: Float64Array, stsCI: { lo: number; hi: number }, extraVariant: boolean) => {
    const rel = `raw/${CELL}/toy-retrieval.original.npy`;
    writePerItem(join(dir, rel), items);
    const q = readCell<QuantizeResult>(dir, QUANTIZE_CELL);
    const variant = (name: string, score: number, extra: object) => ({ variant: name, method: null, bitsPerVector: 3200, main_score: score, scores: {}, delta: 0, evaluationSeconds: 0.1, ...extra });
    const tasks = [
      { task: 'toy-retrieval', type: 'Retrieval', mainScore: 'ndcg_at_10', split: 'test', source: '-', licence: '-', derived: false, checksum: 'c1', texts: 100,
        variants: [variant('original', mean(items), { perItem: { path: rel, what: 'nDCG@10 of each query' } }), ...(extraVariant ? [variant('pq:m=4,nbits=4', 0.3, {})] : [])] },
      { task: 'toy-sts', type: 'STS', mainScore: 'cos_sim_spearman', split: 'test', source: '-', licence: '-', derived: false, checksum: 'c2', texts: 80,
        // per-pair similarities do not average to a Spearman correlation: not used as per-item values
        variants: [variant('original', (stsCI.lo + stsCI.hi) / 2, { mainScoreCI: stsCI, perItem: { path: rel, what: 'similarity of each pair' } })] },
    ];
    writeCell(dir, { ...q, cell: CELL, kind: 'mteb', config: { model: 'glove-avg' }, definitions: {}, metrics: { model: 'glove-avg', tasks } as never });
    const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { cells: unknown[] };
    meta.cells.push(CELL);
    writeFileSync(join(dir, 'run.json'), JSON.stringify(meta));
  };
  const a = copy(), b = copy();
  addCell(a, ndcg, { lo: 0.5, hi: 0.6 }, true);
  addCell(b, worse, { lo: 0.55, hi: 0.65 }, false);
  const c = await compareRuns(a, b);
  const cell = c.cells.find((x) => x.cell === CELL)!;
  assert.deepEqual(cell.configs.map((x) => x.config), ['toy-retrieval / original', 'toy-sts / original']);
  assert.deepEqual(cell.onlyInA, ['toy-retrieval / pq:m=4,nbits=4']);
  const main = cell.configs[0].metrics.mainScore;
  assert.equal(main.method, 'paired bootstrap over 50 examples (nDCG@10 of each query)');
  assert.equal(main.verdict, 'worse');
  assert.ok(Math.abs(main.diff! - (mean(worse) - mean(ndcg))) < 1e-12);
  assert.equal(cell.configs[0].metrics.bitsPerVector.verdict, 'equal');
  const sts = cell.configs[1].metrics.mainScore;
  assert.match(sts.method, /^overlap of the two 95% intervals/);
  assert.deepEqual([sts.verdict, sts.lo, sts.hi], ['not significant', 0.55 - 0.6, 0.65 - 0.5]);
  assert.ok(c.regressions.some((r) => r.cell === CELL && r.metric === 'mainScore'));
});

test('a cell or configuration that finished in A and failed in B is a regression; configurations and cells on one side only are listed', async () => {
  const b = copy();
  const q = readCell<QuantizeResult>(b, QUANTIZE_CELL);
  writeCell(b, { ...q, status: 'failed', error: 'the cell ran out of memory.', metrics: null });
  const idx = readCell<IndexRecord[]>(b, INDEX_CELL);
  idx.metrics = idx.metrics!.filter((r) => r.params.search.nprobe === 8).map((r) => ({ ...r, status: 'failed', error: 'nprobe = 8 was refused.', recall: null, nnRecall: null, qps: null, latencyMs: null }));
  writeCell(b, idx);
  let c = await compareRuns(runs.base, b);
  assert.deepEqual(c.regressions.map((r) => [r.cell, r.config, r.metric, r.method]).sort(), [
    [INDEX_CELL, 'nprobe=8', 'status', 'ok in A, failed in B'],
    [QUANTIZE_CELL, '', 'status', 'ok in A, failed in B'],
  ]);
  assert.deepEqual(c.cells.find((x) => x.cell === QUANTIZE_CELL)!.notes, ['A: ok; B: failed (the cell ran out of memory.).']);
  const index = c.cells.find((x) => x.cell === INDEX_CELL)!;
  assert.deepEqual([index.configs.map((x) => x.config), index.onlyInA, index.onlyInB], [['nprobe=8'], ['nprobe=1'], []]);
  assert.deepEqual(index.configs[0].notes, ['B: this configuration failed (nprobe = 8 was refused.).']);
  assert.equal(index.configs[0].metrics.recall.verdict, 'not measured');
  assert.match(formatComparison(c), /^ {2}only in A: nprobe=1$/m);
  // a cell B does not have at all (its file and its place in run.json's plan removed)
  rmSync(join(b, `${QUANTIZE_CELL}.json`));
  const meta = JSON.parse(readFileSync(join(b, 'run.json'), 'utf8')) as { cells: (string | { cell?: string; id?: string })[] };
  meta.cells = meta.cells.filter((x) => (typeof x === 'string' ? x : x.cell ?? x.id) !== QUANTIZE_CELL);
  writeFileSync(join(b, 'run.json'), JSON.stringify(meta));
  c = await compareRuns(runs.base, b);
  assert.deepEqual([c.onlyInA, c.onlyInB], [[QUANTIZE_CELL], []]);
  assert.match(formatComparison(c), new RegExp(`^only in A: ${QUANTIZE_CELL.replace(/\./g, '\\.')}$`, 'm'));
});

test('bad input: runs of different tasks, a missing folder, a truncated raw file — one sentence naming them', async () => {
  await inputError(() => compareRuns(runs.base, runs.other), /cmp-small and .*cmp-other-small are runs of different tasks \('cmp' and 'cmp-other'\)/);
  await inputError(() => compareRuns(runs.base, join(scratch, 'nope')), /nope: no such run folder/);
  const b = copy();
  const rec = readCell<IndexRecord[]>(b, INDEX_CELL).metrics![0];
  const file = join(b, rec.raw!);
  truncateSync(file, Math.floor(statSync(file).size / 2));
  await inputError(() => compareRuns(runs.base, b), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*truncated`));
});

test('the unpaired bootstrap: the same seed gives the same interval, and it covers the true difference about 95% of the time', () => {
  const sample = (rng: Rng, n: number, mu: number) => Float64Array.from({ length: n }, () => mu + rng.normal());
  const rng = new Rng(7);
  const a = sample(rng, 60, 0.5), b = sample(rng, 40, 0);
  assert.deepEqual(unpairedBootstrapDiff(a, b, { seed: 3 }), unpairedBootstrapDiff(a, b, { seed: 3 }));
  assert.notDeepEqual(unpairedBootstrapDiff(a, b, { seed: 3 }), unpairedBootstrapDiff(a, b, { seed: 4 }));
  let covered = 0;
  const seeds = 200;
  for (let s = 0; s < seeds; s++) {
    const r = new Rng(1000 + s);
    const d = unpairedBootstrapDiff(sample(r, 60, 0.5), sample(r, 40, 0), { seed: s });
    if (d.lo <= 0.5 && 0.5 <= d.hi) covered++;
  }
  // binomial(200, 0.95): sd ≈ 3 cases; percentile intervals run slightly narrow at these sizes
  assert.ok(covered >= 177 && covered <= 198, `covered ${covered} of ${seeds}`);
});
