// `vqbench stream` through the real CLI on real GloVe rows (test/fixtures/data/glove-sample.npy:
// 900 base rows, 100 held-out queries): flat's recall is 1 at every search step (the incremental
// truth against an exact index after deletes), the steps' live counts, sizes and bytes follow the
// runbook; a bad runbook, and an index without deletes given a delete step, is one sentence naming
// the file and the step, exit 2, before any work and with --out left untouched. (Every other bad
// runbook is checked without a process each, in test/data/stream-truth.test.ts.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertUserError, runCli } from '../helpers/cli.js';

const DATA = fileURLToPath(new URL('../fixtures/data/glove-sample.npy', import.meta.url));

const dir = mkdtempSync(path.join(tmpdir(), 'vqbench-stream-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { VQBENCH_CACHE: path.join(dir, 'cache') };

function runbook(name: string, steps: Record<string, unknown>, maxPts = 900): string {
  const file = path.join(dir, name);
  const lines = [`glove-sample:`, `  max_pts: ${maxPts}`, ...Object.entries(steps).map(([n, s]) => `  ${n}: ${JSON.stringify(s)}`)];
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
const ins = (start: number, end: number) => ({ operation: 'insert', start, end });
const del = (start: number, end: number) => ({ operation: 'delete', start, end });
const search = { operation: 'search' };

test('stream: flat has recall 1 at every step; live rows, sizes and bytes follow the runbook; the truth is cached', () => {
  const rb = runbook('good.yaml', { 1: ins(0, 300), 2: search, 3: del(0, 150), 4: search, 5: ins(300, 500), 6: search, 7: del(300, 400), 8: search });
  const out = path.join(dir, 'flat.json');
  const args = ['stream', '--data', DATA, '--index', 'flat', '--runbook', rb, '--json', '--out', out];
  const r = runCli(args, env);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')).steps.map((s: { step: number }) => s.step), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(res.truthCached, false);
  assert.deepEqual(res.steps.map((s: { live: number }) => s.live), [300, 300, 150, 150, 350, 350, 250, 250]);
  assert.deepEqual(res.steps.map((s: { indexSize: number }) => s.indexSize), [300, 300, 150, 150, 350, 350, 250, 250]);
  for (const s of res.steps) {
    if (s.operation === 'search') {
      assert.equal(s.recall, 1, `step ${s.step}`);
      assert.ok(s.qps > 0);
    } else assert.equal(s.recall, null);
    assert.ok(s.seconds >= 0);
  }
  // flat's bytes are the live vectors (and their ids once rows moved)
  assert.ok(res.steps[2].indexBytes < res.steps[1].indexBytes && res.steps[4].indexBytes > res.steps[3].indexBytes);
  assert.equal(res.meanRecall, 1);
  assert.ok(res.fingerprint.id && res.load && 'loadWarning' in res);
});

test('stream: bad runbooks and an index without deletes are one sentence naming the file and step, exit 2, nothing written', () => {
  const out = path.join(dir, 'keep.json');
  writeFileSync(out, 'keep');
  const cases: [string, Record<string, unknown>, RegExp, string?][] = [
    ['never.yaml', { 1: ins(0, 100), 2: del(50, 150), 3: search }, /never\.yaml: step 2 deletes row 100, which was never inserted\.$/],
    ['early.yaml', { 1: search, 2: ins(0, 100) }, /early\.yaml: step 1 searches before any row is live/],
    ['replace.yaml', { 1: ins(0, 100), 2: { operation: 'replace', tags_start: 0, tags_end: 10, ids_start: 100, ids_end: 110 }, 3: search }, /replace\.yaml: step 2: replace is not supported/],
    ['rabitq.yaml', { 1: ins(0, 100), 2: del(0, 10), 3: search }, /rabitq\.yaml: step 2 deletes rows, but --index rabitq does not support deletes \(rabitq cannot remove vectors\)\.$/, 'rabitq'],
  ];
  for (const [name, steps, pattern, index] of cases) {
    const r = runCli(['stream', '--data', DATA, '--index', index ?? 'flat', '--runbook', runbook(name, steps), '--out', out], env);
    assertUserError(r, pattern);
    assert.match(r.stderr, /^error: --runbook /);
    assert.equal(r.stdout, '');
  }
  assertUserError(runCli(['stream', '--data', DATA, '--index', 'flat', '--runbook', path.join(dir, 'nope.yaml')], env), /nope\.yaml/);
  assert.equal(readFileSync(out, 'utf8'), 'keep');
});
