// The WebAssembly SIMD kernels against the JS reference kernels: same contracts, same answers
// (ids exactly except float32 near-ties, values within float32 accumulation error), including the
// chunked paths taken when an operand exceeds the scratch budget.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { innerProductsJs } from '../../src/core/distance.js';
import { knnRangeJs, nearestRowsJs } from '../../src/core/search.js';
import {
  innerProductsWasm, knnRangeFused, knnResident, nearestRowsFused, releaseResident, residentRows, setWasmScratchFloats, wasmKernelsAvailable,
} from '../../src/core/wasm/kernels.js';
import { randomMatrix } from '../helpers/data.js';

const skip = wasmKernelsAvailable() ? false : 'the wasm kernels did not load on this engine';

for (const scratch of [16 * 1024 * 1024, 4096]) {
  const label = scratch < 1e6 ? ' (tiny scratch: chunked)' : '';

  test(`wasm inner-product tiles equal the JS kernel${label}`, { skip }, () => {
    const prev = setWasmScratchFloats(scratch);
    try {
      for (const [nx, ny, d] of [[1, 1, 1], [7, 9, 3], [33, 65, 25], [130, 257, 100], [64, 1000, 17]]) {
        const x = randomMatrix(nx, d, nx + 1), y = randomMatrix(ny, d, ny + 2);
        const ldo = ny + 5;
        const a = new Float32Array(nx * ldo).fill(-7), b = new Float32Array(nx * ldo).fill(-7);
        innerProductsJs(x.data, 0, nx, y.data, 0, ny, d, a, ldo);
        innerProductsWasm(x.data, 0, nx, y.data, 0, ny, d, b, ldo);
        for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-4 * (1 + Math.abs(a[i])), `(${nx},${ny},${d}) at ${i}: ${a[i]} vs ${b[i]}`);
      }
    } finally {
      setWasmScratchFloats(prev);
    }
  });

  test(`fused wasm argmin and top-k equal the JS scans (l2 and ip)${label}`, { skip }, () => {
    const prev = setWasmScratchFloats(scratch);
    try {
      for (const metric of ['l2', 'ip'] as const) {
        const d = 20, n = 300, nc = 77, k = 10;
        const x = randomMatrix(n, d, 5), c = randomMatrix(nc, d, 6);
        const idsA = new Int32Array(n), dA = new Float32Array(n), idsB = new Int32Array(n), dB = new Float32Array(n);
        nearestRowsJs(x.data, 0, n, c.data, nc, d, metric, null, idsA, dA);
        assert.ok(nearestRowsFused(x.data, 0, n, c.data, nc, d, metric, null, idsB, dB));
        for (let i = 0; i < n; i++) {
          assert.ok(Math.abs(dA[i] - dB[i]) <= 1e-4 * (1 + Math.abs(dA[i])), `${metric} row ${i}`);
          if (idsA[i] !== idsB[i]) assert.ok(Math.abs(dA[i] - dB[i]) < 1e-4, 'ids differ only on a float32 tie');
        }
        const kiA = new Int32Array(n * k), kdA = new Float32Array(n * k), kiB = new Int32Array(n * k), kdB = new Float32Array(n * k);
        knnRangeJs(c.data, nc, null, x.data, 0, n, d, k, metric, kiA, kdA);
        assert.ok(knnRangeFused(c.data, nc, null, x.data, 0, n, d, k, metric, kiB, kdB));
        let same = 0;
        for (let i = 0; i < n * k; i++) {
          assert.ok(Math.abs(kdA[i] - kdB[i]) <= 1e-4 * (1 + Math.abs(kdA[i])), `${metric} knn ${i}`);
          if (kiA[i] === kiB[i]) same++;
        }
        assert.ok(same >= n * k - 2, `${metric}: ${n * k - same} ids differ`);
      }
    } finally {
      setWasmScratchFloats(prev);
    }
  });
}

test('fused top-k pads with id −1 when the base has fewer than k rows', { skip }, () => {
  const d = 8, base = randomMatrix(3, d, 1), q = randomMatrix(9, d, 2), k = 5;
  const ids = new Int32Array(9 * k), dists = new Float32Array(9 * k);
  assert.ok(knnRangeFused(base.data, 3, null, q.data, 0, 9, d, k, 'l2', ids, dists));
  for (let i = 0; i < 9; i++) {
    assert.deepEqual([...ids.subarray(i * k + 3, i * k + 5)], [-1, -1]);
    assert.ok(dists[i * k] <= dists[i * k + 1] && dists[i * k + 1] <= dists[i * k + 2]);
  }
});

test('resident rows: knnResident equals the JS scan, and a released block is reused', { skip }, () => {
  for (const metric of ['l2', 'ip'] as const) {
    const d = 24, nb = 517, nq = 9, k = 7;
    const base = randomMatrix(nb, d, 8), q = randomMatrix(nq, d, 9);
    const r = residentRows(base.data, nb, d, metric)!;
    const a = { ids: new Int32Array(nq * k), dists: new Float32Array(nq * k) };
    const b = { ids: new Int32Array(nq * k), dists: new Float32Array(nq * k) };
    knnRangeJs(base.data, nb, null, q.data, 0, nq, d, k, metric, a.ids, a.dists);
    knnResident(r, q.data, 0, nq, k, b.ids, b.dists);
    assert.deepEqual([...b.ids], [...a.ids], metric);
    for (let i = 0; i < a.dists.length; i++) assert.ok(Math.abs(a.dists[i] - b.dists[i]) <= 1e-4 * (1 + Math.abs(a.dists[i])));
    releaseResident(r);
    const again = residentRows(base.data, nb, d, metric)!;
    assert.equal(again.start, r.start, 'the released block is taken again');
    releaseResident(again);
  }
});
