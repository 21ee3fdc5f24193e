/** Reading a user's file: a missing or unreadable path is one sentence naming it. */
import { readFileSync, statSync } from 'node:fs';
import { InputError } from '../core/errors.js';

export function readInput(path: string): Uint8Array {
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new InputError(`${path} does not exist.`);
  }
  if (!isFile) throw new InputError(`${path} is not a file.`);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new InputError(`${path} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
}
