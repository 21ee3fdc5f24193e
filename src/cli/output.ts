/** The CLI's one-sentence error exit (number and table formatting: src/core/format.ts). */
import { VqbenchError } from '../core/errors.js';
import { fsInputError } from '../core/fs-errors.js';

/**
 * Ends the process for an error: a user error (VqbenchError) prints `error: <sentence>` and exits 2
 * without a stack trace; so does a file-system failure with a path that no helper mapped (EISDIR,
 * ENOTDIR, EROFS, EACCES, ENOSPC, ENAMETOOLONG …: src/core/fs-errors.ts). Anything else is a bug
 * and keeps its stack (exit 1).
 */
export function exitWithError(e: unknown): never {
  const user = e instanceof VqbenchError ? e : fsInputError(e);
  if (user) {
    process.stderr.write(`error: ${user.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
}
