/**
 * The task runner behind `vqbench run`: a task file → its cells at one scale → one child process
 * per cell → `results/<run>/<cell>.json` (CellResult, src/run/result.ts) and `results/<run>/run.json`.
 *
 * - Each cell runs in its own process (forked through the same loader as the CLI: dist/ when it is
 *   built, else the sources under tsx), so a crash, an out-of-memory kill or a timeout ends that
 *   cell only: it is recorded as failed / timeout with one sentence, and the others go on.
 * - The parent writes every result file with an atomic rename: that rename is the commit point.
 *   Killing the run at any moment loses at most the cell in progress; a re-run (or --resume) skips
 *   every cell whose file says ok with the same configuration, re-runs the rest, and removes the
 *   temporary files a killed run left. Nothing is lost or written twice.
 * - One run folder has one runner at a time (`.lock` holds its pid; a dead pid's lock is taken over).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { writeFileAtomic } from '../core/atomic.js';
import { blasInfo } from '../core/blas.js';
import { ConfigError } from '../core/errors.js';
import { displayPath } from '../core/paths.js';
import type { CellMessage, CellRequest } from './cell.js';
import { oneSentence, DEFINITIONS, type CellOutcome } from './cell-job.js';
import { cleanStaleSubsets, prepareDataset, type PreparedDataset } from './datasets.js';
import { captureEnvironment, type RunEnvironment } from './env.js';
import { estimateCell, formatDuration, type Estimate } from './estimate.js';
import { RESULT_SCHEMA, type CellResult, type CellStatus } from './result.js';
import { expandTask, loadTask, matchesFilters, taskSeed, type CellPlan, type Scale, type Task } from './task.js';

export const RUN_SCHEMA = 'vqbench.run/1';

export interface RunOptions {
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
  dryRun?: boolean;
  /** Default `results` (relative to the working directory). */
  resultsDir?: string;
  /** Write the report at the end (default: the task's `report`, else true). */
  report?: boolean;
  /** Where the plan and one line per finished cell go (default stdout). */
  print?: (line: string) => void;
  /** Where the live progress bar is drawn (default stderr, only when it is a TTY or VQBENCH_PROGRESS=1). */
  progressStream?: NodeJS.WriteStream;
}

export interface CellSummary {
  id: string;
  kind: CellPlan['kind'];
  status: CellStatus | 'skipped';
  error: string | null;
  wallSeconds: number | null;
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
  cells: CellSummary[];
  wallSeconds: number;
  /** What writeReport returned (a path), or null with the reason in `reportNote`. */
  report: string | null;
  reportNote: string | null;
}

export interface RunFile {
  schema: typeof RUN_SCHEMA;
  run: string;
  task: string;
  taskFile: string;
  paper: string | null;
  description: string;
  scale: Scale;
  seed: number;
  /** Every cell of the task at this scale (the plan), in order; results of other ids are stale. */
  cells: string[];
  createdAt: string;
  startedAt: string;
  finishedAt: string | null;
  status: 'running' | 'finished' | 'interrupted';
  invocations: { pid: number; startedAt: string; finishedAt: string | null; only: string[]; selected: number; skipped: number; ran: number; counts: Record<CellStatus, number> | null }[];
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function readJson<T>(p: string): T | null {
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** The result file of a cell if it holds status ok for exactly this configuration. */
export function completedResult(runDir: string, cell: CellPlan): CellResult | null {
  const r = readJson<CellResult>(join(runDir, `${cell.id}.json`));
  return r && r.schema === RESULT_SCHEMA && r.status === 'ok' && isDeepStrictEqual(r.config, cell.config) ? r : null;
}

/** Is a process with this pid running (EPERM: it exists, owned by someone else)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function acquireLock(runDir: string, run: string): () => void {
  mkdirSync(runDir, { recursive: true });
  const p = join(runDir, '.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(p, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }) + '\n', { flag: 'wx' });
      return () => rmSync(p, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = readJson<{ pid: number }>(p)?.pid;
      if (typeof pid === 'number' && pid !== process.pid && alive(pid)) {
        throw new ConfigError(`run ${run} is already in progress in process ${pid}; wait for it to end or stop it first.`);
      }
      rmSync(p, { force: true }); // a killed runner's lock
    }
  }
  throw new ConfigError(`could not lock ${p}.`);
}

/** Temporary files of interrupted atomic writes (`<file>.tmp-<pid>-<time>`): never results, always safe to drop under the lock. */
function removeStaleTemporaries(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const f of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, f.name);
    if (f.isDirectory()) n += removeStaleTemporaries(p);
    else if (/\.tmp-\d+-\d+$/.test(f.name)) {
      rmSync(p, { force: true });
      n++;
    }
  }
  return n;
}

/** The BLAS faiss links (src/core/blas.ts), or null when it cannot be told. */
function blasName(): string | null {
  try {
    return blasInfo() || null;
  } catch {
    return null;
  }
}

const usesFaiss = (c: CellPlan) => (c.kind === 'index' || c.kind === 'insert') && c.config.index === 'faiss';

/** The module the child runs: compiled when this module is, else the sources through tsx (as bin/vqbench.mjs does). */
function cellEntry(): string {
  return fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './cell-boot.mjs' : './cell.js', import.meta.url));
}

interface ChildReport {
  outcome: CellOutcome | null;
  env: RunEnvironment | null;
  timedOut: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssBytes: number;
  output: string;
}

let current: ChildProcess | null = null;

function runChild(cell: CellPlan, data: string | null, timeout: number | null, onProgress: (done: number, total: number, label?: string) => void): Promise<ChildReport> {
  return new Promise((resolvePromise) => {
    const t0 = performance.now();
    const child = fork(cellEntry(), [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
      env: { ...process.env, VQBENCH_PROGRESS: '0' },
    });
    current = child;
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let result: Extract<CellMessage, { type: 'result' }> | null = null;
    let usage = { cpuSeconds: 0, peakRssBytes: 0 };
    let timedOut = false;
    child.on('message', (m: CellMessage) => {
      usage = { cpuSeconds: m.cpuSeconds, peakRssBytes: m.peakRssBytes };
      if (m.type === 'progress') onProgress(m.done, m.total, m.label);
      else if (m.type === 'result') result = m;
    });
    const timer = timeout ? setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeout * 1000) : null;
    let spawnError: Error | null = null;
    child.on('error', (e) => {
      spawnError = e;
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      current = null;
      const r = result as Extract<CellMessage, { type: 'result' }> | null;
      if (spawnError && !r) output += `\n${(spawnError as Error).message}`;
      resolvePromise({
        outcome: r?.outcome ?? null, env: r?.env ?? null, timedOut: timedOut && !r, code, signal,
        wallSeconds: (performance.now() - t0) / 1000, cpuSeconds: usage.cpuSeconds, peakRssBytes: usage.peakRssBytes, output,
      });
    });
    child.send({ type: 'run', cell, data } satisfies CellRequest);
  });
}

/** The last meaningful line a dead child printed (e.g. V8's "FATAL ERROR: … heap out of memory"). */
function lastLine(output: string): string {
  const lines = output.split('\n').map((s) => s.trim()).filter((s) => s && !/^at\s/.test(s) && !/^\d+: 0x/.test(s));
  const fatal = lines.find((l) => /FATAL|out of memory|Segmentation|Aborted/i.test(l));
  const l = fatal ?? lines[lines.length - 1] ?? '';
  return l.length > 160 ? l.slice(0, 157) + '...' : l;
}

/** A live progress line: cells done, elapsed, ETA from the estimates calibrated by the cells measured so far. */
class RunProgress {
  private enabled: boolean;
  private lastDraw = 0;
  private line = '';
  constructor(private readonly stream: NodeJS.WriteStream, private readonly title: string) {
    this.enabled = stream.isTTY === true || process.env.VQBENCH_PROGRESS === '1';
  }
  draw(text: string, force = false): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 200) return;
    this.lastDraw = now;
    this.line = `${this.title} ${text}`;
    const width = (this.stream.columns ?? 120) - 1;
    this.stream.write(`\r${this.line.slice(0, width)}\x1b[K`);
  }
  /** Clears the bar so that a normal line can be printed. */
  clear(): void {
    if (this.enabled && this.line) this.stream.write('\r\x1b[K');
  }
  redraw(): void {
    if (this.enabled && this.line) this.stream.write(`\r${this.line.slice(0, (this.stream.columns ?? 120) - 1)}\x1b[K`);
  }
  finish(): void {
    this.clear();
    this.line = '';
  }
}

function bar(frac: number, width = 20): string {
  const f = Math.max(0, Math.min(width, Math.round(frac * width)));
  return `[${'#'.repeat(f)}${'.'.repeat(width - f)}]`;
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

function zeroCounts(): Record<CellStatus, number> {
  return { ok: 0, failed: 0, timeout: 0, 'not-run': 0 };
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

function findRunToResume(resultsRoot: string, task: Task): RunFile | null {
  if (!existsSync(resultsRoot)) return null;
  const runs = readdirSync(resultsRoot)
    .map((d) => readJson<RunFile>(join(resultsRoot, d, 'run.json')))
    .filter((r): r is RunFile => r !== null && r.schema === RUN_SCHEMA && r.task === task.name)
    .sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
  return runs[0] ?? null;
}

/** Runs (or, with dryRun, plans) a task; returns what happened. User errors are ConfigErrors. */
export async function runTask(opts: RunOptions): Promise<RunSummary> {
  const t0 = performance.now();
  const print = opts.print ?? ((l: string) => process.stdout.write(l + '\n'));
  const task = loadTask(opts.task);
  const seed = taskSeed(task);
  const resultsRoot = resolve(opts.resultsDir ?? 'results');
  if (opts.timeout !== undefined && !(opts.timeout > 0)) throw new ConfigError(`--timeout must be a positive number of seconds, got ${opts.timeout}.`);
  if (opts.run !== undefined && !RUN_ID.test(opts.run)) throw new ConfigError(`--run ${opts.run} is not a filename-safe id (letters, digits, '.', '_', '-').`);

  let scale: Scale = opts.scale ?? 'small';
  let run = opts.run;
  if (opts.resume) {
    const previous = run !== undefined ? readJson<RunFile>(join(resultsRoot, run, 'run.json')) : opts.scale ? readJson<RunFile>(join(resultsRoot, `${task.name}-${opts.scale}`, 'run.json')) : findRunToResume(resultsRoot, task);
    if (!previous) throw new ConfigError(`--resume: there is no run ${run ?? (opts.scale ? `${task.name}-${opts.scale}` : `of task ${task.name}`)} under ${resultsRoot} to resume.`);
    if (previous.task !== task.name) throw new ConfigError(`--resume: run ${previous.run} is of task ${previous.task}, not ${task.name}.`);
    if (opts.scale && opts.scale !== previous.scale) throw new ConfigError(`--resume: run ${previous.run} is at scale ${previous.scale}, not ${opts.scale}.`);
    scale = previous.scale;
    run = previous.run;
  }
  run ??= `${task.name}-${scale}`;
  const runDir = join(resultsRoot, run);
  const existingRun = readJson<RunFile>(join(runDir, 'run.json'));
  if (existingRun && existingRun.task !== task.name) throw new ConfigError(`--run ${run}: ${runDir} holds a run of task ${existingRun.task}, not ${task.name}; choose another --run.`);
  if (existingRun && existingRun.scale !== scale) throw new ConfigError(`--run ${run}: ${runDir} holds a run at scale ${existingRun.scale}, not ${scale}; choose another --run.`);

  const cells = expandTask(task, scale);
  const filters = opts.only ?? [];
  const selected = cells.filter((c) => matchesFilters(c, filters));
  if (selected.length === 0) throw new ConfigError(`--only ${filters.join(' --only ')} matches none of the ${cells.length} cells of ${task.file} at scale ${scale}.`);
  const timeoutOf = (c: CellPlan) => opts.timeout ?? c.timeout;

  // the plan
  const done = new Map(selected.map((c) => [c.id, existsSync(runDir) ? completedResult(runDir, c) : null]));
  const estimates = new Map<string, Estimate>(selected.map((c) => [c.id, estimateCell(c, scale, resultsRoot)]));
  print(`task ${task.name}${task.paper && !task.paper.startsWith('-') ? ` (${task.paper})` : ''}: ${task.description}`);
  print(`scale ${scale}: ${describeScale(task, scale)}; seed ${seed}; results in ${runDir}`);
  const idWidth = Math.min(72, Math.max(...selected.map((c) => c.id.length)));
  const numWidth = String(selected.length).length;
  for (const [i, c] of selected.entries()) {
    const d = done.get(c.id);
    const e = estimates.get(c.id)!;
    const state = d ? `done (${formatDuration(d.timing.wallSeconds)})` : `≈ ${formatDuration(e.seconds)} (${e.source})`;
    print(`  ${String(i + 1).padStart(numWidth)}  ${c.id.padEnd(idWidth)}  ${c.kind.padEnd(8)}  ${state}`);
  }
  const toRun = selected.filter((c) => !done.get(c.id));
  const totalEstimate = toRun.reduce((t, c) => t + estimates.get(c.id)!.seconds, 0);
  print(`${selected.length} of ${cells.length} cells selected: ${selected.length - toRun.length} done, ${toRun.length} to run, expected ≈ ${formatDuration(totalEstimate)}` +
    ' (estimates: the same cell in an earlier run, else a similar run scaled by the cost model, else the model).');

  const summary: RunSummary = {
    run, runDir, task: task.name, scale, planned: cells.length, selected: selected.length, skipped: 0, ran: 0, counts: zeroCounts(),
    cells: [], wallSeconds: 0, report: null, reportNote: null,
  };
  if (opts.dryRun) {
    summary.cells = selected.map((c) => ({ id: c.id, kind: c.kind, status: done.get(c.id) ? 'skipped' : 'not-run', error: null, wallSeconds: null }));
    summary.skipped = selected.length - toRun.length;
    summary.wallSeconds = (performance.now() - t0) / 1000;
    return summary;
  }

  const release = acquireLock(runDir, run);
  const startedAt = new Date().toISOString();
  const invocation: RunFile['invocations'][number] = { pid: process.pid, startedAt, finishedAt: null, only: filters, selected: selected.length, skipped: 0, ran: 0, counts: null };
  const runFile: RunFile = {
    schema: RUN_SCHEMA, run, task: task.name, taskFile: displayPath(task.path), paper: task.paper ?? null, description: task.description, scale, seed,
    cells: cells.map((c) => c.id), createdAt: existingRun?.createdAt ?? startedAt, startedAt, finishedAt: null, status: 'running',
    invocations: [...(existingRun?.invocations ?? []), invocation],
  };
  const writeRunFile = () => writeFileAtomic(join(runDir, 'run.json'), JSON.stringify(runFile, null, 2) + '\n');

  const progress = new RunProgress(opts.progressStream ?? process.stderr, `run ${run}`);
  const onSignal = (sig: NodeJS.Signals) => {
    progress.finish();
    current?.kill('SIGKILL');
    runFile.status = 'interrupted';
    invocation.finishedAt = new Date().toISOString();
    try {
      writeRunFile();
    } finally {
      release();
    }
    process.stderr.write(`interrupted (${sig}): ${summary.ran} cell result(s) written in this invocation; re-run the same command to go on.\n`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const removed = removeStaleTemporaries(runDir);
    if (removed) print(`removed ${removed} temporary file(s) left by an interrupted run`);
    cleanStaleSubsets();
    writeRunFile();
    const env0 = captureEnvironment();
    const blas = selected.some((c) => usesFaiss(c) && !done.get(c.id)) ? blasName() : null;
    const prepared = new Map<string, Promise<PreparedDataset>>();
    let measured = 0, estimatedOfMeasured = 0;
    const runStart = performance.now();

    for (const [i, cell] of selected.entries()) {
      const tag = `[${String(i + 1).padStart(numWidth)}/${selected.length}]`;
      const prior = done.get(cell.id) ?? completedResult(runDir, cell);
      if (prior) {
        summary.skipped++;
        summary.cells.push({ id: cell.id, kind: cell.kind, status: 'skipped', error: null, wallSeconds: prior.timing.wallSeconds });
        continue;
      }
      const est = estimates.get(cell.id)!.seconds;
      const remainingAfter = selected.slice(i + 1).filter((c) => !done.get(c.id)).reduce((t, c) => t + estimates.get(c.id)!.seconds, 0);
      const cellStart = performance.now();
      const draw = (label = '', force = false) => {
        const calib = estimatedOfMeasured > 0 ? measured / estimatedOfMeasured : 1;
        const elapsedCell = (performance.now() - cellStart) / 1000;
        const eta = Math.max(0, est * calib - elapsedCell) + remainingAfter * calib;
        const frac = (summary.ran + summary.skipped) / selected.length;
        progress.draw(`${bar(frac)} ${summary.ran + summary.skipped}/${selected.length} cells  ${formatDuration((performance.now() - runStart) / 1000)} elapsed  ETA ${formatDuration(eta)}  ${cell.id}${label ? ' · ' + label : ''}`, force);
      };
      draw('', true);
      const startedAtCell = new Date().toISOString();
      let report: ChildReport;
      let prep: PreparedDataset | null = null;
      try {
        if (cell.dataset) {
          const key = JSON.stringify([cell.dataset.spec, cell.dataset.subset]);
          if (!prepared.has(key)) prepared.set(key, prepareDataset(cell.dataset.spec, cell.dataset.subset, seed));
          draw('preparing the dataset', true);
          prep = await prepared.get(key)!;
        }
        report = await runChild(cell, prep?.data ?? null, timeoutOf(cell), (d, t, label) => draw(`${label ?? ''} ${t > 0 ? Math.round((100 * d) / t) + '%' : ''}`.trim()));
      } catch (e) {
        // the dataset could not be prepared (a user error, e.g. a bad file): this cell fails, the others go on
        const msg = (e as Error).message;
        report = {
          outcome: { status: 'failed', error: oneSentence(msg), metrics: null, datasetChecksum: null, definitions: DEFINITIONS[cell.kind] },
          env: null, timedOut: false, code: null, signal: null, wallSeconds: (performance.now() - cellStart) / 1000, cpuSeconds: 0, peakRssBytes: 0, output: (e as Error).stack ?? msg,
        };
      }
      const t = timeoutOf(cell);
      const status: CellStatus = report.outcome ? report.outcome.status : report.timedOut ? 'timeout' : 'failed';
      const why = lastLine(report.output);
      const error = report.outcome ? report.outcome.error
        : report.timedOut ? `the cell ran longer than its ${t} s timeout and was stopped.`
        : `the cell's process ended without a result (${report.signal ? `killed by ${report.signal}` : `exit code ${report.code}`})${why ? `: ${why.replace(/\.$/, '')}` : ''}.`;
      const result: CellResult = {
        schema: RESULT_SCHEMA, run, task: task.name, cell: cell.id, kind: cell.kind, config: cell.config, scale, seed,
        status, error,
        dataset: cell.dataset ? { name: cell.dataset.name, checksum: report.outcome?.datasetChecksum ?? prep?.checksum ?? null } : null,
        env: { ...(report.env ?? env0), ...(usesFaiss(cell) ? { blas } : {}) },
        timing: { startedAt: startedAtCell, wallSeconds: report.wallSeconds, cpuSeconds: report.cpuSeconds, peakRssBytes: report.peakRssBytes },
        definitions: report.outcome?.definitions ?? DEFINITIONS[cell.kind],
        metrics: report.outcome?.metrics ?? null,
      };
      writeFileAtomic(join(runDir, `${cell.id}.json`), JSON.stringify(result, null, 2) + '\n');
      let logNote = '';
      if (status !== 'ok' && report.output.trim()) {
        writeFileAtomic(join(runDir, 'logs', `${cell.id}.log`), report.output);
        logNote = ` (log: ${join(runDir, 'logs', `${cell.id}.log`)})`;
      }
      summary.ran++;
      summary.counts[status]++;
      summary.cells.push({ id: cell.id, kind: cell.kind, status, error, wallSeconds: report.wallSeconds });
      measured += report.wallSeconds;
      estimatedOfMeasured += est;
      progress.clear();
      print(`${tag} ${status.padEnd(7)} ${formatDuration(report.wallSeconds).padStart(7)}  ${mib(report.peakRssBytes).padStart(8)}  ${cell.id}${error ? `: ${error}` : ''}${logNote}`);
      progress.redraw();
    }
    progress.finish();
    runFile.status = 'finished';
    runFile.finishedAt = invocation.finishedAt = new Date().toISOString();
    invocation.skipped = summary.skipped;
    invocation.ran = summary.ran;
    invocation.counts = summary.counts;
    writeRunFile();
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    release();
  }
  const c = summary.counts;
  print(`run ${run}: ${summary.ran} cells ran (${c.ok} ok, ${c.failed} failed, ${c.timeout} timed out, ${c['not-run']} not run), ${summary.skipped} already done; ${formatDuration((performance.now() - t0) / 1000)}.`);

  if (opts.report ?? task.report ?? true) {
    const r = await writeRunReport(runDir);
    summary.report = r.path;
    summary.reportNote = r.note;
    print(r.path ? `report: ${r.path}` : `note: ${r.note}`);
  }
  summary.wallSeconds = (performance.now() - t0) / 1000;
  return summary;
}

/** The report module (chart.js, node-canvas) is loaded only here, when a run ends: a failure to load it is a note, not a failed run. */
export async function writeRunReport(runDir: string): Promise<{ path: string | null; note: string | null }> {
  let report: typeof import('../report/index.js');
  try {
    report = await import('../report/index.js');
  } catch (e) {
    return { path: null, note: `the report was not written: src/report/index.ts could not be loaded (${oneSentence((e as Error).message).replace(/\.$/, '')}); the results are in ${runDir}.` };
  }
  try {
    return { path: (await report.writeReport(runDir)).html, note: null };
  } catch (e) {
    return { path: null, note: `the report failed: ${oneSentence((e as Error).message)}` };
  }
}
