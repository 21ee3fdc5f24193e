/**
 * `vqbench worker`: a BullMQ Worker that takes cells from the queue and runs each as the local
 * runner does, in its own child process (src/run/execute.ts). The processor only awaits that
 * process, so this process's event loop stays free and BullMQ keeps renewing the job's lock however
 * long the cell runs; if this worker dies, the lock lapses and another worker's stalled check puts
 * the job back on the queue (the cell process ends with its parent: src/run/cell.ts).
 *
 * The worker prepares the dataset subset itself when its cache lacks it (subsets are deterministic
 * and checksummed: src/run/datasets.ts), writes the cell's raw files to a temporary folder and
 * sends them back with the result, so no shared file system is needed. A job from a coordinator
 * built from another commit is refused with one sentence (UnrecoverableError: no retry). A cell
 * that crashes or times out is thrown back to BullMQ while attempts remain (`--retries`), and its
 * last attempt's result is returned as it is (failed / timeout, with its log).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { captureEnvironment, type RunEnvironment } from '../env.js';
import { blasName, executeCellProcess, killRunningCell, usesFaiss, type CellContext } from '../execute.js';
import type { PreparedDataset } from '../datasets.js';
import { formatDuration } from '../estimate.js';
import { assertReachable, bullConnection, type RedisAddress } from './connection.js';
import { packFolder } from './files.js';
import { DEFAULT_QUEUE, JOB_SCHEMA, type CellJobData, type CellJobReturn } from './job.js';
import { lockOptions } from './timing.js';

export interface WorkerOptions {
  address: RedisAddress;
  queueName?: string;
  concurrency?: number;
  print?: (line: string) => void;
}

const shortCommit = (c: string | null) => (c ? c.slice(0, 10) : 'no commit (not a git checkout)');

/** The sentence a worker refuses a job from another commit with, or null when the commits agree. */
export function commitMismatch(own: RunEnvironment, job: Pick<CellJobData, 'commit' | 'run'>): string | null {
  if (own.gitCommit === job.commit) return null;
  return `the worker on ${hostname()} is built from commit ${shortCommit(own.gitCommit)} but run ${job.run} from ${shortCommit(job.commit)}; check out the same commit on every machine.`;
}

/** The processor: one job → one cell process → its result, raw files and output. */
export function cellProcessor(print: (line: string) => void) {
  const env = captureEnvironment();
  const blas = blasName();
  // prepared datasets per seed (a subset depends on it), shared by the jobs of this worker
  const prepared = new Map<number, Map<string, Promise<PreparedDataset>>>();
  return async (job: Job<CellJobData, CellJobReturn>): Promise<CellJobReturn> => {
    const d = job.data;
    if (d?.schema !== JOB_SCHEMA) throw new UnrecoverableError(`job ${job.id} is not a vqbench cell (schema ${JSON.stringify(d?.schema)}, expected ${JOB_SCHEMA}).`);
    const refusal = commitMismatch(env, d);
    if (refusal) {
      print(`refused ${d.cell.id}: ${refusal}`);
      throw new UnrecoverableError(refusal);
    }
    if (!prepared.has(d.seed)) prepared.set(d.seed, new Map());
    const scratch = mkdtempSync(join(tmpdir(), 'vqbench-worker-'));
    try {
      const ctx: CellContext = { run: d.run, task: d.task, scale: d.scale, seed: d.seed, env, blas: usesFaiss(d.cell) ? blas : null, prepared: prepared.get(d.seed)!, runDir: scratch };
      const { result, output } = await executeCellProcess(d.cell, d.timeout, ctx, () => undefined);
      const attempts = job.opts.attempts ?? 1;
      const attempt = job.attemptsMade + 1;
      print(`${result.status.padEnd(7)} ${formatDuration(result.timing.wallSeconds).padStart(7)}  ${d.cell.id} (run ${d.run}${attempts > 1 ? `, attempt ${attempt} of ${attempts}` : ''})`);
      if ((result.status === 'failed' || result.status === 'timeout') && attempt < attempts) throw new Error(result.error ?? `the cell ended ${result.status}.`);
      if (attempts > 1 && result.error) result.error = `${result.error.replace(/\.$/, '')} (attempt ${attempt} of ${attempts}).`;
      return { result, output, raw: packFolder(join(scratch, 'raw', d.cell.id)), worker: hostname() };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  };
}

/** Starts the worker; resolves with it once connected. Ends on SIGINT/SIGTERM: its cells in progress go back to the queue. */
export async function startWorker(opts: WorkerOptions): Promise<Worker<CellJobData, CellJobReturn>> {
  const print = opts.print ?? ((l: string) => process.stdout.write(l + '\n'));
  await assertReachable(opts.address);
  const queueName = opts.queueName ?? DEFAULT_QUEUE;
  const concurrency = opts.concurrency ?? 1;
  const worker = new Worker<CellJobData, CellJobReturn>(queueName, cellProcessor(print), {
    connection: bullConnection(opts.address), concurrency, autorun: false, ...lockOptions(),
  });
  let down = false;
  worker.on('error', (e) => {
    // a lost connection retries by itself: say it once, and again when it is back
    if (down) return;
    down = true;
    print(`warning: ${opts.address.display}: ${(e as Error).message}; retrying.`);
  });
  worker.on('ready', () => {
    if (down) print(`connected to ${opts.address.display} again.`);
    down = false;
  });
  const onSignal = (sig: NodeJS.Signals) => {
    killRunningCell();
    process.stderr.write(`worker stopped (${sig}); its cells in progress go back to the queue once their locks lapse.\n`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  void worker.run();
  await worker.waitUntilReady();
  print(`worker on ${hostname()}: queue ${queueName} at ${opts.address.display}, ${concurrency} cell${concurrency === 1 ? '' : 's'} at a time, commit ${shortCommit(captureEnvironment().gitCommit)}.`);
  return worker;
}
