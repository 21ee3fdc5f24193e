/**
 * The report's numbers recomputed from the run folder's raw files: a cell JSON's summaries are only
 * a cache of this computation (issue 12 §1).
 *
 * - index records with `raw`/`rawTruth`: every registry metric (src/eval/metric-registry.ts) read
 *   through RawReader, set recall@1/5/10 and nnRecall@1/10, and the 95% bootstrap intervals over
 *   queries of recall@1/5/10, nnRecall@10, k-nn, epsilon and largeepsilon;
 * - quantize cells with `raw.rowErrors`: the loss and its interval over the evaluation rows;
 * - MTEB variants with a `perItem` file whose statistic is the mean: the main score as the mean of
 *   its per-item scores, and its interval (the other statistics keep the cell's score and interval).
 *
 * Intervals: src/eval/bootstrap.ts, seeded with the cell's seed, 1000 resamples, 95%, so the same
 * run gives the same report. Where a cached value differs from the recomputed one, the recomputed
 * value is the one carried on (the returned view's records hold it, for the tables and the charts)
 * and a StaleNote names the cell. Runs made before raw files exist keep their cached numbers.
 */
import { isAbsolute, join } from 'node:path';
import { bootstrapMean } from '../eval/bootstrap.js';
import { readPerItem } from '../eval/per-item-files.js';
import type { IndexRecord } from '../run/index-job.js';
import type { QuantizeResult } from '../run/quantize.js';
import { isObject } from '../run/kinds/common.js';
import type { IndexRow, Interval, MtebTask, MtebVariant, QuantRow, RunView } from './model.js';
import { RawReader, scoreRaw } from './raw.js';

export type { Interval } from './model.js';

/** Bootstrap settings of every interval in the report. */
export const REPORT_BOOTSTRAP = { resamples: 1000, level: 0.95 } as const;

/** The count ann-benchmarks scores at (k-nn, epsilon, rel at k = 10). */
export const ANN_COUNT = 10;

/** The per-query metrics whose intervals the index table and summary show, at count 10. */
export const INTERVAL_METRICS = ['k-nn', 'epsilon', 'largeepsilon'] as const;

export interface IndexScores {
  /** 'raw' = recomputed from the raw files; 'cache' = the cell JSON's numbers (no raw files). */
  source: 'raw' | 'cache';
  /** Every registry metric at count 10 (null = not defined or not available from the cache). */
  metrics: Record<string, number | null>;
  /** Intervals of the per-query registry metrics (INTERVAL_METRICS) at count 10. */
  metricCI: Record<string, Interval>;
  /** Per-query set recall@10, what a paired comparison resamples; null from the cache. */
  perQueryRecall10: Float64Array | null;
  /** Identifies the queries and their truth: two records are paired only when their keys are equal. */
  queriesKey: string | null;
}

export interface QuantScores {
  source: 'raw' | 'cache';
  /** Per evaluation row squared error; null when the cell kept none. */
  rowErrors: Float64Array | null;
}

export interface MtebScores {
  source: 'raw' | 'cache';
  /** Per-item scores (the mean is the main score); null when the variant kept none. */
  perItem: Float64Array | null;
  /** What one item is (a query, a test example, ...). */
  perItemWhat: string | null;
}

/** A cached figure that the raw files contradict. */
export interface StaleNote {
  cell: string;
  /** The configuration or variant within the cell. */
  what: string;
  metric: string;
  cached: number;
  recomputed: number;
}

export interface Rescored {
  /** The view with every recomputed value in place of the cached one (tables, charts and exports read it). */
  view: RunView;
  index: Map<IndexRow, IndexScores>;
  quant: Map<QuantRow, QuantScores>;
  mteb: Map<MtebVariant, MtebScores>;
  stale: StaleNote[];
}

/** Cached and recomputed differ beyond rounding: 1e-12 absolute for fractions and scores, relative for larger values. */
export function differs(cached: number, recomputed: number, tol = 1e-12): boolean {
  return Math.abs(cached - recomputed) > tol * Math.max(1, Math.abs(cached), Math.abs(recomputed));
}

function interval(values: Float64Array, seed: number): Interval | null {
  if (values.length === 0 || !values.every(Number.isFinite)) return null;
  const { lo, hi } = bootstrapMean(values, { seed, ...REPORT_BOOTSTRAP });
  return { lo, hi };
}

/** The registry metrics a cached IndexRecord can supply (no raw files): what it stored under other names. */
function cachedMetrics(rec: IndexRecord): Record<string, number | null> {
  const kb = rec.indexBytes / 1024;
  return {
    recall: rec.recall?.[String(ANN_COUNT)] ?? null, nnRecall: rec.nnRecall?.[String(ANN_COUNT)] ?? null, qps: rec.qps,
    p50: rec.latencyMs?.p50 ?? null, p95: rec.latencyMs?.p95 ?? null, p99: rec.latencyMs?.p99 ?? null, build: rec.buildSeconds, indexsize: kb,
    queriessize: rec.qps ? kb / rec.qps : null,
  };
}

/** Hash of the truth ids the run's queries are scored against (FNV-1a), with their count. */
function truthKey(nq: number, k: number, ids: Int32Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < nq * k; i++) h = Math.imul(h ^ ids[i], 0x01000193);
  return `${nq}×${k}:${(h >>> 0).toString(16)}`;
}

async function rescoreIndex(reader: RawReader, row: IndexRow, stale: StaleNote[]): Promise<{ row: IndexRow; scores: IndexScores }> {
  const { rec, cell } = row;
  const seed = cell.seed ?? rec.seed ?? 0;
  const fromCache: IndexScores = { source: 'cache', metrics: cachedMetrics(rec), metricCI: {}, perQueryRecall10: null, queriesKey: null };
  if (rec.status !== 'ok' || rec.raw === undefined || rec.rawTruth === undefined) return { row, scores: fromCache };
  const count = ANN_COUNT; // vqbench always searches at least 10 neighbours
  const scored = await reader.record(rec, { k: count });
  if (!scored) return { row, scores: fromCache };
  const { run, truth } = scored;
  const recall: Record<string, number> = {}, nnRecall: Record<string, number> = {};
  const recallCI: Record<string, Interval> = {};
  for (const at of [1, 5, 10]) {
    if (at > run.k || at > truth.k) continue;
    const s = at === count ? scored : scoreRaw(run, truth, { k: at });
    if (s.values.recall !== null) recall[at] = s.values.recall;
    if (s.values.nnRecall !== null) nnRecall[at] = s.values.nnRecall;
    const ci = s.perQuery.recall ? interval(s.perQuery.recall, seed) : null;
    if (ci) recallCI[`recall@${at}`] = ci;
    if (at === 10 && s.perQuery.nnRecall) {
      const n = interval(s.perQuery.nnRecall, seed);
      if (n) recallCI['nnRecall@10'] = n;
    }
  }
  const metricCI: Record<string, Interval> = {};
  for (const id of INTERVAL_METRICS) {
    const per = scored.perQuery[id];
    const ci = per ? interval(per, seed) : null;
    if (ci) metricCI[id] = ci;
  }
  const v = scored.values;
  const what = `${rec.label} ${Object.entries(rec.params?.search ?? {}).map(([k, x]) => `${k}=${String(x)}`).join(',')}`.trim();
  const check = (metric: string, cached: number | null | undefined, recomputed: number | null | undefined, tol?: number) => {
    if (typeof cached === 'number' && typeof recomputed === 'number' && differs(cached, recomputed, tol)) stale.push({ cell: cell.cell, what, metric, cached, recomputed });
  };
  for (const at of Object.keys(recall)) check(`recall@${at}`, rec.recall?.[at], recall[at]);
  for (const at of Object.keys(nnRecall)) check(`nnRecall@${at}`, rec.nnRecall?.[at], nnRecall[at]);
  // QPS goes through 1 / (seconds / nq) in the file: equal up to float rounding, not to the last bit
  check('qps', rec.qps, v.qps, 1e-9);
  const latencyMs = rec.latencyMs ? { ...rec.latencyMs, p50: v.p50 ?? rec.latencyMs.p50, p95: v.p95 ?? rec.latencyMs.p95, p99: v.p99 ?? rec.latencyMs.p99 } : rec.latencyMs;
  const fresh: IndexRecord = {
    ...rec, recall: { ...rec.recall, ...recall }, nnRecall: { ...rec.nnRecall, ...nnRecall }, recallCI: { ...rec.recallCI, ...recallCI },
    qps: v.qps ?? rec.qps, latencyMs, buildSeconds: v.build ?? rec.buildSeconds,
  };
  return {
    row: { ...row, rec: fresh },
    scores: { source: 'raw', metrics: v, metricCI, perQueryRecall10: scored.perQuery.recall ?? null, queriesKey: truthKey(run.nq, truth.k, truth.ids) },
  };
}

/** `raw: { rowErrors }` of a quantize result (added to results by the quantize job; absent in older runs). */
function rowErrorsPath(r: QuantizeResult): string | null {
  const raw = (r as unknown as { raw?: unknown }).raw;
  return isObject(raw) && typeof raw.rowErrors === 'string' ? raw.rowErrors : null;
}

const inRun = (runDir: string, p: string) => (isAbsolute(p) ? p : join(runDir, ...p.split('/')));

function rescoreQuant(runDir: string, row: QuantRow, stale: StaleNote[]): { row: QuantRow; scores: QuantScores } {
  const path = rowErrorsPath(row.r);
  if (path === null) return { row, scores: { source: 'cache', rowErrors: null } };
  const errors = readPerItem(inRun(runDir, path));
  let s = 0;
  for (let i = 0; i < errors.length; i++) s += errors[i];
  const loss = s / errors.length;
  if (differs(row.r.loss, loss)) stale.push({ cell: row.cell.cell, what: row.r.label, metric: 'loss', cached: row.r.loss, recomputed: loss });
  const lossCI = interval(errors, row.cell.seed ?? row.r.seed ?? 0) ?? row.r.lossCI;
  // the relative loss scales with the loss (both over the same rows)
  const relativeLoss = row.r.loss > 0 ? (row.r.relativeLoss * loss) / row.r.loss : row.r.relativeLoss;
  return { row: { ...row, r: { ...row.r, loss, relativeLoss, ...(lossCI && { lossCI }) } }, scores: { source: 'raw', rowErrors: errors } };
}

function rescoreMteb(runDir: string, task: MtebTask, stale: StaleNote[], out: Map<MtebVariant, MtebScores>): MtebTask {
  const variants = task.variants.map((v) => {
    if (!v.perItem || v.perItem.statistic !== 'mean') {
      out.set(v, { source: 'cache', perItem: null, perItemWhat: null });
      return v;
    }
    const items = readPerItem(inRun(runDir, v.perItem.path));
    let s = 0;
    for (let i = 0; i < items.length; i++) s += items[i];
    const mean = s / items.length;
    if (v.mainScore !== null && differs(v.mainScore, mean)) stale.push({ cell: task.cell.cell, what: `${task.task} ${v.variant}`, metric: 'main score', cached: v.mainScore, recomputed: mean });
    const ci = interval(items, task.cell.seed ?? 0) ?? v.mainScoreCI;
    const fresh: MtebVariant = { ...v, mainScore: mean, mainScoreCI: ci };
    out.set(fresh, { source: 'raw', perItem: items, perItemWhat: v.perItem.what });
    return fresh;
  });
  return { ...task, variants };
}

/** Recomputes the view's numbers from the raw files of its run folder (see the file comment). */
export async function rescore(view: RunView): Promise<Rescored> {
  const runDir = view.run.dir;
  const reader = new RawReader(runDir);
  const stale: StaleNote[] = [];
  const index = new Map<IndexRow, IndexScores>();
  const rows: IndexRow[] = [];
  for (const r of view.index) {
    const { row, scores } = await rescoreIndex(reader, r, stale);
    rows.push(row);
    index.set(row, scores);
  }
  const quant = new Map<QuantRow, QuantScores>();
  const quantRows = view.quant.map((q) => {
    const { row, scores } = rescoreQuant(runDir, q, stale);
    quant.set(row, scores);
    return row;
  });
  const mteb = new Map<MtebVariant, MtebScores>();
  const tasks = view.mteb.map((t) => rescoreMteb(runDir, t, stale, mteb));
  // builds: the recomputed build time of each built configuration (its first record's)
  const builds = view.builds.map((b) => {
    const first = rows.find((r) => r.cell === b.cell && r.rec.label === b.label);
    return first ? { ...b, buildSeconds: first.rec.buildSeconds } : b;
  });
  return { view: { ...view, index: rows, quant: quantRows, mteb: tasks, builds }, index, quant, mteb, stale };
}

/** The cached numbers only, as a Rescored (for callers without raw files or that do not read them). */
export function fromCache(view: RunView): Rescored {
  const index = new Map<IndexRow, IndexScores>(view.index.map((row) => [row, { source: 'cache', metrics: cachedMetrics(row.rec), metricCI: {}, perQueryRecall10: null, queriesKey: null }]));
  const quant = new Map<QuantRow, QuantScores>(view.quant.map((row) => [row, { source: 'cache', rowErrors: null }]));
  const mteb = new Map<MtebVariant, MtebScores>(view.mteb.flatMap((t) => t.variants.map((v): [MtebVariant, MtebScores] => [v, { source: 'cache', perItem: null, perItemWhat: null }])));
  return { view, index, quant, mteb, stale: [] };
}
