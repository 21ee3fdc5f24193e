/**
 * Row-parallel execution over worker threads. A job names a module and one of its exported
 * functions `(args, start, end) => void`; the row range is cut into one contiguous chunk per
 * thread, the main thread computes the last chunk itself while the workers do the others. Inputs
 * are shared, not copied, when they live in SharedArrayBuffers; outputs must be. Small jobs stay
 * on the main thread: a worker round trip costs ~0.1 ms, a cold start ~100 ms.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Matrix } from './matrix.js';
import { knnRange, nearestRows, type Metric } from './search.js';
import { rowNormsSq } from './distance.js';
import { InputError } from './errors.js';
import { compiledTwin } from './compiled.js';
import { nativeKnnEnabled } from './native/knn-native.js';

/** A thread count, checked: a positive integer (a NaN or fraction would make the kernels skip rows). */
function checkedThreads(n: unknown, what: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new InputError(`${what} must be a positive integer (worker threads), got ${typeof n === 'string' ? `'${n}'` : String(n)}.`);
  }
  return n;
}

/** VQBENCH_THREADS when set (checked on first use, so a bad value is an error naming it), else every core. */
function threadsFromEnv(): number {
  const env = process.env.VQBENCH_THREADS;
  if (env === undefined || env.trim() === '') return availableParallelism();
  return checkedThreads(/^\s*\d+\s*$/.test(env) ? Number(env) : env, 'VQBENCH_THREADS');
}

let threadsSet: number | undefined;
const workers: Worker[] = [];
let nextJob = 0;

/** Number of threads kernels may use (the main thread included). */
export function getThreads(): number {
  return (threadsSet ??= threadsFromEnv());
}

/** Sets the kernels' thread count; anything but a positive integer is an InputError naming --threads. */
export function setThreads(n: number): void {
  threadsSet = checkedThreads(n, '--threads');
}

/** Terminates idle workers so that the process can exit promptly. */
export async function shutdownWorkers(): Promise<void> {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
}

function worker(i: number): Worker {
  while (workers.length <= i) {
    // Under tsx (sources run as .ts) the worker first registers tsx, then loads the kernel module.
    // Under tsx the worker starts from the compiled build when it is current (src/core/compiled.ts).
    const twin = compiledTwin(import.meta.url, './kernel-worker.js');
    const w = twin ? new Worker(twin) : new Worker(new URL('./kernel-worker-boot.mjs', import.meta.url));
    w.unref();
    workers.push(w);
  }
  return workers[i];
}

export interface KernelJob {
  /** URL of the module that exports `fn` (usually `import.meta.url` of the caller's module). */
  module: string;
  fn: string;
  args: Record<string, unknown>;
}

function runOnWorker(w: Worker, job: KernelJob, start: number, end: number): Promise<void> {
  const id = nextJob++;
  return new Promise((resolve, reject) => {
    const onMessage = (m: { id: number; error?: string }) => {
      if (m.id !== id) return;
      w.off('message', onMessage);
      w.off('error', onError);
      if (m.error) reject(new Error(m.error));
      else resolve();
    };
    const onError = (e: Error) => {
      w.off('message', onMessage);
      reject(e);
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.postMessage({ id, ...job, start, end });
  });
}

/** Runs `job` over rows [start, end) on worker `i` of the pool (started on first use): batch and concurrent search. */
export function runJobOnWorker(i: number, job: KernelJob, start: number, end: number): Promise<void> {
  return runOnWorker(worker(i), job, start, end);
}

/** Runs `job` over rows [0, rows), split across threads when `flops` make it worth it. */
export async function parallelRows(job: KernelJob, rows: number, flops: number, local: (s: number, e: number) => void): Promise<void> {
  const t = Math.min(getThreads(), rows);
  if (t <= 1 || flops < 2e8) {
    local(0, rows);
    return;
  }
  const chunk = Math.ceil(rows / t);
  const pending: Promise<void>[] = [];
  for (let w = 0; w < t - 1; w++) pending.push(runOnWorker(worker(w), job, w * chunk, Math.min(rows, (w + 1) * chunk)));
  local((t - 1) * chunk, rows);
  await Promise.all(pending);
}

const SEARCH_MODULE = new URL(import.meta.url.endsWith('.ts') ? './search.ts' : './search.js', import.meta.url).href;

/** The array itself when it lives in a SharedArrayBuffer, else a shared copy. */
export function shared(a: Float32Array): Float32Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const s = new Float32Array(new SharedArrayBuffer(a.byteLength));
  s.set(a);
  return s;
}

/** For each row of x, the nearest row of c (squared L2 distance) or the largest inner product. */
export async function nearest(
  x: Matrix, c: Matrix, metric: Metric = 'l2', cNorms?: Float32Array,
): Promise<{ ids: Int32Array; dists: Float32Array }> {
  const ids = new Int32Array(new SharedArrayBuffer(x.rows * 4));
  const dists = new Float32Array(new SharedArrayBuffer(x.rows * 4));
  const norms = metric === 'l2' ? cNorms ?? rowNormsSq(c.data, c.rows, c.dim) : null;
  const flops = 2 * x.rows * c.rows * x.dim;
  const big = getThreads() > 1 && flops >= 2e8;
  const xd = big ? shared(x.data) : x.data;
  const job: KernelJob = { module: SEARCH_MODULE, fn: 'nearestTask', args: { x: xd, c: c.data, nc: c.rows, d: x.dim, metric, cNorms: norms, ids, dists, native: nativeKnnEnabled() } };
  await parallelRows(job, x.rows, flops, (s, e) => nearestRows(xd, s, e, c.data, c.rows, x.dim, metric, norms, ids, dists));
  return { ids, dists };
}

/** Single-threaded `nearest`, for callers that must stay synchronous (encoders). */
export function nearestSync(
  x: Matrix, c: Matrix, metric: Metric = 'l2', cNorms?: Float32Array,
): { ids: Int32Array; dists: Float32Array } {
  const ids = new Int32Array(x.rows);
  const dists = new Float32Array(x.rows);
  const norms = metric === 'l2' ? cNorms ?? rowNormsSq(c.data, c.rows, c.dim) : null;
  nearestRows(x.data, 0, x.rows, c.data, c.rows, x.dim, metric, norms, ids, dists);
  return { ids, dists };
}

/** Exact k nearest rows of `base` for each query: squared L2 ascending, or inner product descending. */
export async function knn(
  base: Matrix, queries: Matrix, k: number, metric: Metric = 'l2',
): Promise<{ ids: Int32Array; dists: Float32Array }> {
  const ids = new Int32Array(new SharedArrayBuffer(queries.rows * k * 4));
  const dists = new Float32Array(new SharedArrayBuffer(queries.rows * k * 4));
  const flops = 2 * base.rows * queries.rows * base.dim;
  const big = getThreads() > 1 && flops >= 2e8;
  const bd = big ? shared(base.data) : base.data;
  const qd = big ? shared(queries.data) : queries.data;
  const norms = metric === 'l2' ? rowNormsSq(bd, base.rows, base.dim, big ? new Float32Array(new SharedArrayBuffer(base.rows * 4)) : undefined) : null;
  const job: KernelJob = { module: SEARCH_MODULE, fn: 'knnTask', args: { base: bd, nb: base.rows, baseNorms: norms, queries: qd, d: base.dim, k, metric, ids, dists, native: nativeKnnEnabled() } };
  await parallelRows(job, queries.rows, flops, (s, e) => knnRange(bd, base.rows, norms, qd, s, e, base.dim, k, metric, ids, dists));
  return { ids, dists };
}
