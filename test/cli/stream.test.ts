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
import { readStreamResult } from '../../src/eval/raw-results.js';
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

test('stream: flat has recall 1 at every step; live rows, sizes and bytes follow the runbook; big-ann results written', async () => {
  const rb = runbook('good.yaml', { 1: ins(0, 300), 2: search, 3: del(0, 150), 4: search, 5: ins(300, 500), 6: search, 7: del(300, 400), 8: search });
  const out = path.join(dir, 'flat.json');
  const rawFile = path.join(dir, 'raw', 'flat.hdf5');
  const args = ['stream', '--data', DATA, '--index', 'flat', '--runbook', rb, '--json', '--out', out, '--raw', rawFile];
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
  // big-ann's streaming results: neighbors_step{n} per search step, row numbers live at that step
  const rawRead = await readStreamResult(rawFile);
  assert.deepEqual(rawRead.steps.map((s) => s.step), [2, 4, 6, 8]);
  assert.equal(rawRead.attrs.num_searches, 4);
  const liveAt: Record<number, (r: number) => boolean> = { 2: (r) => r < 300, 4: (r) => r >= 150 && r < 300, 6: (r) => r >= 150 && r < 500, 8: (r) => (r >= 150 && r < 300) || (r >= 400 && r < 500) };
  for (const s of rawRead.steps) {
    assert.equal(s.nq, 100);
    assert.equal(s.k, 10);
    for (const r of s.neighbors) assert.ok(liveAt[s.step](r), `step ${s.step}: row ${r} is not live`);
  }
});

test('stream: bad runbooks and an index without deletes are one sentence naming the file and step, exit 2, nothing written', () => {
  const out = path.join(dir, 'keep.json');
  writeFileSync(out, 'keep');
  const cases: [string, Record<string, unknown>, RegExp, string?][] = [
    ['never.yaml', { 1: ins(0, 100), 2: del(50, 150), 3: search }, /never\.yaml: step 2 deletes row 100, which was never inserted\.$/],
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
