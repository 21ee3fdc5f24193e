import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';

test('the generator is deterministic under a seed and differs across seeds', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const sa = Array.from({ length: 8 }, () => a.nextU32());
  const sb = Array.from({ length: 8 }, () => b.nextU32());
  const sc = Array.from({ length: 8 }, () => c.nextU32());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
});

test('uniform and normal draws have the right moments', () => {
  const r = new Rng(7);
  const n = 200_000;
  let su = 0, sn = 0, sn2 = 0;
  for (let i = 0; i < n; i++) {
    su += r.float();
    const z = r.normal();
    sn += z;
    sn2 += z * z;
  }
  assert.ok(Math.abs(su / n - 0.5) < 0.005);
  assert.ok(Math.abs(sn / n) < 0.01);
  assert.ok(Math.abs(sn2 / n - 1) < 0.02);
});

test('sample returns distinct indices in range, permutation is a permutation', () => {
  const r = new Rng(1);
  const s = r.sample(1000, 300);
  assert.equal(new Set(s).size, 300);
  assert.ok(s.every((v) => v < 1000));
  const p = r.permutation(500);
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 500 }, (_, i) => i));
  assert.throws(() => r.sample(3, 4));
});
