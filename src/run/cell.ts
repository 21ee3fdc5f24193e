/**
 * The entry of a cell's child process (forked by src/run/runner.ts; under tsx through
 * cell-boot.mjs). It receives one cell, runs it, and sends back the outcome with its peak RSS and
 * CPU time; progress goes to the runner as messages. If the runner goes away (killed), the cell
 * exits at its next progress report: it writes no file, so nothing is left half-done.
 *
 * Test hook: VQBENCH_TEST_FAULT="<id substring>=crash|hang|throw[,…]" makes matching cells die by
 * SIGKILL (as the OOM killer would), wait forever (for --timeout), or throw an internal error.
 */
import { shutdownWorkers } from '../core/parallel.js';
import { executeCell, oneSentence, type CellOutcome } from './cell-job.js';
import { captureEnvironment, type RunEnvironment } from './env.js';
import type { CellPlan } from './task.js';
import { peakRssBytes } from '../core/memory.js';

export interface CellRequest {
  type: 'run';
  cell: CellPlan;
  /** What the job loads: the dataset spec or the subset folder; null for mteb cells. */
  data: string | null;
  /** A folder for the cell's raw per-query files, and its path relative to the cell's result file. */
  raw?: { dir: string; relative: string };
}

export interface CellUsage {
  peakRssBytes: number;
  cpuSeconds: number;
}

export type CellMessage =
  | ({ type: 'progress'; done: number; total: number; label?: string } & CellUsage)
  | ({ type: 'result'; outcome: CellOutcome; env: RunEnvironment } & CellUsage);

function usage(): CellUsage {
  const r = process.resourceUsage();
  return { peakRssBytes: peakRssBytes(), cpuSeconds: (r.userCPUTime + r.systemCPUTime) / 1e6 };
}

function send(m: CellMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) process.exit(130);
    process.send!(m, undefined, {}, () => resolve());
  });
}

/** Applies VQBENCH_TEST_FAULT; true when the cell must hang. */
function injectFault(id: string): boolean {
  for (const item of (process.env.VQBENCH_TEST_FAULT ?? '').split(',').filter(Boolean)) {
    const [sub, what] = item.split('=');
    if (!sub || !id.includes(sub)) continue;
    if (what === 'crash') process.kill(process.pid, 'SIGKILL');
    if (what === 'hang') return true;
    if (what === 'throw') throw new Error(`injected fault in cell ${id}`);
  }
  return false;
}

async function main(req: CellRequest): Promise<void> {
  let last = 0;
  const onProgress = (done: number, total: number, label?: string) => {
    if (!process.connected) process.exit(130); // the runner is gone: stop at once
    const now = Date.now();
    if (now - last < 250 && done < total) return;
    last = now;
    process.send!({ type: 'progress', done, total, label, ...usage() } satisfies CellMessage);
  };
  let outcome: CellOutcome;
  try {
    if (injectFault(req.cell.id)) {
      setInterval(() => undefined, 1 << 30);
      return;
    }
    outcome = await executeCell(req.cell, req.data, onProgress, req.raw);
  } catch (e) {
    // a bug, not a user error: the stack goes to stderr (the runner keeps it in logs/<cell>.log)
    process.stderr.write(`internal error in cell ${req.cell.id}: ${(e as Error)?.stack ?? String(e)}\n`);
    outcome = { status: 'failed', error: `internal error: ${oneSentence((e as Error)?.message ?? String(e))}`, metrics: null, datasetChecksum: null, definitions: {} };
  }
  await send({ type: 'result', outcome, env: captureEnvironment(), ...usage() });
  await shutdownWorkers();
  process.exit(0);
}

process.on('disconnect', () => process.exit(130));
process.once('message', (m: CellRequest) => {
  void main(m);
});
