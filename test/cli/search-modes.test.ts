// test-lane: serial (concurrency levels of a fixed duration through the real CLI)
// `vqbench index --mode / --concurrency / --duration` through the real CLI: bad values and modes an
// index cannot run are one sentence naming the flag, exit 2, before anything is built or written;
// a good run records the mode, the levels and prints the concurrency table.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { writeNpy } from '../../src/data/npy.js';
import { assertUserError, runCli } from '../helpers/cli.js';
import { mixture } from '../helpers/data.js';
import { checkDuration, checkModeSupported, parseConcurrency } from '../../src/run/search-modes.js';
import { indexDescriptor } from '../../src/index/registry.js';
import { writeFileSync } from 'node:fs';
import { ConfigError } from '../../src/core/errors.js';
import { expandTask, loadTask } from '../../src/run/task.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vqbench-modes-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const DATA = path.join(dir, 'small.npy');
writeNpy(DATA, mixture(900, 8, 4, 3)); // 90 queries, 810 base rows
const env = { VQBENCH_CACHE: path.join(dir, 'cache'), VQBENCH_THREADS: '2' };
const index = (...args: string[]) => runCli(['index', '--data', DATA, ...args], env);

test('bad --mode, --concurrency and --duration values: one sentence naming the flag, exit 2, nothing written', () => {
  const out = path.join(dir, 'never.json');
  const cases: [string[], RegExp][] = [
    [['--index', 'ivfpq', '--concurrency', '0'], /^error: --concurrency must list positive integers .* got '0'\.$/],
    [['--index', 'ivfpq', '--concurrency', '1,x'], /^error: --concurrency .* got '1,x'\.$/],
    [['--index', 'ivfpq', '--concurrency', '1,2', '--duration', '0'], /^error: --duration must be a positive number of seconds, got 0\.$/],
    [['--index', 'ivfpq', '--mode', 'fast'], /^error: --mode must be single or batch, got 'fast'\.$/],
  ];
  for (const [args, pattern] of cases) assertUserError(index(...args, '--out', out), pattern);
  assert.ok(!existsSync(out));
  assert.ok(!existsSync(path.join(dir, 'cache')), 'refused before the dataset was even read');
});

test('the same checks in process: negative, fractional, empty and non-numeric levels; durations; an index without batch support', () => {
  // every index that runs here supports both modes; chroma (never run here) declares batch false
  assert.throws(() => checkModeSupported(indexDescriptor('chroma'), 'batch', []), /--mode batch: the chroma index cannot search in batch mode .*; use --mode single\.$/);
  assert.throws(() => checkModeSupported(indexDescriptor('chroma'), 'single', [2]), /--concurrency: the chroma index cannot serve concurrent clients .*; leave --concurrency out\.$/);
  assert.doesNotThrow(() => checkModeSupported(indexDescriptor('chroma'), 'single', []));
  for (const bad of ['-2', '1.5', '', '1,,2', 'x', [0], []]) assert.throws(() => parseConcurrency(bad), /--concurrency must list positive integers/);
  assert.deepEqual(parseConcurrency('1, 2,4'), [1, 2, 4]);
  assert.deepEqual(parseConcurrency([3, '5']), [3, 5]);
  for (const bad of ['0', -1, 'soon', Infinity]) assert.throws(() => checkDuration(bad), /--duration must be a positive number of seconds/);
  assert.equal(checkDuration('0.25'), 0.25);
});

test('task files: mode, concurrency and duration reach the cell; values and modes the index cannot run are refused naming the field', () => {
  const task = (entry: Record<string, unknown>) => {
    const p = path.join(dir, 'task.json');
    writeFileSync(p, JSON.stringify({ name: 't', description: 'd', grid: { datasets: ['synthetic-gmm'], indexes: [entry] } }));
    return p;
  };
  const [cell] = expandTask(loadTask(task({ index: 'ivfpq:nlist=8', mode: 'batch', concurrency: [1, 2], duration: 0.5 })), 'small');
  assert.deepEqual([cell.config.mode, cell.config.concurrency, cell.config.duration], ['batch', [1, 2], 0.5]);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ index: 'ivfpq', mode: 'fast' }, /grid\.indexes\[0\]\.mode must be one of 'single', 'batch'/],
    [{ index: 'ivfpq', concurrency: [0] }, /grid\.indexes\[0\]\.concurrency\[0\] must be a positive integer, got 0/],
    [{ index: 'ivfpq', concurrency: [1], duration: 0 }, /grid\.indexes\[0\]\.duration must be a positive number, got 0/],
    [{ index: 'chroma', mode: 'batch' }, /grid\.indexes\[0\]\.mode is batch, but the chroma index cannot search in batch mode/],
    [{ index: 'chroma', concurrency: [2] }, /grid\.indexes\[0\]\.concurrency is given, but the chroma index cannot serve concurrent clients/],
  ];
  for (const [entry, pattern] of cases) assert.throws(() => loadTask(task(entry)), (e: Error) => e instanceof ConfigError && pattern.test(e.message), JSON.stringify(entry));
});

test('--mode batch --concurrency 1,2: the record says batch and its threads, levels 1 and 2 with QPS = queries / seconds; the table lists the levels', () => {
  const out = path.join(dir, 'batch.json');
  const r = index('--index', 'ivfpq:nlist=8,m=4,nbits=4', '--queries', '50', '--runs', '2', '--mode', 'batch', '--concurrency', '1,2', '--duration', '0.2', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /batch mode: all queries in one call on 2 threads/);
  assert.match(r.stdout, /concurrent clients, each one query at a time/);
  const [rec] = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(rec.mode, 'batch');
  assert.equal(rec.batchThreads, 2);
  assert.deepEqual(rec.concurrency.map((c: { clients: number }) => c.clients), [1, 2]);
  for (const c of rec.concurrency) assert.equal(c.qps, c.queries / c.seconds);
  assert.equal(rec.serialP99Ms, null, 'no serial pass in batch mode');
});
