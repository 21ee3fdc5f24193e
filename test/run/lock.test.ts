// Run-folder locks: pid + process start time + host. A lock whose pid now belongs to another live
// process (a reused pid) is taken over; a lock of a live runner is refused in one sentence.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, InputError } from '../../src/core/errors.js';
import { acquireLock, lockIsLive, processStartTime, type LockInfo } from '../../src/run/lock.js';
import { runTask } from '../../src/run/runner.js';
import { assertUserError, runCli } from '../helpers/cli.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-lock-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function folder(): string {
  const d = join(dir, `f${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
}

const parent = (): LockInfo => ({ pid: process.ppid, startTime: processStartTime(process.ppid), hostname: hostname(), startedAt: '2026-01-01T00:00:00Z' });
const writeLock = (d: string, info: Partial<LockInfo>) => writeFileSync(join(d, '.lock'), JSON.stringify(info) + '\n');
const readLock = (d: string) => JSON.parse(readFileSync(join(d, '.lock'), 'utf8')) as LockInfo;

test('the start time is field 22 of /proc/<pid>/stat: a number for live processes, null for none', () => {
  const mine = processStartTime(process.pid), theirs = processStartTime(process.ppid);
  assert.ok(Number.isInteger(mine) && Number.isInteger(theirs), `${mine} ${theirs}`);
  assert.ok(mine! >= theirs!, 'a child starts after its parent');
  assert.equal(processStartTime(2 ** 22 + 12345), null); // above pid_max: no such process
  assert.equal(lockIsLive(parent()), true);
  assert.equal(lockIsLive({ ...parent(), startTime: parent().startTime! + 1 }), false);
  assert.equal(lockIsLive({ ...parent(), hostname: `${hostname()}-elsewhere` }), false);
  assert.equal(lockIsLive({ pid: process.ppid, startedAt: 'x' }), false); // no host, no start time: not this host's
});

test('a live pid with another start time (a reused pid) is a stale lock: taken over', () => {
  const d = folder();
  writeLock(d, { ...parent(), startTime: parent().startTime! - 7 });
  const release = acquireLock(d, 'run x');
  const held = readLock(d);
  assert.equal(held.pid, process.pid);
  assert.equal(held.startTime, processStartTime(process.pid));
  assert.equal(held.hostname, hostname());
  release();
  assert.ok(!existsSync(join(d, '.lock')));
  assert.deepEqual(readdirSync(d), []); // no temporary left beside it
});

test('the same pid and start time on this host is a live runner: refused in one sentence, its lock kept', () => {
  const d = folder();
  writeLock(d, parent());
  assert.throws(() => acquireLock(d, 'run x'), (e: Error) => e instanceof ConfigError && /^run x is already in progress in process \d+ on this host \(since 2026-01-01T00:00:00Z\); wait for it to end or stop it first\.$/.test(e.message));
  assert.deepEqual(readLock(d), parent());
  assert.deepEqual(readdirSync(d), ['.lock']);
});

test('a lock from another host, an empty lock and a dead pid are taken over; a folder in the way is one sentence', () => {
  for (const content of [JSON.stringify({ ...parent(), hostname: 'another-host' }), '', JSON.stringify({ pid: 2 ** 22 + 12345, startTime: 1, hostname: hostname() })]) {
    const d = folder();
    writeFileSync(join(d, '.lock'), content);
    acquireLock(d, 'run x')();
    assert.ok(!existsSync(join(d, '.lock')));
  }
  const d = folder();
  mkdirSync(join(d, '.lock'));
  assert.throws(() => acquireLock(d, 'run x'), (e: Error) => e instanceof InputError && e.message === `cannot write the lock ${join(d, '.lock')}: a folder of that name is in the way; remove it.`);
});

test('vqbench run on a folder a live runner holds: exit 2, one line, nothing written', () => {
  const task = join(dir, 'locked.json');
  writeFileSync(task, JSON.stringify({ name: 'locked', description: 'x', report: false, grid: { datasets: ['synthetic-gmm'], quantizers: [{ method: 'pq', books: 2, size: 4 }] } }));
  const runDir = join(dir, 'results', 'locked-small');
  mkdirSync(runDir, { recursive: true });
  writeLock(runDir, parent());
  const r = runCli(['run', task, '--results-dir', join(dir, 'results')]);
  assertUserError(r, new RegExp(`^error: run locked-small is already in progress in process ${process.ppid} on this host`));
  assert.deepEqual(readdirSync(runDir), ['.lock']);
  // and through the API: the same ConfigError, before any cell runs
  return assert.rejects(runTask({ task, resultsDir: join(dir, 'results'), print: () => undefined }), ConfigError);
});
