/**
 * The contract of a cell kind (src/run/kinds/<kind>.ts, listed in src/run/kinds/registry.ts): what a
 * task file's grid section of that kind looks like, how it is checked and expanded into cells, what
 * a cell costs, how it runs and what its metrics mean. The task loader, the estimator and the cell
 * process (task.ts, estimate.ts, cell-job.ts) only loop over the kinds.
 */
import type { DataShape } from '../../core/cost.js';
import type { ProgressFn } from '../../core/progress.js';
import type { Scale, ScalePreset } from '../grid-values.js';
import type { JsonSchema } from '../schema.js';
import type { CellKind } from './registry.js';

/** Rows a scale keeps of a dataset: a seeded sample of the base, the first N queries. */
export interface Subset {
  base?: number;
  queries?: number;
}

/** What every cell configuration holds; each kind extends it with its own typed fields. */
export interface CellConfig {
  kind: string;
  seed: number;
  scale: Scale;
  [field: string]: unknown;
}

/** The configuration of a cell that runs on one of the task's datasets. */
export interface DatasetCellConfig extends CellConfig {
  /** The dataset as the task names it. */
  dataset: string;
  subset: Subset | null;
}

/** One unit of work: one child process, one result file. */
export interface CellPlan<C extends CellConfig = CellConfig> {
  /** Stable, filename-safe id, unique within the task: the result is `<id>.json`. */
  id: string;
  kind: CellKind;
  /** The dataset the cell runs on (null for kinds without one), and the subset the scale asks for. */
  dataset: { name: string; spec: string; subset: Subset | null } | null;
  /** The full configuration after expansion; recorded in the result file; a re-run re-uses a result only if it is equal. */
  config: C;
  /** Seconds before the cell is killed (null: no limit). */
  timeout: number | null;
}

/** A field of the task file, as path segments (`['grid', 'indexes', 2, 'search', 'nprobe']`). */
export type FieldPath = (string | number)[];
/** Ends the check with a ConfigError naming the task file and the field: `<file>: <path> <what>`. */
export type Fail = (path: FieldPath, what: string) => never;

export interface ExpandContext {
  scale: Scale;
  seed: number;
  /** The scale's preset (trainSize, evalSize ... that fill the cells' defaults). */
  preset: ScalePreset;
  /** The dataset expanded now (kinds with `perDataset`), else null. */
  dataset: { name: string; slug: string; subset: Subset | null } | null;
  /** The cells of the same dataset expanded before this kind's (rd-bound reads the quantize cells' bits). */
  earlier: readonly CellPlan[];
  /** The task file's top-level repeat counts (`runs`, `buildRuns`), the defaults of timed cells. */
  runs?: number;
  buildRuns?: number;
}

/** A cell a kind's expansion yields; the loader adds the id (pieces joined by '.'), the dataset and the timeout. */
export interface CellDraft<C extends CellConfig> {
  /** Where in the task file it comes from (named when two entries give the same id). */
  at: FieldPath;
  /** The id's pieces, starting with the kind: `['index', 'glove-100', 'ivfpq', 'nlist-1024']`. */
  pieces: string[];
  config: C;
}

export interface ExecuteContext {
  /** What the job loads: the dataset spec or its subset folder; null for kinds without a dataset. */
  data: string | null;
  /** The dataset as the task names it (results show it instead of a subset folder). */
  datasetName: string | null;
  onProgress?: ProgressFn;
  /** A folder for the cell's raw per-query files (`results/<run>/raw/<cell>`) and its path relative to the result file; absent: write none. */
  raw?: { dir: string; relative: string };
}

/** What a kind's job returns; errors a user can cause are thrown as VqbenchErrors (UnavailableError: not run). */
export interface KindOutput {
  metrics: unknown;
  /** Checksum of the data the job loaded, when its output names it. */
  datasetChecksum: string | null;
  /** Definitions the job reported besides the kind's own. */
  definitions?: Record<string, string>;
  /** One sentence when the job ran but its result counts as failed (e.g. every sweep configuration failed). */
  failure?: string;
}

export interface CellKindDef<K extends string = string, G extends string = string, S = unknown, C extends CellConfig = CellConfig> {
  /** The id written in results (`kind`) and cell ids. */
  readonly kind: K;
  /** The task file's grid key of this kind's section (`quantizers`, `indexes`, ...). */
  readonly gridKey: G;
  /** One line for the task format's documentation and messages. */
  readonly describe: string;
  /** Expanded once per dataset of the task (else once, with no dataset). */
  readonly perDataset: boolean;
  /** JSON schema of the grid section; may $ref the task schema's $defs (tasks/task.schema.json). */
  readonly schema: JsonSchema;
  /** Metric name → definition, written into every result of the kind. */
  readonly definitions: Readonly<Record<string, string>>;
  /** Checks the (schema-valid) section against the registries; `fail` on the first problem. */
  check(section: S, at: FieldPath, fail: Fail): void;
  /** The section's cells at one scale, in file order. */
  expand(section: S, ctx: ExpandContext): CellDraft<C>[];
  /** Expected seconds of a cell (process start included), from its configuration and its data's shape. */
  estimate(config: C, shape: DataShape): number;
  /** Runs the cell's job inside the cell process. */
  execute(config: C, ctx: ExecuteContext): Promise<KindOutput>;
  /** What is wrong with an ok result's metrics for the report to read them (a result file from elsewhere), or null. */
  resultProblem(metrics: unknown): string | null;
  /** Parts of an ok result that failed (an index cell's sweep configurations); 0 when absent. */
  failedParts?(metrics: unknown): number;
  /** Does the cell run faiss (its result then records the BLAS faiss links)? False when absent. */
  usesFaiss?(config: C): boolean;
}
