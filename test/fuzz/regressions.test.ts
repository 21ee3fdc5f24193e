// The loader bugs the fuzzing found, each as one fixed case (the long run: npm run bench:fuzz).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/core/errors.js';
import { readNpy } from '../../src/data/npy.js';
import { loadTaskFolder } from '../../src/data/text/registry.js';
import { TASKS_DIR, loadTask } from '../../src/run/task.js';
import { inputError } from '../helpers/errors.js';

const FIX = fileURLToPath(new URL('../fixtures/', import.meta.url));
let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-fuzz-regressions-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const deep = (n: number) => '['.repeat(n) + '1' + ']'.repeat(n);

test('a task file with a value nested 100,000 deep is a ConfigError naming the field (JSON.stringify used to overflow the stack)', async () => {
  const t = JSON.parse(readFileSync(join(TASKS_DIR, 'quickstart.json'), 'utf8'));
  t.seed = '@DEEP@';
  const path = join(dir, 'deep.json');
  writeFileSync(path, JSON.stringify(t).replace('"@DEEP@"', deep(100_000)));
  assert.throws(() => loadTask(path), (e: Error) => e instanceof ConfigError && /deep\.json: seed must be .*nested too deeply to show/.test(e.message) && !e.message.includes('\n'));
});

test('a task file with 1e999 (Infinity) shows it as Infinity, not null', () => {
  const t = readFileSync(join(TASKS_DIR, 'quickstart.json'), 'utf8').replace('"seed": 1234', '"seed": 1e999');
  const path = join(dir, 'inf.json');
  writeFileSync(path, t);
  assert.throws(() => loadTask(path), (e: Error) => e instanceof ConfigError && /seed must be .*, got Infinity\./.test(e.message));
});

test('a task.json whose type is nested 100,000 deep is one InputError (it used to be a RangeError)', async () => {
  const task = join(dir, 'sts');
  cpSync(join(FIX, 'text', 'mteb', 'sts'), task, { recursive: true });
  writeFileSync(join(task, 'task.json'), `{"type": ${deep(100_000)}}`);
  await inputError(() => loadTaskFolder(task), /sts\/task\.json: 'type' must be one of .*got a value nested too deeply to show/);
});

test('npy: a v2 header cut inside its length field, and a newline inside the shape, are one sentence', async () => {
  const v2 = readFileSync(join(FIX, 'data', 'f4-v2.npy'));
  writeFileSync(join(dir, 'short.npy'), v2.subarray(0, 11));
  await inputError(() => readNpy(join(dir, 'short.npy')), /short\.npy is not a valid \.npy file: the header is truncated/);
  const v1 = Buffer.from(readFileSync(join(FIX, 'data', 'f4.npy')));
  const at = v1.indexOf('(3, 4)');
  v1.write('(3,\n4)', at, 'latin1');
  writeFileSync(join(dir, 'newline.npy'), v1);
  await inputError(() => readNpy(join(dir, 'newline.npy')), /newline\.npy is not a valid \.npy file/);
});
