/**
 * The task runner behind `vqbench run`: a task file → its cells at one scale → one child process
 * per cell → `results/<run>/<cell>.json` (CellResult, src/run/result.ts) and `results/<run>/run.json`.
 * This module only orchestrates; each step is its own module:
 *
 * - plan.ts: the run folder, the cells selected, those done already, the estimates; the printed plan.
 * - lock.ts: one runner per run folder (`.lock`: pid, process start time, host).
 * - run-file.ts: run.json, "running" while this runner runs, then "finished" or "interrupted".
 * - execute.ts: one cell in its own process (a crash, an out-of-memory kill or a timeout ends that
 *   cell only: it is recorded as failed / timeout with one sentence, and the others go on).
 * - progress.ts: the live line with the ETA.
 * - output.ts: every file is written atomically; the rename is the commit point, and a write the
 *   file system refuses (disk full, permissions, a file in the way) stops the run with one sentence
 *   naming the path, run.json marked interrupted, the lock released.
 *
 * Killing the run at any moment loses at most the cell in progress; a re-run (or --resume) skips
 * every cell whose file says ok with the same configuration, re-runs the rest, and removes the
 * temporary files a killed run left. Nothing is lost or written twice.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { displayPath } from '../core/paths.js';
import { oneSentence } from './cell-job.js';
import { cleanStaleSubsets } from './datasets.js';
import { captureEnvironment } from './env.js';
import { formatDuration } from './estimate.js';
import { blasName, executeCellProcess, killRunningCell, usesFaiss, type CellContext, type CellRun } from './execute.js';
import type { Scale } from './grid-values.js';
import { cellKind } from './kinds/registry.js';
import type { CellPlan } from './kinds/types.js';
import { acquireLock } from './lock.js';
import { writeOutput } from './output.js';
import { completedResult, planRun, printPlan, type PlanOptions, type RunPlan } from './plan.js';
import { RunProgress } from './progress.js';
import type { CellResult, CellStatus } from './result.js';
import { RunRecord, RUN_SCHEMA, type Invocation, type RunFile } from './run-file.js';

export { alive } from './lock.js';
export { completedResult } from './plan.js';
export { RUN_SCHEMA, type RunFile } from './run-file.js';

export interface RunOptions extends PlanOptions {
  /** Print the plan and stop. */
  dryRun?: boolean;
  /** Write the report at the end (default: the task's `report`, else true). */
  report?: boolean;
  /** Writes the report of a finished run (the CLI passes the report module's; src/run/ does not import src/report/, a higher layer). */
  writeReport?: (runDir: string) => Promise<{ path: string | null; note: string | null }>;
  /** Where the plan and one line per finished cell go (default stdout). */
  print?: (line: string) => void;
  /** Where the live progress bar is drawn (default stderr, only when it is a TTY or VQBENCH_PROGRESS=1). */
  progressStream?: NodeJS.WriteStream;
  /** Who runs the cells not done yet (default: here, one child process after another; src/run/queue/ spreads them over workers). */
  engine?: CellEngine;
}

/** A selected cell not done yet, with its position in the plan (for the `[i/N]` of its line). */
export interface PendingCell {
  index: number;
  cell: CellPlan;
}

/** What an engine is given: the plan, the cells' shared context, the live line, and where each finished cell goes. */
export interface EngineIO {
  plan: RunPlan;
  ctx: CellContext;
  progress: RunProgress;
  print: (line: string) => void;
  /** Cells ran or skipped so far in this invocation. */
  finished(): number;
  /** Writes a cell's result (atomically; its log when not ok), counts it and prints its line; a second report of the same cell is ignored. `where` names the machine. */
  record(p: PendingCell, run: CellRun, where?: string): void;
}

/**
 * Runs the pending cells of a run and reports each through `io.record` exactly once. `open` runs
 * before the run folder is locked (a refusal there leaves nothing written); `interrupt` when the
 * run stops on a signal or an error; `close` always at the end.
 */
export interface CellEngine {
  open?(plan: RunPlan): Promise<void>;
  run(pending: PendingCell[], io: EngineIO): Promise<void>;
  interrupt?(): void;
  close?(): Promise<void>;
}

/** The local engine: one cell process after another on this machine. */
export const localEngine: CellEngine = {
  async run(pending, io) {
    const { plan, ctx, progress } = io;
    for (const [j, p] of pending.entries()) {
      const remainingAfter = pending.slice(j + 1).reduce((t, q) => t + plan.estimates.get(q.cell.id)!.seconds, 0);
      progress.startCell(p.cell.id, plan.estimates.get(p.cell.id)!.seconds, remainingAfter);
      const finished = io.finished();
      progress.draw(finished, '', true);
      io.record(p, await executeCellProcess(p.cell, plan.timeoutOf(p.cell), ctx, (label, force) => progress.draw(finished, label, force)));
    }
  },
};

export interface CellSummary {
  id: string;
  kind: CellPlan['kind'];
  status: CellStatus | 'skipped';
  error: string | null;
  wallSeconds: number | null;
  /** Parts of the cell's result that failed while the cell is ok (an index cell's sweep configurations). */
  failedParts: number;
}

export interface RunSummary {
  run: string;
  runDir: string;
  task: string;
  scale: Scale;
  planned: number;
  selected: number;
  skipped: number;
  ran: number;
  counts: Record<CellStatus, number>;
  /** Sweep configurations that failed inside cells whose status is ok (the selected cells, run now or before). */
  failedConfigurations: number;
  cells: CellSummary[];
  wallSeconds: number;
  /** What writeReport returned (a path), or null with the reason in `reportNote`. */
  report: string | null;
  reportNote: string | null;
}

/** Temporary files of interrupted atomic writes (`.<file>.tmp-<pid>-<hex>`, src/core/atomic.ts; run.json's standby `run.json.tmp-<pid>-0`): never results, always safe to drop under the lock. */
function removeStaleTemporaries(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const f of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, f.name);
    if (f.isDirectory()) n += removeStaleTemporaries(p);
    else if (/\.tmp-\d+-[0-9a-f]+$/.test(f.name)) {
      rmSync(p, { force: true });
      n++;
    }
  }
  return n;
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

function zeroCounts(): Record<CellStatus, number> {
  return { ok: 0, failed: 0, timeout: 0, 'not-run': 0 };
}

/** Failed parts of an ok result (0 for other statuses: the cell itself counts then). */
function failedParts(r: CellResult): number {
  return r.status === 'ok' ? (cellKind(r.kind).failedParts?.(r.metrics) ?? 0) : 0;
}

/** run.json of a plan, with this invocation appended to the earlier ones. */
export function runFileOf(plan: RunPlan, invocation: Invocation): RunFile {
  const { task, existingRun } = plan;
  return {
    schema: RUN_SCHEMA, run: plan.run, task: task.name, taskFile: displayPath(task.path), paper: task.paper ?? null, description: task.description, scale: plan.scale, seed: plan.seed,
    cells: plan.cells.map((c) => c.id), createdAt: existingRun?.createdAt ?? invocation.startedAt, startedAt: invocation.startedAt, finishedAt: null, status: 'running',
    invocations: [...(existingRun?.invocations ?? []), invocation],
  };
}

/** "13 cells ran (13 ok, 0 failed, 0 timed out, 0 not run), 0 already done, 2 sweep configurations failed". */
export function summaryLine(s: RunSummary): string {
  const c = s.counts;
  const parts = s.failedConfigurations ? `, ${s.failedConfigurations} sweep configuration${s.failedConfigurations === 1 ? '' : 's'} failed` : '';
  return `run ${s.run}: ${s.ran} cells ran (${c.ok} ok, ${c.failed} failed, ${c.timeout} timed out, ${c['not-run']} not run), ${s.skipped} already done${parts}`;
}

/** Runs (or, with dryRun, plans) a task; returns what happened. User errors are ConfigErrors / InputErrors. */
export async function runTask(opts: RunOptions): Promise<RunSummary> {
  const t0 = performance.now();
  const print = opts.print ?? ((l: string) => process.stdout.write(l + '\n'));
  const plan = planRun(opts);
  printPlan(plan, print);
  const summary: RunSummary = {
    run: plan.run, runDir: plan.runDir, task: plan.task.name, scale: plan.scale, planned: plan.cells.length, selected: plan.selected.length,
    skipped: 0, ran: 0, counts: zeroCounts(), failedConfigurations: 0, cells: [], wallSeconds: 0, report: null, reportNote: null,
  };
  if (opts.dryRun) {
    summary.cells = plan.selected.map((c) => ({ id: c.id, kind: c.kind, status: plan.done.get(c.id) ? 'skipped' : 'not-run', error: null, wallSeconds: null, failedParts: 0 }));
    summary.skipped = plan.selected.length - plan.toRun.length;
  } else {
    const engine = opts.engine ?? localEngine;
    try {
      await engine.open?.(plan);
      await runCells(plan, summary, print, opts.progressStream ?? process.stderr, engine);
    } finally {
      await engine.close?.();
    }
    print(`${summaryLine(summary)}; ${formatDuration((performance.now() - t0) / 1000)}.`);
    if (opts.report ?? plan.task.report ?? true) {
      const r = opts.writeReport ? await opts.writeReport(plan.runDir) : { path: null, note: 'no report writer was given (vqbench run passes the report module).' };
      summary.report = r.path;
      summary.reportNote = r.note;
      print(r.path ? `report: ${r.path}` : `note: ${r.note}`);
    }
  }
  summary.wallSeconds = (performance.now() - t0) / 1000;
  return summary;
}

/**
 * The run proper, under the run folder's lock: run.json "running", every selected cell not done
 * (skipped ones counted), run.json "finished". Whatever stops it (a signal, a refused write, a
 * bug), run.json ends "interrupted" and the lock is released.
 */
async function runCells(plan: RunPlan, summary: RunSummary, print: (line: string) => void, stream: NodeJS.WriteStream, engine: CellEngine): Promise<void> {
  const { run, runDir, selected, done } = plan;
  const release = acquireLock(runDir, `run ${run}`);
  const invocation: Invocation = { pid: process.pid, startedAt: new Date().toISOString(), finishedAt: null, only: plan.filters, selected: selected.length, skipped: 0, ran: 0, counts: null };
  const record = new RunRecord(runDir, runFileOf(plan, invocation), invocation);
  const counts = () => ({ skipped: summary.skipped, ran: summary.ran, counts: summary.counts });
  const progress = new RunProgress(stream, `run ${run}`, selected.length);
  const stop = () => {
    progress.finish();
    killRunningCell();
    engine.interrupt?.();
    record.interrupt(counts());
    try {
      release();
    } catch {
      // the lock names this process: the next run sees it is gone and takes it over
    }
  };
  const onSignal = (sig: NodeJS.Signals) => {
    stop();
    process.stderr.write(`interrupted (${sig}): ${summary.ran} cell result(s) written in this invocation; re-run the same command to go on.\n`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const removed = removeStaleTemporaries(runDir);
    if (removed) print(`removed ${removed} temporary file(s) left by an interrupted run`);
    cleanStaleSubsets();
    record.start();
    const pending: PendingCell[] = [];
    for (const [index, cell] of selected.entries()) {
      const prior = done.get(cell.id) ?? completedResult(runDir, cell);
      if (!prior) {
        pending.push({ index, cell });
        continue;
      }
      const parts = failedParts(prior);
      summary.skipped++;
      summary.failedConfigurations += parts;
      summary.cells.push({ id: cell.id, kind: cell.kind, status: 'skipped', error: null, wallSeconds: prior.timing.wallSeconds, failedParts: parts });
    }
    const ctx: CellContext = {
      run, task: plan.task.name, scale: plan.scale, seed: plan.seed, env: captureEnvironment(),
      blas: pending.some((p) => usesFaiss(p.cell)) ? blasName() : null, prepared: new Map(), runDir,
    };
    const recorded = new Set<string>();
    const io: EngineIO = {
      plan, ctx, progress, print,
      finished: () => summary.ran + summary.skipped,
      record: ({ index, cell }, { result, output }, where) => {
        if (recorded.has(cell.id)) return; // exactly once per cell, whatever an engine reports twice
        recorded.add(cell.id);
        const line = recordCell(runDir, result, output, summary);
        progress.endCell(result.timing.wallSeconds);
        progress.clear();
        print(`[${String(index + 1).padStart(String(selected.length).length)}/${selected.length}] ${line}${where ? ` (${where})` : ''}`);
        progress.redraw();
      },
    };
    await engine.run(pending, io);
    progress.finish();
    record.finish(counts());
    release();
  } catch (e) {
    stop();
    throw e;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** Writes a cell's result file and then, unless it is ok, its process output as its log (returned; null when none), each atomically. */
export function writeCellFiles(runDir: string, result: CellResult, output: string): string | null {
  writeOutput(join(runDir, `${result.cell}.json`), JSON.stringify(result, null, 2) + '\n', 'the result file');
  if (result.status === 'ok' || !output.trim()) return null;
  const log = join(runDir, 'logs', `${result.cell}.log`);
  writeOutput(log, output, 'the log');
  return log;
}

/** The line printed for a written cell: status, wall time, peak RSS, id, its reason. */
export function cellLine(result: CellResult): string {
  const t = result.timing;
  return `${result.status.padEnd(7)} ${formatDuration(t.wallSeconds).padStart(7)}  ${mib(t.peakRssBytes).padStart(8)}  ${result.cell}${result.error ? `: ${result.error}` : ''}`;
}

/** Writes a cell's result (and, unless ok, its process output as its log), counts it, and returns its line for the output. */
function recordCell(runDir: string, result: CellResult, output: string, summary: RunSummary): string {
  const log = writeCellFiles(runDir, result, output);
  let note = log ? ` (log: ${log})` : '';
  const parts = failedParts(result);
  if (parts) note += `; ${parts} of ${Array.isArray(result.metrics) ? result.metrics.length : '?'} sweep configurations failed (see the report)`;
  summary.ran++;
  summary.counts[result.status]++;
  summary.failedConfigurations += parts;
  summary.cells.push({ id: result.cell, kind: result.kind, status: result.status, error: result.error, wallSeconds: result.timing.wallSeconds, failedParts: parts });
  return `${cellLine(result)}${note}`;
}
