/**
 * What one cell does: run its kind's job (src/run/kinds/) on the cell's configuration and classify
 * the outcome. Runs inside the cell's child process (src/run/cell.ts); plain data in and out.
 * A metric that comes out NaN or ±Infinity fails the cell: JSON would write it as null ("not
 * measured"), and a number that is not one is never a result.
 */
import { UnavailableError, VqbenchError } from '../core/errors.js';
import type { ProgressFn } from '../core/progress.js';
import { oneSentence } from './kinds/common.js';
import { cellKind } from './kinds/registry.js';
import type { CellPlan, ExecuteContext } from './kinds/types.js';
import type { CellStatus } from './result.js';
import { formatPath } from './schema.js';

export { oneSentence } from './kinds/common.js';

export interface CellOutcome {
  status: Exclude<CellStatus, 'timeout'>;
  error: string | null;
  metrics: unknown;
  /** Checksum of the data the job loaded, when its output names it. */
  datasetChecksum: string | null;
  definitions: Record<string, string>;
}

/** The definitions of a kind's metrics (every result file carries them). */
export function definitionsOf(kind: string): Record<string, string> {
  return { ...cellKind(kind).definitions };
}

/** The path of the first number in `metrics` that is NaN or ±Infinity (`loss`, `[2].qps`, `points[0].distortion`), or null. */
export function nonFiniteMetric(metrics: unknown, path: (string | number)[] = [], seen = new Set<object>()): { path: string; value: number } | null {
  if (typeof metrics === 'number') return Number.isFinite(metrics) ? null : { path: formatPath(path, 'metrics'), value: metrics };
  if (typeof metrics !== 'object' || metrics === null || seen.has(metrics)) return null;
  seen.add(metrics);
  if (ArrayBuffer.isView(metrics)) {
    const a = metrics as unknown as ArrayLike<number | bigint>;
    for (let i = 0; i < a.length; i++) if (typeof a[i] === 'number' && !Number.isFinite(a[i])) return { path: formatPath([...path, i], 'metrics'), value: a[i] as number };
    return null;
  }
  const entries: [string | number, unknown][] = Array.isArray(metrics) ? metrics.map((v, i) => [i, v]) : Object.entries(metrics);
  for (const [k, v] of entries) {
    const found = nonFiniteMetric(v, [...path, k], seen);
    if (found) return found;
  }
  return null;
}

/** Runs the cell's job. Errors a user can cause come back as a failed (or not-run) outcome; bugs throw. */
export async function executeCell(cell: CellPlan, data: string | null, onProgress?: ProgressFn, raw?: ExecuteContext['raw']): Promise<CellOutcome> {
  const kind = cellKind(cell.kind);
  const definitions = definitionsOf(cell.kind);
  try {
    const out = await kind.execute(cell.config, { data, datasetName: cell.dataset?.name ?? null, onProgress, ...(raw && { raw }) });
    const defs = out.definitions ? { ...definitions, ...out.definitions } : definitions;
    if (out.failure !== undefined) return { status: 'failed', error: oneSentence(out.failure), metrics: out.metrics, datasetChecksum: out.datasetChecksum, definitions: defs };
    const bad = nonFiniteMetric(out.metrics);
    if (bad) return { status: 'failed', error: `metric ${bad.path} is ${bad.value}.`, metrics: out.metrics, datasetChecksum: out.datasetChecksum, definitions: defs };
    return { status: 'ok', error: null, metrics: out.metrics, datasetChecksum: out.datasetChecksum, definitions: defs };
  } catch (e) {
    if (e instanceof UnavailableError) return { status: 'not-run', error: oneSentence(e.message), metrics: null, datasetChecksum: null, definitions };
    if (e instanceof VqbenchError) return { status: 'failed', error: oneSentence(e.message), metrics: null, datasetChecksum: null, definitions };
    throw e;
  }
}
