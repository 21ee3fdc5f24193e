/** Reading a user's file: a missing or unreadable path is one sentence naming it. */
import { readFileSync, statSync } from 'node:fs';
import { InputError } from '../core/errors.js';

/** A path the user named must be an existing file: otherwise one sentence saying what it is not. */
export function requireExistingFile(path: string): void {
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new InputError(`${path} does not exist.`);
  }
  if (!isFile) throw new InputError(`${path} is not a file.`);
}

export function readInput(path: string): Uint8Array {
  requireExistingFile(path);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new InputError(`${path} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
}
