/** The report's sections, in order, each with its tables and charts; shared by markdown.ts and html.ts. */
import type { ChartImage } from './charts.js';
import type { Table } from './tables.js';

export interface Section {
  id: string;
  title: string;
  intro: string | null;
  tables: Table[];
  charts: ChartImage[];
}

export interface ExportFile {
  /** Path relative to the report folder. */
  path: string;
  what: string;
}

/** One sentence of the report's summary, generated from the numbers (src/report/summary.ts). */
export interface SummarySentence {
  /** The section it summarizes (a Section id). */
  section: string;
  text: string;
  /** The paper's claim on the same question, when it made one. */
  paper?: string;
}

export interface ReportContent {
  title: string;
  generatedAt: string;
  /** Shown at the top of the page and of report.md; empty when nothing can be concluded. */
  summary: SummarySentence[];
  sections: Section[];
  exports: ExportFile[];
  exportNotes: string[];
}

const chartsOf = (charts: ChartImage[], ...prefixes: string[]) => charts.filter((c) => prefixes.some((p) => c.id.startsWith(p)));
const tablesOf = (tables: Table[], ...prefixes: string[]) => tables.filter((t) => prefixes.some((p) => t.id === p || t.id.startsWith(`${p}-`)));

export function layout(run: string, tables: Table[], charts: ChartImage[], exports: ExportFile[], exportNotes: string[], summary: SummarySentence[] = []): ReportContent {
  const sections: Section[] = [
    { id: 'run', title: 'Run, environment and cell status', intro: null, tables: tablesOf(tables, 'run', 'environment', 'status'), charts: [] },
    {
      id: 'quantizers', title: 'Quantizers', intro: 'Loss at equal bits first: a quantizer that stores more bits per vector is expected to reach a lower loss.',
      tables: tablesOf(tables, 'quantize', 'rd-bound'), charts: chartsOf(charts, 'rate-distortion-', 'loss-vs-books-', 'loss-vs-size-'),
    },
    {
      id: 'stages', title: 'Per-stage diagnostics', intro: 'What each codebook adds, stage by stage, on the held-out rows: where the loss stops falling, how many codewords are used, and how WRVQ\'s weights are spread.',
      tables: tablesOf(tables, 'stages'), charts: chartsOf(charts, 'loss-after-stage-'),
    },
    { id: 'indexes', title: 'Indexes', intro: null, tables: tablesOf(tables, 'index'), charts: chartsOf(charts, 'recall-qps-', 'build-time-', 'memory-') },
    { id: 'insert', title: 'Incremental insert', intro: null, tables: tablesOf(tables, 'insert'), charts: chartsOf(charts, 'insert-') },
    { id: 'stream', title: 'Streaming runbooks', intro: null, tables: tablesOf(tables, 'stream'), charts: chartsOf(charts, 'stream-') },
    { id: 'mteb', title: 'MTEB: original vs quantized embeddings', intro: null, tables: tablesOf(tables, 'mteb'), charts: chartsOf(charts, 'mteb-') },
    { id: 'paper', title: "The paper's figures", intro: null, tables: tablesOf(tables, 'paper-figures'), charts: [] },
  ].filter((s) => s.tables.length > 0 || s.charts.length > 0);
  return { title: `vqbench report: ${run}`, generatedAt: new Date().toISOString(), summary, sections, exports, exportNotes };
}
