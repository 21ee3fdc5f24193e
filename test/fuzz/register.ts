// One node:test per fuzz target: VQBENCH_FUZZ_CASES cases (else the target's default) from seed
// VQBENCH_FUZZ_SEED (else 1); every case must be a clean, self-consistent load or an InputError /
// ConfigError naming the file. `npm run bench:fuzz` runs the same targets over many more seeds.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { describeFailures, fuzzCases, fuzzSeed, runTarget, type FuzzTarget } from './harness.js';

let dir = '';

export function fuzzTest(target: FuzzTarget, defaultCases: number): void {
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'vqbench-fuzz-'));
    process.env.VQBENCH_CACHE = join(dir, 'cache');
    after(async () => {
      rmSync(dir, { recursive: true, force: true });
      await shutdownWorkers();
    });
  }
  const cases = fuzzCases(defaultCases), first = fuzzSeed();
  test(`fuzz ${target.name}: ${cases} seeded cases (from seed ${first}) end in a clean load or one sentence naming the file`, async () => {
    const s = await runTarget(target, cases, first, dir);
    assert.equal(s.failures.length, 0, `${s.failures.length} of ${s.cases} cases failed (reproduce: npm run bench:fuzz -- --target ${target.name} --cases 1 --seed <seed>):\n${describeFailures(s)}`);
    assert.equal(s.clean + s.errors, cases);
  });
}
