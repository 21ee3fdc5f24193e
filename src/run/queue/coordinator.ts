/**
 * `vqbench run TASK --queue redis://HOST:PORT`: the runner's plan, lock, run.json and skip-if-done
 * as for a local run (src/run/runner.ts), with the cells not done yet spread over BullMQ workers
 * (src/run/queue/worker.ts) instead of run here.
 *
 * Where results land: each worker sends its cell's result back through Redis (the job's return
 * value, with the cell's raw files and its log), and this coordinator writes it into the run folder
 * atomically, as the local runner does; workers need no shared file system. A result is written
 * once: the job is then removed from Redis, and a second report of the same cell is ignored.
 *
 * Following: QueueEvents wakes the loop when a job completes or fails, and every poll interval the
 * coordinator checks each outstanding job itself, so a lost event (a Redis restart) changes
 * nothing. A job Redis no longer has (restarted without persistence) is queued again; a job that
 * failed for good (retries used up, refused by a worker of another commit, stalled too often) is
 * recorded failed with its reason. While Redis is away the coordinator waits (its connections
 * reconnect); after VQBENCH_QUEUE_OUTAGE_S seconds it stops with one sentence, run.json
 * interrupted, and `--resume` goes on from what was written.
 */
import { Queue, QueueEvents, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { ConfigError, InputError } from '../../core/errors.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { definitionsOf, oneSentence } from '../cell-job.js';
import type { CellContext } from '../execute.js';
import type { CellPlan } from '../kinds/types.js';
import type { RunPlan } from '../plan.js';
import { RESULT_SCHEMA, type CellResult } from '../result.js';
import type { CellEngine, EngineIO, PendingCell } from '../runner.js';
import { assertReachable, bullConnection, type RedisAddress } from './connection.js';
import { unpackFolder } from './files.js';
import { DEFAULT_QUEUE, JOB_SCHEMA, jobIdOf, runKey, taskFingerprint, type CellJobData, type CellJobReturn } from './job.js';
import { outageLimit, pollInterval } from './timing.js';

export interface QueueRunOptions {
  address: RedisAddress;
  queueName?: string;
  /** Attempts after the first for a cell that crashes or times out (default 0). */
  retries?: number;
  /** Milliseconds between attempts (fixed backoff; default 2000). */
  backoffMs?: number;
}

type CellJob = Job<CellJobData, CellJobReturn>;

/** The result recorded for a cell the queue gave up on (no result came back from a worker). */
export function queueFailure(cell: CellPlan, ctx: CellContext, reason: string): CellResult {
  return {
    schema: RESULT_SCHEMA, run: ctx.run, task: ctx.task, cell: cell.id, kind: cell.kind, config: cell.config, scale: ctx.scale, seed: ctx.seed,
    status: 'failed', error: oneSentence(reason),
    dataset: cell.dataset ? { name: cell.dataset.name, checksum: null } : null,
    env: ctx.env,
    timing: { startedAt: new Date().toISOString(), wallSeconds: 0, cpuSeconds: 0, peakRssBytes: 0 },
    definitions: definitionsOf(cell.kind), metrics: null,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Closes a BullMQ object, waiting at most `ms`: with Redis gone, close() would wait for ever, so its
 * connection is then dropped outright (ioredis' disconnect() stops reconnecting at once).
 */
async function closeSoon(c: { close(): Promise<void>; client: Promise<{ disconnect(): unknown }> } | null, ms = 2000): Promise<void> {
  if (!c) return;
  const done = await Promise.race([c.close().then(() => true, () => true), sleep(ms).then(() => false)]);
  if (done) return;
  const client = await Promise.race([c.client.catch(() => null), sleep(100).then(() => null)]);
  try {
    client?.disconnect();
  } catch {
    // gone already
  }
}

export function queueEngine(opts: QueueRunOptions): CellEngine {
  const name = opts.queueName ?? DEFAULT_QUEUE;
  const addr = opts.address;
  let queue: Queue<CellJobData, CellJobReturn> | null = null;
  let events: QueueEvents | null = null;
  /** A plain connection for the run's key in Redis. */
  let meta: Redis | null = null;
  let fingerprint = '';
  let run = '';
  let taskName = '';

  /** Claims the run id for this task in Redis; another task's claim is a ConfigError. */
  async function claimRun(): Promise<void> {
    const client = meta!;
    const key = runKey(name, run);
    await client.set(key, JSON.stringify({ fingerprint, task: taskName }), 'NX');
    let held: { fingerprint?: string; task?: string } = {};
    try {
      held = JSON.parse((await client.get(key)) ?? '{}') as typeof held;
    } catch {
      held = {};
    }
    if (held.fingerprint !== fingerprint) {
      throw new ConfigError(`the queue ${name} at ${addr.display} holds cells of run ${run} for ${held.task === taskName ? 'another version of task' : 'task'} ${held.task} (fingerprint ${held.fingerprint}), not this task ${taskName} (fingerprint ${fingerprint}); choose another --run, or let those cells finish (redis-cli DEL ${key} forgets them).`);
    }
  }

  return {
    async open(plan: RunPlan) {
      await assertReachable(addr);
      run = plan.run;
      taskName = plan.task.name;
      fingerprint = taskFingerprint(plan.task.name, plan.scale, plan.seed, plan.cells);
      queue = new Queue<CellJobData, CellJobReturn>(name, { connection: bullConnection(addr) });
      queue.on('error', () => undefined); // outages are handled by the follow loop's watchdog
      meta = new Redis(bullConnection(addr));
      meta.on('error', () => undefined);
      await claimRun();
    },

    async run(pending: PendingCell[], io: EngineIO) {
      const q = queue!;
      const { plan, ctx, progress, print } = io;
      const attempts = 1 + (opts.retries ?? 0);
      const outstanding = new Map(pending.map((p) => [jobIdOf(run, p.cell), p]));
      const dataOf = (p: PendingCell): CellJobData => ({
        schema: JOB_SCHEMA, run, task: taskName, taskFingerprint: fingerprint, scale: plan.scale, seed: plan.seed,
        commit: ctx.env.gitCommit, cell: p.cell, timeout: plan.timeoutOf(p.cell),
      });
      const add = (id: string, p: PendingCell) => q.add('cell', dataOf(p), { jobId: id, attempts, backoff: { type: 'fixed', delay: opts.backoffMs ?? 2000 }, removeOnComplete: false, removeOnFail: false });

      /** Takes a finished job's answer into the run folder (once), then drops the job from Redis. */
      const settle = async (id: string, job: CellJob, state: string): Promise<void> => {
        const p = outstanding.get(id);
        if (!p) return;
        if (state === 'completed') {
          const rv = job.returnvalue;
          if (!rv || rv.result?.cell !== p.cell.id) {
            io.record(p, { result: queueFailure(p.cell, ctx, `the worker returned no result for cell ${p.cell.id}.`), output: '' });
          } else {
            // as a local re-run does, the cell's raw folder is replaced by the one it just wrote
            rmSync(join(plan.runDir, 'raw', p.cell.id), { recursive: true, force: true });
            unpackFolder(join(plan.runDir, 'raw', p.cell.id), rv.raw ?? []);
            io.record(p, { result: rv.result, output: rv.output ?? '' }, `on ${rv.worker}`);
          }
        } else {
          const reason = job.failedReason || 'the job failed without a reason.';
          io.record(p, { result: queueFailure(p.cell, ctx, `the queue gave up on the cell after ${job.attemptsMade} attempt(s): ${reason}`), output: job.stacktrace?.join('\n') ?? '' });
        }
        outstanding.delete(id);
        await job.remove().catch(() => undefined);
      };

      // enqueue: a job already waiting or running is left alone; one finished before (this
      // coordinator was stopped before writing it) is taken; one failed before gets new attempts
      for (const [id, p] of outstanding) {
        const job = (await q.getJob(id)) as CellJob | undefined;
        const state = job ? await job.getState() : 'missing';
        if (job && state === 'failed') await job.remove();
        if (!job || state === 'failed' || state === 'unknown') await add(id, p);
        else if (state === 'completed') await settle(id, job, state);
      }
      print(`queued ${outstanding.size} cell(s) on ${name} at ${addr.display}; start \`vqbench worker --queue ${addr.display}\` on each machine.`);

      let wake: () => void = () => undefined;
      events = new QueueEvents(name, { connection: bullConnection(addr) });
      events.on('error', () => undefined);
      const poke = ({ jobId }: { jobId: string }) => {
        if (outstanding.has(jobId)) wake();
      };
      events.on('completed', poke);
      events.on('failed', poke);

      let lastContact = Date.now();
      let active = 0;
      /** One pass over the outstanding jobs: settle the finished, queue again the vanished. */
      const reconcile = async () => {
        let running = 0;
        let requeued = 0;
        for (const [id, p] of [...outstanding]) {
          const job = (await q.getJob(id)) as CellJob | undefined;
          const state = job ? await job.getState() : 'missing';
          if (state === 'completed' || state === 'failed') await settle(id, job!, state);
          else if (state === 'missing' || state === 'unknown') {
            await add(id, p);
            requeued++;
          } else if (state === 'active') running++;
        }
        if (requeued) {
          await claimRun();
          progress.clear();
          print(`note: Redis at ${addr.display} had lost ${requeued} queued cell(s) (restarted?); they are queued again.`);
          progress.redraw();
        }
        active = running;
        lastContact = Date.now();
      };

      const remaining = () => [...outstanding.values()].reduce((t, p) => t + plan.estimates.get(p.cell.id)!.seconds, 0);
      const limit = outageLimit();
      while (outstanding.size) {
        progress.startCell(`${active} on workers`, 0, remaining());
        progress.draw(io.finished(), `${outstanding.size} to go`);
        await Promise.race([sleep(pollInterval()), new Promise<void>((r) => (wake = r))]);
        const pass = reconcile();
        pass.catch(() => undefined);
        // a Redis that went away makes the pass wait (its connection reconnects); give up after the limit
        while (!(await Promise.race([pass.then(() => true, () => true), sleep(1000).then(() => false)]))) {
          if (Date.now() - lastContact > limit * 1000) {
            throw new InputError(`lost Redis at ${addr.display} for more than ${limit} s; the results written so far are in ${plan.runDir}: start Redis and re-run with --resume.`);
          }
        }
        await pass; // a refused write of a result stops the run (the runner marks it interrupted)
      }
      // every cell is written: the run id is free again for any task
      await meta!.del(runKey(name, run));
    },

    interrupt() {
      // the jobs stay queued: workers finish them, and a --resume takes their results
    },

    async close() {
      await Promise.all([closeSoon(events), closeSoon(queue)]);
      meta?.disconnect();
      events = null;
      queue = null;
      meta = null;
    },
  };
}
