// The rule: no tracked file names an absolute machine path (under /work, /tmp, /root or /home:
// this checkout's location, temporary folders, home directories). Files are named relative to the
// repository, or by their own name; code that writes results records paths through `displayPath`
// (src/core/paths.ts). This file documents the rule and is the only one exempt from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, parse, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, displayPath } from '../../src/core/paths.js';

const SELF = relative(REPO_ROOT, fileURLToPath(import.meta.url)).split(sep).join('/');
/** An absolute path under one of the machine folders, not the tail of a longer path or URL. */
const MACHINE_PATH = /(?<![\w.~/-])\/(?:work|tmp|root|home)\/[\w.-]/;

test('displayPath: names and relative paths as given; inside the repository relative to it', () => {
  assert.equal(displayPath('glove-100'), 'glove-100');
  assert.equal(displayPath('data/x.fvecs'), 'data/x.fvecs');
  assert.equal(displayPath(join(REPO_ROOT, 'datasets', 'cache', 'subsets', 'a-b100-q10-s1')), 'datasets/cache/subsets/a-b100-q10-s1');
  assert.equal(displayPath(REPO_ROOT), '.');
});

test('displayPath: outside the repository, relative to the working directory, else the base name', () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'vqbench-paths-')));
  const cwd = process.cwd();
  try {
    process.chdir(dir);
    assert.equal(displayPath(join(dir, 'sub', 'base.fvecs')), 'sub/base.fvecs');
  } finally {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  }
  const outside = join(parse(REPO_ROOT).root, 'vqbench-nowhere', 'vqbench-lancedb-AbC123');
  if (!relative(process.cwd(), outside).startsWith('..')) return; // the working directory is the file system root
  assert.equal(displayPath(outside), 'vqbench-lancedb-AbC123');
});

test('no tracked file holds an absolute path under /work, /tmp, /root or /home', (t) => {
  const ls = spawnSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (ls.status !== 0) {
    t.skip('not a git checkout (git ls-files failed)');
    return;
  }
  const offenders: string[] = [];
  for (const f of ls.stdout.split('\0')) {
    if (!f || f === SELF) continue;
    let text: string;
    try {
      text = readFileSync(join(REPO_ROOT, f), 'latin1');
    } catch {
      continue; // deleted in the work tree, not yet committed
    }
    if (!MACHINE_PATH.test(text)) continue;
    text.split('\n').forEach((line, i) => {
      const m = MACHINE_PATH.exec(line);
      if (m) offenders.push(`${f}:${i + 1}: …${line.slice(Math.max(0, m.index - 30), m.index + 50)}…`);
    });
  }
  assert.deepEqual(offenders, [], `absolute machine paths in tracked files (name them relative to the repository, or by their own name):\n${offenders.join('\n')}`);
});
