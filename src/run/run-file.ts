/**
 * `results/<run>/run.json`: what the run is (task, scale, seed, its planned cells) and its status,
 * one entry per invocation of the runner. Written atomically; a runner that stops for any reason
 * other than a kill -9 leaves it "finished" or "interrupted", never "running".
 */
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Scale } from './grid-values.js';
import { writeOutput } from './output.js';
import type { CellStatus } from './result.js';

export const RUN_SCHEMA = 'vqbench.run/1';

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
  invocations: Invocation[];
}

export interface Invocation {
  pid: number;
  startedAt: string;
  finishedAt: string | null;
  only: string[];
  selected: number;
  skipped: number;
  ran: number;
  counts: Record<CellStatus, number> | null;
}

export function readJson<T>(p: string): T | null {
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as T;
  } catch {
    return null;
  }
}

export function readRunFile(runDir: string): RunFile | null {
  return readJson<RunFile>(join(runDir, 'run.json'));
}

/**
 * The run.json this invocation keeps up to date. Beside the "running" file it keeps a standby copy
 * that says "interrupted" (`run.json.tmp-<pid>-<n>`, a temporary a later run removes), so that even
 * on a full disk, where no new file can be written, a rename (which needs no space) can mark the
 * run interrupted.
 */
export class RunRecord {
  readonly path: string;
  private readonly standby: string;
  /** True while the file on disk is this invocation's "running" one. */
  private running = false;
  constructor(runDir: string, readonly file: RunFile, readonly invocation: Invocation) {
    this.path = join(runDir, 'run.json');
    this.standby = `${this.path}.tmp-${process.pid}-0`;
  }

  private text(status: RunFile['status']): string {
    return JSON.stringify({ ...this.file, status }, null, 2) + '\n';
  }

  /** Writes run.json saying "running" (and its "interrupted" standby first). */
  start(): void {
    this.file.status = 'running';
    writeOutput(this.standby, this.text('interrupted'), 'the run description');
    try {
      writeOutput(this.path, this.text('running'), 'the run description');
    } catch (e) {
      rmSync(this.standby, { force: true });
      throw e;
    }
    this.running = true;
  }

  finish(counts: Counts): void {
    this.file.finishedAt = this.invocation.finishedAt = new Date().toISOString();
    Object.assign(this.invocation, counts);
    writeOutput(this.path, this.text('finished'), 'the run description');
    this.file.status = 'finished';
    this.running = false;
    rmSync(this.standby, { force: true });
  }

  /**
   * Marks the run interrupted if this invocation left it "running": a fresh file with the counts
   * when it can be written, else the standby renamed into place. False when neither worked (then
   * run.json is as this invocation's last write left it).
   */
  interrupt(counts: Counts): boolean {
    if (!this.running) return false;
    this.invocation.finishedAt = new Date().toISOString();
    Object.assign(this.invocation, counts);
    try {
      writeOutput(this.path, this.text('interrupted'), 'the run description');
      rmSync(this.standby, { force: true });
    } catch {
      try {
        renameSync(this.standby, this.path);
      } catch {
        return false;
      }
    }
    this.file.status = 'interrupted';
    this.running = false;
    return true;
  }
}

type Counts = Pick<Invocation, 'skipped' | 'ran' | 'counts'>;
