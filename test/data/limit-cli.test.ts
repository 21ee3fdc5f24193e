// `--data file:limit=N` through the real CLI: only the first N rows are used (split 90/10 as any
// file), and a bad limit is one sentence with exit code 2.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFvecs } from '../../src/data/fvecs.js';
import { mixture } from '../helpers/data.js';
import { assertUserError, runCli } from '../helpers/cli.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-limit-'));
  writeFvecs(join(dir, 'x.fvecs'), mixture(2000, 8, 4, 1));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('vqbench quantize --data x.fvecs:limit=600 trains and evaluates on the first 600 rows only', () => {
  const r = runCli(['quantize', '--data', `${join(dir, 'x.fvecs')}:limit=600`, '--method', 'pq:m=2,nbits=4', '--json'], { VQBENCH_CACHE: join(dir, 'cache') });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { trainRows: number; evalRows: number; dataset: string };
  assert.deepEqual([out.trainRows, out.evalRows], [540, 60]);
  assert.match(out.dataset, /x\.fvecs:limit=600$/);
  assertUserError(runCli(['quantize', '--data', `${join(dir, 'x.fvecs')}:limit=-3`, '--method', 'pq'], { VQBENCH_CACHE: join(dir, 'cache') }), /the dataset spec '.*x\.fvecs:limit=-3' has limit=-3; the limit must be a positive integer \(rows\)\./);
});
