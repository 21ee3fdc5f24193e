/**
 * One writer per folder (a run folder, a report folder): `<dir>/.lock` names the process that holds
 * it by pid, the process's start time and the host. A lock is live only when the host is this one
 * and a process with that pid AND that start time exists, so a pid reused by another process after
 * a killed runner does not block the next run. The start time is field 22 of /proc/<pid>/stat
 * (clock ticks since boot: exact, unlike wall time); where /proc is absent it is null and the pid
 * alone decides.
 *
 * The lock file is written complete under a temporary name and hard-linked into place (link fails
 * when `.lock` exists: the atomic test-and-set), so there is never an empty or half-written lock.
 */
import { linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError, InputError } from '../core/errors.js';
import { outputError, makeFolder } from './output.js';

export interface LockInfo {
  pid: number;
  /** Start time of the process, clock ticks since boot (/proc/<pid>/stat field 22); null where unknown. */
  startTime: number | null;
  hostname: string;
  startedAt: string;
}

/** Is a process with this pid running (EPERM: it exists, owned by someone else)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Field 22 of /proc/<pid>/stat (after the command name, which may hold spaces and parentheses); null without /proc or that process. */
export function processStartTime(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3
  const t = Number(fields[22 - 3]);
  return Number.isFinite(t) ? t : null;
}

/** This process's lock record. */
export function ownLock(): LockInfo {
  return { pid: process.pid, startTime: processStartTime(process.pid), hostname: hostname(), startedAt: new Date().toISOString() };
}

/** Does the process that wrote `info` still run (same host, same pid, same start time)? */
export function lockIsLive(info: Partial<LockInfo>): boolean {
  if (typeof info.pid !== 'number' || info.hostname !== hostname() || !alive(info.pid)) return false;
  const now = processStartTime(info.pid);
  return now === null ? info.startTime === null || info.startTime === undefined : info.startTime === now;
}

function readLock(p: string): Partial<LockInfo> | null {
  try {
    const j = JSON.parse(readFileSync(p, 'utf8')) as unknown;
    return typeof j === 'object' && j !== null ? (j as Partial<LockInfo>) : null;
  } catch {
    return null;
  }
}

/**
 * Takes `<dir>/.lock` (creating `dir`) and returns its release. A live lock of another process is a
 * ConfigError (`what` names the thing locked: "run table2-recall-small"); a dead one is taken over.
 */
export function acquireLock(dir: string, what: string): () => void {
  makeFolder(dir, 'the folder');
  const p = join(dir, '.lock');
  const mine = ownLock();
  const tmp = join(dir, `.lock-${process.pid}-${Date.now()}.new`);
  try {
    writeFileSync(tmp, JSON.stringify(mine) + '\n');
  } catch (e) {
    rmSync(tmp, { force: true });
    throw outputError(e, 'the lock', p);
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, p);
        return () => {
          try {
            rmSync(p, { force: true });
          } catch (e) {
            throw outputError(e, 'the lock', p);
          }
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw outputError(e, 'the lock', p);
        if (statSync(p).isDirectory()) throw new InputError(`cannot write the lock ${p}: a folder of that name is in the way; remove it.`);
        const held = readLock(p);
        if (held && held.pid !== process.pid && lockIsLive(held)) {
          throw new ConfigError(`${what} is already in progress in process ${held.pid} on this host (since ${held.startedAt ?? 'an unknown time'}); wait for it to end or stop it first.`);
        }
        rmSync(p, { force: true }); // a killed or finished process's lock (or an unreadable one)
      }
    }
    throw new ConfigError(`could not lock ${p}: other processes keep taking it.`);
  } finally {
    rmSync(tmp, { force: true });
  }
}
