/** What several cell kinds share: the timing definitions every result carries, and the dataset name in a job's output. */
import { displayPath } from '../../core/paths.js';

export const TIMING_DEFINITIONS: Readonly<Record<string, string>> = {
  'timing.wallSeconds': 'wall-clock seconds of the cell, from starting its process to its exit (process start and data loading included)',
  'timing.cpuSeconds': 'user + system CPU seconds of the cell process, all its threads',
  'timing.peakRssBytes': "peak resident set size of the cell process (VmHWM of its address space on Linux, see src/core/memory.ts; getrusage maxrss elsewhere): the whole process, dataset and runtime included, not the index's own bytes",
};

/** Replaces the subset folder path a job reports as its `dataset` with the task's dataset name. */
export function renameDataset<T>(m: T, data: string | null, name: string | null): T {
  if (data === null || name === null || data === name || typeof m !== 'object' || m === null) return m;
  const o = m as Record<string, unknown>;
  if (o.dataset === data || o.dataset === displayPath(data)) o.dataset = name;
  return m;
}

/** A number from a configuration field, else the default (estimators read partial configurations). */
export function num(v: unknown, dflt: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : dflt;
}

/** The data a job of a dataset kind loads (the runner always gives it one). */
export function dataOf(ctx: { data: string | null }, kind: string): string {
  if (ctx.data === null) throw new Error(`a ${kind} cell was started without its dataset`);
  return ctx.data;
}

/** The first sentence of a message, ending with a period. */
export function oneSentence(msg: string): string {
  const line = msg.split('\n').map((s) => s.trim()).find((s) => s.length > 0) ?? 'unknown error';
  return /[.!?]$/.test(line) ? line : `${line}.`;
}

/** A plain object (not an array, not null): the report's checks of a result's metrics. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A number that JSON could have written (not NaN). */
export const isNumber = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);
