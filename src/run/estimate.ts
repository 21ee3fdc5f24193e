/**
 * Expected seconds per cell, for the plan printed before a run and the ETA while it runs.
 *
 * In order of trust: (1) the wall time of the same cell (same id and configuration) in an earlier
 * run under the results folder; (2) a cell of the same id with another configuration (the other
 * scale, another task's sweep), times the ratio of the cost model at the two configurations; (3) the
 * cost model alone: floating-point work of the job's known
 * loops (k-means, encoding, scans, graph inserts) over rates measured on this project's reference
 * machine (src/core/cost.ts), per cell kind (src/run/kinds/). It is an estimate, printed with its
 * source, never a result.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { DataShape } from '../core/cost.js';
import { datasetShape } from '../data/registry.js';
import type { Scale } from './grid-values.js';
import { cellKind } from './kinds/registry.js';
import type { CellConfig, CellPlan, Subset } from './kinds/types.js';

export interface Estimate {
  seconds: number;
  source: 'earlier run' | 'similar run' | 'model';
}

/** The guess for a dataset whose shape cannot be read from its header (HDF5, TEXMEX folders). */
const UNKNOWN_SHAPE: DataShape = { base: 100_000, queries: 1_000, dim: 128 };

function cellShape(cell: CellPlan): DataShape {
  const s = cell.dataset ? datasetShape(cell.dataset.spec) ?? UNKNOWN_SHAPE : { base: 0, queries: 0, dim: 0 };
  const sub = cell.dataset?.subset;
  return { base: Math.min(s.base, sub?.base ?? Infinity), queries: Math.min(s.queries, sub?.queries ?? Infinity), dim: s.dim };
}

/** The cost model: seconds for a cell, from its configuration and the dataset's size (the cell's kind knows its loops). */
export function modelSeconds(cell: CellPlan): number {
  return cellKind(cell.kind).estimate(cell.config, cellShape(cell));
}

interface Prior { seconds: number; config: CellConfig; scale: Scale; at: string }

/** Wall times of earlier ok results of a cell id, in every run folder under `resultsRoot`. */
function priors(resultsRoot: string, id: string): Prior[] {
  if (!existsSync(resultsRoot)) return [];
  const out: Prior[] = [];
  for (const run of readdirSync(resultsRoot)) {
    const p = join(resultsRoot, run, `${id}.json`);
    if (!existsSync(p)) continue;
    try {
      const r = JSON.parse(readFileSync(p, 'utf8')) as { status: string; scale: Scale; config: CellConfig; timing: { wallSeconds: number; startedAt: string } };
      if (r.status === 'ok' && r.timing?.wallSeconds > 0) out.push({ seconds: r.timing.wallSeconds, config: r.config, scale: r.scale, at: r.timing.startedAt });
    } catch {
      // not a result file
    }
  }
  return out.sort((a, b) => (a.at < b.at ? 1 : -1));
}

/** The model's seconds for an earlier result's configuration of the cell (null when that file's configuration is not one the kind reads). */
function earlierModelSeconds(cell: CellPlan, config: CellConfig): number | null {
  try {
    const seconds = modelSeconds({ ...cell, config, dataset: cell.dataset && { ...cell.dataset, subset: (config.subset as Subset | null | undefined) ?? null } });
    return Number.isFinite(seconds) ? seconds : null;
  } catch {
    return null;
  }
}

export function estimateCell(cell: CellPlan, scale: Scale, resultsRoot: string): Estimate {
  const model = modelSeconds(cell);
  const found = priors(resultsRoot, cell.id);
  const same = found.find((p) => isDeepStrictEqual(p.config, cell.config));
  if (same) return { seconds: same.seconds, source: 'earlier run' };
  // the same cell id with another configuration: another scale, or another task's sweep
  const other = found.find((p) => p.scale === scale) ?? found[0];
  if (other) {
    const then = earlierModelSeconds(cell, other.config);
    if (then !== null && then > 0) return { seconds: Math.max(1, other.seconds * (model / then)), source: 'similar run' };
  }
  return { seconds: model, source: 'model' };
}

/** "1:05", "2h03m". */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  if (s < 59.5) return `${s < 9.95 ? s.toFixed(1) : Math.round(s)} s`;
  const t = Math.round(s), m = Math.floor(t / 60), sec = t % 60;
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}:${String(sec).padStart(2, '0')}`;
}
