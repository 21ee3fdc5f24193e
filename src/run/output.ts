/**
 * The runner's writes (run.json, result files, logs, the lock): a write that the file system
 * refuses (disk full, permissions, read-only, a folder or a file in the way) is a user's problem,
 * not a bug: one InputError sentence naming the path, so the CLI prints `error: …` and exits 2.
 * Every file is written atomically (src/core/atomic.ts): a failed write leaves the previous content.
 */
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic.js';
import { InputError } from '../core/errors.js';

const WHY: Record<string, string> = {
  ENOSPC: 'no space is left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  EROFS: 'the file system is read-only',
  EISDIR: 'a folder of that name is in the way',
  ERR_FS_EISDIR: 'a folder of that name is in the way',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a part of the path is a file, not a folder', // mkdir -p of a folder whose name a file holds
  ENAMETOOLONG: 'the name is too long',
};

/** The InputError for a refused write of `path` (`what`: "the result file"), or the error itself when it is not one. */
export function outputError(e: unknown, what: string, path: string): unknown {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code !== undefined && Object.hasOwn(WHY, code) ? new InputError(`cannot write ${what} ${path}: ${WHY[code]} (${code}).`) : e;
}

/** writeFileAtomic, its refusals as one InputError sentence naming the path. */
export function writeOutput(path: string, data: string | Uint8Array, what: string): void {
  try {
    writeFileAtomic(path, data);
  } catch (e) {
    throw outputError(e, what, path);
  }
}

/** mkdir -p, its refusals as one InputError sentence naming the path. */
export function makeFolder(path: string, what: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    throw outputError(e, what, path);
  }
}
