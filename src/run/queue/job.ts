/**
 * What travels through Redis: a job per cell (everything a worker on another machine needs to run
 * it) and its return value (the result, the process output for the log, and the cell's raw
 * per-query files). The ids are deterministic, so adding a cell that is waiting, running or done
 * already is a no-op (BullMQ dedups by jobId; a removed job no longer counts).
 */
import { createHash } from 'node:crypto';
import type { Scale } from '../grid-values.js';
import type { CellPlan } from '../kinds/types.js';
import type { CellResult } from '../result.js';
import type { PackedFile } from './files.js';

export const JOB_SCHEMA = 'vqbench.queue-job/1';

/** The queue every worker of one Redis serves unless --queue-name says otherwise; runs share it, their job ids are apart. */
export const DEFAULT_QUEUE = 'vqbench';

export interface CellJobData {
  schema: typeof JOB_SCHEMA;
  run: string;
  task: string;
  /** The task's fingerprint (taskFingerprint): what the run's key in Redis holds. */
  taskFingerprint: string;
  scale: Scale;
  seed: number;
  /** The coordinator's git commit (src/run/env.ts): a worker built from another one refuses the job. */
  commit: string | null;
  cell: CellPlan;
  /** Seconds the cell may run (null: no limit). */
  timeout: number | null;
}

export interface CellJobReturn {
  result: CellResult;
  /** The cell process's output (kept as the cell's log when it did not end ok). */
  output: string;
  /** The files the cell wrote under raw/<cell>/, relative to that folder. */
  raw: PackedFile[];
  /** The worker's host name, printed beside the cell's line. */
  worker: string;
}

const short = (text: string, n: number) => createHash('sha256').update(text).digest('hex').slice(0, n);

/**
 * `<run>.<cell>.<hash of its configuration>`: one id per cell of a run, another when its
 * configuration changes (then an old job's answer is never taken for it). No ':' (BullMQ's rule).
 */
export function jobIdOf(run: string, cell: CellPlan): string {
  return `${run}.${cell.id}.${short(JSON.stringify(cell.config), 10)}`.replace(/:/g, '_');
}

/** Identifies a task at a scale and seed: its name and every cell's id and configuration. Two runs of one id must agree on it. */
export function taskFingerprint(task: string, scale: Scale, seed: number, cells: readonly CellPlan[]): string {
  return short(JSON.stringify({ task, scale, seed, cells: cells.map((c) => [c.id, c.config]) }), 16);
}

/** The Redis key that names the task a run id belongs to while its cells are queued. */
export const runKey = (queueName: string, run: string) => `vqbench:${queueName}:run:${run}`;
