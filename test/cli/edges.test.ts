// Every input and output checked at the edge, through the real CLI: a bad numeric flag of embed or
// mteb, or an output path that cannot be written, is `error: <one sentence naming it>`, exit 2, no
// stack trace, and nothing earlier overwritten.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { Matrix } from '../../src/core/matrix.js';
import { writeNpy } from '../../src/data/npy.js';
import { assertUserError, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vqbench-edges-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const TEXTS = fileURLToPath(new URL('../fixtures/text/corpus/lines.txt', import.meta.url));
const embed = (...args: string[]) => runCli(['embed', '--dataset', TEXTS, '--model', 'glove-avg', ...args]);
const mteb = (...args: string[]) => runCli(['mteb', '--model', 'glove-avg', '--tasks', 'wordnet-wup-sts', ...args]);

test('embed: every numeric flag is checked with its range, one sentence naming it', () => {
  const out = path.join(dir, 'never.npy');
  const cases: [string[], RegExp][] = [
    [['--limit', '0'], /^error: --limit must be a positive integer, got '0'\.$/],
    [['--limit', '-3'], /^error: --limit .* got '-3'\.$/],
    [['--limit', '1.5'], /^error: --limit .* got '1\.5'\.$/],
    [['--batch-size', 'abc'], /^error: --batch-size must be an integer from 1 to 65536, got 'abc'\.$/],
    [['--threads', '0'], /^error: --threads must be an integer from 1 to \d+, got '0'\.$/],
    [['--threads', 'abc'], /^error: --threads .* got 'abc'\.$/],
    [['--threads', '1.5'], /^error: --threads .* got '1\.5'\.$/],
    [['--limit', '2', '--limit', '3'], /^error: --limit was given 2 times/],
  ];
  for (const [args, pattern] of cases) assertUserError(embed(...args, '--out', out), pattern);
  assert.ok(!existsSync(out));
});

test('mteb: --seed, --train-size, --books, --size and --threads are checked before anything runs', () => {
  const cases: [string[], RegExp][] = [
    [['--seed', '1.5'], /^error: --seed must be an integer from 0 to 4294967295, got '1\.5'\.$/],
    [['--seed', '-1'], /^error: --seed .* got '-1'\.$/],
    [['--train-size', 'NaN', '--quantizer', 'pq'], /^error: --train-size must be a positive integer, got 'NaN'\.$/],
    [['--train-size', '0', '--quantizer', 'pq'], /^error: --train-size .* got '0'\.$/],
    [['--books', '0', '--quantizer', 'pq'], /^error: --books: pq parameter 'm' must be an integer from 1 to 256, got '0'\.$/],
    [['--size', 'abc', '--quantizer', 'pq'], /^error: --size: .* got 'abc'\.$/],
    [['--threads', '0'], /^error: --threads .* got '0'\.$/],
  ];
  for (const [args, pattern] of cases) {
    const r = mteb(...args);
    assertUserError(r, pattern);
    assert.equal(r.stdout, '');
  }
});

test('embed --out: a directory, a file in the way, a name too long, no permission → one sentence naming the path, before embedding', () => {
  mkdirSync(path.join(dir, 'adir'));
  writeFileSync(path.join(dir, 'keep.json'), 'keep');
  const long = path.join(dir, 'a'.repeat(300) + '.npy');
  assertUserError(embed('--out', path.join(dir, 'adir')), /^error: cannot write .*\/adir: it is a directory\.$/);
  assertUserError(embed('--out', path.join(dir, 'keep.json', 'x.npy')), /^error: cannot write .*\/keep\.json\/x\.npy: a part of that path is a file, not a directory/);
  assertUserError(embed('--out', long), /^error: cannot write .*a{300}\.npy: the name is too long\.$/);
  if (process.getuid?.() === 0 && existsSync('/sys/kernel')) {
    // sysfs refuses new files even to root
    assertUserError(embed('--out', '/sys/vqbench-x.npy'), /^error: cannot write \/sys\/vqbench-x\.npy: permission denied\.$/);
  }
  assert.equal(readFileSync(path.join(dir, 'keep.json'), 'utf8'), 'keep');
  assert.deepEqual(readdirSync(path.join(dir, 'adir')), []);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
});

test('mteb --out and --output-folder that cannot be written are refused before the run', () => {
  writeFileSync(path.join(dir, 'keep2.json'), 'keep');
  mkdirSync(path.join(dir, 'adir2'));
  const a = mteb('--out', path.join(dir, 'adir2'));
  assertUserError(a, /^error: cannot write .*\/adir2: it is a directory\.$/);
  assert.equal(a.stdout, '');
  assertUserError(mteb('--output-folder', path.join(dir, 'keep2.json')), /^error: cannot create the directory .*keep2\.json: a part of that path is a file, not a directory\.$/);
  assert.equal(readFileSync(path.join(dir, 'keep2.json'), 'utf8'), 'keep');
});

test('index --out a directory, and a full disk (/dev/full): one sentence, exit 2, no stack', () => {
  const data = path.join(dir, 'small.npy');
  const m = Matrix.zeros(400, 8);
  for (let i = 0; i < m.data.length; i++) m.data[i] = Math.sin(i * 12.9898) * 43758.5453 % 1;
  writeNpy(data, m);
  mkdirSync(path.join(dir, 'adir3'));
  const env = { VQBENCH_CACHE: path.join(dir, 'cache') };
  assertUserError(runCli(['index', '--data', data, '--index', 'flat', '--queries', '20', '--out', path.join(dir, 'adir3')], env), /^error: cannot write .*\/adir3: it is a directory\.$/);
  if (existsSync('/dev/full')) {
    assertUserError(runCli(['index', '--data', data, '--index', 'flat', '--queries', '20', '--out', '/dev/full'], env), /^error: cannot write \/dev\/full: no space left on the device\.$/);
    assert.ok(existsSync('/dev/full'));
  }
});

test('exitWithError, the last resort: any errno error with a path is one sentence and exit 2; other errors keep their stack (exit 1)', () => {
  const output = fileURLToPath(new URL('../../src/cli/output.ts', import.meta.url));
  const run = (expr: string) => spawnSync(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(output)}).then((m) => m.exitWithError(${expr}))`], { encoding: 'utf8' });
  const erofs = run(`Object.assign(new Error('EROFS: read-only file system, open'), { code: 'EROFS', syscall: 'open', path: '/ro/x.json' })`);
  assertUserError({ code: erofs.status ?? -1, stdout: erofs.stdout, stderr: erofs.stderr }, /^error: cannot write \/ro\/x\.json: the file system is read-only\.$/);
  const enospc = run(`Object.assign(new Error('ENOSPC'), { code: 'ENOSPC', syscall: 'write', path: '/full/y.npy' })`);
  assertUserError({ code: enospc.status ?? -1, stdout: enospc.stdout, stderr: enospc.stderr }, /^error: cannot write \/full\/y\.npy: no space left on the device\.$/);
  const bug = run(`new TypeError('a bug')`);
  assert.equal(bug.status, 1);
  assert.match(bug.stderr, /^internal error: TypeError: a bug\n\s+at /);
});
