#!/usr/bin/env node
// Entry point. Runs the compiled CLI (dist/, made by `npm run build`, part of `npm run setup`) when
// it is newer than every source file; otherwise registers tsx and runs the TypeScript sources, so
// an edited checkout never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist', '.build-stamp');

function newestSource(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return t;
}

if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource(join(root, 'src'))) {
  await import('../dist/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
