/**
 * The runner's writes (run.json, result files, logs, the folders): a write that the file system
 * refuses (disk full, permissions, read-only, a folder or a file in the way) is a user's problem,
 * not a bug: one InputError sentence naming the file's role and path (src/core/fs-errors.ts, the one
 * place errno codes become sentences), so the CLI prints `error: …` and exits 2. Every file is
 * written atomically (src/core/atomic.ts): a failed write leaves the previous content.
 */
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic.js';
import { InputError } from '../core/errors.js';
import { fsInputError } from '../core/fs-errors.js';

/** The InputError for a refused write of `path` (`what`: "the result file"), or the error itself when it is not one. */
export function outputError(e: unknown, what: string, path: string, verb = 'write'): unknown {
  const errno = e instanceof InputError ? (e as Error & { cause?: unknown }).cause : e; // writeFileAtomic has named the path already
  return fsInputError(errno, path, verb, what) ?? e;
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
    throw outputError(e, what, path, 'create');
  }
}
