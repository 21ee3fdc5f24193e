// `vqbench compare` as a user runs it (the real CLI in a child process) on real runs made by the
// task runner (test/helpers/compare-runs.ts): exit codes for CI, --json, and one-sentence bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IndexRecord } from '../../src/run/index-job.js';
import type { RunComparison } from '../../src/report/compare.js';
import { assertUserError, runCli } from '../helpers/cli.js';
import { copyRun, INDEX_CELL, injectRecallRegression, readCell, sharedCompareRuns } from '../helpers/compare-runs.js';

let runs: { base: string; other: string };
let scratch = '';

before(async () => {
  runs = await sharedCompareRuns();
  scratch = mkdtempSync(join(tmpdir(), 'vqbench-compare-cli-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

test('a run against itself: --json parses, nothing significant, --fail-on-regression exits 0', () => {
  const r = runCli(['compare', runs.base, runs.base, '--json', '--fail-on-regression']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const c = JSON.parse(r.stdout) as RunComparison;
  assert.equal(c.a.task, 'cmp');
  assert.deepEqual(c.regressions, []);
  const index = c.cells.find((x) => x.cell === INDEX_CELL)!;
  const recall = index.configs.find((x) => x.config === 'nprobe=8')!.metrics.recall;
  assert.deepEqual(Object.keys(recall), ['a', 'b', 'diff', 'lo', 'hi', 'verdict', 'method']);
  assert.equal(recall.verdict, 'not significant');
  for (const cell of c.cells) for (const cfg of cell.configs) for (const [id, m] of Object.entries(cfg.metrics)) assert.ok(m.verdict !== 'worse' && m.verdict !== 'better', `${cell.cell} ${cfg.config} ${id}`);
});

test('an injected recall regression: the table says worse, --fail-on-regression exits 1 and lists it', async () => {
  const bad = copyRun(runs.base, mkdtempSync(join(scratch, 'bad-')));
  await injectRecallRegression(bad, 8);
  const r = runCli(['compare', runs.base, bad, '--fail-on-regression']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^nprobe=8 +k-nn ↑ .* worse +paired bootstrap over 100 queries$/m);
  assert.match(r.stdout, /^Legend: /m);
  assert.match(r.stdout, /^5 significantly worse in B:$/m);
  assert.match(r.stderr, /^5 significantly worse in B:\n/);
  assert.match(r.stderr, new RegExp(`^  ${INDEX_CELL.replace(/\./g, '\\.')} nprobe=8 recall: 0\\.\\d+ → 0\\.\\d+ \\(paired bootstrap over 100 queries\\)$`, 'm'));
});

test('bad input: two tasks, a missing folder, a truncated raw file — exit 2, one sentence naming them', () => {
  assertUserError(runCli(['compare', runs.base, runs.other]), /cmp-small and .*cmp-other-small are runs of different tasks \('cmp' and 'cmp-other'\)/);
  assertUserError(runCli(['compare', join(scratch, 'missing'), runs.base]), /missing: no such run folder/);
  const b = copyRun(runs.base, mkdtempSync(join(scratch, 'trunc-')));
  const file = join(b, readCell<IndexRecord[]>(b, INDEX_CELL).metrics![1].raw!);
  truncateSync(file, Math.floor(statSync(file).size / 3));
  assertUserError(runCli(['compare', runs.base, b, '--json']), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*truncated`));
});
