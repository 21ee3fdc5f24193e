import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { compiledTwin } from '../../src/core/compiled.js';

function checkout(): string {
  const root = mkdtempSync(join(tmpdir(), 'vqbench-twin-'));
  mkdirSync(join(root, 'src', 'run'), { recursive: true });
  mkdirSync(join(root, 'dist', 'run'), { recursive: true });
  writeFileSync(join(root, 'src', 'run', 'execute.ts'), '');
  writeFileSync(join(root, 'dist', 'run', 'cell.js'), '');
  return root;
}

test('compiledTwin: the dist/ file when the build stamp is newer than every source, else null', () => {
  const fresh = checkout();
  const stale = checkout();
  const missing = checkout();
  try {
    const old = new Date(Date.now() - 60_000);
    for (const root of [fresh, stale]) writeFileSync(join(root, 'dist', '.build-stamp'), 'x');
    utimesSync(join(fresh, 'src', 'run', 'execute.ts'), old, old);
    utimesSync(join(stale, 'dist', '.build-stamp'), old, old); // a source edited after the build
    const from = (root: string) => pathToFileURL(join(root, 'src', 'run', 'execute.ts')).href;
    assert.equal(compiledTwin(from(fresh), './cell.js'), join(fresh, 'dist', 'run', 'cell.js'));
    assert.equal(compiledTwin(from(stale), './cell.js'), null);
    assert.equal(compiledTwin(from(missing), './cell.js'), null, 'no stamp: never built');
    assert.equal(compiledTwin(from(fresh), './other.js'), null, 'a twin that is not in dist/');
    const compiled = pathToFileURL(join(stale, 'dist', 'run', 'execute.js')).href;
    assert.equal(compiledTwin(compiled, './cell.js'), join(stale, 'dist', 'run', 'cell.js'), 'a compiled module gets its sibling');
  } finally {
    for (const r of [fresh, stale, missing]) rmSync(r, { recursive: true, force: true });
  }
});
