/**
 * The plan of a run: which run folder (the run id, the scale, --resume), the task's cells at that
 * scale, those --only selects, which of them are done already (a result file that says ok for the
 * same configuration), and the expected seconds of each; printed before anything runs.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ConfigError } from '../core/errors.js';
import { estimateCell, formatDuration, type Estimate } from './estimate.js';
import type { Scale } from './grid-values.js';
import type { CellPlan } from './kinds/types.js';
import { RESULT_SCHEMA, type CellResult } from './result.js';
import { readJson, readRunFile, RUN_SCHEMA, type RunFile } from './run-file.js';
import { expandTask, loadTask, matchesFilters, taskSeed, type Task } from './task.js';

export interface PlanOptions {
  /** Task file path, or the name of a shipped task. */
  task: string;
  scale?: Scale;
  /** Cell filters (all must match): an id substring, or key=value on the cell's configuration. */
  only?: string[];
  /** The run must exist already; its scale is used unless one is given. */
  resume?: boolean;
  /** Run id (folder under the results folder); default `<task>-<scale>`. */
  run?: string;
  /** Seconds per cell; overrides the task scale's timeout. */
  timeout?: number;
  /** Default `results` (relative to the working directory). */
  resultsDir?: string;
}

export interface RunPlan {
  task: Task;
  seed: number;
  scale: Scale;
  run: string;
  resultsRoot: string;
  runDir: string;
  /** run.json of the folder before this invocation, if any. */
  existingRun: RunFile | null;
  /** Every cell of the task at this scale, and those the filters select. */
  cells: CellPlan[];
  selected: CellPlan[];
  filters: string[];
  /** Selected cell id → its ok result of an earlier invocation (null: to run). */
  done: Map<string, CellResult | null>;
  estimates: Map<string, Estimate>;
  toRun: CellPlan[];
  /** Seconds a cell may run (--timeout, else the scale's), null: no limit. */
  timeoutOf(c: CellPlan): number | null;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The result file of a cell if it holds status ok for exactly this configuration. */
export function completedResult(runDir: string, cell: CellPlan): CellResult | null {
  const r = readJson<CellResult>(join(runDir, `${cell.id}.json`));
  return r && r.schema === RESULT_SCHEMA && r.status === 'ok' && isDeepStrictEqual(r.config, cell.config) ? r : null;
}

function findRunToResume(resultsRoot: string, task: Task): RunFile | null {
  if (!existsSync(resultsRoot)) return null;
  const runs = readdirSync(resultsRoot)
    .map((d) => readRunFile(join(resultsRoot, d)))
    .filter((r): r is RunFile => r !== null && r.schema === RUN_SCHEMA && r.task === task.name)
    .sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
  return runs[0] ?? null;
}

/** Resolves the run and its cells; user errors are ConfigErrors. */
export function planRun(opts: PlanOptions): RunPlan {
  const task = loadTask(opts.task);
  const seed = taskSeed(task);
  const resultsRoot = resolve(opts.resultsDir ?? 'results');
  if (opts.timeout !== undefined && !(opts.timeout > 0)) throw new ConfigError(`--timeout must be a positive number of seconds, got ${opts.timeout}.`);
  if (opts.run !== undefined && !RUN_ID.test(opts.run)) throw new ConfigError(`--run ${opts.run} is not a filename-safe id (letters, digits, '.', '_', '-').`);

  let scale: Scale = opts.scale ?? 'small';
  let run = opts.run;
  if (opts.resume) {
    const previous = run !== undefined ? readRunFile(join(resultsRoot, run)) : opts.scale ? readRunFile(join(resultsRoot, `${task.name}-${opts.scale}`)) : findRunToResume(resultsRoot, task);
    if (!previous) throw new ConfigError(`--resume: there is no run ${run ?? (opts.scale ? `${task.name}-${opts.scale}` : `of task ${task.name}`)} under ${resultsRoot} to resume.`);
    if (previous.task !== task.name) throw new ConfigError(`--resume: run ${previous.run} is of task ${previous.task}, not ${task.name}.`);
    if (opts.scale && opts.scale !== previous.scale) throw new ConfigError(`--resume: run ${previous.run} is at scale ${previous.scale}, not ${opts.scale}.`);
    scale = previous.scale;
    run = previous.run;
  }
  run ??= `${task.name}-${scale}`;
  const runDir = join(resultsRoot, run);
  const existingRun = readRunFile(runDir);
  if (existingRun && existingRun.task !== task.name) throw new ConfigError(`--run ${run}: ${runDir} holds a run of task ${existingRun.task}, not ${task.name}; choose another --run.`);
  if (existingRun && existingRun.scale !== scale) throw new ConfigError(`--run ${run}: ${runDir} holds a run at scale ${existingRun.scale}, not ${scale}; choose another --run.`);

  const cells = expandTask(task, scale);
  const filters = opts.only ?? [];
  const selected = cells.filter((c) => matchesFilters(c, filters));
  if (selected.length === 0) throw new ConfigError(`--only ${filters.join(' --only ')} matches none of the ${cells.length} cells of ${task.file} at scale ${scale}.`);
  const done = new Map(selected.map((c) => [c.id, existsSync(runDir) ? completedResult(runDir, c) : null]));
  const estimates = new Map<string, Estimate>(selected.map((c) => [c.id, estimateCell(c, scale, resultsRoot)]));
  return {
    task, seed, scale, run, resultsRoot, runDir, existingRun, cells, selected, filters, done, estimates,
    toRun: selected.filter((c) => !done.get(c.id)),
    timeoutOf: (c) => opts.timeout ?? c.timeout,
  };
}

function describeScale(task: Task, scale: Scale): string {
  const p = task.scale?.[scale] ?? {};
  const parts: string[] = [];
  if (p.base !== undefined) parts.push(`base ≤ ${p.base} rows (seeded sample)`);
  if (p.queries !== undefined) parts.push(`queries ≤ ${p.queries}`);
  if (p.trainSize !== undefined) parts.push(`trainSize ${p.trainSize}`);
  if (p.evalSize !== undefined) parts.push(`evalSize ${p.evalSize}`);
  if (p.timeout !== undefined) parts.push(`timeout ${p.timeout} s per cell`);
  return parts.length ? parts.join(', ') : 'the datasets whole, job defaults';
}

/** Prints the plan: the task, the scale, one line per selected cell (done, or its estimate), the total. */
export function printPlan(plan: RunPlan, print: (line: string) => void): void {
  const { task, selected } = plan;
  print(`task ${task.name}${task.paper && !task.paper.startsWith('-') ? ` (${task.paper})` : ''}: ${task.description}`);
  print(`scale ${plan.scale}: ${describeScale(task, plan.scale)}; seed ${plan.seed}; results in ${plan.runDir}`);
  const idWidth = Math.min(72, Math.max(...selected.map((c) => c.id.length)));
  const numWidth = String(selected.length).length;
  for (const [i, c] of selected.entries()) {
    const d = plan.done.get(c.id);
    const e = plan.estimates.get(c.id)!;
    const state = d ? `done (${formatDuration(d.timing.wallSeconds)})` : `≈ ${formatDuration(e.seconds)} (${e.source})`;
    print(`  ${String(i + 1).padStart(numWidth)}  ${c.id.padEnd(idWidth)}  ${c.kind.padEnd(8)}  ${state}`);
  }
  const totalEstimate = plan.toRun.reduce((t, c) => t + plan.estimates.get(c.id)!.seconds, 0);
  print(`${selected.length} of ${plan.cells.length} cells selected: ${selected.length - plan.toRun.length} done, ${plan.toRun.length} to run, expected ≈ ${formatDuration(totalEstimate)}` +
    ' (estimates: the same cell in an earlier run, else a similar run scaled by the cost model, else the model).');
}
