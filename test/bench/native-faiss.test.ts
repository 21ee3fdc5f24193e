import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeInt32Npy, formatRatio, pairedRatios, parseNprobeList, spread } from '../../bench/native-faiss-lib.js';

test('parseNprobeList: positive integers, errors name the bad item', () => {
  assert.deepEqual(parseNprobeList('1, 4,16,64'), [1, 4, 16, 64]);
  assert.throws(() => parseNprobeList('1,x'), /'x' is not a positive integer/);
  assert.throws(() => parseNprobeList('0'), /'0'/);
  assert.throws(() => parseNprobeList('2.5'), /'2.5'/);
  assert.throws(() => parseNprobeList(' , '), /no values/);
});

test('spread and paired ratios: median (even count: middle mean), min, max', () => {
  assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3 });
  assert.deepEqual(spread([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4 });
  assert.deepEqual(pairedRatios([2, 6], [4, 3]), [0.5, 2]);
  assert.throws(() => pairedRatios([1], [1, 2]));
  assert.equal(formatRatio(spread([0.5, 2, 1])), '1.00× (0.50–2.00)');
});

test('encodeInt32Npy: a v1.0 header padded to 64 bytes, little-endian int32 rows', () => {
  const b = encodeInt32Npy(Int32Array.from([1, -1, 70000, 3]), 2, 2);
  const hlen = b[8] | (b[9] << 8);
  assert.equal((10 + hlen) % 64, 0);
  const header = String.fromCharCode(...b.subarray(10, 10 + hlen));
  assert.match(header, /'descr': '<i4', 'fortran_order': False, 'shape': \(2, 2\)/);
  const dv = new DataView(b.buffer, 10 + hlen);
  assert.deepEqual([0, 1, 2, 3].map((i) => dv.getInt32(i * 4, true)), [1, -1, 70000, 3]);
  assert.throws(() => encodeInt32Npy(new Int32Array(3), 2, 2));
});
