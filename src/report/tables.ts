/**
 * The report's tables as plain data (header, rows of preformatted strings, notes), rendered by
 * markdown.ts and html.ts alike. Every numeric table states the bits per vector of each row and,
 * where recall appears, the recall definition; rows of the paper sit beside ours, labelled
 * 'paper' (with its table and dataset) against 'ours', and each table notes that the data differ.
 */
import { fmt } from '../core/format.js';
import { DATASETS } from '../data/load.js';
import type { CellResult } from '../run/result.js';
import { metricInfo } from '../eval/metric-registry.js';
import type { IndexRecord } from '../run/index-job.js';
import type { StageDiagnostics } from '../eval/stage-diagnostics.js';
import { machineId, machinesOf, machineText } from './machines.js';
import { boundAt, cellDataset, cellMethod, type Interval, type QuantRow, type RunView } from './model.js';
import { indexRanking, mtebDiff, QUANT_RANK_RULE, INDEX_RANK_RULE, quantRanking, type Ranked } from './ranking.js';
import type { Rescored, StaleNote } from './rescore.js';
import {
  matchIndex, matchIndexRecord, matchQuantize, paperDataNote, paperFigure, paperIndexRows, paperMtebMetric, paperQuantBits, PAPER, PAPER_INDEX_BITS,
} from './paper.js';

export type RowSource = 'ours' | 'paper' | 'failed' | 'info';

export interface TableRow {
  source: RowSource;
  cells: string[];
}

export interface Table {
  id: string;
  title: string;
  /** Sentences shown under the title: bits, definitions, data differences, the paper's notes. */
  notes: string[];
  header: string[];
  rows: TableRow[];
}

export const DASH = '—';

export function num(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || Number.isNaN(v) ? DASH : fmt(v, digits);
}

export function pct(v: number | null | undefined): string {
  return v === null || v === undefined || Number.isNaN(v) ? DASH : (v * 100).toFixed(2);
}

export function bytes(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  const a = Math.abs(v);
  const units: [number, string][] = [[2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']];
  for (const [u, name] of units) if (a >= u) return `${(v / u).toFixed(a / u >= 100 ? 0 : a / u >= 10 ? 1 : 2)} ${name}`;
  return `${v} B`;
}

function params(p: Record<string, unknown> | undefined): string {
  const e = Object.entries(p ?? {});
  return e.length ? e.map(([k, v]) => `${k}=${String(v)}`).join(', ') : DASH;
}

/** "Ours: <dataset> = <description>. … Not the paper's data …" for the datasets a table shows. */
export function dataNote(datasets: string[]): string {
  const described = datasets.map((d) => {
    const e = Object.prototype.hasOwnProperty.call(DATASETS, d) ? DATASETS[d] : undefined;
    const extra = d === 'glove-100' ? ' (GloVe 6B, not ann-benchmarks\' glove-100-angular)' : '';
    return `${d} = ${e ? e.describe : 'a user file'}${extra}`;
  });
  return `Ours: ${described.join('; ') || 'no dataset'}. ${paperDataNote()} Different data, dimension and scale: compare orderings and trends, not values.`;
}

function recallDefinitions(view: RunView): string[] {
  const defs = new Set<string>();
  for (const r of view.index) if (r.rec.recallDefinition) defs.add(r.rec.recallDefinition);
  for (const i of view.insert) if (i.r.recallDefinition) defs.add(i.r.recallDefinition);
  return [...defs];
}

export function runTable(view: RunView): Table {
  const { run } = view;
  const count = (s: string) => run.cells.filter((c) => c.status === s).length;
  const starts = run.cells.map((c) => c.timing?.startedAt).filter((s): s is string => typeof s === 'string').sort();
  const rows: [string, string][] = [
    ['run', run.name],
    ['task', run.meta.task ?? run.cells[0]?.task ?? 'not recorded'],
    ['scale', run.meta.scale ?? run.cells[0]?.scale ?? 'not recorded'],
    ['cells planned (run.json)', String(run.meta.planned.length)],
    ['cell results', `${run.cells.length}: ${count('ok')} ok, ${count('failed')} failed, ${count('timeout')} timeout, ${count('not-run')} not run`],
    ['planned cells without a result file', run.missing.length ? run.missing.join(', ') : 'none'],
    ['started', starts.length ? `${starts[0]} … ${starts[starts.length - 1]}` : 'not recorded'],
    ['folder', run.dir],
  ];
  if (run.stale.length) rows.push(['cell results not in the plan (stale: left out)', run.stale.join(', ')]);
  if (run.ignored.length) rows.push(['other files (not cell results)', run.ignored.join(', ')]);
  const extra = run.meta.extra;
  const text = (k: string) => (typeof extra[k] === 'string' && extra[k] !== '' ? (extra[k] as string) : null);
  if (text('description')) rows.splice(2, 0, ['description', text('description')!]);
  if (text('paper')) rows.splice(3, 0, ['paper figure', text('paper')!]);
  if (text('status')) rows.push(['run status', `${text('status')!}${text('finishedAt') ? ` (finished ${text('finishedAt')!})` : ''}`]);
  return { id: 'run', title: 'Run', notes: [], header: ['field', 'value'], rows: rows.map((cells) => ({ source: 'info', cells })) };
}

/** The environment of every cell; differing values are listed with their cell counts. */
export function environmentTable(cells: CellResult[]): Table {
  const fields: [string, (c: CellResult) => unknown][] = [
    ['git commit', (c) => c.env.gitCommit ?? 'not a git checkout'],
    ['vqbench version', (c) => c.env.vqbenchVersion],
    ['Node.js', (c) => c.env.node],
    ['CPU', (c) => c.env.cpu],
    ['cores', (c) => c.env.cores],
    ['threads (kernels)', (c) => c.env.threads],
    ['BLAS', (c) => c.env.blas ?? 'not recorded'],
    ['memory', (c) => (typeof c.env.memoryBytes === 'number' ? bytes(c.env.memoryBytes) : undefined)],
    ['platform', (c) => c.env.platform],
  ];
  const rows = fields.map(([name, get]) => {
    const counts = new Map<string, number>();
    for (const c of cells) {
      const v = get(c);
      const s = v === undefined || v === null ? 'not recorded' : String(v);
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    const value = counts.size <= 1 ? [...counts.keys()][0] ?? 'no cells' : [...counts.entries()].map(([v, n]) => `${v} (${n} cells)`).join('; ');
    return { source: 'info' as const, cells: [name, value] };
  });
  return { id: 'environment', title: 'Environment', notes: ['As recorded by each cell (src/run/env.ts); QPS and latency are one query at a time on one thread unless a cell says otherwise.'], header: ['field', 'value'], rows };
}

/** Every cell with its status and reason; planned cells with no file and failed sweep configurations too. */
export function statusTable(view: RunView): Table {
  const rows: TableRow[] = view.run.cells.map((c) => ({
    source: c.status === 'ok' ? 'ours' : 'failed',
    cells: [c.cell, c.kind, cellDataset(c), cellMethod(c), c.status, c.error ?? '', num(c.timing?.wallSeconds, 3), num(c.timing?.cpuSeconds, 3), bytes(c.timing?.peakRssBytes)],
  }));
  for (const m of view.run.missing) rows.push({ source: 'failed', cells: [m, DASH, DASH, DASH, 'missing', 'planned in run.json but no result file: the run did not finish this cell', DASH, DASH, DASH] });
  for (const { cell, rec } of view.index) {
    if (rec.status !== 'ok') rows.push({ source: 'failed', cells: [`${cell.cell} / ${params(rec.params?.search)}`, 'index', rec.dataset, rec.label, 'failed', rec.error ?? '', DASH, DASH, DASH] });
  }
  return {
    id: 'status', title: 'Cells and their status',
    notes: ['Every planned cell is listed: failed, timed-out and not-run cells with their reason, and search configurations an index rejected inside an otherwise finished cell.'],
    header: ['cell', 'kind', 'dataset', 'method', 'status', 'reason', 'wall s', 'CPU s', 'peak RSS'],
    rows,
  };
}

/** Decimals that give `digits` significant digits to v (at least 0, at most 10). */
function decimalsFor(v: number, digits: number): number {
  const a = Math.abs(v);
  if (a === 0 || !Number.isFinite(a)) return digits - 1;
  return Math.max(0, Math.min(10, digits - 1 - Math.floor(Math.log10(a))));
}

/**
 * "0.8612 [0.8551, 0.8670]": a value and its 95% interval, all with the same decimals (`decimals`,
 * else 4 significant digits of the value); the value alone when there is no interval.
 */
export function withCI(v: number | null | undefined, ci: Interval | null | undefined, decimals?: number): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  const d = decimals ?? decimalsFor(v, 4);
  return ci ? `${v.toFixed(d)} [${ci.lo.toFixed(d)}, ${ci.hi.toFixed(d)}]` : v.toFixed(d);
}

/** "+0.0123 [0.0100, 0.0150]", with "not significant" when the interval contains 0. */
export function diffText(d: { diff: number; lo: number; hi: number; significant: boolean }, decimals?: number): string {
  const dec = decimals ?? decimalsFor(Math.max(Math.abs(d.diff), Math.abs(d.lo), Math.abs(d.hi)), 3);
  const sign = (x: number) => `${x > 0 ? '+' : ''}${x.toFixed(dec)}`;
  return `${sign(d.diff)} [${sign(d.lo)}, ${sign(d.hi)}]${d.significant ? '' : ' not significant'}`;
}

/** A column header from the metric registry: display name, direction arrow, unit (none for fractions and scores). */
export function metricHeader(id: string, suffix = ''): string {
  const m = metricInfo(id);
  const unit = m.unit === 'fraction' || m.unit === 'score' ? '' : ` (${m.unit})`;
  return `${m.name}${suffix} ${m.higherIsBetter ? '↑' : '↓'}${unit}`;
}

/** "Name ↑: definition (unit)." for the table notes, from the registry. */
export function metricNote(id: string, suffix = ''): string {
  const m = metricInfo(id);
  return `${m.name}${suffix} (${m.higherIsBetter ? 'higher' : 'lower'} is better, ${m.unit}): ${m.definition}.`;
}

/** The table notes naming cells whose cached value the raw files contradict. */
function staleNotes(stale: StaleNote[], cells: Set<string>): string[] {
  const mine = stale.filter((s) => cells.has(s.cell));
  const shown = mine.slice(0, 12).map((s) => `Stale cache: cell ${s.cell} (${s.what}) records ${s.metric} = ${fmt(s.cached, 8)} but its raw files give ${fmt(s.recomputed, 8)}; the table shows the recomputed value.`);
  if (mine.length > shown.length) shown.push(`Stale cache: ${mine.length - shown.length} more values of cells ${[...new Set(mine.slice(12).map((s) => s.cell))].join(', ')} differ from their raw files; recomputed values shown.`);
  return shown;
}

function rankCells<T>(r: Ranked<T> | undefined, decimals?: number): [string, string] {
  if (!r) return [DASH, DASH];
  return [r.rank, r.vsBest ? diffText(r.vsBest, decimals) : r.groupSize > 1 ? 'best' : 'only one'];
}

export function quantizeTable(rescored: Rescored): Table | null {
  const view = rescored.view;
  const failed = view.run.cells.filter((c) => c.kind === 'quantize' && c.status !== 'ok');
  if (view.quant.length === 0 && failed.length === 0) return null;
  const ranking = quantRanking(rescored);
  const rows: TableRow[] = [];
  const sorted = [...view.quant].sort((a, b) => (a.dataset < b.dataset ? -1 : a.dataset > b.dataset ? 1 : 0) || a.r.bitsPerVector - b.r.bitsPerVector || a.r.loss - b.r.loss);
  let matched = false;
  for (const [i, q] of sorted.entries()) {
    const r = q.r;
    const curve = view.rd.find((c) => c.dataset === q.dataset);
    const bound = curve ? boundAt(curve, r.bitsPerVector) : null;
    rows.push({ source: 'ours', cells: ['ours', q.dataset, r.label, r.trainer, r.codeLayout ?? `${r.books} × ${r.size}`, String(r.bitsPerVector), ...rankCells(ranking.get(q)), withCI(r.loss, r.lossCI), num(r.paperRatio, 3), num(r.relativeLoss), num(bound), num(r.trainSeconds, 3), num(r.encodeVectorsPerSecond, 3), 'ok'] });
    const m = matchQuantize(r);
    const next = sorted[i + 1];
    const nextSame = next && next.dataset === q.dataset && next.r.method === r.method && next.r.books === r.books && next.r.size === r.size;
    if (m && !nextSame) {
      matched = true;
      for (const pr of m.rows) {
        rows.push({ source: 'paper', cells: [`paper (Table 5${m.sameSetting ? '' : ', setting differs'})`, `${pr.dataset} (bge-large 1024-d)`, `${m.method} ${m.books} × 64`, '(T) Adam + k-means, 1000 random training vectors', `${m.books} × 64`, paperQuantBits(r.method, m.books), DASH, DASH, pr.loss === null ? "— (printed '/')" : String(pr.loss), DASH, DASH, DASH, DASH, DASH, 'paper'] });
      }
    }
  }
  for (const c of failed) rows.push({ source: 'failed', cells: ['ours', cellDataset(c), cellMethod(c), DASH, DASH, DASH, DASH, DASH, DASH, DASH, DASH, DASH, DASH, DASH, `${c.status}: ${c.error ?? ''}`] });
  const t5 = paperFigure('Table 5');
  const fromRaw = [...rescored.quant.values()].filter((s) => s.source === 'raw').length;
  const notes = [
    'bits/vector counts every stored bit (code indices, WRVQ\'s weights at weightBits each (16 = fp16, the paper\'s), RaBitQ\'s two stored floats; sq and binary store d × their bits); rows are sorted by bits within a dataset, so neighbours compare at (nearly) equal bits, and a method appears only at the bits it really has (nothing interpolated). The paper ratio (eqs. 6 and 9) is in the paper\'s own units and leaves the weights out; it is empty for sq, binary and rabitq, which have no books in its sense. The code layout says what one vector stores (RaBitQ: D levels plus its two float32 scalars).',
    metricNote('loss'),
    `Loss with its 95% bootstrap interval over the evaluation rows [lo, hi] (seeded by the cell's seed, 1000 resamples); ${fromRaw} of ${view.quant.length} rows recomputed from their per-row errors (raw/<cell>/row-errors.npy), the others from the cell's JSON. Relative loss divides by mean ||x||². "Gaussian D(R)" is the rate–distortion bound of a Gaussian with the data's covariance at the same bits (a reference, not a floor: clustered data can go below it).`,
    `${QUANT_RANK_RULE} "Δ loss vs best" is this row minus the best, with its paired interval.`,
    ...staleNotes(rescored.stale, new Set(view.quant.map((q) => q.cell.cell))),
    `Paper rows: ${t5.ref} (printed as "${t5.printedAs}"): ${t5.measures}; ${t5.bitsNote}. ${t5.note ?? ''}${matched ? '' : ' No row of ours has that setting (64-entry codebooks, 2–4 books), so none is shown.'}`,
    `Fig. 4 and Fig. 5 of the paper are curves without printed values: no paper numbers exist to set beside those rows.`,
    dataNote([...new Set(view.quant.map((q) => q.dataset))]),
  ];
  return {
    id: 'quantize', title: 'Quantizers: loss at equal bits', notes,
    header: ['source', 'dataset', 'quantizer', 'trainer', 'code layout (books × size)', 'bits/vector', 'rank', 'Δ loss vs best', `${metricHeader('loss')} [95% CI]`, 'paper ratio', 'relative loss', 'Gaussian D(R) at these bits', 'train s', 'encode vectors/s', 'status'],
    rows,
  };
}

/** Fields another engineer adds to IndexRecord (repeats and load); absent in older results. */
interface RepeatFields {
  qpsRuns?: number[];
  qpsMedian?: number;
  qpsMin?: number;
  qpsMax?: number;
  runs?: number;
  loadWarning?: string | null;
}

/** "1234 (median 1200, 1100–1250 over 5 runs)" when the record has repeats; the best alone otherwise. */
function qpsText(qps: number | null, rec: RepeatFields): string {
  if (qps === null) return DASH;
  const runs = rec.qpsRuns?.length ?? rec.runs;
  if (typeof rec.qpsMedian !== 'number') return num(qps);
  const range = typeof rec.qpsMin === 'number' && typeof rec.qpsMax === 'number' ? `, ${num(rec.qpsMin)}–${num(rec.qpsMax)}` : '';
  return `${num(qps)} (median ${num(rec.qpsMedian)}${range}${runs ? ` over ${runs} runs` : ''})`;
}

const LOAD_MARK = '⚠';
/** Where the index table's timing columns start (the machine column goes there when a run has several). */
const QPS_COLUMN = 14;

export function indexTable(rescored: Rescored): Table | null {
  const view = rescored.view;
  const failedCells = view.run.cells.filter((c) => c.kind === 'index' && c.status !== 'ok');
  if (view.index.length === 0 && failedCells.length === 0) return null;
  const ranking = indexRanking(rescored);
  const rows: TableRow[] = [];
  const rowMachine = new Map<TableRow, string>();
  const shownPaper = new Set<string>();
  const sorted = [...view.index].sort((a, b) => (a.dataset < b.dataset ? -1 : a.dataset > b.dataset ? 1 : 0) || (a.rec.label < b.rec.label ? -1 : a.rec.label > b.rec.label ? 1 : 0));
  const width = 20;
  const paperRowsFor = (method: string, sameSetting: boolean, paperSetting: string, dataset: string) => {
    const key = `${dataset}\u0000${method}`;
    if (shownPaper.has(key)) return;
    shownPaper.add(key);
    for (const pr of paperIndexRows(method)) {
      const v = pr.values;
      const slash = "— (printed '/')";
      const or = (x: number | null | undefined, f: (x: number) => string) => (x === null ? slash : x === undefined ? DASH : f(x));
      const frac = (x: number) => (x / 100).toFixed(4);
      rows.push({
        source: 'paper',
        cells: [
          `paper (Tables 2–4${sameSetting ? '' : ', setting differs'})`, `${pr.dataset} (bge-large 1024-d)`, `${method}: ${paperSetting}`, DASH, PAPER_INDEX_BITS[method] ?? DASH,
          DASH, DASH, or(v['recall@10'], frac), or(v['recall@1'], frac), or(v['recall@5'], frac), DASH, DASH, DASH, DASH,
          DASH, or(v.msPerQuery, (x) => `${x} (paper's ms/query)`), or(v.buildSeconds, (x) => String(x)), DASH, or(v.peakGB, (x) => `${x} GB (paper: peak memory)`),
          pr.notes.join(' ') || 'paper',
        ],
      });
    }
  };
  const warnings: string[] = [];
  for (const [i, row] of sorted.entries()) {
    const { rec, dataset } = row;
    const ok = rec.status === 'ok';
    const s = rescored.index.get(row);
    const m = s?.metrics ?? {};
    const ci = rec.recallCI ?? {};
    const extra = rec as IndexRecord & RepeatFields;
    const warn = typeof extra.loadWarning === 'string' && extra.loadWarning !== '';
    if (warn) warnings.push(`${LOAD_MARK} ${row.cell.cell} ${rec.label} (${params(rec.params?.search)}): ${extra.loadWarning!}`);
    const size = typeof m.indexsize === 'number' ? m.indexsize * 1024 : rec.indexBytes;
    const cells = [
      'ours', dataset, rec.label, params(rec.params?.search), String(rec.bitsPerVector), ...rankCells(ranking.get(row), 4),
      withCI(rec.recall?.['10'], ci['recall@10'], 4), withCI(rec.recall?.['1'], ci['recall@1'], 4), withCI(rec.recall?.['5'], ci['recall@5'], 4), withCI(rec.nnRecall?.['10'], ci['nnRecall@10'], 4),
      withCI(m['k-nn'], s?.metricCI['k-nn'], 4), withCI(m.epsilon, s?.metricCI.epsilon, 4), num(m.rel, 5),
      `${warn ? `${LOAD_MARK} ` : ''}${qpsText(rec.qps, extra)}${rec.mode === 'batch' ? ` (batch, ${rec.batchThreads ?? '?'} threads)` : ''}`, rec.latencyMs ? `${num(rec.latencyMs.p50, 3)} / ${num(rec.latencyMs.p99, 3)}` : DASH,
      num(rec.buildSeconds, 3), `${bytes(size)}${rec.memoryIsExact ? '' : ' (estimate)'}`, bytes(rec.peakRssBytes), ok ? (s?.source === 'raw' ? 'ok (from raw)' : 'ok') : `failed: ${rec.error ?? ''}`,
    ];
    const tableRow: TableRow = { source: ok ? 'ours' : 'failed', cells };
    rowMachine.set(tableRow, machineId(row) ?? DASH);
    rows.push(tableRow);
    const next = sorted[i + 1];
    if (!next || next.rec.label !== rec.label || next.dataset !== dataset) {
      const pm = matchIndexRecord(rec);
      if (pm) paperRowsFor(pm.method, pm.sameSetting, pm.paperSetting, dataset);
    }
  }
  for (const c of failedCells) {
    const idx = typeof c.config.index === 'string' ? c.config.index : '';
    rows.push({ source: 'failed', cells: ['ours', cellDataset(c), cellMethod(c), ...Array<string>(width - 4).fill(DASH), `${c.status}: ${c.error ?? ''}`] });
    const build = c.config.build;
    const pm = idx ? matchIndex(idx, typeof build === 'object' && build !== null ? (build as Record<string, unknown>) : {}) : null;
    if (pm) paperRowsFor(pm.method, pm.sameSetting, pm.paperSetting, cellDataset(c));
  }
  // timings of several machines (queue workers, a Slurm array): a machine column before the timings, each machine named in a note
  const machines = machinesOf(view.index);
  const multi = machines.size > 1;
  if (multi) for (const r of rows) r.cells.splice(QPS_COLUMN, 0, rowMachine.get(r) ?? DASH);
  const t2 = paperFigure('Table 2'), t3 = paperFigure('Table 3'), t4 = paperFigure('Table 4');
  const fromRaw = [...rescored.index.values()].filter((x) => x.source === 'raw').length;
  const notes = [
    `Recomputed from the raw per-query files (raw/<cell>/…, ann-benchmarks' layout) for ${fromRaw} of ${view.index.length} configurations ("ok (from raw)"); the others from the cell's JSON. Intervals: 95% bootstrap over the queries [lo, hi], seeded by the cell's seed, 1000 resamples. k-nn, epsilon and rel at count = 10.`,
    ...recallDefinitions(view).map((d) => `Set recall (ours, fraction): ${d}.`),
    ...['recall', 'nnRecall', 'k-nn', 'epsilon', 'rel', 'qps', 'p50', 'p99', 'build', 'indexsize'].map((id) => metricNote(id)),
    `${INDEX_RANK_RULE} "Δ recall@10 vs best" is this row minus the best, with its paired interval.`,
    ...staleNotes(rescored.stale, new Set(view.index.map((r) => r.cell.cell))),
    ...(multi ? [`Timings from ${machines.size} machines (the "machine" column: the fingerprint of the machine each configuration was timed on). QPS, latency and build time compare only between rows of the same machine; recall and the other quality columns compare across all rows.`, ...[...machines.values()].map((fp) => `${machineText(fp)}.`)] : []),
    ...(warnings.length ? [`${LOAD_MARK} marks timings taken while the machine was loaded (load average above half the cores): treat their QPS and latency with care.`, ...warnings] : []),
    'QPS: one query at a time on one thread after warm-up; the best of the timed runs (ann-benchmarks\' rule), with the median and min–max when the configuration was timed more than once.',
    ...(view.index.some((r) => r.rec.mode === 'batch') ? [`"(batch, N threads)": ${metricInfo('batchQps').definition}; its p50 / p99 are that call's time / queries.`] : []),
    `Paper recall (Table 2, converted from % to a fraction): definition ${t2.definition}. ${t2.note}`,
    `Memory, each labelled as what it is: "index size" = the bytes the index itself holds ("estimate" for native libraries); "peak RSS" = the whole process's peak resident memory (dataset included, and every configuration built earlier in the same process). Paper: ${t4.measures} (${t4.definition}).`,
    `Paper ms/query (Table 3): ${t3.definition}. Paper setting: ${t2.setting}.`,
    dataNote([...new Set([...view.index.map((r) => r.dataset), ...failedCells.map(cellDataset)])]),
  ];
  return {
    id: 'index', title: 'Indexes: recall, speed, build time and memory', notes,
    header: [
      'source', 'dataset', 'index', 'search params', 'bits/vector', 'rank', 'Δ recall@10 vs best', `${metricHeader('recall', '@10')} [95% CI]`, metricHeader('recall', '@1'), metricHeader('recall', '@5'),
      metricHeader('nnRecall', '@10'), `${metricHeader('k-nn')} (k-nn)`, `${metricHeader('epsilon')} (epsilon)`, `${metricHeader('rel')} (rel)`, ...(multi ? ['machine'] : []), `${metricHeader('qps')}, best`, 'latency p50 / p99 ↓ (ms)',
      metricHeader('build'), 'index size ↓', 'peak RSS (process)', 'status',
    ],
    rows,
  };
}

/** VectorDBBench's concurrency table: one row per index configuration and level (the chart's points); null when no record has levels. */
export function concurrencyTable(view: RunView): Table | null {
  const rows = view.index.filter((r) => r.rec.status === 'ok' && (r.rec.concurrency?.length ?? 0) > 0);
  if (!rows.length) return null;
  return {
    id: 'concurrency', title: 'Concurrency: QPS and latency per level',
    notes: [
      `QPS: ${metricInfo('concurrentQps').definition}. p50 / p95 / p99 (ms): the latency percentiles of every client's queries at that level.`,
      `serial p99: ${metricInfo('serialP99').definition} (— in batch mode, which has no serial pass). mode: how the record's own QPS was measured (single or batch).`,
      'More clients than cores share the cores (VectorDBBench runs one process per client): QPS stops rising and latency grows; the notes of each record say how its clients ran.',
    ],
    header: ['source', 'dataset', 'index', 'search', 'mode', 'clients', 'QPS ↑', 'p50 ms ↓', 'p95 ms ↓', 'p99 ms ↓', 'queries', 'seconds', 'serial p99 ms ↓'],
    rows: rows.flatMap((r) => r.rec.concurrency!.map((l) => ({
      source: 'ours' as const,
      cells: [
        'ours', r.dataset, r.rec.label, params(r.rec.params?.search), r.rec.mode ?? 'single', String(l.clients), num(l.qps, 4), num(l.p50, 3), num(l.p95, 3), num(l.p99, 3),
        String(l.queries), num(l.seconds, 3), r.rec.serialP99Ms == null ? '—' : num(r.rec.serialP99Ms, 3),
      ],
    }))),
  };
}

export function insertTables(view: RunView): Table[] {
  const fig7 = paperFigure('Fig. 7');
  const out: Table[] = view.insert.map(({ cell, r, dataset, bitsPerVector }) => ({
    id: `insert-${cell.cell}`, title: `Incremental insert: ${r.label} on ${dataset}`,
    notes: [
      `Built on the first ${r.initialRows} base rows in ${fmt(r.buildSeconds, 3)} s (index bytes ${bytes(r.initialIndexBytes)}), then the batches were added in order. Search params: ${params(r.params?.search)}.`,
      `bits/vector: ${bitsPerVector === null ? 'not recorded in the insert result (no index cell of the same configuration in this run)' : `${bitsPerVector} (from the index cell of the same configuration)`}.`,
      `Recall (in %) after each batch, against the exact neighbours among the rows indexed so far: ${r.recallDefinition}.`,
      '"index bytes Δ" is the change of the index\'s own bytes; "RSS Δ" the change of the whole process\'s resident memory over the add call (can be 0 or negative: the allocator reuses memory).',
      `Paper ${fig7.ref}: ${fig7.note}`,
      dataNote([dataset]),
    ],
    header: ['source', 'batch', 'rows added', 'indexed after', 'seconds', 'rows/s', 'index bytes Δ', 'index bytes', 'RSS Δ', 'recall@10 %', 'nnRecall@10 %'],
    rows: r.batches.map((b) => ({
      source: 'ours' as const,
      cells: ['ours', String(b.batch), String(b.rows), String(b.indexedAfter), num(b.seconds, 3), num(b.rowsPerSecond, 3), bytes(b.indexBytesDelta), bytes(b.indexBytes), bytes(b.rssDeltaBytes), pct(b.recall?.['10']), pct(b.nnRecall?.['10'])],
    })),
  }));
  for (const c of view.run.cells.filter((x) => x.kind === 'insert' && x.status !== 'ok')) {
    out.push({
      id: `insert-${c.cell}`, title: `Incremental insert: ${cellMethod(c)} on ${cellDataset(c)}`, notes: [`Paper ${fig7.ref}: ${fig7.note}`],
      header: ['source', 'cell', 'status', 'reason'], rows: [{ source: 'failed', cells: ['ours', c.cell, c.status, c.error ?? ''] }],
    });
  }
  return out;
}

/** One table per streaming cell: its runbook's steps, with recall and QPS at the search steps. */
export function streamTables(view: RunView): Table[] {
  return view.stream.map(({ cell, r, dataset }) => ({
    id: `stream-${cell.cell}`, title: `Streaming runbook: ${r.label} on ${dataset}`,
    notes: [
      `Runbook ${r.runbook.file} (${r.runbook.steps} steps, max_pts ${r.runbook.maxPts}); ${r.queries} queries per search step, one at a time. Search params: ${params(r.params?.search)}.`,
      `Mean recall@${r.k} over the search steps (big-ann-benchmarks' streaming score): ${num(r.meanRecall, 4)}. ${r.recallDefinition}.`,
      ...r.notes.map((n) => `${n[0].toUpperCase()}${n.slice(1)}.`),
      dataNote([dataset]),
    ],
    header: ['source', 'step', 'operation', 'rows', 'seconds', 'rows live', 'index bytes', `recall@${r.k} %`, 'QPS'],
    rows: r.steps.map((s) => ({
      source: 'ours' as const,
      cells: ['ours', String(s.step), s.operation, s.start === null ? DASH : `[${s.start}, ${s.end})`, num(s.seconds, 3), String(s.live), bytes(s.indexBytes), s.recall === null ? DASH : pct(s.recall), s.qps === null ? DASH : num(s.qps, 3)],
    })),
  }));
}

export function mtebTables(rescored: Rescored): Table[] {
  const view = rescored.view;
  const fig6 = paperFigure('Fig. 6');
  const models = [...new Set(view.mteb.map((t) => t.model))];
  const out: Table[] = models.map((model) => {
    const tasks = view.mteb.filter((t) => t.model === model);
    const variants: { name: string; bits: number | null }[] = [];
    for (const t of tasks) for (const v of t.variants) if (v.variant !== 'original' && !variants.some((x) => x.name === v.variant)) variants.push({ name: v.variant, bits: v.bitsPerVector });
    const originalBits = tasks.flatMap((t) => t.variants).find((v) => v.variant === 'original')?.bitsPerVector ?? null;
    const header = ['source', 'task', 'type', 'main metric', "paper's metric (Table 1)", `original (${originalBits ?? '?'} bits) ${metricHeader('mainScore').replace(/^.* (↑|↓)/, '$1')}`, ...variants.flatMap((v) => [`${v.name} (${v.bits ?? '?'} bits)`, 'Δ vs original'])];
    const rows: TableRow[] = tasks.map((t) => {
      const orig = t.variants.find((v) => v.variant === 'original');
      return {
        source: 'ours',
        cells: ['ours', t.task, t.type ?? DASH, t.mainMetric ?? 'main_score', paperMtebMetric(t.type) ?? DASH, withCI(orig?.mainScore, orig?.mainScoreCI),
          ...variants.flatMap((v) => {
            const x = t.variants.find((y) => y.variant === v.name);
            const d = x ? mtebDiff(rescored, t, x) : null;
            return [withCI(x?.mainScore, x?.mainScoreCI), d === null ? DASH : d.paired ? diffText(d.paired) : `${d.diff >= 0 ? '+' : ''}${fmt(d.diff, 3)} (not paired: no per-item scores)`];
          })],
      };
    });
    const fromRaw = tasks.flatMap((t) => t.variants).filter((v) => rescored.mteb.get(v)?.source === 'raw').length;
    return {
      id: `mteb-${model.replace(/[^A-Za-z0-9_.-]+/g, '-')}`, title: `MTEB: ${model}, original vs quantized embeddings`,
      notes: [
        `main_score per task, as MTEB defines it for the task type; bits per vector: original ${originalBits ?? 'not recorded'}, ${variants.map((v) => `${v.name} ${v.bits ?? 'not recorded'}`).join(', ') || 'no quantized variant'} (every stored bit counted). Δ = quantized − original.`,
        metricNote('mainScore'),
        `Intervals: 95% bootstrap [lo, hi] over the task's test items where the cell recorded them; ${fromRaw} scores recomputed as the mean of their per-item scores (raw/<cell>/…). Δ carries a paired bootstrap interval (seeded by the cell's seed, 1000 resamples) when both sides kept per-item scores, and is marked "not significant" when that interval contains 0.`,
        ...staleNotes(rescored.stale, new Set(tasks.map((t) => t.cell.cell))),
        `Paper ${fig6.ref}: ${fig6.note} Its metric per task type (Table 1) differs from MTEB's main_score for some types; its embeddings are bge-large-en-v1.5.`,
      ],
      header, rows,
    };
  });
  const failed = view.run.cells.filter((c) => c.kind === 'mteb' && c.status !== 'ok');
  if (failed.length) {
    out.push({
      id: 'mteb-failed', title: 'MTEB cells that did not finish', notes: [`Paper ${fig6.ref}: ${fig6.note}`],
      header: ['source', 'cell', 'model', 'status', 'reason'], rows: failed.map((c) => ({ source: 'failed' as const, cells: ['ours', c.cell, cellMethod(c), c.status, c.error ?? ''] })),
    });
  }
  return out;
}

export function rdTable(view: RunView): Table | null {
  if (view.rd.length === 0) return null;
  const rows: TableRow[] = [];
  for (const c of view.rd) {
    const step = Math.max(1, Math.ceil(c.rates.length / 16));
    c.rates.forEach((r, i) => {
      if (i % step === 0 || i === c.rates.length - 1) rows.push({ source: 'ours', cells: ['ours', c.dataset, num(r), num(c.distortion[i])] });
    });
  }
  return {
    id: 'rd-bound', title: 'Gaussian rate–distortion bound',
    notes: [
      ...new Set(view.rd.map((c) => c.definition ?? 'D(R) of a Gaussian source with the data covariance, by reverse water-filling.')),
      'bits/vector is the rate R; D(R) is the mean squared error per vector in the units of the quantizers\' loss. The paper has no such bound.',
      dataNote([...new Set(view.rd.map((c) => c.dataset))]),
    ],
    header: ['source', 'dataset', 'bits/vector (R)', 'D(R) = mean ||x − x̂||²'],
    rows,
  };
}

export function paperTable(): Table {
  return {
    id: 'paper-figures', title: "The paper's figures used here",
    notes: [`${PAPER.paper}. Transcribed from ${PAPER.transcribedFrom}. Hardware: ${PAPER.hardware}.`],
    header: ['figure', 'measures', 'values'],
    rows: PAPER.figures.map((f) => ({
      source: 'paper' as const,
      cells: [f.printedAs ? `${f.ref} (printed as ${f.printedAs})` : f.ref, f.measures, f.rows ? `${f.rows.length} rows: ${f.metric ?? ''}${f.note ? `. ${f.note}` : ''}` : `no printed values. ${f.note ?? ''}${f.textStatements ? ` Text: ${f.textStatements.join(' ')}` : ''}`],
    })),
  };
}

/** The per-stage diagnostics a quantize result carries (rvq, wrvq, avq), read defensively: null when absent or malformed. */
export function stagesOf(q: QuantRow): StageDiagnostics[] | null {
  const st = (q.r as { stages?: unknown }).stages;
  if (!Array.isArray(st) || st.length === 0) return null;
  const ok = st.every((x) => typeof x === 'object' && x !== null && typeof (x as StageDiagnostics).loss === 'number' && typeof (x as StageDiagnostics).stage === 'number');
  return ok ? (st as StageDiagnostics[]) : null;
}

const BLOCKS = '▁▂▃▄▅▆▇█';
/** A histogram as one line of block characters, scaled to its largest bin. */
export function sparkline(counts: number[]): string {
  const top = Math.max(0, ...counts);
  return counts.map((c) => (top > 0 && c > 0 ? BLOCKS[Math.min(7, Math.floor((c / top) * 7.999))] : ' ')).join('');
}

/** Loss, residual norms, alignment, code usage and WRVQ's weights after every stage of each staged quantizer. */
export function stageTable(view: RunView): Table | null {
  const rows: TableRow[] = [];
  const withStages = view.quant.map((q) => ({ q, st: stagesOf(q) })).filter((x): x is { q: QuantRow; st: StageDiagnostics[] } => x.st !== null);
  if (withStages.length === 0) return null;
  withStages.sort((a, b) => (a.q.dataset < b.q.dataset ? -1 : a.q.dataset > b.q.dataset ? 1 : 0) || (a.q.r.label < b.q.r.label ? -1 : a.q.r.label > b.q.r.label ? 1 : 0));
  for (const { q, st } of withStages) {
    st.forEach((s, i) => {
      const prev = i > 0 ? st[i - 1].loss : null;
      const w = s.weights;
      rows.push({
        source: 'ours',
        cells: [
          'ours', q.dataset, q.r.label, String(q.r.bitsPerVector), String(s.stage), num(s.loss), prev !== null && prev > 0 ? num(s.loss / prev, 4) : DASH,
          num(s.residualNorm.mean), `${num(s.residualNorm.p10)} / ${num(s.residualNorm.p50)} / ${num(s.residualNorm.p90)}`,
          num(s.cosine, 3), `${num(s.perplexity, 4)} of ${s.size}`, String(s.dead),
          w ? `${num(w.mean)} [${num(w.min)}, ${num(w.max)}]` : DASH, w ? sparkline(w.counts) : DASH,
        ],
      });
    });
  }
  return {
    id: 'stages', title: 'Per-stage diagnostics (RVQ, WRVQ, AVQ)',
    notes: [
      `Measured on the held-out rows and their codes (src/eval/stage-diagnostics.ts): after stage m the reconstruction is the sum of the first m books' (weighted) codewords. "loss" = mean ||x − x̂_m||², and at the last stage it is the quantizer's loss; "× previous" = loss after this stage over loss after the one before (above 1: the stage made things worse).`,
      `residual norm ||x − x̂_m||: mean and the 10th / 50th / 90th percentiles over rows. cos = mean cosine between the residual before the stage and the vector the stage adds; with WRVQ's 'paper' weight (the residual length) a stage shrinks the residual only where cos > 1/2, since ||r − ||r|| c||² = ||r||² (2 − 2 cos), while the 'gain' weight (the projection) always leaves ||r||² (1 − cos²).`,
      'Code usage per book: perplexity = exp(entropy of the code frequencies) (equals the book size when all codewords are used equally, 1 when one takes every row) and dead = codewords no held-out row chose.',
      `WRVQ weights: mean [min, max] of the stage's stored weights and their histogram in 16 equal bins over [min, max] (as stored: fp16, or the learned levels with weightBits 8 / 4, which are ours, not the paper's).`,
      dataNote([...new Set(withStages.map((x) => x.q.dataset))]),
    ],
    header: ['source', 'dataset', 'quantizer', 'bits/vector', 'stage', 'loss after stage ↓', '× previous', 'residual norm, mean', 'residual norm p10 / p50 / p90', 'cos(residual, added)', 'perplexity', 'dead codewords', 'weights mean [min, max]', 'weights histogram'],
    rows,
  };
}

/** All tables, in report order; sections without data are left out. */
export function allTables(rescored: Rescored): Table[] {
  const view = rescored.view;
  return [
    runTable(view), environmentTable(view.run.cells), statusTable(view),
    quantizeTable(rescored), rdTable(view), stageTable(view), indexTable(rescored), concurrencyTable(view), ...insertTables(view), ...streamTables(view), ...mtebTables(rescored), paperTable(),
  ].filter((t): t is Table => t !== null);
}
