/**
 * The compiled twin of a source module. Under tsx (tests, an unbuilt checkout) a forked child or a
 * worker thread that loads `.ts` files compiles them all again, about a second each time; when
 * `npm run build` is newer than every file of src/ (the rule bin/vqbench.mjs applies), the same
 * code is in dist/ and starts at once. An edited, unbuilt checkout keeps running its sources.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Per source root: whether its build is current (checked once per process). */
const current = new Map<string, boolean>();

function newestFile(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestFile(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Whether dist/ holds a build newer than every source file (checked once per process). */
function distIsCurrent(src: string, dist: string): boolean {
  let ok = current.get(src);
  if (ok === undefined) {
    const stamp = join(dist, '.build-stamp');
    try {
      ok = existsSync(stamp) && statSync(stamp).mtimeMs >= newestFile(src);
    } catch {
      ok = false;
    }
    current.set(src, ok);
  }
  return ok;
}

/**
 * For `new URL(relative, moduleUrl)` of a `.ts` module under src/: the `.js` file in dist/ when the
 * build is current, else null. Compiled modules (already in dist/) get their own `.js` sibling.
 */
export function compiledTwin(moduleUrl: string, relativeJs: string): string | null {
  const here = fileURLToPath(new URL(relativeJs, moduleUrl));
  if (!moduleUrl.endsWith('.ts')) return here;
  const marker = `${join('/', 'src')}/`;
  const at = here.lastIndexOf(marker);
  if (at < 0) return null;
  const root = here.slice(0, at);
  const twin = join(root, 'dist', here.slice(at + marker.length));
  return distIsCurrent(join(root, 'src'), join(root, 'dist')) && existsSync(twin) ? twin : null;
}
