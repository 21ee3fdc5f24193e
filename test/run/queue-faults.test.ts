// test-lane: serial (workers killed mid-cell and Redis restarted: lock and stall timings)
// The queue under faults, on a throw-away redis-server: a worker SIGKILLed mid-cell (the other
// worker finishes the cell once its lock lapses: nothing lost, nothing run or written twice), Redis
// stopped and restarted mid-run (its jobs are gone: the coordinator queues them again and the run
// finishes), and Redis gone for longer than the coordinator waits (one sentence, run.json
// interrupted, --resume finishes it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { parseRedisAddress } from '../../src/run/queue/connection.js';
import { queueEngine } from '../../src/run/queue/coordinator.js';
import { DEFAULT_QUEUE } from '../../src/run/queue/job.js';
import { alive, runTask, type RunFile } from '../../src/run/runner.js';
import type { CellResult } from '../../src/run/result.js';
import { writeTask } from '../helpers/compare-runs.js';
import { RedisServer, queueTestBed, redisMissing } from '../helpers/redis.js';
import { WorkerProcess } from '../helpers/workers.js';

let dir = '';
let redis: RedisServer;
let survivor: WorkerProcess | null = null;
let bed: Awaited<ReturnType<typeof queueTestBed>>;
const LOCK = { VQBENCH_QUEUE_LOCK_MS: '1000' }; // a dead worker's cell is back on the queue within ~2 s
const cellFiles = (runDir: string) => (existsSync(runDir) ? readdirSync(runDir).filter((f) => f.endsWith('.json') && f !== 'run.json').sort() : []);
const read = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as CellResult;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const engine = () => queueEngine({ address: parseRedisAddress(redis.url) });

async function until(what: string, ms: number, ok: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    assert.ok(Date.now() < deadline, `${what} within ${ms} ms`);
    await sleep(50);
  }
}

/** The pids of a process's children (Linux /proc). */
const childrenOf = (pid: number) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

before(async () => {
  if (redisMissing) return;
  bed = await queueTestBed('vqbench-queue-faults-');
  ({ dir, redis } = bed);
});
after(async () => {
  if (redisMissing) return;
  await survivor?.kill();
  await bed.close();
});

test('a worker SIGKILLed mid-cell: the other worker finishes the cell, written once', { skip: redisMissing }, async () => {
  const task = writeTask(dir, 'killed', { rdBound: {} });
  // this worker's cell never ends (test hook), so it is surely mid-cell when killed
  const doomed = await WorkerProcess.start(redis.url, { ...LOCK, VQBENCH_TEST_FAULT: 'rd-bound=hang' });
  const lines: string[] = [];
  const running = runTask({ task, resultsDir: join(dir, 'results'), engine: engine(), print: (l) => lines.push(l) });
  const q = new Queue(DEFAULT_QUEUE, { connection: parseRedisAddress(redis.url).options });
  await until('the doomed worker takes the cell', 30_000, async () => (await q.getJobCounts('active')).active === 1);
  await until('its cell process starts', 10_000, () => childrenOf(doomed.proc.pid!).length > 0);
  const cellProcesses = childrenOf(doomed.proc.pid!);
  await doomed.kill('SIGKILL');
  survivor = await WorkerProcess.start(redis.url, { ...LOCK, VQBENCH_TEST_FAULT: 'flaky=crash' }); // a 'flaky' cell dies every time (last test)
  const s = await running;
  assert.deepEqual(s.counts, { ok: 1, failed: 0, timeout: 0, 'not-run': 0 });
  const runDir = join(dir, 'results', 'killed-small');
  assert.deepEqual(cellFiles(runDir), ['rd-bound.tiny.json']);
  assert.equal(read(join(runDir, 'rd-bound.tiny.json')).status, 'ok');
  assert.equal(lines.filter((l) => /rd-bound\.tiny/.test(l) && /^\[/.test(l)).length, 1);
  assert.equal(survivor.output.split('\n').filter((l) => /^ok .*rd-bound\.tiny \(run killed-small\)/.test(l)).length, 1, survivor.output);
  // the killed worker's cell process ended with it, and Redis keeps nothing of the run
  await until('the orphaned cell process exits', 5_000, () => cellProcesses.every((p) => !alive(p)));
  const counts = await q.getJobCounts('wait', 'active', 'completed', 'failed', 'delayed');
  await q.close();
  assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), 0, JSON.stringify(counts));
});

test('Redis stopped and restarted mid-run: the lost jobs are queued again and the run finishes', { skip: redisMissing }, async () => {
  assert.ok(survivor, 'the worker of the previous test');
  const task = writeTask(dir, 'restart', { quantizers: [{ method: 'pq', books: [1, 2], size: 8 }] });
  const runDir = join(dir, 'results', 'restart-small');
  const lines: string[] = [];
  const running = runTask({ task, resultsDir: join(dir, 'results'), engine: engine(), print: (l) => lines.push(l) });
  await until('the first result', 60_000, () => cellFiles(runDir).length === 1);
  await redis.stop(); // no persistence: every job is gone
  await sleep(500);
  await redis.restart();
  const s = await running;
  assert.deepEqual(s.counts, { ok: 2, failed: 0, timeout: 0, 'not-run': 0 });
  assert.deepEqual(cellFiles(runDir), ['quantize.tiny.pq.books-1.size-8.json', 'quantize.tiny.pq.books-2.size-8.json']);
  assert.ok(lines.some((l) => /^note: Redis at redis:\/\/127\.0\.0\.1:\d+ had lost 1 queued cell\(s\) \(restarted\?\); they are queued again\.$/.test(l)), lines.join('\n'));
  assert.equal((JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunFile).status, 'finished');
});

test('Redis gone for longer than the coordinator waits: one sentence, run.json interrupted, --resume finishes', { skip: redisMissing }, async () => {
  process.env.VQBENCH_QUEUE_OUTAGE_S = '2';
  const task = writeTask(dir, 'outage', { rdBound: {} });
  const runDir = join(dir, 'results', 'outage-small');
  await assert.rejects(
    runTask({ task, resultsDir: join(dir, 'results'), engine: engine(), print: (l) => { if (l.startsWith('queued ')) void redis.stop(); } }),
    { name: 'InputError', message: `lost Redis at ${redis.url} for more than 2 s; the results written so far are in ${runDir}: start Redis and re-run with --resume.` },
  );
  assert.equal((JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunFile).status, 'interrupted');
  assert.deepEqual(cellFiles(runDir), []);
  await redis.restart();
  const s = await runTask({ task, resultsDir: join(dir, 'results'), resume: true, engine: engine(), print: () => undefined });
  assert.deepEqual(s.counts, { ok: 1, failed: 0, timeout: 0, 'not-run': 0 });
  assert.deepEqual(cellFiles(runDir), ['rd-bound.tiny.json']);
  assert.equal((JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunFile).status, 'finished');
});

test('--retries: a cell that crashes every time is tried again, then recorded failed with its reason', { skip: redisMissing }, async () => {
  assert.ok(survivor, 'the worker of the first test');
  const task = writeTask(dir, 'retries', { quantizers: [{ label: 'flaky', method: 'pq', books: 1, size: 8 }] });
  const runDir = join(dir, 'results', 'retries-small');
  const s = await runTask({ task, resultsDir: join(dir, 'results'), engine: queueEngine({ address: parseRedisAddress(redis.url), retries: 1, backoffMs: 200 }), print: () => undefined });
  assert.deepEqual(s.counts, { ok: 0, failed: 1, timeout: 0, 'not-run': 0 });
  const id = 'quantize.tiny.flaky.pq.books-1.size-8';
  const r = read(join(runDir, `${id}.json`));
  assert.equal(r.error, "the cell's process ended without a result (killed by SIGKILL) (attempt 2 of 2).");
  assert.deepEqual(survivor!.output.split('\n').filter((l) => l.includes(id)).map((l) => l.replace(/^(\S+).*(attempt \d of \d)\)$/, '$1 $2')), ['failed attempt 1 of 2', 'failed attempt 2 of 2']);
});
