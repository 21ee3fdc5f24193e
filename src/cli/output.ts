/** The CLI's one-sentence error exit (number and table formatting: src/core/format.ts). */
import { VqbenchError } from '../core/errors.js';
import { fsInputError } from '../core/fs-errors.js';
import { writeFileAtomic } from '../core/atomic.js';

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

/** A command's one result: `--out FILE` gets it as pretty JSON (atomically), then stdout gets one JSON line (`--json`) or the text report. */
export function emitResult(result: unknown, argv: { out?: string; json: boolean }, text: () => string): void {
  if (argv.out) writeFileAtomic(argv.out, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(argv.json ? JSON.stringify(result) + '\n' : text());
}
