/**
 * Results in the formats the field's tools read.
 *
 * MTEB: MTEB's current results layout under `mteb/results/` (src/report/mteb-results.ts, the same
 * files `vqbench mteb --output-folder` writes), so `mteb.ResultCache(cache_path="<report>/mteb")`
 * loads them: `<model>/<revision>/<TaskName>.json` for the original, each quantized variant under
 * `<model>/<revision>/experiments/<experiment>/`, a model_meta.json beside each.
 *
 * ann-benchmarks: per dataset, `ann-benchmarks/<dataset>.json` and `.csv`, one row per (algorithm,
 * parameters) with the columns of ann-benchmarks' `data_export.py` for the metrics we have:
 * k-nn, epsilon, largeepsilon, rel (ann-benchmarks' definitions, recomputed from the run's raw files
 * by the metric registry; from a run without raw files k-nn falls back to the set recall@count and
 * the others are empty), qps, p50/p95/p99/p999 (ms), build (s), indexsize (kB: the index's own bytes
 * / 1024; ann-benchmarks measures the process's memory growth instead), queriessize (indexsize /
 * qps), plus vqbench's set recall with its 95% interval. The per-run HDF5 files themselves are in
 * the run folder (raw/<cell>/…), not copied here.
 */
import type { ExportFile } from './layout.js';
import { slug, type MtebTask } from './model.js';
import { mtebResultFiles, type MtebResultInput } from './mteb-results.js';
import type { Rescored } from './rescore.js';

export interface ExportBlob {
  path: string;
  what: string;
  data: string;
}

export const EXPORT_NOTES = [
  'MTEB: one results JSON per task and variant in MTEB\'s current layout ({ dataset_revision, task_name, mteb_version, evaluation_time, kg_co2_emissions, scores: { split: [ { hf_subset, languages, main_score, metrics… } ] } }): the original under mteb/results/<model>/<revision>/, each quantized variant under mteb/results/<model>/<revision>/experiments/<experiment>/ (MTEB v2\'s names: output_dtypes_int8 for sq and binary, quantizer_<spec> for the others), a model_meta.json beside each; mteb.ResultCache(cache_path="<report>/mteb") loads them.',
  'ann-benchmarks: one summary per dataset (JSON and CSV) with the columns of ann-benchmarks\' data_export.py (algorithm, parameters, dataset, count, k-nn, epsilon, largeepsilon, rel, qps, p50, p95, p99, p999, build, indexsize, queriessize), recomputed from the raw result files where the run kept them, plus bitsPerVector, nnRecall and the set recall@count with its 95% interval (recall, recallLo, recallHi). The per-run HDF5 result files themselves stay in the run folder (raw/<cell>/…).',
];

/** The rows of the MTEB layout for a run's MTEB tasks (variants without a main score are left out). */
export function mtebResultRows(tasks: readonly MtebTask[]): MtebResultInput[] {
  return tasks.flatMap((t) => t.variants.flatMap((v) => (v.mainScore === null ? [] : [{
    model: t.model, modelRevision: t.modelRevision, embedderId: t.embedderId, dim: t.dim, task: t.task, split: t.split ?? 'test', languages: t.languages,
    datasetRevision: t.datasetRevision, variant: v.variant, bitsPerVector: v.bitsPerVector, scores: v.scores, mainScore: v.mainScore, evaluationSeconds: v.evaluationSeconds,
  }])));
}

export function mtebExports(rescored: Rescored): ExportBlob[] {
  return mtebResultFiles(mtebResultRows(rescored.view.mteb)).map((f) => ({ ...f, path: `mteb/results/${f.path}` }));
}

export interface AnnRow {
  algorithm: string;
  parameters: string;
  dataset: string;
  count: number;
  'k-nn': number | null;
  epsilon: number | null;
  largeepsilon: number | null;
  rel: number | null;
  qps: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  p999: number | null;
  build: number;
  indexsize: number;
  queriessize: number | null;
  bitsPerVector: number;
  nnRecall: number | null;
  recall: number | null;
  recallLo: number | null;
  recallHi: number | null;
}

const CSV_COLUMNS: (keyof AnnRow)[] = [
  'algorithm', 'parameters', 'dataset', 'count', 'k-nn', 'epsilon', 'largeepsilon', 'rel', 'qps', 'p50', 'p95', 'p99', 'p999', 'build', 'indexsize', 'queriessize',
  'bitsPerVector', 'nnRecall', 'recall', 'recallLo', 'recallHi',
];

function csvValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function annRows(rescored: Rescored): Map<string, AnnRow[]> {
  const out = new Map<string, AnnRow[]>();
  for (const row of rescored.view.index) {
    const { rec, dataset } = row;
    if (rec.status !== 'ok') continue;
    const m = rescored.index.get(row)?.metrics ?? {};
    const search = Object.entries(rec.params?.search ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(',');
    const k = Math.min(10, rec.k);
    const recall = rec.recall?.[String(k)] ?? null;
    const ci = rec.recallCI?.[`recall@${k}`] ?? null;
    const indexsize = m.indexsize ?? rec.indexBytes / 1024;
    const get = (id: string) => (typeof m[id] === 'number' ? m[id] : null);
    const annRow: AnnRow = {
      algorithm: rec.index, parameters: search ? `${rec.label}[${search}]` : rec.label, dataset, count: k,
      'k-nn': get('k-nn') ?? recall, epsilon: get('epsilon'), largeepsilon: get('largeepsilon'), rel: get('rel'),
      qps: rec.qps, p50: rec.latencyMs?.p50 ?? null, p95: rec.latencyMs?.p95 ?? null, p99: rec.latencyMs?.p99 ?? null, p999: get('p999'),
      build: rec.buildSeconds, indexsize, queriessize: rec.qps ? indexsize / rec.qps : null,
      bitsPerVector: rec.bitsPerVector, nnRecall: rec.nnRecall?.[String(k)] ?? null, recall, recallLo: ci?.lo ?? null, recallHi: ci?.hi ?? null,
    };
    out.set(dataset, [...(out.get(dataset) ?? []), annRow]);
  }
  return out;
}

export function annExports(rescored: Rescored): ExportBlob[] {
  const view = rescored.view;
  const out: ExportBlob[] = [];
  for (const [dataset, rows] of annRows(rescored)) {
    const defs = [...new Set(view.index.filter((r) => r.dataset === dataset).map((r) => r.rec.recallDefinition))];
    const json = {
      format: 'ann-benchmarks data_export summary, as JSON (one row per algorithm and parameters)',
      dataset,
      queries: view.index.find((r) => r.dataset === dataset)?.rec.queries ?? null,
      units: {
        'k-nn': "ann-benchmarks' k-nn recall at count (a returned distance within the count-th true distance + 1e-3), fraction; the set recall@count where the run kept no raw files",
        epsilon: 'ann-benchmarks epsilon recall (1.01 × the count-th true distance), fraction', largeepsilon: 'as epsilon with 1.1 ×', rel: "ann-benchmarks' relative error", p999: 'ms',
        recall: 'set recall@count (vqbench), fraction', recallLo: '95% bootstrap interval over queries, lower end', recallHi: 'upper end', qps: 'queries per second, one thread, one query at a time', p50: 'ms', p95: 'ms', p99: 'ms', build: 's', indexsize: "kB, the index's own bytes / 1024", queriessize: 'indexsize / qps', bitsPerVector: 'every stored bit per vector (vqbench)', nnRecall: 'fraction of queries whose exact nearest neighbour is in the top count (vqbench)' },
      recallDefinition: defs,
      results: rows,
    };
    const name = slug(dataset);
    out.push({ path: `ann-benchmarks/${name}.json`, what: `ann-benchmarks-style summary of ${rows.length} configurations on ${dataset} (JSON)`, data: JSON.stringify(json, null, 2) + '\n' });
    const csv = [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => csvValue(r[c])).join(','))].join('\n') + '\n';
    out.push({ path: `ann-benchmarks/${name}.csv`, what: `the same as CSV (ann-benchmarks data_export.py columns, plus bitsPerVector, nnRecall and the set recall with its interval)`, data: csv });
  }
  return out;
}

export function allExports(rescored: Rescored): ExportBlob[] {
  return [...mtebExports(rescored), ...annExports(rescored)];
}

export function exportList(blobs: ExportBlob[]): ExportFile[] {
  return blobs.map((b) => ({ path: b.path, what: b.what }));
}
