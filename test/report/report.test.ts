// `vqbench report` on a small real run (test/report/fixtures.ts): loading and its errors, chart PNGs,
// the self-contained HTML, the markdown tables, the paper's figures beside ours, and the exports.
import { test, before, after } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { loadRun, validateCell } from '../../src/report/load.js';
import { boundAt, buildView, mtebTasks, rdCurves } from '../../src/report/model.js';
import { matchIndex, matchQuantize, PAPER, paperFigure, paperIndexRows } from '../../src/report/paper.js';
import { writeReport, type ReportFiles } from '../../src/report/index.js';
import type { CellResult } from '../../src/run/result.js';
import { assertUserError, runCli } from '../helpers/cli.js';
import { FIXTURE_RUN, sharedFixtureRun } from './fixtures.js';

let runDir = '';
let tmp = '';
let files: ReportFiles;
let html = '';
let md = '';

before(async () => {
  runDir = await sharedFixtureRun();
  tmp = mkdtempSync(join(tmpdir(), 'vqbench-report-unit-'));
  files = await writeReport(runDir, join(tmp, 'report'));
  html = readFileSync(files.html, 'utf8');
  md = readFileSync(files.markdown, 'utf8');
});

after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdownWorkers();
});

/** A copy of the fixture run that a test may break. */
function copyRun(name: string): string {
  const dir = join(tmp, name, 'results', FIXTURE_RUN);
  cpSync(runDir, dir, { recursive: true });
  return dir;
}

function cellFile(dir: string, cell: string): string {
  return join(dir, `${cell}.json`);
}

function readCell(dir: string, cell: string): Record<string, unknown> {
  return JSON.parse(readFileSync(cellFile(dir, cell), 'utf8')) as Record<string, unknown>;
}

function assertInputError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.equal(e.message.split('\n').length, 1, 'one sentence');
    return true;
  });
}

test('load: the real fixture run loads; the planned cell without a file is "missing", a sidecar is ignored', () => {
  const dir = copyRun('sidecar');
  writeFileSync(join(dir, 'index-hnsw.raw.json'), JSON.stringify({ ids: [1, 2, 3] }));
  const old = readCell(dir, 'index-hnsw');
  writeFileSync(cellFile(dir, 'index-old'), JSON.stringify({ ...old, cell: 'index-old' }));
  const run = loadRun(dir);
  assert.deepEqual(run.stale, ['index-old'], 'a result the plan no longer lists is stale');
  assert.ok(!run.cells.some((c) => c.cell === 'index-old'));
  assert.equal(run.name, FIXTURE_RUN);
  assert.equal(run.meta.task, 'report-fixture');
  assert.equal(run.meta.scale, 'small');
  assert.deepEqual(run.missing, ['index-lancedb']);
  assert.deepEqual(run.ignored, ['index-hnsw.raw.json']);
  const kinds = new Set(run.cells.map((c) => c.kind));
  for (const k of ['quantize', 'index', 'insert', 'mteb', 'rd-bound']) assert.ok(kinds.has(k as never), k);
  assert.deepEqual(run.cells.filter((c) => c.status !== 'ok').map((c) => c.status).sort(), ['failed', 'not-run', 'timeout']);
});

test('load: a missing folder, a missing run.json, a truncated or malformed cell each end in one sentence naming the file', () => {
  assertInputError(() => loadRun(join(tmp, 'nope')), /nope: no such run folder/);
  const noMeta = copyRun('no-meta');
  rmSync(join(noMeta, 'run.json'));
  assertInputError(() => loadRun(noMeta), /run\.json is missing/);

  const trunc = copyRun('truncated');
  const f = cellFile(trunc, 'index-hnsw');
  writeFileSync(f, readFileSync(f, 'utf8').slice(0, 200));
  assertInputError(() => loadRun(trunc), /index-hnsw\.json is not valid JSON .*truncated/);

  const empty = copyRun('empty');
  writeFileSync(cellFile(empty, 'rd-bound'), '');
  assertInputError(() => loadRun(empty), /rd-bound\.json is not valid JSON \(the file is empty\)/);

  const badMeta = copyRun('bad-meta');
  writeFileSync(join(badMeta, 'run.json'), '[1, 2]');
  assertInputError(() => loadRun(badMeta), /run\.json must hold a JSON object/);

  const cases: [string, (j: Record<string, unknown>) => void, RegExp][] = [
    ['index-ivfpq', (j) => delete j.kind, /index-ivfpq\.json is not a valid vqbench cell result: 'kind' must be one of/],
    ['index-ivfpq', (j) => (j.schema = 'vqbench.cell/9'), /schema 'vqbench\.cell\/9' is not supported/],
    ['index-ivfpq', (j) => (j.cell = 'other'), /does not match the file name/],
    ['quantize-pq-b1-s16', (j) => ((j.metrics as Record<string, unknown>).loss = 'low'), /metrics\.loss must be a number/],
    ['index-ivfpq-bad', (j) => (j.error = null), /status 'failed' needs its reason in 'error'/],
    ['insert-wrvq', (j) => (j.metrics = null), /status 'ok' but 'metrics' is null/],
  ];
  for (const [i, [cell, edit, pattern]] of cases.entries()) {
    const dir = copyRun(`bad-${i}`);
    const j = readCell(dir, cell);
    edit(j);
    writeFileSync(cellFile(dir, cell), JSON.stringify(j));
    assertInputError(() => loadRun(dir), pattern);
  }
});

test('model: the rd-bound and MTEB shapes the runners may write are all read', () => {
  const base = JSON.parse(readFileSync(cellFile(runDir, 'rd-bound'), 'utf8')) as CellResult;
  const simple = validateCell('/x/rd.json', { ...base, cell: 'rd', metrics: { rates: [0, 8, 16], distortion: [1, 0.5, 0.25] } });
  const [c] = rdCurves([simple]);
  assert.deepEqual(c.rates, [0, 8, 16]);
  assert.equal(boundAt(c, 12), 0.375);
  assert.equal(boundAt(c, 40), null);
  const real = rdCurves([base])[0];
  assert.ok(real.rates.length > 5 && real.distortion.every((d, i) => i === 0 || d <= real.distortion[i - 1]), 'D(R) falls with R');

  const mteb = { ...base, kind: 'mteb', cell: 'm', config: {}, metrics: { model: 'm1', originalBitsPerVector: 32768, tasks: [
    { task: 'STS12', type: 'STS', mainScore: 'cos_sim_spearman', variants: [
      { variant: 'original', method: null, bitsPerVector: 32768, main_score: 0.7, evaluationSeconds: 2, scores: { cos_sim_spearman: 0.7 } },
      { variant: 'WRVQ 4×256', method: 'wrvq', bitsPerVector: 96, main_score: 0.68, evaluationSeconds: 2.5 },
    ] },
  ] } } as unknown as CellResult;
  const [t] = mtebTasks([mteb]);
  assert.equal(t.mainMetric, 'cos_sim_spearman');
  assert.deepEqual(t.variants.map((v) => [v.variant, v.mainScore, v.bitsPerVector]), [['original', 0.7, 32768], ['WRVQ 4×256', 0.68, 96]]);
});

/** PNG signature and the IHDR width and height. */
function pngSize(buf: Buffer): { width: number; height: number } {
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(buf.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

test('charts: one valid PNG of sensible size per chart whose data exist', () => {
  const ids = files.charts.map((p) => p.replace(/^.*\//, '').replace(/\.png$/, '')).sort();
  assert.deepEqual(ids, [
    'build-time-synthetic-gmm', 'insert-insert-wrvq', 'loss-after-stage-synthetic-gmm', 'loss-vs-books-synthetic-gmm', 'loss-vs-size-synthetic-gmm',
    'memory-synthetic-gmm', 'mteb-fixture-model', 'rate-distortion-synthetic-gmm', 'recall-qps-synthetic-gmm',
  ]);
  for (const p of files.charts) {
    const buf = readFileSync(p);
    const { width, height } = pngSize(buf);
    assert.equal(width, 960, p);
    assert.ok(height >= 300 && height <= 2000, `${p}: height ${height}`);
    assert.ok(buf.length > 8000, `${p}: ${buf.length} bytes is too small for a drawn chart`);
  }
});

test('charts: a run with only quantizer cells gets only the quantizer charts', async () => {
  const dir = copyRun('quant-only');
  for (const f of readdirSync(dir)) if (!f.startsWith('quantize-') && f !== 'run.json') rmSync(join(dir, f));
  const r = await writeReport(dir, join(tmp, 'quant-only-report'));
  const ids = r.charts.map((p) => p.replace(/^.*\//, '')).sort();
  assert.deepEqual(ids, ['loss-after-stage-synthetic-gmm.png', 'loss-vs-books-synthetic-gmm.png', 'loss-vs-size-synthetic-gmm.png', 'rate-distortion-synthetic-gmm.png']);
  assert.deepEqual(r.exports, []);
  const page = readFileSync(r.html, 'utf8');
  assert.doesNotMatch(page, /Recall–QPS/);
  // the planned-but-absent cells are still listed
  assert.match(page, /<td>index-hnsw<\/td>.*<td>missing<\/td>/);
});

test('html: one self-contained page: charts inlined, inline CSS, nothing from the network', () => {
  assert.doesNotMatch(html, /\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i, 'no network src/href');
  assert.doesNotMatch(html, /<link\b|@import|url\(\s*['"]?https?:/i);
  assert.doesNotMatch(html, /<script[^>]+src=/i);
  const imgs = [...html.matchAll(/<img\b[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(imgs.length, files.charts.length);
  for (const src of imgs) {
    assert.match(src, /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    pngSize(Buffer.from(src.slice('data:image/png;base64,'.length), 'base64'));
  }
  assert.match(html, /<style>/);
});

test('html: environment, every cell status with its reason, bits per vector and the recall definition', () => {
  const cells = JSON.parse(readFileSync(cellFile(runDir, 'index-hnsw'), 'utf8')) as CellResult;
  assert.ok(html.includes(cells.env.gitCommit ?? 'not a git checkout'));
  assert.ok(html.includes(process.version));
  assert.match(html, /<td>BLAS<\/td>/);
  assert.match(html, /<td>threads \(kernels\)<\/td>/);
  assert.match(html, /timeout<\/td><td>exceeded the cell time limit of 600 s\./);
  assert.match(html, /not-run<\/td><td>Chroma&#39;s server needs glibc 2\.38/);
  assert.match(html, /index-lancedb<\/td>.*missing<\/td><td>planned in run\.json but no result file/);
  assert.match(html, /index-ivfpq-bad<\/td>.*failed<\/td><td>--nlist/);
  assert.match(html, /failed<\/td><td>[^<]*nprobe/, 'the rejected sweep configuration is listed');
  assert.ok(html.includes('recall@k = |approx top-k ∩ exact top-k| / k'));
  // every numeric table states bits per vector
  for (const id of ['quantize', 'index', 'rd-bound']) {
    const t = html.match(new RegExp(`<table id="table-${id}">.*?</table>`, 's'))?.[0] ?? '';
    assert.match(t, /bits\/vector/, id);
  }
  const wrvqBits = (JSON.parse(readFileSync(cellFile(runDir, 'index-wrvq'), 'utf8')) as CellResult<{ bitsPerVector: number }[]>).metrics![0].bitsPerVector;
  assert.ok(html.includes(`bits/vector: ${wrvqBits} (from the index cell of the same configuration)`), 'the insert table borrows the index cell\'s bits');
});

test('html and markdown: the paper\'s numbers beside ours, labelled, with the dataset difference', () => {
  // index table: hnsw ↔ hnswindex, ivfpq ↔ ivfpqindex, wrvq (kmeans) ↔ WRVQ(L), the not-run Chroma ↔ Chroma
  // the paper's recall in % is shown as a fraction, as ours
  for (const [method, value] of [['hnswindex(milvus)', '0.9710'], ['ivfpqindex(milvus)', '0.9439'], ['WRVQ(L)', '0.9426'], ['Chroma', '0.9440']]) {
    const row = html.match(new RegExp(`<tr class="paper">(?:(?!</tr>).)*${method.replace(/[()]/g, '\\$&')}(?:(?!</tr>).)*</tr>`, 's'))?.[0];
    assert.ok(row, `paper row for ${method}`);
    assert.ok(row.includes(value), `${method}: ${value}`);
    assert.match(row, /Alpaca \(bge-large 1024-d\)/);
  }
  assert.match(html, /paper \(Tables 2–4, setting differs\)/, 'our 2×16 WRVQ is not the paper\'s 4×256');
  assert.match(html, /printed &#39;\/&#39;/, "MS MARCO ivfpq is '/' in the paper");
  assert.match(html, /Ours: synthetic-gmm = seeded Gaussian mixture/);
  assert.match(html, /Paper: Alpaca = Alpaca_data instructions/);
  assert.match(html, /Fig\. 4 and Fig\. 5 of the paper are curves without printed values/);
  assert.match(html, /Paper Fig\. 7: Curves only, no printed values/);
  assert.match(md, /\| \*paper \(Tables 2–4/);
  assert.match(md, /\| ours \|/);
});

test('paper-figures.json: transcribed values with their table, and figures without values say so', () => {
  for (const f of PAPER.figures) {
    assert.ok(f.ref && f.measures, JSON.stringify(f).slice(0, 80));
    if (!f.rows) assert.ok(f.note && f.values === null, `${f.ref} has no values and must say so`);
  }
  const t2 = paperIndexRows('WRVQ(T)').find((r) => r.dataset === 'Alpaca')!;
  assert.deepEqual(t2.values, { 'recall@1': 96.64, 'recall@5': 95.87, 'recall@10': 95.03, buildSeconds: 5, msPerQuery: 0.29, peakGB: 5.9 });
  const ms = paperIndexRows('ivfpqindex(milvus)').find((r) => r.dataset === 'MS MARCO')!;
  assert.equal(ms.values['recall@1'], null);
  assert.equal(paperFigure('Table 5').rows!.find((r) => r.dataset === 'Alpaca' && r.method === 'PQ')!.values['3'], null);
  assert.equal(matchIndex('wrvq', { books: 4, size: 256, trainer: 'adam' })?.method, 'WRVQ(T)');
  assert.equal(matchIndex('wrvq', { books: 4, size: 256 })?.sameSetting, true);
  assert.equal(matchIndex('faiss', { factory: 'IVF1024,PQ4' })?.method, 'ivfpqindex(milvus)');
  assert.equal(matchIndex('flat', {}), null);
  const q = matchQuantize({ method: 'wrvq', books: 3, size: 64, trainer: 'adam' })!;
  assert.deepEqual(q.rows, [{ dataset: 'Alpaca', loss: 0.0009 }, { dataset: 'MS MARCO', loss: 0.0009 }]);
  assert.equal(matchQuantize({ method: 'rvq', books: 3, size: 256, trainer: 'kmeans' }), null);
});

/** Rows of every markdown table (lines starting with '|' after the separator line). */
function markdownTables(text: string): { header: string; rows: number }[] {
  const out: { header: string; rows: number }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    if (lines[i].startsWith('|') && /^\|( --- \|)+$/.test(lines[i + 1])) {
      let n = 0;
      for (let j = i + 2; j < lines.length && lines[j].startsWith('|'); j++) n++;
      out.push({ header: lines[i], rows: n });
    }
  }
  return out;
}

test('markdown: every table has rows with as many cells as its header; charts are linked to files that exist', () => {
  const tables = markdownTables(md);
  assert.ok(tables.length >= 8, `${tables.length} tables`);
  for (const t of tables) assert.ok(t.rows > 0, `empty table: ${t.header}`);
  const lines = md.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!/^\|( --- \|)+$/.test(lines[i + 1] ?? '')) continue;
    const cols = lines[i].split(/(?<!\\)\|/).length;
    for (let j = i + 2; j < lines.length && lines[j].startsWith('|'); j++) assert.equal(lines[j].split(/(?<!\\)\|/).length, cols, lines[j].slice(0, 80));
  }
  const links = [...md.matchAll(/!\[[^\]]*\]\((charts\/[^)]+\.png)\)/g)].map((m) => m[1]);
  assert.equal(links.length, files.charts.length);
  for (const l of links) assert.ok(existsSync(join(tmp, 'report', l)), l);
  assert.ok(md.includes('recall@k = |approx top-k ∩ exact top-k| / k'));
});

test('exports: MTEB results in its current layout and ann-benchmarks summaries', () => {
  const rel = files.exports.map((p) => p.slice(join(tmp, 'report').length + 1)).sort();
  const run = 'mteb/results/vqbench__fixture-model/no_revision_available';
  const wrvq = `${run}/experiments/quantizer_wrvq_books=4,size=256,weights=paper,weightBits=16`, pq = `${run}/experiments/quantizer_pq_m=12,nbits=8`;
  assert.deepEqual(rel, [
    'ann-benchmarks/synthetic-gmm.csv', 'ann-benchmarks/synthetic-gmm.json',
    `${run}/Banking77Classification.json`, `${run}/STS12.json`,
    `${pq}/STS12.json`, `${pq}/model_meta.json`,
    `${wrvq}/Banking77Classification.json`, `${wrvq}/STS12.json`, `${wrvq}/model_meta.json`,
    `${run}/model_meta.json`,
  ].sort());
  const sts = JSON.parse(readFileSync(join(tmp, 'report', `${run}/STS12.json`), 'utf8'));
  assert.deepEqual(sts, {
    dataset_revision: 'dataset revision not available', task_name: 'STS12', mteb_version: null,
    scores: { test: [{ cosine_spearman: 0.71, main_score: 0.71, hf_subset: 'default', languages: [] }] }, evaluation_time: 1.5, kg_co2_emissions: null,
  });
  const bank = JSON.parse(readFileSync(join(tmp, 'report', `${wrvq}/Banking77Classification.json`), 'utf8'));
  assert.equal(bank.scores.test[0].main_score, 0.8);
  assert.equal(bank.evaluation_time, null, 'not recorded: null, as TaskResult allows');
  // the files MTEB's loader reads, checked as it reads them (scripts/check-mteb-results.py)
  if (existsSync('/usr/bin/python3')) {
    const c = spawnSync('/usr/bin/python3', ['scripts/check-mteb-results.py', 'check', join(tmp, 'report', 'mteb', 'results')], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
    assert.equal(JSON.parse(c.stdout).files, 5);
  }

  const ann = JSON.parse(readFileSync(join(tmp, 'report', 'ann-benchmarks/synthetic-gmm.json'), 'utf8'));
  const view = buildView(loadRun(runDir));
  const okRecords = view.index.filter((r) => r.rec.status === 'ok');
  assert.equal(ann.results.length, okRecords.length);
  for (const r of ann.results) {
    assert.ok(r['k-nn'] >= 0 && r['k-nn'] <= 1, 'k-nn is a fraction');
    assert.ok(r.qps > 0 && r.build >= 0 && r.indexsize > 0 && r.count === 10);
    assert.match(r.parameters, /^[a-z]+(:[^[\]]*)?(\[.*\])?$/, 'the index spec label, then the search parameters');
  }
  const hnsw = okRecords.find((r) => r.rec.index === 'hnsw')!.rec;
  const row = ann.results.find((r: { algorithm: string; parameters: string }) => r.algorithm === 'hnsw' && r.parameters.endsWith(`[efSearch=${String(hnsw.params.search.efSearch)}]`));
  assert.equal(row['k-nn'], hnsw.recall!['10']);
  assert.equal(row.indexsize, hnsw.indexBytes / 1024);
  const csv = readFileSync(join(tmp, 'report', 'ann-benchmarks/synthetic-gmm.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'algorithm,parameters,dataset,count,k-nn,epsilon,largeepsilon,rel,qps,p50,p95,p99,p999,build,indexsize,queriessize,bitsPerVector,nnRecall,recall,recallLo,recallHi');
  assert.equal(csv.length, okRecords.length + 1);
});

test('cli: vqbench report <run> --out writes the report; a bad folder is one user error', () => {
  const out = join(tmp, 'cli-report');
  const r = runCli(['report', runDir, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /report: .*index\.html/);
  assert.match(r.stdout, /charts: 9 PNGs/);
  assert.ok(existsSync(join(out, 'index.html')) && existsSync(join(out, 'report.md')));
  assertUserError(runCli(['report', join(tmp, 'no-such-run')]), /no-such-run: no such run folder/);
});
