/**
 * One cell, from the runner's side: prepare its dataset (the scale's subset, once per run), fork
 * the cell process (src/run/cell.ts, through the same loader as the CLI: dist/ when it is built,
 * else the sources under tsx), stop it at its timeout, collect its report, and build the CellResult
 * (src/run/result.ts). A crash, an out-of-memory kill or a timeout ends that cell only: it comes
 * back as a failed / timeout result with one sentence, and the process's output for its log.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { blasInfo } from '../core/blas.js';
import type { CellMessage, CellRequest } from './cell.js';
import { compiledTwin } from '../core/compiled.js';
import { definitionsOf, oneSentence, type CellOutcome } from './cell-job.js';
import { prepareDataset, type PreparedDataset } from './datasets.js';
import type { RunEnvironment } from './env.js';
import type { Scale } from './grid-values.js';
import { cellKind } from './kinds/registry.js';
import type { CellPlan } from './kinds/types.js';
import { RESULT_SCHEMA, type CellResult, type CellStatus } from './result.js';

/** What every cell of one runner invocation shares. */
export interface CellContext {
  run: string;
  task: string;
  scale: Scale;
  seed: number;
  /** The runner's environment, for cells whose process died before reporting its own. */
  env: RunEnvironment;
  /** The BLAS faiss links, recorded in the results of faiss cells. */
  blas: string | null;
  /** Datasets prepared so far (spec and subset → the prepared data), shared by the cells. */
  prepared: Map<string, Promise<PreparedDataset>>;
  /** The run folder: a cell's raw per-query files go to `<runDir>/raw/<cell>/` (absent: none are written). */
  runDir?: string;
}

export interface CellRun {
  result: CellResult;
  /** The cell process's stdout and stderr (its last 20,000 characters), for the cell's log. */
  output: string;
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

/** The BLAS faiss links (src/core/blas.ts), or null when it cannot be told. */
export function blasName(): string | null {
  try {
    return blasInfo() || null;
  } catch {
    return null;
  }
}

export const usesFaiss = (c: CellPlan) => cellKind(c.kind).usesFaiss?.(c.config) ?? false;

/** The module the child runs: compiled when this module is or the build is current, else the sources through tsx (as bin/vqbench.mjs does). */
function cellEntry(): string {
  return compiledTwin(import.meta.url, './cell.js') ?? fileURLToPath(new URL('./cell-boot.mjs', import.meta.url));
}

let current: ChildProcess | null = null;

/** Where a cell writes its raw per-query files (`raw/<cell>/` beside its result file), when the run folder is known. */
function rawFolder(ctx: CellContext, cell: CellPlan): CellRequest['raw'] {
  return ctx.runDir === undefined ? undefined : { dir: join(ctx.runDir, 'raw', cell.id), relative: `raw/${cell.id}` };
}

/** Kills the cell process running now, if any (the runner is stopping). */
export function killRunningCell(): void {
  current?.kill('SIGKILL');
}

function runChild(cell: CellPlan, data: string | null, timeout: number | null, onProgress: (done: number, total: number, label?: string) => void, raw?: CellRequest['raw']): Promise<ChildReport> {
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
    child.send({ type: 'run', cell, data, ...(raw && { raw }) } satisfies CellRequest);
  });
}

/** The last meaningful line a dead child printed (e.g. V8's "FATAL ERROR: … heap out of memory"). */
export function lastLine(output: string): string {
  const lines = output.split('\n').map((s) => s.trim()).filter((s) => s && !/^at\s/.test(s) && !/^\d+: 0x/.test(s));
  const fatal = lines.find((l) => /FATAL|out of memory|Segmentation|Aborted/i.test(l));
  const l = fatal ?? lines[lines.length - 1] ?? '';
  return l.length > 160 ? l.slice(0, 157) + '...' : l;
}

/**
 * Runs one cell in its own process and returns its result (not yet written). `onProgress` gets a
 * label for the progress line ("preparing the dataset", the job's own "k-means 40%").
 */
export async function executeCellProcess(cell: CellPlan, timeout: number | null, ctx: CellContext, onProgress: (label: string, force?: boolean) => void): Promise<CellRun> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  let report: ChildReport;
  let prep: PreparedDataset | null = null;
  try {
    if (cell.dataset) {
      const key = JSON.stringify([cell.dataset.spec, cell.dataset.subset]);
      if (!ctx.prepared.has(key)) ctx.prepared.set(key, prepareDataset(cell.dataset.spec, cell.dataset.subset, ctx.seed));
      onProgress('preparing the dataset', true);
      prep = await ctx.prepared.get(key)!;
    }
    report = await runChild(cell, prep?.data ?? null, timeout, (d, t, label) => onProgress(`${label ?? ''} ${t > 0 ? Math.round((100 * d) / t) + '%' : ''}`.trim()), rawFolder(ctx, cell));
  } catch (e) {
    // the dataset could not be prepared (a user error, e.g. a bad file): this cell fails, the others go on
    const msg = (e as Error).message;
    report = {
      outcome: { status: 'failed', error: oneSentence(msg), metrics: null, datasetChecksum: null, definitions: definitionsOf(cell.kind) },
      env: null, timedOut: false, code: null, signal: null, wallSeconds: (performance.now() - t0) / 1000, cpuSeconds: 0, peakRssBytes: 0, output: (e as Error).stack ?? msg,
    };
  }
  const status: CellStatus = report.outcome ? report.outcome.status : report.timedOut ? 'timeout' : 'failed';
  const why = lastLine(report.output);
  const error = report.outcome ? report.outcome.error
    : report.timedOut ? `the cell ran longer than its ${timeout} s timeout and was stopped.`
    : `the cell's process ended without a result (${report.signal ? `killed by ${report.signal}` : `exit code ${report.code}`})${why ? `: ${why.replace(/\.$/, '')}` : ''}.`;
  const result: CellResult = {
    schema: RESULT_SCHEMA, run: ctx.run, task: ctx.task, cell: cell.id, kind: cell.kind, config: cell.config, scale: ctx.scale, seed: ctx.seed,
    status, error,
    dataset: cell.dataset ? { name: cell.dataset.name, checksum: report.outcome?.datasetChecksum ?? prep?.checksum ?? null } : null,
    env: { ...(report.env ?? ctx.env), ...(usesFaiss(cell) ? { blas: ctx.blas } : {}) },
    timing: { startedAt, wallSeconds: report.wallSeconds, cpuSeconds: report.cpuSeconds, peakRssBytes: report.peakRssBytes },
    definitions: report.outcome?.definitions ?? definitionsOf(cell.kind),
    metrics: report.outcome?.metrics ?? null,
  };
  return { result, output: report.output };
}
