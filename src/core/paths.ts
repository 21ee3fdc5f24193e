/**
 * Paths as recorded in results, reports and other files that are kept: never an absolute machine
 * path (a temporary folder, a home directory, this checkout's location), which would say nothing
 * on another machine. `displayPath` names a file relative to the repository, else relative to the
 * working directory, else by its base name.
 */
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (src/core/ → ../../; dist/core/ likewise). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `p` relative to `root` with '/' separators, or null when p is not inside root. */
function inside(root: string, p: string): string | null {
  const r = relative(root, p);
  if (r === '') return '.';
  if (r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r)) return null;
  return r.split(sep).join('/');
}

/**
 * How a file is named in a record: a name or relative path as given (e.g. 'glove-100',
 * 'data/x.fvecs'); an absolute path relative to the repository root when inside it, else relative
 * to the working directory when inside it, else the file's base name.
 */
export function displayPath(p: string): string {
  if (!isAbsolute(p)) return p;
  const abs = resolve(p);
  return inside(REPO_ROOT, abs) ?? inside(process.cwd(), abs) ?? basename(abs);
}
