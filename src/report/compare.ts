/**
 * `vqbench compare <runA> <runB>`: two run folders of the same task, cell by cell (stable cell ids),
 * metric by metric (src/eval/metric-registry.ts), with B − A, an interval and a verdict in the
 * metric's direction ("B is better / worse than A").
 *
 * - quality (recall, k-nn, loss, MTEB main score, ...): a paired bootstrap of the per-item
 *   differences when both sides were scored on the same items (same truth ids, same rows, same
 *   examples), else an unpaired bootstrap of the two per-item samples, else the overlap of the two
 *   95% intervals the results carry; "no raw results" when a side has none of these;
 * - timing (qps, latency, build): only between records with the same machine fingerprint, never a
 *   difference across two; better / worse only when the repeated runs' min–max ranges do not overlap;
 * - size (index size, bits per vector): exact; any difference is a difference.
 */
import { InputError } from '../core/errors.js';
import { fmt, table } from '../core/format.js';
import { pairedBootstrapDiff, unpairedBootstrapDiff } from '../eval/bootstrap.js';
import { METRIC_IDS, METRICS, metricInfo } from '../eval/metric-registry.js';
import { readPerItem } from '../eval/per-item-files.js';
import { rawPath } from '../eval/raw-results.js';
import type { IndexRecord } from '../run/index-job.js';
import type { MtebRunResult, MtebVariantScores } from '../run/mteb.js';
import type { QuantizeResult } from '../run/quantize.js';
import type { CellKind, CellResult } from '../run/result.js';
import { loadRun, type LoadedRun } from './load.js';
import { RawReader, type RawScored } from './raw.js';

/** Bootstrap replicates of every interval `compare` computes. */
export const COMPARE_RESAMPLES = 1000;

export type Verdict =
  | 'better'
  | 'worse'
  | 'not significant'
  | 'equal'
  | 'not comparable (different machines)'
  | 'no raw results'
  | 'no interval'
  | 'no repeats'
  | 'not measured';

export interface MetricComparison {
  a: number | null;
  b: number | null;
  /** b − a (null when a side is missing, or a timing across two machines). */
  diff: number | null;
  /** The 95% interval of b − a (bootstrap, interval overlap or run ranges, as `method` says). */
  lo: number | null;
  hi: number | null;
  verdict: Verdict;
  method: string;
}

/** One configuration of a cell: an index record (label + search parameters), a quantizer, an MTEB task × variant. */
export interface ConfigComparison {
  config: string;
  /** Metric id → comparison, in registry order. */
  metrics: Record<string, MetricComparison>;
  notes: string[];
  /** Whether the configuration ran in A and in B ('ok' or 'failed': an index sweep's configuration can fail alone). */
  status: { a: 'ok' | 'failed'; b: 'ok' | 'failed' };
}

export interface CellComparison {
  cell: string;
  kind: CellKind;
  /** A heading: what the cell runs. */
  title: string;
  configs: ConfigComparison[];
  /** Configurations present in one run only. */
  onlyInA: string[];
  onlyInB: string[];
  notes: string[];
}

export interface Regression {
  cell: string;
  config: string;
  metric: string;
  a: number | null;
  b: number | null;
  method: string;
}

export interface RunSide {
  dir: string;
  run: string;
  task: string | null;
  scale: string | null;
  cells: number;
}

export interface RunComparison {
  a: RunSide;
  b: RunSide;
  /** Cell ids present in one run only. */
  onlyInA: string[];
  onlyInB: string[];
  cells: CellComparison[];
  /** Every metric B got significantly worse on (quality, size, timing on one machine), and cells that failed in B only. */
  regressions: Regression[];
  legend: string[];
}

export const COMPARE_LEGEND: readonly string[] = [
  'B − A is the difference; the verdict says whether B is better or worse than A in the metric\'s direction (↑ higher is better, ↓ lower).',
  `Quality: 95% percentile bootstrap (${COMPARE_RESAMPLES} resamples, seed = A's cell seed) of the per-item differences when both runs scored the same queries / rows / examples (paired), else of the two samples (unpaired), else the overlap of the two 95% intervals in the results; "not significant" when the interval contains 0; "no raw results" when a side has no per-item values.`,
  'Timing: compared only between records with the same machine fingerprint ("not comparable (different machines)" otherwise, and no difference is given); with repeated runs (at least 2) on both sides, better / worse only when the two min–max ranges do not overlap (the interval is the range of B − A), else "not significant"; "no repeats" without them.',
  'Size: exact; any difference is better or worse. rel (a ratio of sums over queries) has no per-query values: "no interval".',
];

// ————— verdicts —————

type Interval = { lo: number; hi: number };

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function intervalVerdict(id: string, lo: number, hi: number): Verdict {
  if (lo <= 0 && 0 <= hi) return 'not significant';
  return lo > 0 === metricInfo(id).higherIsBetter ? 'better' : 'worse';
}

function notMeasured(a: number | null, b: number | null): MetricComparison {
  return { a, b, diff: null, lo: null, hi: null, verdict: 'not measured', method: `not measured in ${a === null && b === null ? 'A or B' : a === null ? 'A' : 'B'}` };
}

/** What one side knows of a quality metric: its value, its per-item values, its interval. */
interface QualitySide {
  value: number | null;
  items?: Float64Array | null;
  ci?: Interval | null;
  /** What the items are ('queries', 'rows', 'examples'). */
  over: string;
}

/** A quality metric: paired bootstrap when `sameItems`, else unpaired, else interval overlap, else values only. */
export function compareQuality(id: string, A: QualitySide, B: QualitySide, sameItems: boolean, seed: number): MetricComparison {
  const a = A.value, b = B.value;
  if (a === null || b === null) return notMeasured(a, b);
  const diff = b - a;
  if (A.items && B.items) {
    const paired = sameItems && A.items.length === B.items.length;
    const r = paired
      ? pairedBootstrapDiff(B.items, A.items, { seed, resamples: COMPARE_RESAMPLES })
      : unpairedBootstrapDiff(B.items, A.items, { seed, resamples: COMPARE_RESAMPLES });
    const method = paired ? `paired bootstrap over ${A.items.length} ${A.over}` : `unpaired bootstrap (${A.items.length} vs ${B.items.length} ${A.over}, not the same)`;
    return { a, b, diff, lo: r.lo, hi: r.hi, verdict: intervalVerdict(id, r.lo, r.hi), method };
  }
  if (A.ci && B.ci) {
    // B − A ranges over [B.lo − A.hi, B.hi − A.lo], which contains 0 exactly when the intervals overlap
    const lo = B.ci.lo - A.ci.hi, hi = B.ci.hi - A.ci.lo;
    return { a, b, diff, lo, hi, verdict: intervalVerdict(id, lo, hi), method: 'overlap of the two 95% intervals (no per-item values on both sides)' };
  }
  const hasA = Boolean(A.items || A.ci), hasB = Boolean(B.items || B.ci);
  return { a, b, diff, lo: null, hi: null, verdict: 'no raw results', method: `values only (no per-item values or interval in ${!hasA && !hasB ? 'A or B' : hasA ? 'B' : 'A'})` };
}

/** A size metric: exact. */
export function compareSize(id: string, a: number | null, b: number | null): MetricComparison {
  if (a === null || b === null) return notMeasured(a, b);
  const verdict: Verdict = a === b ? 'equal' : (b > a) === metricInfo(id).higherIsBetter ? 'better' : 'worse';
  return { a, b, diff: b - a, lo: null, hi: null, verdict, method: 'exact' };
}

/** What one side knows of a timing metric. */
export interface TimingSide {
  value: number | null;
  fingerprint: string | null;
  /** min and max over the repeated runs, and their number (null without ≥ 2 runs). */
  range: { min: number; max: number; runs: number } | null;
}

/** A timing metric: same machine only; a verdict only from non-overlapping run ranges. */
export function compareTiming(id: string, A: TimingSide, B: TimingSide): MetricComparison {
  const a = A.value, b = B.value;
  if (a === null || b === null) return notMeasured(a, b);
  if (A.fingerprint === null || B.fingerprint === null || A.fingerprint !== B.fingerprint) {
    const why = A.fingerprint === null && B.fingerprint === null ? 'no machine fingerprint in A or B' : A.fingerprint === null ? 'no machine fingerprint in A' : B.fingerprint === null ? 'no machine fingerprint in B' : `fingerprints ${A.fingerprint} ≠ ${B.fingerprint}`;
    return { a, b, diff: null, lo: null, hi: null, verdict: 'not comparable (different machines)', method: why };
  }
  if (!A.range || !B.range) return { a, b, diff: b - a, lo: null, hi: null, verdict: 'no repeats', method: `one machine; ${!A.range && !B.range ? 'no repeated runs on either side' : `no repeated runs in ${A.range ? 'B' : 'A'}`}` };
  const lo = B.range.min - A.range.max, hi = B.range.max - A.range.min;
  return { a, b, diff: b - a, lo, hi, verdict: intervalVerdict(id, lo, hi), method: `one machine; min–max ranges of ${A.range.runs} vs ${B.range.runs} runs` };
}

// ————— index cells —————

/** The repeat, fingerprint and load fields of an index record, absent in results written before repeats existed. */
type RepeatFields = 'runs' | 'qpsRuns' | 'qpsMedian' | 'qpsMin' | 'qpsMax' | 'buildSecondsRuns' | 'fingerprint' | 'load' | 'loadWarning';
type TimedRecord = Omit<IndexRecord, RepeatFields> & Partial<Pick<IndexRecord, RepeatFields>>;

function rangeOf(values: unknown): { min: number; max: number; runs: number } | null {
  if (!Array.isArray(values) || values.length < 2 || !values.every((v) => finite(v) !== null)) return null;
  return { min: Math.min(...(values as number[])), max: Math.max(...(values as number[])), runs: values.length };
}

/** The value a record's JSON holds for a registry metric (a cache of the raw computation; null where it holds none). */
function jsonValue(rec: TimedRecord, id: string, k: number): number | null {
  const sizeKb = finite(rec.indexBytes) === null ? null : rec.indexBytes / 1024;
  switch (id) {
    case 'recall': return finite(rec.recall?.[k]);
    case 'nnRecall': return finite(rec.nnRecall?.[k]);
    case 'qps': return finite(rec.qps);
    case 'p50': case 'p95': case 'p99': return finite(rec.latencyMs?.[id]);
    case 'build': return finite(rec.buildSeconds);
    case 'indexsize': return sizeKb;
    case 'queriessize': return sizeKb !== null && finite(rec.qps) !== null && rec.qps! > 0 ? sizeKb / rec.qps! : null;
    case 'qpsMedian': return finite(rec.qpsMedian);
    default: return null;
  }
}

/** The repeated runs' QPS range: from `qpsRuns`, else from `qpsMin`/`qpsMax` with `runs` ≥ 2. */
function qpsRange(rec: TimedRecord): TimingSide['range'] {
  const r = rangeOf(rec.qpsRuns);
  if (r || rec.qpsRuns !== undefined) return r;
  const min = finite(rec.qpsMin), max = finite(rec.qpsMax), runs = finite(rec.runs);
  return min !== null && max !== null && runs !== null && runs >= 2 ? { min, max, runs } : null;
}

function timingRange(rec: TimedRecord, id: string, sizeKb: number | null): TimingSide['range'] {
  const qps = qpsRange(rec);
  if (id === 'qps' || id === 'qpsMedian') return qps;
  if (id === 'build') return rangeOf(rec.buildSecondsRuns);
  if (id === 'queriessize' && qps && sizeKb !== null && qps.min > 0) return { min: sizeKb / qps.max, max: sizeKb / qps.min, runs: qps.runs };
  return null;
}

function searchKey(rec: TimedRecord): string {
  const s = Object.entries(rec.params?.search ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return s.length ? s.map(([k, v]) => `${k}=${String(v)}`).join(',') : '(default search)';
}

/** Whether two raw results were scored on the same queries: the same number and the same true neighbour ids. */
function sameQueries(a: RawScored, b: RawScored): boolean {
  if (a.run.nq !== b.run.nq || a.truth.k !== b.truth.k) return false;
  const n = a.run.nq * a.truth.k;
  for (let i = 0; i < n; i++) if (a.truth.ids[i] !== b.truth.ids[i]) return false;
  return true;
}

async function compareIndexRecords(ra: TimedRecord, rb: TimedRecord, readers: [RawReader, RawReader], seed: number): Promise<Omit<ConfigComparison, 'config'>> {
  const status = { a: ra.status, b: rb.status };
  const notes: string[] = [];
  const metrics: Record<string, MetricComparison> = {};
  const k = Math.min(ra.k, rb.k);
  if (ra.status !== 'ok' || rb.status !== 'ok') {
    for (const [side, r] of [['A', ra], ['B', rb]] as const) if (r.status !== 'ok') notes.push(`${side}: this configuration failed (${r.error ?? 'no reason recorded'}).`);
    for (const id of METRIC_IDS) metrics[id] = notMeasured(ra.status === 'ok' ? jsonValue(ra, id, k) : null, rb.status === 'ok' ? jsonValue(rb, id, k) : null);
    return { metrics, notes, status };
  }
  const [sa, sb] = [await readers[0].record(ra, { k }), await readers[1].record(rb, { k })];
  const both = sa !== null && sb !== null;
  const paired = both && sameQueries(sa, sb);
  if (!sa || !sb) notes.push(`no raw results in ${!sa && !sb ? 'A or B' : !sa ? 'A' : 'B'}: values from the cell JSON.`);
  for (const [side, r] of [['A', ra], ['B', rb]] as const) if (r.loadWarning) notes.push(`${side}: ${r.loadWarning}`);
  const value = (s: RawScored | null, r: TimedRecord, id: string) => (s ? s.values[id] ?? null : jsonValue(r, id, k));
  const fp = (r: TimedRecord) => (typeof r.fingerprint?.id === 'string' ? r.fingerprint.id : null);
  const ids = [...METRIC_IDS, ...(ra.qpsMedian != null || rb.qpsMedian != null ? ['qpsMedian'] : [])];
  for (const id of ids) {
    const info = metricInfo(id);
    const a = id === 'qpsMedian' ? jsonValue(ra, id, k) : value(sa, ra, id);
    const b = id === 'qpsMedian' ? jsonValue(rb, id, k) : value(sb, rb, id);
    if (info.family === 'size') metrics[id] = compareSize(id, a, b);
    else if (info.family === 'timing') {
      const side = (r: TimedRecord, v: number | null, s: RawScored | null): TimingSide => ({ value: v, fingerprint: fp(r), range: timingRange(r, id, s ? s.values.indexsize ?? null : jsonValue(r, 'indexsize', k)) });
      metrics[id] = compareTiming(id, side(ra, a, sa), side(rb, b, sb));
    } else if (!METRICS[id]?.perQuery) {
      metrics[id] = a === null || b === null ? notMeasured(a, b) : { a, b, diff: b - a, lo: null, hi: null, verdict: both ? 'no interval' : 'no raw results', method: both ? 'no per-query values (a ratio of sums)' : 'values only' };
    } else {
      metrics[id] = compareQuality(id, { value: a, items: sa?.perQuery[id] ?? null, over: 'queries' }, { value: b, items: sb?.perQuery[id] ?? null, over: 'queries' }, paired, seed);
    }
  }
  return { metrics, notes, status };
}

async function compareIndexCell(A: CellResult, B: CellResult, readers: [RawReader, RawReader]): Promise<Omit<CellComparison, 'cell' | 'kind' | 'notes'>> {
  const recsA = A.metrics as TimedRecord[], recsB = B.metrics as TimedRecord[];
  const labels = new Set([...recsA, ...recsB].map((r) => r.label));
  const name = (r: TimedRecord) => (labels.size === 1 ? searchKey(r) : `${r.label} ${searchKey(r)}`);
  const byKey = new Map(recsB.map((r) => [name(r), r]));
  const configs: ConfigComparison[] = [];
  for (const ra of recsA) {
    const rb = byKey.get(name(ra));
    if (rb) configs.push({ config: name(ra), ...(await compareIndexRecords(ra, rb, readers, A.seed)) });
  }
  const keysA = new Set(recsA.map(name));
  return {
    title: [...labels].join(', '),
    configs,
    onlyInA: recsA.map(name).filter((k) => !byKey.has(k)),
    onlyInB: recsB.map(name).filter((k) => !keysA.has(k)),
  };
}

// ————— quantize cells —————

const OK: ConfigComparison['status'] = { a: 'ok', b: 'ok' };

type QuantizeWithRaw = QuantizeResult & { raw?: { rowErrors?: string } };

function perItems(run: LoadedRun, relative: unknown): Float64Array | null {
  return typeof relative === 'string' && relative !== '' ? readPerItem(rawPath(run.dir, relative)) : null;
}

function compareQuantizeCell(A: CellResult, B: CellResult, runs: [LoadedRun, LoadedRun]): Omit<CellComparison, 'cell' | 'kind' | 'notes'> {
  const qa = A.metrics as QuantizeWithRaw, qb = B.metrics as QuantizeWithRaw;
  const ia = perItems(runs[0], qa.raw?.rowErrors), ib = perItems(runs[1], qb.raw?.rowErrors);
  const sameRows = ia !== null && ib !== null && ia.length === ib.length && (qa.datasetChecksum === qb.datasetChecksum || !qa.datasetChecksum || !qb.datasetChecksum);
  const notes: string[] = [];
  if (!ia || !ib) notes.push(`no per-row errors in ${!ia && !ib ? 'A or B' : !ia ? 'A' : 'B'}: the loss intervals are compared instead (not significant when they overlap).`);
  const config = qa.spec === qb.spec ? qa.spec : `${qa.spec} vs ${qb.spec}`;
  const metrics: Record<string, MetricComparison> = {
    loss: compareQuality('loss', { value: finite(qa.loss), items: ia, ci: qa.lossCI ?? null, over: 'rows' }, { value: finite(qb.loss), items: ib, ci: qb.lossCI ?? null, over: 'rows' }, sameRows, A.seed),
    bitsPerVector: compareSize('bitsPerVector', finite(qa.bitsPerVector), finite(qb.bitsPerVector)),
  };
  return { title: config, configs: [{ config, metrics, notes, status: OK }], onlyInA: [], onlyInB: [] };
}

// ————— MTEB cells —————

type VariantWithItems = MtebVariantScores & { mainScoreCI?: Interval | null; perItem?: { path?: string; what?: string } | null };

/** A variant's per-example values, only when their mean is its main score (a score that decomposes). */
function variantItems(run: LoadedRun, v: VariantWithItems): Float64Array | null {
  const x = perItems(run, v.perItem?.path);
  if (!x || x.length === 0) return null;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return Math.abs(s / x.length - v.main_score) <= 1e-9 * Math.max(1, Math.abs(v.main_score)) ? x : null;
}

function compareMtebCell(A: CellResult, B: CellResult, runs: [LoadedRun, LoadedRun]): Omit<CellComparison, 'cell' | 'kind' | 'notes'> {
  const ma = A.metrics as MtebRunResult, mb = B.metrics as MtebRunResult;
  const keyed = (m: MtebRunResult) => new Map(m.tasks.flatMap((t) => t.variants.map((v) => [`${t.task} / ${v.variant}`, { task: t, v: v as VariantWithItems }] as const)));
  const va = keyed(ma), vb = keyed(mb);
  const configs: ConfigComparison[] = [];
  for (const [key, x] of va) {
    const y = vb.get(key);
    if (!y) continue;
    const ia = variantItems(runs[0], x.v), ib = variantItems(runs[1], y.v);
    const same = ia !== null && ib !== null && ia.length === ib.length && (x.task.checksum === y.task.checksum || !x.task.checksum || !y.task.checksum);
    const over = x.v.perItem?.what ? `examples (${x.v.perItem.what})` : 'examples';
    configs.push({
      config: key,
      metrics: {
        mainScore: compareQuality('mainScore', { value: finite(x.v.main_score), items: ia, ci: x.v.mainScoreCI ?? null, over }, { value: finite(y.v.main_score), items: ib, ci: y.v.mainScoreCI ?? null, over }, same, A.seed),
        bitsPerVector: compareSize('bitsPerVector', finite(x.v.bitsPerVector), finite(y.v.bitsPerVector)),
      },
      notes: [],
      status: OK,
    });
  }
  return { title: ma.model === mb.model ? ma.model : `${ma.model} vs ${mb.model}`, configs, onlyInA: [...va.keys()].filter((k) => !vb.has(k)), onlyInB: [...vb.keys()].filter((k) => !va.has(k)) };
}

// ————— runs —————

function taskOf(r: LoadedRun): string | null {
  return r.meta.task ?? r.cells[0]?.task ?? null;
}

function side(r: LoadedRun, given: string): RunSide {
  return { dir: given, run: r.name, task: taskOf(r), scale: r.meta.scale, cells: r.cells.length };
}

const FAILED = new Set(['failed', 'timeout']);

/** Compares two run folders; throws an InputError (one sentence naming the folder or file) on bad input. */
export async function compareRuns(dirA: string, dirB: string): Promise<RunComparison> {
  const runA = loadRun(dirA), runB = loadRun(dirB);
  const ta = taskOf(runA), tb = taskOf(runB);
  if (ta !== tb) throw new InputError(`${dirA} and ${dirB} are runs of different tasks ('${ta ?? 'unknown'}' and '${tb ?? 'unknown'}'); compare two runs of the same task.`);
  const readers: [RawReader, RawReader] = [new RawReader(runA.dir), new RawReader(runB.dir)];
  const cellsB = new Map(runB.cells.map((c) => [c.cell, c]));
  const idsA = new Set(runA.cells.map((c) => c.cell));
  const cells: CellComparison[] = [];
  const regressions: Regression[] = [];
  for (const A of runA.cells) {
    const B = cellsB.get(A.cell);
    if (!B) continue;
    const base = { cell: A.cell, kind: A.kind };
    if (A.status !== 'ok' || B.status !== 'ok' || A.kind !== B.kind) {
      const notes = A.kind !== B.kind ? [`A runs a ${A.kind} cell, B a ${B.kind} cell: not compared.`] : [`A: ${A.status}${A.error ? ` (${A.error})` : ''}; B: ${B.status}${B.error ? ` (${B.error})` : ''}.`];
      cells.push({ ...base, title: A.kind, configs: [], onlyInA: [], onlyInB: [], notes });
      if (A.status === 'ok' && FAILED.has(B.status)) regressions.push({ cell: A.cell, config: '', metric: 'status', a: null, b: null, method: `ok in A, ${B.status} in B` });
      continue;
    }
    let part: Omit<CellComparison, 'cell' | 'kind' | 'notes'>;
    if (A.kind === 'index') part = await compareIndexCell(A, B, readers);
    else if (A.kind === 'quantize') part = compareQuantizeCell(A, B, [runA, runB]);
    else if (A.kind === 'mteb') part = compareMtebCell(A, B, [runA, runB]);
    else {
      cells.push({ ...base, title: A.kind, configs: [], onlyInA: [], onlyInB: [], notes: [`${A.kind} cells are not compared.`] });
      continue;
    }
    cells.push({ ...base, ...part, notes: [] });
    for (const c of part.configs) {
      if (c.status.a === 'ok' && c.status.b === 'failed') regressions.push({ cell: A.cell, config: c.config, metric: 'status', a: null, b: null, method: 'ok in A, failed in B' });
      for (const [metric, m] of Object.entries(c.metrics)) if (m.verdict === 'worse') regressions.push({ cell: A.cell, config: c.config, metric, a: m.a, b: m.b, method: m.method });
    }
  }
  return {
    a: side(runA, dirA),
    b: side(runB, dirB),
    onlyInA: runA.cells.filter((c) => !cellsB.has(c.cell)).map((c) => c.cell),
    onlyInB: runB.cells.filter((c) => !idsA.has(c.cell)).map((c) => c.cell),
    cells,
    regressions,
    legend: [...COMPARE_LEGEND],
  };
}

// ————— text —————

const num = (v: number | null): string => (v === null ? '—' : fmt(v));

function arrow(id: string): string {
  return metricInfo(id).higherIsBetter ? '↑' : '↓';
}

/** One plain table per cell, the configurations present on one side only, the legend, the regressions. */
export function formatComparison(c: RunComparison): string {
  const desc = (s: RunSide) => `${s.dir} (run ${s.run}, task ${s.task ?? 'unknown'}${s.scale ? `, scale ${s.scale}` : ''}, ${s.cells} cells)`;
  const out: string[] = [`A = ${desc(c.a)}`, `B = ${desc(c.b)}`];
  if (c.onlyInA.length) out.push(`only in A: ${c.onlyInA.join(', ')}`);
  if (c.onlyInB.length) out.push(`only in B: ${c.onlyInB.join(', ')}`);
  for (const cell of c.cells) {
    out.push('', `${cell.cell} (${cell.kind}${cell.title && cell.title !== cell.kind ? `: ${cell.title}` : ''})`);
    const rows: string[][] = [];
    for (const cfg of cell.configs) {
      Object.entries(cfg.metrics).forEach(([id, m], i) => {
        rows.push([i === 0 ? cfg.config : '', `${id} ${arrow(id)}`, num(m.a), num(m.b), num(m.diff), m.lo === null || m.hi === null ? '' : `[${fmt(m.lo)}, ${fmt(m.hi)}]`, m.verdict, m.method]);
      });
    }
    if (rows.length) out.push(table(['config', 'metric', 'A', 'B', 'B − A', '95% interval', 'verdict', 'method'], rows));
    for (const cfg of cell.configs) for (const n of cfg.notes) out.push(`  ${cfg.config}: ${n}`);
    for (const n of cell.notes) out.push(`  ${n}`);
    if (cell.onlyInA.length) out.push(`  only in A: ${cell.onlyInA.join('; ')}`);
    if (cell.onlyInB.length) out.push(`  only in B: ${cell.onlyInB.join('; ')}`);
  }
  out.push('', ...c.legend.map((l, i) => (i === 0 ? `Legend: ${l}` : `  ${l}`)));
  out.push('', regressionSummary(c));
  return out.join('\n') + '\n';
}

/** "no metric got significantly worse", or one line per regression. */
export function regressionSummary(c: RunComparison): string {
  if (c.regressions.length === 0) return 'No metric got significantly worse in B.';
  return [
    `${c.regressions.length} significantly worse in B:`,
    ...c.regressions.map((r) => `  ${r.cell}${r.config ? ` ${r.config}` : ''} ${r.metric}: ${r.metric === 'status' ? r.method : `${num(r.a)} → ${num(r.b)} (${r.method})`}`),
  ].join('\n');
}
