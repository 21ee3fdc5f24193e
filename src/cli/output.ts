/** The CLI's one-sentence error exit (number and table formatting: src/core/format.ts). */
import { VqbenchError } from '../core/errors.js';

/**
 * Ends the process for an error: a user error (VqbenchError) prints `error: <sentence>` and exits 2
 * without a stack trace; anything else is a bug and keeps its stack (exit 1).
 */
export function exitWithError(e: unknown): never {
  if (e instanceof VqbenchError) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
}
