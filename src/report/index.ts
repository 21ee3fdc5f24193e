/**
 * `vqbench report`: a run folder `results/<run>/` → `reports/<run>/` (see defaultReportDir; locked
 * while it is written, `.lock`). Every number is recomputed from the run's raw files where it kept
 * them (src/report/rescore.ts), with its interval; the summary is generated from them (summary.ts).
 * The folder holds
 *
 *   index.html            one self-contained page (charts inlined, inline CSS, nothing fetched)
 *   report.md             the same tables in markdown, charts linked
 *   charts/<id>.png       every chart whose data exist in the run
 *   mteb/<model>[-<quantizer>]/<task>.json     MTEB-format per-task results
 *   ann-benchmarks/<dataset>.json, .csv        ann-benchmarks-style summaries
 *
 * Every file is written atomically (a failed report leaves an earlier one as it was). PNGs in
 * `charts/` that this report did not write (left by an earlier report of the same run) are removed.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { renderCharts, type ChartImage } from './charts.js';
import { allExports, EXPORT_NOTES, exportList } from './exports.js';
import { renderHtml } from './html.js';
import { layout } from './layout.js';
import { loadRun, type LoadedRun } from './load.js';
import { acquireLock } from '../run/lock.js';
import { renderMarkdown } from './markdown.js';
import { buildView } from './model.js';
import { rescore } from './rescore.js';
import { summarize } from './summary.js';
import { allTables } from './tables.js';

export { loadRun, type LoadedRun, type RunMeta } from './load.js';
export { renderCharts, type ChartImage } from './charts.js';

export interface ReportFiles {
  /** Path of index.html. */
  html: string;
  /** Path of report.md. */
  markdown: string;
  /** Paths of the chart PNGs. */
  charts: string[];
  /** Paths of the exported MTEB and ann-benchmarks files. */
  exports: string[];
}

/**
 * The report folder of a run folder, derived from its results folder so that two results folders
 * never share one: `<dir>/results/<run>` → `<dir>/reports/<run>`; any other results folder
 * `<dir>/<name>/<run>` → `<dir>/<name>-reports/<run>` (e.g. `other-results/x` → `other-results-reports/x`).
 */
export function defaultReportDir(runDir: string): string {
  const abs = resolve(runDir);
  const root = dirname(abs);
  const reports = basename(root) === 'results' ? 'reports' : `${basename(root)}-reports`;
  return join(dirname(root), reports, basename(abs));
}

export async function writeReport(runDir: string, outDir?: string): Promise<ReportFiles> {
  const run = loadRun(runDir);
  const out = resolve(outDir ?? defaultReportDir(runDir));
  const release = acquireLock(out, `the report ${out}`); // one writer per report folder
  try {
    return await writeReportFiles(run, out);
  } finally {
    release();
  }
}

async function writeReportFiles(run: LoadedRun, out: string): Promise<ReportFiles> {
  // the numbers come from the raw files where the run kept them; the cell JSONs are a cache
  const rescored = await rescore(buildView(run));
  const view = rescored.view;
  const charts: ChartImage[] = await renderCharts(view);
  const tables = allTables(rescored);
  const blobs = allExports(rescored);
  const content = layout(run.name, tables, charts, exportList(blobs), EXPORT_NOTES, summarize(view, rescored));

  const chartPaths: string[] = [];
  for (const c of charts) {
    const p = join(out, 'charts', `${c.id}.png`);
    writeFileAtomic(p, c.png);
    chartPaths.push(p);
  }
  const chartsDir = join(out, 'charts');
  if (existsSync(chartsDir)) {
    const keep = new Set(charts.map((c) => `${c.id}.png`));
    for (const f of readdirSync(chartsDir)) if (f.endsWith('.png') && !keep.has(f)) rmSync(join(chartsDir, f), { force: true });
  }
  const exportPaths = blobs.map((b) => {
    const p = join(out, b.path);
    writeFileAtomic(p, b.data);
    return p;
  });
  const markdown = join(out, 'report.md');
  writeFileAtomic(markdown, renderMarkdown(content));
  const html = join(out, 'index.html');
  writeFileAtomic(html, renderHtml(content, new Map(charts.map((c) => [c.id, c.png]))));
  return { html, markdown, charts: chartPaths, exports: exportPaths };
}
