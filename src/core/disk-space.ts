/**
 * Free space, checked before a large write (exact ground truth and its checkpoints, subset
 * folders): a cache that cannot fit is one sentence naming the folder and the bytes needed against
 * the bytes free, raised before anything is written, rather than an ENOSPC halfway through.
 * VQBENCH_TEST_FREE_BYTES pretends the disk has that many bytes free (tests).
 */
import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from './errors.js';

/** Bytes available to this user on the file system holding `dir` (or its nearest existing parent). */
export function freeBytes(dir: string): number {
  const pretend = process.env.VQBENCH_TEST_FREE_BYTES;
  if (pretend !== undefined && pretend.trim() !== '') return Number(pretend);
  let p = resolve(dir);
  for (;;) {
    try {
      const s = statfsSync(p);
      return s.bavail * s.bsize;
    } catch (e) {
      const parent = dirname(p);
      // a missing folder is created later: ask its parent; other failures (no statfs) skip the check
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || parent === p) return Infinity;
      p = parent;
    }
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0)} MiB`;
}

/** Throws an InputError when `bytes` more will not fit under `dir`; `what` names what would be written. */
export function assertFreeSpace(dir: string, bytes: number, what: string): void {
  const free = freeBytes(dir);
  if (bytes > free) {
    throw new InputError(
      `${what} needs ${bytes} bytes (${mib(bytes)}) in the cache folder ${dir} but only ${Math.max(0, free)} bytes (${mib(Math.max(0, free))}) are free there; free some space or set VQBENCH_CACHE to a folder on a larger disk.`,
    );
  }
}
