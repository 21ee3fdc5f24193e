/**
 * File-system failures a user can cause (an output path that is a directory, a file where a folder
 * goes, a read-only or full disk, no permission, a name too long) as one InputError sentence naming
 * the path. The one place errno codes become sentences: the atomic write and mkdir helpers
 * (src/core/atomic.ts) map their own failures, and `exitWithError` maps any errno error with a
 * path that escaped elsewhere.
 */
import { InputError } from './errors.js';

/** Why an errno code failed, as the end of a sentence; null for codes that are not the user's doing. */
const REASONS: Record<string, string> = {
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of that path is a file, not a directory',
  EEXIST: 'a part of that path is a file, not a directory',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EFBIG: 'the file is too large for the file system',
  ENAMETOOLONG: 'the name is too long',
  ENOENT: 'no such file or directory',
  ELOOP: 'too many symbolic links in that path',
  EMFILE: 'too many open files',
  EBUSY: 'it is busy',
  EXDEV: 'it is on another device',
};

export interface ErrnoLike {
  code?: string;
  path?: string;
  dest?: string;
  syscall?: string;
}

/** True for an errno error of the file system (has a code we know how to name). */
export function isFsError(e: unknown): e is Error & ErrnoLike {
  return e instanceof Error && typeof (e as ErrnoLike).code === 'string' && Object.hasOwn(REASONS, (e as ErrnoLike).code!);
}

/** The verb of a syscall, for "cannot <verb> <path>". */
function verbOf(syscall: string | undefined, fallback: string): string {
  switch (syscall) {
    case 'open': case 'read': case 'stat': case 'lstat': case 'scandir': case 'readlink': return fallback === 'write' ? 'write' : 'read';
    case 'write': case 'rename': case 'copyfile': case 'fsync': case 'close': return 'write';
    case 'mkdir': return 'create the directory';
    case 'unlink': case 'rmdir': case 'rm': return 'remove';
    default: return fallback;
  }
}

/**
 * The InputError sentence for a file-system failure on `path` (default: the error's own path), or
 * null when `e` is not such a failure. `verb`: what was being done ("write", "read", "create the directory");
 * `what` names the file's role ("the result file").
 */
export function fsInputError(e: unknown, path?: string, verb?: string, what?: string): InputError | null {
  if (!isFsError(e)) return null;
  const p = path ?? e.path;
  if (p === undefined) return null;
  const v = verb ?? verbOf(e.syscall, 'write');
  const err = new InputError(`cannot ${v} ${what ? `${what} ` : ''}${p}: ${REASONS[e.code!]}.`);
  (err as Error & { cause?: unknown }).cause = e;
  return err;
}

/** Runs `fn`, turning a file-system failure into the InputError sentence naming `path`. */
export function withFsErrors<T>(path: string, verb: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw fsInputError(e, path, verb) ?? e;
  }
}
