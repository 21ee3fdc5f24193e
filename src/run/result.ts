/**
 * One result file per cell of a run: `results/<run>/<cell>.json`, written atomically by the task
 * runner and read by the report. Everything a reader needs to trust the numbers sits beside them.
 */
import type { RunEnvironment } from './env.js';
import type { CellKind } from './kinds/registry.js';

export const RESULT_SCHEMA = 'vqbench.cell/1';

/**
 * What a cell runs (src/run/kinds/registry.ts); `metrics` holds that job's own output:
 *   quantize  QuantizeResult (src/run/quantize.ts)
 *   index     IndexRecord[] (src/run/index-job.ts), one per swept search configuration
 *   insert    InsertResult (src/run/index-job.ts)
 *   mteb      MtebRunResult (src/run/mteb.ts)
 *   rd-bound  RateDistortionBound (src/eval/rate-distortion.ts)
 */
export type { CellKind } from './kinds/registry.js';

export type CellStatus = 'ok' | 'failed' | 'timeout' | 'not-run';

export interface CellResult<M = unknown> {
  schema: typeof RESULT_SCHEMA;
  /** Run id = folder name under results/. */
  run: string;
  /** Task name (tasks/<task>.json). */
  task: string;
  /** Stable, filename-safe id of the cell within the run; the file is `<cell>.json`. */
  cell: string;
  kind: CellKind;
  /** The cell's full configuration after grid expansion (dataset, method/index, params, scale...). */
  config: Record<string, unknown>;
  scale: 'small' | 'full';
  seed: number;
  status: CellStatus;
  /** One sentence when status is not 'ok' (the failure, the timeout, or why it cannot run here). */
  error: string | null;
  dataset: { name: string; checksum: string | null } | null;
  env: RunEnvironment & { blas?: string | null };
  timing: { startedAt: string; wallSeconds: number; cpuSeconds: number; peakRssBytes: number };
  /** Metric name → definition, for every metric in `metrics`. */
  definitions: Record<string, string>;
  metrics: M | null;
}
