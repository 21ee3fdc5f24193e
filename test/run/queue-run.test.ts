// test-lane: serial (two workers race for cells on one Redis: lock renewal timings)
// `vqbench run --queue` with two `vqbench worker`s on a throw-away redis-server: the same cells and
// the same non-timing metrics as a local run of the same task (the compare tests' shared run), the
// raw files carried back through Redis; a job from another commit refused in one sentence and
// recorded failed; an unreachable Redis and a run id held by another task refused with exit 2.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { parseRedisAddress } from '../../src/run/queue/connection.js';
import { queueEngine } from '../../src/run/queue/coordinator.js';
import { DEFAULT_QUEUE, JOB_SCHEMA, jobIdOf, runKey } from '../../src/run/queue/job.js';
import { expandTask, loadTask } from '../../src/run/task.js';
import { runTask, type RunFile } from '../../src/run/runner.js';
import type { CellResult } from '../../src/run/result.js';
import { assertSameNonTiming, cellFiles, sharedCompareRuns, writeTask } from '../helpers/compare-runs.js';
import { RedisServer, freePort, queueTestBed, redisMissing } from '../helpers/redis.js';
import { BIN, WorkerProcess } from '../helpers/workers.js';

let dir = '';
let redis: RedisServer;
const workers: WorkerProcess[] = [];
let bed: Awaited<ReturnType<typeof queueTestBed>>;
const quiet = { print: () => undefined };
const read = <M>(p: string) => JSON.parse(readFileSync(p, 'utf8')) as CellResult<M>;

before(async () => {
  if (redisMissing) return;
  bed = await queueTestBed('vqbench-queue-');
  ({ dir, redis } = bed);
  workers.push(...(await Promise.all([WorkerProcess.start(redis.url), WorkerProcess.start(redis.url)])));
});
after(async () => {
  if (redisMissing) return;
  await Promise.all(workers.map((w) => w.kill()));
  await bed.close();
});

test('two workers give the same cells and non-timing metrics as a local run, raw files included', { skip: redisMissing }, async () => {
  const local = (await sharedCompareRuns()).base; // the compare tests' local run of this very task
  const task = writeTask(dir, 'cmp', {
    quantizers: [{ method: 'pq', books: 2, size: 16 }],
    indexes: [{ index: 'ivfpq', build: { nlist: 8, m: 4 }, sweep: { nprobe: [1, 8] }, warmup: 5 }],
  });
  const lines: string[] = [];
  const s = await runTask({ task, resultsDir: join(dir, 'results'), engine: queueEngine({ address: parseRedisAddress(redis.url) }), print: (l) => lines.push(l) });
  assert.deepEqual(s.counts, { ok: 2, failed: 0, timeout: 0, 'not-run': 0 }, lines.join('\n')); // the run's lines say why a cell failed
  const runDir = join(dir, 'results', 'cmp-small');
  const ib = assertSameNonTiming(local, runDir);
  // the raw files came back through Redis into the run folder, at the paths the records name
  assert.ok(existsSync(join(runDir, ib[0].rawTruth!)), ib[0].rawTruth);
  // timing cells carry the fingerprint of the machine that ran them
  assert.match(ib[0].fingerprint!.id, /^[0-9a-f]{12}$/);
  // each cell ran once, on some worker; the coordinator names it; Redis keeps nothing afterwards
  const ran = workers.flatMap((w) => w.output.split('\n').filter((l) => /^ok .*\(run cmp-small\)/.test(l)));
  assert.equal(ran.length, 2, ran.join('\n'));
  assert.equal(lines.filter((l) => /^\[\d\/2\] ok .* \(on /.test(l)).length, 2, lines.join('\n'));
  const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunFile;
  assert.equal(run.status, 'finished');
  const q = new Queue(DEFAULT_QUEUE, { connection: parseRedisAddress(redis.url).options });
  try {
    const counts = await q.getJobCounts('wait', 'active', 'completed', 'failed', 'delayed');
    assert.deepEqual(Object.values(counts).reduce((a, b) => a + b, 0), 0, JSON.stringify(counts));
  } finally {
    await q.close();
  }
  // a second run of the same command finds every cell done: nothing is queued
  const again = await runTask({ task, resultsDir: join(dir, 'results'), engine: queueEngine({ address: parseRedisAddress(redis.url) }), ...quiet });
  assert.equal(again.skipped, 2);
  assert.equal(again.ran, 0);
});

test('a job from another commit is refused with one sentence, not retried, and recorded failed', { skip: redisMissing }, async () => {
  const task = writeTask(dir, 'commit', { rdBound: {} });
  const t = loadTask(task);
  const [cell] = expandTask(t, 'small');
  const address = parseRedisAddress(redis.url);
  // a job of this cell queued by a coordinator of another commit, due in 1.5 s (the coordinator leaves a queued job alone)
  const q = new Queue(DEFAULT_QUEUE, { connection: address.options });
  await q.add('cell', { schema: JOB_SCHEMA, run: 'commit-small', task: 'commit', taskFingerprint: 'x', scale: 'small', seed: 3, commit: '0123456789abcdef', cell, timeout: null }, { jobId: jobIdOf('commit-small', cell), attempts: 3, delay: 1500 });
  await q.close();
  const s = await runTask({ task, resultsDir: join(dir, 'results'), engine: queueEngine({ address }), ...quiet });
  assert.deepEqual(s.counts, { ok: 0, failed: 1, timeout: 0, 'not-run': 0 });
  const r = read(join(dir, 'results', 'commit-small', `${cell.id}.json`));
  assert.match(r.error!, /^the queue gave up on the cell after 1 attempt\(s\): the worker on \S+ is built from commit [0-9a-f]{10} but run commit-small from 0123456789; check out the same commit on every machine\.$/);
  assert.ok(workers.some((w) => /refused rd-bound\.tiny: /.test(w.output)));
});

test('an unreachable Redis is one sentence naming the address, exit 2, nothing written', { skip: redisMissing }, async () => {
  const task = writeTask(dir, 'unreachable', { rdBound: {} });
  const port = await freePort();
  const r = spawnSync(process.execPath, [BIN, 'run', task, '--results-dir', join(dir, 'results'), '--queue', `redis://127.0.0.1:${port}`], { encoding: 'utf8', env: { ...process.env, VQBENCH_REDIS_CONNECT_MS: '2000' } });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `error: cannot reach Redis at redis://127.0.0.1:${port} (ECONNREFUSED); start redis-server there or give --queue the right address.\n`);
  assert.ok(!existsSync(join(dir, 'results', 'unreachable-small')));
  assert.throws(() => parseRedisAddress('http://127.0.0.1:1'), { name: 'InputError', message: '--queue http://127.0.0.1:1 is not a Redis address; give redis://HOST:PORT.' });
  assert.throws(() => parseRedisAddress('redis://h:1/x'), { name: 'InputError', message: '--queue redis://h:1/x: the database number after the port must be an integer ≥ 0.' });
});

test('a run id whose queued cells belong to another task is refused before anything is written', { skip: redisMissing }, async () => {
  const task = writeTask(dir, 'taken', { rdBound: {} });
  const client = new Redis(parseRedisAddress(redis.url).options);
  await client.set(runKey(DEFAULT_QUEUE, 'taken-small'), JSON.stringify({ fingerprint: 'feedfacefeedface', task: 'other' }));
  client.disconnect();
  await assert.rejects(
    runTask({ task, resultsDir: join(dir, 'results'), engine: queueEngine({ address: parseRedisAddress(redis.url) }), ...quiet }),
    { name: 'ConfigError', message: /^the queue vqbench at redis:\/\/127\.0\.0\.1:\d+ holds cells of run taken-small for task other \(fingerprint feedfacefeedface\), not this task taken \(fingerprint [0-9a-f]{16}\); choose another --run/ },
  );
  assert.ok(!existsSync(join(dir, 'results', 'taken-small')));
});
