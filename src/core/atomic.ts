/**
 * Atomic file writes: write a sibling temporary file, then rename it over the target, so that a
 * crash or a failed run never leaves a half-written file nor destroys an earlier result. A failure
 * the user can cause (the target is a directory, a file is in the way of its folder, read-only or
 * full disk, permission, name too long) is one InputError sentence naming the target
 * (src/core/fs-errors.ts), and the temporary file is removed.
 *
 * A target that exists and is not a regular file (a device such as /dev/stdout or /dev/null, a
 * FIFO) is written directly: renaming over it would replace the device.
 */
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsInputError } from './fs-errors.js';

/** The fs calls of this module; tests replace one to inject a failure (ENOSPC, EROFS, EACCES). */
export const atomicFs = {
  mkdirSync: fs.mkdirSync,
  writeFileSync: fs.writeFileSync,
  renameSync: fs.renameSync,
  rmSync: fs.rmSync,
  statSync: fs.statSync,
};

/** Creates `dir` and its parents; a failure is one sentence naming `dir` (or `forPath`: "cannot write <forPath>: …"). */
export function ensureDir(dir: string, forPath?: string): void {
  try {
    atomicFs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw (forPath ? fsInputError(e, forPath, 'write') : fsInputError(e, dir, 'create the directory')) ?? e;
  }
}

/** The temporary sibling of `path`: hidden, short enough that only a too-long target name fails. */
export function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path).slice(0, 64)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  ensureDir(dirname(path), path);
  let st: fs.Stats | undefined;
  try {
    st = atomicFs.statSync(path, { throwIfNoEntry: false });
  } catch (e) {
    throw fsInputError(e, path, 'write') ?? e;
  }
  if (st?.isDirectory()) throw fsInputError(Object.assign(new Error('EISDIR'), { code: 'EISDIR', path }), path, 'write')!;
  if (st && !st.isFile()) {
    // a device or FIFO: write through it, never rename over it
    try {
      atomicFs.writeFileSync(path, data);
    } catch (e) {
      throw fsInputError(e, path, 'write') ?? e;
    }
    return;
  }
  const tmp = tempSibling(path);
  try {
    atomicFs.writeFileSync(tmp, data);
    atomicFs.renameSync(tmp, path);
  } catch (e) {
    try {
      atomicFs.rmSync(tmp, { force: true });
    } catch {
      // nothing more can be done; the original error says why
    }
    throw fsInputError(e, path, 'write') ?? e;
  }
}

/**
 * Checks up front, before a long computation, that `path` can be written by `writeFileAtomic`:
 * its folder can be created, it is not a directory, and a file can be created beside it. Throws the
 * same one-sentence InputError the write would; leaves nothing behind but the folder.
 */
export function assertWritable(path: string): void {
  ensureDir(dirname(path), path);
  let st: fs.Stats | undefined;
  try {
    st = atomicFs.statSync(path, { throwIfNoEntry: false }); // also ENAMETOOLONG
  } catch (e) {
    throw fsInputError(e, path, 'write') ?? e;
  }
  if (st?.isDirectory()) throw fsInputError(Object.assign(new Error('EISDIR'), { code: 'EISDIR', path }), path, 'write')!;
  if (st && !st.isFile()) return; // a device: written through
  const probe = tempSibling(path);
  try {
    atomicFs.writeFileSync(probe, '');
  } catch (e) {
    throw fsInputError(e, path, 'write') ?? e;
  } finally {
    try { atomicFs.rmSync(probe, { force: true }); } catch { /* gone */ }
  }
}

/** Checks up front that files can be written under the folder `dir` (created if missing). */
export function assertWritableDir(dir: string): void {
  ensureDir(dir);
  const probe = join(dir, `.vqbench-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    atomicFs.writeFileSync(probe, '');
  } catch (e) {
    throw fsInputError(e, dir, 'write into') ?? e;
  } finally {
    try { atomicFs.rmSync(probe, { force: true }); } catch { /* gone */ }
  }
}
