/**
 * The WRVQ paper's own numbers (paper-figures.json, transcribed from the paper) and the rules that
 * set one beside a row of ours: the same method, and where the paper fixes one, the same setting
 * (4 × 256 codebooks for the quantized indexes; 64-entry codebooks for Table 5). A row of ours whose
 * setting differs still gets the paper's row for its method, marked "setting differs".
 */
import paperJson from './paper-figures.json' with { type: 'json' };
import { InputError } from '../core/errors.js';
import { resolveParams } from '../core/params.js';
import type { PaperMatch } from '../index/descriptor.js';
import { INDEXES } from '../index/registry.js';
import type { IndexRecord } from '../run/index-job.js';
import type { QuantizeResult } from '../run/quantize.js';

export interface PaperRow {
  dataset: string;
  method: string;
  match?: string;
  values: Record<string, number | null>;
  note?: string;
}

export interface PaperFigure {
  ref: string;
  printedAs?: string;
  measures: string;
  kind: 'index' | 'quantize' | 'mteb' | 'insert';
  metric?: string;
  definition?: string;
  setting?: string;
  bitsNote?: string;
  note?: string;
  values?: null;
  rows?: PaperRow[];
  textStatements?: string[];
  taskMetrics?: Record<string, { metric: string; tasks: string[] }>;
}

export interface PaperFigures {
  paper: string;
  transcribedFrom: string;
  datasets: Record<string, string>;
  hardware: string;
  /** Bits per vector of the paper's index rows (Tables 2–4), derived from their stated setting. */
  indexBits: Record<string, string>;
  figures: PaperFigure[];
}

export const PAPER = paperJson as unknown as PaperFigures;

export function paperFigure(ref: string): PaperFigure {
  const f = PAPER.figures.find((x) => x.ref === ref);
  if (!f) throw new Error(`paper-figures.json has no ${ref}`);
  return f;
}

/** The paper's datasets, one sentence, for the "not the same data" notes. */
export function paperDataNote(): string {
  return `Paper: ${Object.entries(PAPER.datasets).map(([k, v]) => `${k} = ${v}`).join('; ')}.`;
}

/** Honest bits per vector of the paper's index rows, derived from their stated setting (1024-d bge vectors); paper-figures.json `indexBits`. */
export const PAPER_INDEX_BITS: Readonly<Record<string, string>> = Object.freeze({ ...PAPER.indexBits });

/** The paper's row (Tables 2–4) one of our index configurations corresponds to. */
export type IndexMatch = PaperMatch;

/**
 * The paper's index row that matches one of ours, or null: the index's own `paperMatch` (declared in
 * its descriptor) on its resolved build parameters. An unknown id or build parameters that do not
 * resolve (an old result file) match nothing.
 */
export function matchIndex(index: string, build: Record<string, unknown>): IndexMatch | null {
  if (!Object.hasOwn(INDEXES, index)) return null;
  const d = INDEXES[index];
  if (!d.paperMatch) return null;
  let resolved;
  try {
    resolved = resolveParams(d.buildParams, build, `${index} build parameter`);
  } catch (e) {
    if (e instanceof InputError) return null;
    throw e;
  }
  return d.paperMatch(resolved);
}

export function matchIndexRecord(rec: IndexRecord): IndexMatch | null {
  return matchIndex(rec.index, rec.params?.build ?? {});
}

/** The paper's rows of Tables 2, 3 and 4 for a method, merged per dataset. */
export function paperIndexRows(method: string): { dataset: string; values: Record<string, number | null>; notes: string[] }[] {
  const byDataset = new Map<string, { dataset: string; values: Record<string, number | null>; notes: string[] }>();
  for (const ref of ['Table 2', 'Table 3', 'Table 4']) {
    for (const r of paperFigure(ref).rows ?? []) {
      if (r.method !== method) continue;
      const e = byDataset.get(r.dataset) ?? { dataset: r.dataset, values: {}, notes: [] };
      Object.assign(e.values, r.values);
      if (r.note && !e.notes.includes(r.note)) e.notes.push(r.note);
      byDataset.set(r.dataset, e);
    }
  }
  return [...byDataset.values()];
}

export interface QuantMatch {
  method: string;
  books: number;
  sameSetting: boolean;
  rows: { dataset: string; loss: number | null }[];
}

/** Table 5 (64-entry codebooks, 2–4 books) beside a quantizer row of ours. */
export function matchQuantize(r: Pick<QuantizeResult, 'method' | 'books' | 'size' | 'trainer'>): QuantMatch | null {
  if (r.size !== 64 || ![2, 3, 4].includes(r.books)) return null;
  const rows = (paperFigure('Table 5').rows ?? []).filter((x) => x.match === r.method);
  if (rows.length === 0) return null;
  return {
    method: rows[0].method, books: r.books, sameSetting: r.trainer === 'adam',
    rows: rows.map((x) => ({ dataset: x.dataset, loss: x.values[String(r.books)] ?? null })),
  };
}

/** Honest bits of a Table 5 row, derived from its setting (64 = 6-bit codes; WRVQ adds a 16-bit weight per code). */
export function paperQuantBits(method: string, books: number): string {
  return method === 'wrvq' ? `${books * 22} (derived: ${books} × (6 + 16))` : `${books * 6} (derived: ${books} × 6)`;
}

/** The metric the paper reports for an MTEB task type (Table 1), or null. */
export function paperMtebMetric(type: string | null): string | null {
  if (!type) return null;
  return paperFigure('Table 1').taskMetrics?.[type]?.metric ?? null;
}
