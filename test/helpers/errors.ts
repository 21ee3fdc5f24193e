// The shape every user error of a loader must have, in-process: an InputError of one sentence.
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/errors.js';

export async function inputError(fn: () => unknown, pattern: RegExp): Promise<void> {
  await assert.rejects(async () => fn(), (e: unknown) => {
    assert.ok(e instanceof InputError, `expected InputError, got ${(e as Error)?.stack}`);
    assert.match((e as Error).message, pattern);
    assert.doesNotMatch((e as Error).message, /\n/);
    return true;
  });
}
