import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHalf, roundHalf, toHalf } from '../../src/core/fp16.js';

test('fp16 encodes known values exactly', () => {
  assert.equal(toHalf(1), 0x3c00);
  assert.equal(toHalf(-2), 0xc000);
  assert.equal(toHalf(65504), 0x7bff); // largest finite half
  assert.equal(toHalf(1e6), 0x7c00); // overflow → +Inf
  assert.equal(toHalf(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(toHalf(0.1), 0x2e66);
  assert.equal(fromHalf(0x3555), 0.333251953125);
  assert.ok(Number.isNaN(fromHalf(toHalf(NaN))));
});

test('fp16 round-trips every finite bit pattern', () => {
  for (let h = 0; h < 0x10000; h++) {
    const v = fromHalf(h);
    if (Number.isNaN(v)) continue;
    const back = toHalf(v);
    // +0 and -0 keep their sign bit
    assert.equal(back, h, `pattern ${h.toString(16)}`);
  }
});

test('fp16 rounds to nearest, ties to even', () => {
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1)
  assert.equal(toHalf(1 + 2 ** -11), 0x3c00);
  // 1 + 3·2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even)
  assert.equal(toHalf(1 + 3 * 2 ** -11), 0x3c02);
  for (const v of [0.7071, 3.14159, -123.456, 1e-5]) {
    const r = roundHalf(v);
    assert.ok(Math.abs(r - v) <= Math.abs(v) * 2 ** -11 + 2 ** -25, `${v} → ${r}`);
  }
});
