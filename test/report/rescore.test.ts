// The report recomputes from raw files (issue 12 §1, §2, §4, §7): a real tiny run made by the task
// runner (index cells write their ann-benchmarks raw files), its report's values and intervals
// against an independent recomputation (RawReader + bootstrap, and h5py/numpy), a stale cell JSON,
// the generated summary, ranks with and without ties, repeats and load warnings, MTEB per-item scores.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { writeNpy } from '../../src/data/npy.js';
import { bootstrapMean, pairedBootstrapDiff } from '../../src/eval/bootstrap.js';
import { writePerItem } from '../../src/eval/per-item-files.js';
import { writeReport } from '../../src/report/index.js';
import { loadRun } from '../../src/report/load.js';
import { buildView } from '../../src/report/model.js';
import { indexRanking, quantRanking } from '../../src/report/ranking.js';
import { RawReader } from '../../src/report/raw.js';
import { rescore, type Rescored } from '../../src/report/rescore.js';
import { summarize } from '../../src/report/summary.js';
import { diffText, indexTable, mtebTables, quantizeTable, withCI, type Table } from '../../src/report/tables.js';
import type { IndexRecord } from '../../src/run/index-job.js';
import type { QuantizeResult } from '../../src/run/quantize.js';
import type { CellResult } from '../../src/run/result.js';
import { runTask } from '../../src/run/runner.js';
import { mixture } from '../helpers/data.js';
import { sharedFixtureRun } from './fixtures.js';

let dir = '';
let runDir = '';
let savedCache: string | undefined;
const PY = '/usr/bin/python3';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-rescore-'));
  savedCache = process.env.VQBENCH_CACHE;
  process.env.VQBENCH_CACHE = join(dir, 'cache');
  writeNpy(join(dir, 'tiny.npy'), mixture(2400, 16, 8, 11));
  const task = join(dir, 'rescore.json');
  writeFileSync(task, JSON.stringify({
    name: 'rescore', description: 'report rescoring test', paper: '-', seed: 7, report: false,
    scale: { small: { base: 1500, queries: 200, trainSize: 1000, evalSize: 300 }, full: {} },
    grid: {
      datasets: [join(dir, 'tiny.npy')],
      // three quantizers at 8 bits per vector: one equal-bits group
      quantizers: [{ method: ['pq', 'rvq'], books: 2, size: 16 }, { method: 'pq', books: 4, size: 4 }],
      indexes: [
        { index: 'ivfpq', build: { nlist: 8, m: 4 }, sweep: { nprobe: [1, 8] }, warmup: 5 },
        { index: 'hnsw', build: { M: 8, efConstruction: 40 }, sweep: { efSearch: [10, 80] }, warmup: 5 },
      ],
    },
  }));
  runDir = join(dir, 'results', 'rescore-small');
  const s = await runTask({ task, resultsDir: join(dir, 'results'), print: () => undefined });
  assert.deepEqual(s.counts, { ok: 5, failed: 0, timeout: 0, 'not-run': 0 });
});

after(() => {
  if (savedCache === undefined) delete process.env.VQBENCH_CACHE;
  else process.env.VQBENCH_CACHE = savedCache;
  rmSync(dir, { recursive: true, force: true });
});

function copyRun(name: string): string {
  const d = join(dir, name, 'results', 'rescore-small');
  cpSync(runDir, d, { recursive: true });
  return d;
}

const cellFiles = (d: string, prefix: string) => readdirSync(d).filter((f) => f.startsWith(prefix) && f.endsWith('.json')).sort();
const readCell = <M>(p: string) => JSON.parse(readFileSync(p, 'utf8')) as CellResult<M>;
const rescored = async (d: string): Promise<Rescored> => rescore(buildView(loadRun(d)));

/** The table's rows of ours as header → cell maps. */
function rowsOf(t: Table): Record<string, string>[] {
  return t.rows.filter((r) => r.source !== 'paper').map((r) => Object.fromEntries(t.header.map((h, i) => [h, r.cells[i]])));
}
const col = (t: Table, prefix: string) => t.header.find((h) => h.startsWith(prefix))!;

test('index: the report\'s recall, registry metrics and intervals equal an independent recomputation from the raw files', async () => {
  const r = await rescored(runDir);
  assert.equal(r.view.index.length, 4);
  assert.equal(r.stale.length, 0, 'a fresh run has no stale cache');
  const reader = new RawReader(runDir);
  for (const row of r.view.index) {
    const s = r.index.get(row)!;
    assert.equal(s.source, 'raw');
    const raw = (await reader.record(row.rec, { k: 10 }))!;
    assert.equal(row.rec.recall!['10'], raw.values.recall);
    for (const id of ['k-nn', 'epsilon', 'largeepsilon', 'rel', 'qps', 'p50', 'p99', 'p999', 'build', 'indexsize']) assert.equal(s.metrics[id], raw.values[id], id);
    const ci = bootstrapMean(raw.perQuery.recall, { seed: 7, resamples: 1000 });
    assert.deepEqual(row.rec.recallCI!['recall@10'], { lo: ci.lo, hi: ci.hi });
    const knn = bootstrapMean(raw.perQuery['k-nn'], { seed: 7, resamples: 1000 });
    assert.deepEqual(s.metricCI['k-nn'], { lo: knn.lo, hi: knn.hi });
    assert.ok(ci.lo <= ci.mean && ci.mean <= ci.hi);
  }
  assert.ok(r.view.index.some((row) => row.rec.recallCI!['recall@10'].hi > row.rec.recallCI!['recall@10'].lo), 'an imperfect configuration has an interval of positive width');
  // the table shows "value [lo, hi]" of exactly those numbers
  const t = indexTable(r)!;
  const shown = rowsOf(t).map((x) => x[col(t, 'Set recall@10')]);
  for (const row of r.view.index) assert.ok(shown.includes(withCI(row.rec.recall!['10'], row.rec.recallCI!['recall@10'], 4)));
  assert.match(shown[0], /^\d\.\d{4} \[\d\.\d{4}, \d\.\d{4}\]$/);
  for (const h of ['Set recall@10 ↑ [95% CI]', 'Relative Error ↓ (ratio) (rel)', 'Queries per second ↑ (1/s), best']) assert.ok(t.header.includes(h), `${h} in ${t.header.join(' | ')}`);
  assert.ok(t.notes.some((n) => n.startsWith("Recall (higher is better, fraction): ann-benchmarks' k-nn recall")), 'definitions from the registry');
});

test('index: recall@10 of each raw file recomputed by h5py/numpy equals the report\'s to 1e-9', { skip: existsSync(PY) ? false : `${PY} (Debian's, with h5py) is not installed` }, async () => {
  const r = await rescored(runDir);
  const files = r.view.index.map((row) => [join(runDir, row.rec.raw!), join(runDir, row.rec.rawTruth!)]);
  const py = spawnSync(PY, ['-c', `
import sys, json, h5py, numpy as np
out = []
for res, tr in json.loads(sys.argv[1]):
    with h5py.File(res) as f, h5py.File(tr) as t:
        ids = np.array(f['neighbors'])[:, :10]; truth = np.array(t['neighbors'])[:len(ids), :10]
        out.append(float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, truth)])))
print(json.dumps(out))`, JSON.stringify(files)], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const numpy = JSON.parse(py.stdout) as number[];
  r.view.index.forEach((row, i) => assert.ok(Math.abs(row.rec.recall!['10'] - numpy[i]) < 1e-9, `${row.rec.label}: ${row.rec.recall!['10']} vs numpy ${numpy[i]}`));
});

test('stale cache: a tampered recall in a cell JSON is shown as the raw value, with a note naming the cell', async () => {
  const d = copyRun('stale');
  const file = join(d, cellFiles(d, 'index.')[0]);
  const cell = readCell<IndexRecord[]>(file);
  const truth = cell.metrics![0].recall!['10'];
  cell.metrics![0].recall!['10'] = 0.123456;
  writeFileSync(file, JSON.stringify(cell));
  const r = await rescored(d);
  assert.deepEqual(r.stale.map((s) => [s.cell, s.metric, s.cached, s.recomputed]), [[cell.cell, 'recall@10', 0.123456, truth]]);
  const files = await writeReport(d, join(dir, 'stale-report'));
  const md = readFileSync(files.markdown, 'utf8');
  assert.ok(md.includes(`Stale cache: cell ${cell.cell} (`), 'the note names the cell');
  assert.ok(md.includes(`records recall@10 = 0.123456 but its raw files give ${String(Number(truth.toPrecision(8)))}`));
  assert.ok(md.includes(`| ${withCI(truth, cell.metrics![0].recallCI!['recall@10'], 4)} |`), 'the raw value and its interval are shown');
  assert.ok(!md.includes('0.1235'), 'the stale value is not shown');
});

test('summary: one generated sentence per table with the intervals of the numbers it cites', async () => {
  const r = await rescored(runDir);
  const sentences = summarize(r.view, r);
  const idx = sentences.filter((s) => s.section === 'indexes');
  assert.equal(idx.length, 1);
  const best = [...r.view.index].sort((a, b) => b.rec.recall!['10'] - a.rec.recall!['10'])[0];
  assert.ok(idx[0].text.startsWith(`On ${best.dataset}, the highest recall@10 is ${best.rec.label}`), idx[0].text);
  assert.ok(idx[0].text.includes(withCI(best.rec.recall!['10'], best.rec.recallCI!['recall@10'], 4)), 'the interval is in the sentence');
  assert.match(idx[0].text, /the fastest configuration reaching recall@10 ≥ 0\.9 is .* QPS, recall@10 \d\.\d{4} \[|no configuration reaches recall@10 ≥ 0\.9/);
  assert.match(idx[0].paper ?? '', /^paper \(Table 2, highest recall@10 among the methods of ours it has\): on Alpaca hnswindex\(milvus\), 0\.9710/);
  const q = sentences.filter((s) => s.section === 'quantizers');
  assert.equal(q.length, 1);
  assert.match(q[0].text, /^At 8 bits per vector on .*tiny.*, \S+ has the lowest loss, [\d.]+ \[[\d.]+, [\d.]+\]; /);
  // the run made by this branch keeps no per-row errors yet: the sentence says significance was not tested
  if (![...r.quant.values()].some((s) => s.rowErrors)) assert.match(q[0].text, /significance not tested/);
});

test('exports: the ann-benchmarks summary carries the registry metrics recomputed from raw (k-nn with its distance tolerance, epsilon, rel, p999) and the recall interval', async () => {
  const r = await rescored(runDir);
  const files = await writeReport(runDir, join(dir, 'export-report'));
  const jsonPath = files.exports.find((p) => p.includes('ann-benchmarks') && p.endsWith('.json'))!;
  const ann = JSON.parse(readFileSync(jsonPath, 'utf8')) as { results: Record<string, number | string | null>[] };
  assert.equal(ann.results.length, r.view.index.length);
  for (const row of r.view.index) {
    const m = r.index.get(row)!.metrics;
    const e = ann.results.find((x) => x.parameters === `${row.rec.label}[${Object.entries(row.rec.params.search).map(([k, v]) => `${k}=${String(v)}`).join(',')}]`)!;
    for (const id of ['k-nn', 'epsilon', 'largeepsilon', 'rel', 'p999']) assert.equal(e[id], m[id], id);
    assert.equal(e.recall, row.rec.recall!['10']);
    assert.deepEqual([e.recallLo, e.recallHi], [row.rec.recallCI!['recall@10'].lo, row.rec.recallCI!['recall@10'].hi]);
  }
});

test('an older run without raw files: the cached numbers and intervals are shown, nothing is ranked, the summary says so', async () => {
  const d = copyRun('no-raw');
  rmSync(join(d, 'raw'), { recursive: true, force: true });
  for (const f of cellFiles(d, 'index.')) {
    const cell = readCell<IndexRecord[]>(join(d, f));
    for (const rec of cell.metrics!) {
      delete rec.raw;
      delete rec.rawTruth;
      rec.recall!['10'] = Math.min(rec.recall!['10'], 0.85); // no configuration reaches 0.9
    }
    writeFileSync(join(d, f), JSON.stringify(cell));
  }
  for (const f of cellFiles(d, 'quantize.')) { // quantize cells written before per-row errors existed
    const cell = readCell<QuantizeResult>(join(d, f));
    delete cell.metrics!.raw;
    writeFileSync(join(d, f), JSON.stringify(cell));
  }
  const r = await rescored(d);
  assert.ok([...r.index.values()].every((s) => s.source === 'cache'));
  assert.equal(indexRanking(r).size, 0);
  const t = indexTable(r)!;
  const rows = rowsOf(t);
  assert.ok(rows.every((x) => x.rank === '—' && x.status === 'ok'));
  assert.ok(rows.every((x) => /^0\.\d{4} \[[01]\.\d{4}, [01]\.\d{4}\]$/.test(x[col(t, 'Set recall@10')])), 'the cached interval of the job');
  const s = summarize(r.view, r).find((x) => x.section === 'indexes')!;
  assert.match(s.text, /\(no per-query raw results: ties not tested\); no configuration reaches recall@10 ≥ 0\.9; the fastest configuration is .* at [\d.]+ QPS, recall@10 0\.\d{4} \[/);
});

test('a truncated raw file stops the report with one sentence naming it', async () => {
  const d = copyRun('truncated');
  const rec = readCell<IndexRecord[]>(join(d, cellFiles(d, 'index.')[0])).metrics![0];
  const file = join(d, ...rec.raw!.split('/'));
  writeFileSync(file, readFileSync(file).subarray(0, 600));
  await assert.rejects(writeReport(d, join(dir, 'truncated-report')), (e: Error) => {
    assert.ok(e instanceof InputError, String(e));
    assert.ok(e.message.includes(file), e.message);
    assert.equal(e.message.split('\n').length, 1);
    return true;
  });
});

/** Writes per-row errors for the three 8-bit quantizers: B a noisy copy of A (a tie), C clearly worse. */
function constructRowErrors(d: string): Record<string, number> {
  const files = cellFiles(d, 'quantize.');
  assert.equal(files.length, 3);
  const rng = new Rng(99);
  const n = 300;
  const a = Float64Array.from({ length: n }, () => 1 + rng.float());
  const series = [a, a.map((x) => x + (rng.float() - 0.5) * 0.01), a.map((x) => x * 1.5)];
  const means: Record<string, number> = {};
  files.forEach((f, i) => {
    const cell = readCell<QuantizeResult & { raw?: { rowErrors: string } }>(join(d, f));
    const rel = `raw/${cell.cell}/row-errors.npy`;
    mkdirSync(join(d, 'raw', cell.cell), { recursive: true });
    writePerItem(join(d, ...rel.split('/')), series[i]);
    const mean = series[i].reduce((s, x) => s + x, 0) / n;
    cell.metrics!.loss = mean;
    cell.metrics!.raw = { rowErrors: rel };
    writeFileSync(join(d, f), JSON.stringify(cell));
    means[cell.metrics!.label] = mean;
  });
  return means;
}

test('ranks: quantizers not significantly different tie ("=1"), a significantly worse one does not; index ranks follow the paired bootstrap', async () => {
  const d = copyRun('ranks');
  const means = constructRowErrors(d);
  const r = await rescored(d);
  assert.equal(r.stale.length, 0);
  const ranking = quantRanking(r);
  const ranks = Object.fromEntries([...ranking.values()].map((x) => [x.item.r.label, x.rank]));
  const [la, lb, lc] = Object.keys(means).sort((x, y) => means[x] - means[y]);
  assert.deepEqual([ranks[la], ranks[lb], ranks[lc]], ['1', '=1', '3']);
  const t = quantizeTable(r)!;
  const rows = rowsOf(t);
  assert.deepEqual(rows.map((x) => x.rank).sort(), ['1', '3', '=1']);
  assert.ok(rows.some((x) => x.rank === '=1' && x['Δ loss vs best'].endsWith('not significant')));
  assert.ok(rows.some((x) => x.rank === '3' && /^\+0\.\d+ \[\+0\.\d+, \+0\.\d+\]$/.test(x['Δ loss vs best'])));
  assert.ok(rows.every((x) => /^[\d.]+ \[[\d.]+, [\d.]+\]$/.test(x[col(t, 'Loss')])), 'loss with its interval');
  assert.ok(t.notes.some((n) => n.startsWith('Rank: quantizers of one dataset at the same bits per vector')));
  const s = summarize(r.view, r).find((x) => x.section === 'quantizers')!;
  assert.ok(s.text.startsWith(`At 8 bits per vector on `) && s.text.includes(`${la} has the lowest loss`), s.text);
  assert.match(s.text, /the difference is not significant \(Δ \+?-?[\d.]+ \[/);
  assert.doesNotMatch(s.text, /quantizers are not significantly worse/, 'one tie: the runner-up\'s verdict says it');

  // indexes: "=1" exactly where the paired interval against the best contains 0 (independently recomputed)
  const reader = new RawReader(d);
  const iranks = indexRanking(r);
  const best = [...iranks.values()].find((x) => x.rank === '1')!;
  const bestRaw = (await reader.record(best.item.rec, { k: 10 }))!;
  for (const x of iranks.values()) {
    if (x === best) continue;
    const raw = (await reader.record(x.item.rec, { k: 10 }))!;
    const diff = pairedBootstrapDiff(raw.perQuery.recall, bestRaw.perQuery.recall, { seed: 7, resamples: 1000 });
    assert.equal(x.rank === '=1', !diff.significant, `${x.item.rec.label}: rank ${x.rank}, diff ${JSON.stringify(diff)}`);
    assert.deepEqual(x.vsBest, diff);
  }
  assert.ok([...iranks.values()].some((x) => x.rank !== '1' && x.rank !== '=1'), 'ivfpq nprobe=1 is significantly below the best');
});

test('repeats and load: QPS shows best, median and min–max; a loaded record is marked with a note', async () => {
  const d = copyRun('repeats');
  const file = join(d, cellFiles(d, 'index.')[0]);
  const cell = readCell<(IndexRecord & Record<string, unknown>)[]>(file);
  const rec = cell.metrics![0];
  Object.assign(rec, { qpsRuns: [900, 1000, 950], qpsMedian: 950, qpsMin: 900, qpsMax: 1000, runs: 3, loadWarning: 'load average 3.1 on 2 cores during the timed runs.' });
  writeFileSync(file, JSON.stringify(cell));
  const r = await rescored(d);
  const t = indexTable(r)!;
  const row = rowsOf(t).find((x) => x[col(t, 'Queries per second')].includes('median'))!;
  assert.match(row[col(t, 'Queries per second')], /^⚠ [\d.e+]+ \(median 950, 900–1000 over 3 runs\)$/);
  assert.ok(t.notes.some((n) => n.startsWith(`⚠ ${cell.cell} ${rec.label} (`) && n.endsWith('load average 3.1 on 2 cores during the timed runs.')));
});

test('MTEB: per-item scores give the main score, its interval and a paired Δ; a run without them keeps its cached scores', async () => {
  const fixture = await sharedFixtureRun();
  const d = join(dir, 'mteb', 'results', 'fixture-small');
  cpSync(fixture, d, { recursive: true });
  const before = await rescore(buildView(loadRun(d)));
  const plain = mtebTables(before)[0];
  assert.ok(rowsOf(plain).some((x) => x.task === 'STS12' && x[col(plain, 'original')] === '0.7100'), 'cached score, no interval');
  const file = join(d, 'mteb-fixture.json');
  const cell = JSON.parse(readFileSync(file, 'utf8')) as { metrics: { tasks: { task: string; original: Record<string, unknown>; quantized: Record<string, unknown>[] }[] } };
  const sts = cell.metrics.tasks.find((t) => t.task === 'STS12')!;
  const rng = new Rng(5);
  const orig = Float64Array.from({ length: 400 }, () => rng.float());
  const quant = orig.map((x) => x - 0.05 + (rng.float() - 0.5) * 0.02);
  writePerItem(join(d, 'raw', 'mteb-fixture', 'sts-original.npy'), orig);
  writePerItem(join(d, 'raw', 'mteb-fixture', 'sts-wrvq.npy'), quant);
  sts.original.perItem = { path: 'raw/mteb-fixture/sts-original.npy', what: 'sentence pair' };
  sts.quantized[0].perItem = { path: 'raw/mteb-fixture/sts-wrvq.npy', what: 'sentence pair' };
  sts.quantized[1].mainScoreCI = { lo: 0.64, hi: 0.68 };
  writeFileSync(file, JSON.stringify(cell));
  const r = await rescore(buildView(loadRun(d)));
  const mean = (x: Float64Array) => x.reduce((s, v) => s + v, 0) / x.length;
  const t = mtebTables(r)[0];
  const row = rowsOf(t).find((x) => x.task === 'STS12')!;
  const ci = bootstrapMean(orig, { seed: 1234, resamples: 1000 });
  assert.equal(row[col(t, 'original')], withCI(mean(orig), ci));
  const dq = pairedBootstrapDiff(quant, orig, { seed: 1234, resamples: 1000 });
  const cells = t.rows.find((x) => x.cells[1] === 'STS12')!.cells;
  assert.ok(cells.includes(diffText(dq)), `paired Δ shown: ${cells.join(' | ')}`);
  assert.ok(dq.significant);
  assert.ok(cells.includes('0.6600 [0.6400, 0.6800]'), 'the cell\'s own interval is shown');
  assert.ok(t.notes.some((n) => n.startsWith('Stale cache: cell mteb-fixture (STS12 original) records main score = 0.71')), 'the cached 0.71 is not the mean of the per-item scores');
  const s = summarize(r.view, r).find((x) => x.section === 'mteb')!;
  assert.match(s.text, /^For fixture-model, the quantized variant closest to the original on STS12 wrvq\(books=4,size=256\), [\d.]+ \[[\d.]+, [\d.]+\] against the original's [\d.]+ \[[\d.]+, [\d.]+\] \(Δ -0\.0\d+ \[-0\.0\d+, -0\.0\d+\], significant\)/);
  assert.match(s.paper ?? '', /^paper \(Fig\. 6\): The text says quantized scores stay close/);
});
