/**
 * Plain views of a loaded run for the charts, tables and exports: quantizer rows, index records,
 * index builds, insert results, MTEB tasks (merged over cells, tolerant of the runner's shape) and
 * rate–distortion curves. Only 'ok' cells contribute numbers; the others are in `statusRows`.
 */
import type { IndexRecord, InsertResult } from '../run/index-job.js';
import type { StreamResult } from '../run/stream-job.js';
import type { QuantizeResult } from '../run/quantize.js';
import type { CellResult } from '../run/result.js';
import { isObject } from '../run/kinds/common.js';
import type { LoadedRun } from './load.js';

export interface QuantRow {
  cell: CellResult;
  r: QuantizeResult;
  dataset: string;
  /** Quantizer family without its shape: method, trainer and (WRVQ) weight rule. */
  family: string;
}

export interface IndexRow {
  cell: CellResult;
  rec: IndexRecord;
  dataset: string;
}

/** One built index configuration (the sweep's records share it). */
export interface IndexBuild {
  cell: CellResult;
  dataset: string;
  index: string;
  label: string;
  bitsPerVector: number;
  buildSeconds: number;
  indexBytes: number;
  memoryIsExact: boolean;
  /** Largest process peak RSS over the build's records (the whole process, dataset included). */
  peakRssBytes: number;
}

export interface InsertView {
  cell: CellResult;
  r: InsertResult;
  dataset: string;
  /** From an index cell of the same label in this run, else null (InsertResult does not carry it). */
  bitsPerVector: number | null;
}

/** A streaming cell's result (src/run/stream-job.ts): its steps, recall and throughput over them. */
export interface StreamView {
  cell: CellResult;
  r: StreamResult;
  dataset: string;
}

/** A 95% bootstrap interval. */
export interface Interval {
  lo: number;
  hi: number;
}

export interface MtebVariant {
  /** 'original' or the quantizer's label. */
  variant: string;
  method: string | null;
  bitsPerVector: number | null;
  mainScore: number | null;
  /** 95% bootstrap interval of the main score, when the cell recorded one. */
  mainScoreCI: Interval | null;
  /**
   * Per-item values beside the cell (a float64 .npy relative to the run folder). Only a `mean`
   * statistic makes the main score their mean; the others (spearman, pearson, ap, weighted f1) need
   * the gold values too and are recomputed by the MTEB evaluator, not here.
   */
  perItem: { path: string; what: string; statistic: string } | null;
  /** The cell's paired interval of this variant minus the original (same resampled items for both), when it recorded one. */
  deltaCI: { diff: number; lo: number; hi: number; significant: boolean; resamples: number; level: number } | null;
  scores: Record<string, number>;
  evaluationSeconds: number | null;
}

export interface MtebTask {
  cell: CellResult;
  model: string;
  task: string;
  type: string | null;
  /** Name of the main metric when the result states it. */
  mainMetric: string | null;
  datasetRevision: string | null;
  /** The evaluation split and the task's languages, when the result states them. */
  split: string | null;
  languages: string[] | null;
  /** The embedder's version (what changes its vectors) and dimension, when the result states them. */
  modelRevision: string | null;
  embedderId: string | null;
  dim: number | null;
  variants: MtebVariant[];
}

export interface RdCurve {
  cell: CellResult;
  dataset: string;
  rates: number[];
  distortion: number[];
  definition: string | null;
}

export interface RunView {
  run: LoadedRun;
  quant: QuantRow[];
  index: IndexRow[];
  builds: IndexBuild[];
  insert: InsertView[];
  stream: StreamView[];
  mteb: MtebTask[];
  rd: RdCurve[];
  datasets: string[];
}

/** A filename-safe id: runs of other characters become '-', at most 80 characters. */
export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'x';
}

const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The dataset a cell ran on: its metrics' name, else the cell's dataset, else config.dataset. */
export function cellDataset(c: CellResult): string {
  const m = c.metrics as Record<string, unknown> | unknown[] | null;
  if (isObject(m) && typeof m.dataset === 'string') return m.dataset;
  if (Array.isArray(m) && isObject(m[0]) && typeof m[0].dataset === 'string') return m[0].dataset;
  if (c.dataset?.name) return c.dataset.name;
  const d = c.config.dataset ?? c.config.data;
  if (typeof d === 'string') return d;
  // an MTEB cell runs over text tasks, not one vector dataset
  const tasks = c.config.tasks;
  if (Array.isArray(tasks) && tasks.every((t) => typeof t === 'string')) return `text tasks: ${tasks.join(', ')}`;
  return 'unknown dataset';
}

/** What a cell measures, for the status table: the method, index or model from its config. */
export function cellMethod(c: CellResult): string {
  const cfg = c.config;
  const pick = (...keys: string[]) => keys.map((k) => cfg[k]).find((v) => typeof v === 'string') as string | undefined;
  const m = c.metrics as Record<string, unknown> | unknown[] | null;
  if (c.status === 'ok') {
    if (isObject(m) && typeof m.label === 'string') return m.label;
    if (Array.isArray(m) && isObject(m[0]) && typeof m[0].label === 'string') return m[0].label;
    if (isObject(m) && typeof m.model === 'string') return m.model;
  }
  const base = pick('label', 'method', 'index', 'model', 'source') ?? c.kind;
  const shape = ['books', 'size', 'm', 'nlist'].filter((k) => typeof cfg[k] === 'number').map((k) => `${k}=${cfg[k] as number}`);
  return shape.length ? `${base}(${shape.join(',')})` : base;
}

export function quantFamily(r: QuantizeResult): string {
  // WRVQ with quantized weights (ours) is its own series; fp16 weights (16, the paper's) are the default
  const weightBits = r.params?.weightBits !== undefined && r.params.weightBits !== 16 ? `weightBits=${String(r.params.weightBits)}` : null;
  // binary with and without ITQ sit at the same bits: two series, not one
  const rotation = r.method === 'binary' && r.params?.rotation !== undefined ? `rotation=${String(r.params.rotation)}` : null;
  return [r.method, r.trainer, r.weights ? `weights=${r.weights}` : null, weightBits, rotation, r.beam !== null && r.method === 'rvq' ? `beam=${r.beam}` : null].filter(Boolean).join(' · ');
}

function mtebVariant(v: unknown, fallbackName: string): MtebVariant | null {
  if (!isObject(v)) return null;
  const scoresIn = isObject(v.scores) ? v.scores : v;
  const scores: Record<string, number> = {};
  for (const [k, x] of Object.entries(scoresIn)) {
    if (typeof x === 'number' && Number.isFinite(x) && !['bitsPerVector', 'delta', 'evaluationSeconds', 'evaluation_time'].includes(k)) scores[k] = x;
  }
  const main = numOrNull(v.main_score) ?? numOrNull(v.mainScore) ?? numOrNull(scoresIn.main_score) ?? numOrNull(v.score);
  const method = typeof v.method === 'string' ? v.method : null;
  const name = typeof v.variant === 'string' ? v.variant : typeof v.label === 'string' ? v.label : method ?? fallbackName;
  const ci = isObject(v.mainScoreCI) && numOrNull(v.mainScoreCI.lo) !== null && numOrNull(v.mainScoreCI.hi) !== null ? { lo: v.mainScoreCI.lo as number, hi: v.mainScoreCI.hi as number } : null;
  const perItem = isObject(v.perItem) && typeof v.perItem.path === 'string' ? { path: v.perItem.path, what: typeof v.perItem.what === 'string' ? v.perItem.what : 'item', statistic: typeof v.perItem.statistic === 'string' ? v.perItem.statistic : 'mean' } : null;
  const d = isObject(v.deltaCI) ? v.deltaCI : null;
  const deltaCI = d && [d.diff, d.lo, d.hi].every((x) => numOrNull(x) !== null) && typeof d.significant === 'boolean'
    ? { diff: d.diff as number, lo: d.lo as number, hi: d.hi as number, significant: d.significant, resamples: numOrNull(d.resamples) ?? 0, level: numOrNull(d.level) ?? 0.95 }
    : null;
  return {
    variant: name, method, bitsPerVector: numOrNull(v.bitsPerVector) ?? numOrNull(v.bits), mainScore: main, mainScoreCI: ci, perItem, deltaCI, scores,
    evaluationSeconds: numOrNull(v.evaluationSeconds) ?? numOrNull(v.evaluation_time) ?? numOrNull(scoresIn.evaluation_time),
  };
}

/** MTEB tasks of the run, tolerant of the runner's shape: `variants: [...]`, or `original` + `quantized` (object or list). */
export function mtebTasks(cells: CellResult[]): MtebTask[] {
  const out = new Map<string, MtebTask>();
  for (const c of cells) {
    if (c.kind !== 'mteb' || c.status !== 'ok' || !isObject(c.metrics)) continue;
    const m = c.metrics;
    const model = typeof m.model === 'string' ? m.model : typeof c.config.model === 'string' ? c.config.model : 'unknown model';
    const originalBits = numOrNull(m.originalBitsPerVector);
    for (const t of (m.tasks as unknown[]) ?? []) {
      if (!isObject(t)) continue;
      const task = typeof t.task === 'string' ? t.task : typeof t.name === 'string' ? t.name : null;
      if (!task) continue;
      const variants: MtebVariant[] = [];
      if (Array.isArray(t.variants)) {
        for (const v of t.variants) {
          const mv = mtebVariant(v, 'variant');
          if (mv) variants.push(mv);
        }
      } else {
        const o = mtebVariant(t.original, 'original');
        if (o) variants.push({ ...o, variant: 'original', method: null });
        const q = t.quantized;
        for (const v of Array.isArray(q) ? q : q ? [q] : []) {
          const mv = mtebVariant(v, 'quantized');
          if (mv) variants.push(mv);
        }
      }
      for (const v of variants) if (v.variant === 'original' && v.bitsPerVector === null) v.bitsPerVector = originalBits;
      const key = `${model}\u0000${task}`;
      const prev = out.get(key);
      if (prev) {
        for (const v of variants) if (!prev.variants.some((p) => p.variant === v.variant)) prev.variants.push(v);
      } else {
        out.set(key, {
          cell: c, model, task, type: typeof t.type === 'string' ? t.type : null,
          mainMetric: typeof t.mainScore === 'string' ? t.mainScore : typeof t.main_metric === 'string' ? t.main_metric : null,
          datasetRevision: typeof t.dataset_revision === 'string' ? t.dataset_revision : typeof t.checksum === 'string' ? t.checksum : null,
          split: typeof t.split === 'string' ? t.split : null,
          languages: Array.isArray(t.languages) && t.languages.every((l) => typeof l === 'string') ? (t.languages as string[]) : null,
          modelRevision: typeof m.embedderVersion === 'string' ? m.embedderVersion : null,
          embedderId: typeof m.embedderId === 'string' ? m.embedderId : null,
          dim: numOrNull(m.dim),
          variants,
        });
      }
    }
  }
  // the original first, then the variants in order of appearance
  for (const t of out.values()) t.variants.sort((a, b) => Number(b.variant === 'original') - Number(a.variant === 'original'));
  return [...out.values()];
}

/** Rate–distortion curves: `{rates, distortion}` or a `curve` (or `points`) of `{bits, distortion}`. */
export function rdCurves(cells: CellResult[]): RdCurve[] {
  const out: RdCurve[] = [];
  for (const c of cells) {
    if (c.kind !== 'rd-bound' || c.status !== 'ok' || !isObject(c.metrics)) continue;
    const m = c.metrics;
    let pairs: [number, number][];
    if (Array.isArray(m.rates) && Array.isArray(m.distortion)) pairs = (m.rates as number[]).map((r, i) => [r, (m.distortion as number[])[i]]);
    else {
      // the curve and the exact points at the quantizers' rates, merged
      const pts = [...((m.curve as unknown[]) ?? []), ...((m.points as unknown[]) ?? [])].filter(isObject);
      pairs = pts.map((p) => [p.bits as number, p.distortion as number]);
    }
    pairs = pairs.filter(([r, d]) => Number.isFinite(r) && Number.isFinite(d)).sort((a, b) => a[0] - b[0]);
    pairs = pairs.filter((p, i) => i === 0 || p[0] !== pairs[i - 1][0]);
    out.push({
      cell: c, dataset: cellDataset(c), rates: pairs.map((p) => p[0]), distortion: pairs.map((p) => p[1]),
      definition: typeof m.definition === 'string' ? m.definition : c.definitions.distortion ?? null,
    });
  }
  return out;
}

/** D(R) at `bits` by linear interpolation on the curve; null outside it. */
export function boundAt(curve: RdCurve, bits: number): number | null {
  const { rates, distortion } = curve;
  for (let i = 0; i < rates.length; i++) {
    if (rates[i] === bits) return distortion[i];
    if (i > 0 && rates[i - 1] < bits && bits < rates[i]) {
      const t = (bits - rates[i - 1]) / (rates[i] - rates[i - 1]);
      return distortion[i - 1] + t * (distortion[i] - distortion[i - 1]);
    }
  }
  return null;
}

export function buildView(run: LoadedRun): RunView {
  const ok = run.cells.filter((c) => c.status === 'ok' && c.metrics !== null);
  const quant: QuantRow[] = ok.filter((c) => c.kind === 'quantize').map((c) => {
    const r = c.metrics as QuantizeResult;
    return { cell: c, r, dataset: r.dataset ?? cellDataset(c), family: quantFamily(r) };
  });
  const index: IndexRow[] = ok.filter((c) => c.kind === 'index').flatMap((c) => (c.metrics as IndexRecord[]).map((rec) => ({ cell: c, rec, dataset: rec.dataset ?? cellDataset(c) })));
  const builds = new Map<string, IndexBuild>();
  for (const { cell, rec, dataset } of index) {
    const key = `${cell.cell}\u0000${rec.label}`;
    const b = builds.get(key);
    if (b) b.peakRssBytes = Math.max(b.peakRssBytes, rec.peakRssBytes ?? 0);
    else {
      builds.set(key, {
        cell, dataset, index: rec.index, label: rec.label, bitsPerVector: rec.bitsPerVector, buildSeconds: rec.buildSeconds,
        indexBytes: rec.indexBytes, memoryIsExact: rec.memoryIsExact, peakRssBytes: rec.peakRssBytes ?? 0,
      });
    }
  }
  const bitsByLabel = new Map<string, number>();
  for (const b of builds.values()) bitsByLabel.set(b.label, b.bitsPerVector);
  const insert: InsertView[] = ok.filter((c) => c.kind === 'insert').map((c) => {
    const r = c.metrics as InsertResult;
    return { cell: c, r, dataset: r.dataset ?? cellDataset(c), bitsPerVector: bitsByLabel.get(r.label) ?? null };
  });
  const stream: StreamView[] = ok.filter((c) => c.kind === 'stream').map((c) => ({ cell: c, r: c.metrics as StreamResult, dataset: (c.metrics as StreamResult).dataset ?? cellDataset(c) }));
  const mteb = mtebTasks(ok);
  const rd = rdCurves(ok);
  const datasets = [...new Set([...quant.map((q) => q.dataset), ...index.map((i) => i.dataset), ...insert.map((i) => i.dataset), ...rd.map((r) => r.dataset)])].sort();
  return { run, quant, index, builds: [...builds.values()], insert, stream, mteb, rd, datasets };
}
