import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { innerProducts } from '../../src/core/distance.js';
import { knn, nearest, nearestSync, setThreads, getThreads, shutdownWorkers } from '../../src/core/parallel.js';
import { bruteForceL2, randomMatrix } from '../helpers/data.js';

after(shutdownWorkers);

test('innerProducts equals the naive double loop on awkward shapes and offsets', () => {
  for (const [nx, ny, d] of [[1, 1, 1], [5, 7, 3], [9, 13, 17], [4, 4, 100], [33, 65, 25]]) {
    const x = randomMatrix(nx + 2, d, nx), y = randomMatrix(ny + 1, d, ny + 100);
    const ldo = ny + 3;
    const out = new Float32Array(nx * ldo).fill(-99);
    innerProducts(x.data, 2 * d, nx, y.data, d, ny, d, out, ldo);
    for (let i = 0; i < nx; i++) {
      for (let j = 0; j < ny; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += x.data[(i + 2) * d + k] * y.data[(j + 1) * d + k];
        assert.ok(Math.abs(out[i * ldo + j] - s) <= 1e-4 * (1 + Math.abs(s)), `(${nx},${ny},${d}) at ${i},${j}`);
      }
      for (let j = ny; j < ldo; j++) assert.equal(out[i * ldo + j], -99, 'writes stay inside the tile');
    }
  }
});

test('nearest finds the brute-force nearest centroid (l2 and ip)', () => {
  const x = randomMatrix(700, 19, 1), c = randomMatrix(37, 19, 2);
  const r = nearestSync(x, c);
  const rip = nearestSync(x, c, 'ip');
  for (let i = 0; i < x.rows; i++) {
    let best = -1, bd = Infinity, bip = -1, bipv = -Infinity;
    for (let j = 0; j < c.rows; j++) {
      const v = bruteForceL2(x.data, i * 19, c.data, j * 19, 19);
      if (v < bd) { bd = v; best = j; }
      let ip = 0;
      for (let k = 0; k < 19; k++) ip += x.data[i * 19 + k] * c.data[j * 19 + k];
      if (ip > bipv) { bipv = ip; bip = j; }
    }
    assert.equal(r.ids[i], best);
    assert.ok(Math.abs(r.dists[i] - bd) < 1e-3 * (1 + bd));
    assert.equal(rip.ids[i], bip);
  }
});

test('exact k-NN matches brute force, and two threads give the same answer as one', async () => {
  const base = randomMatrix(30_000, 48, 5), q = randomMatrix(300, 48, 6);
  const k = 10;
  const prev = getThreads();
  setThreads(1);
  const one = await knn(base, q, k);
  setThreads(2);
  const two = await knn(base, q, k); // 2·30000·300·48 flops: above the parallel threshold
  const twoNearest = await nearest(q.sliceRows(0, 300), base.sliceRows(0, 20_000));
  setThreads(prev);
  assert.deepEqual(Array.from(two.ids), Array.from(one.ids));
  for (const qi of [0, 17, 299]) {
    const all = Array.from({ length: base.rows }, (_, j) => [bruteForceL2(q.data, qi * 48, base.data, j * 48, 48), j]);
    all.sort((a, b) => a[0] - b[0]);
    assert.deepEqual(Array.from(one.ids.subarray(qi * k, qi * k + k)), all.slice(0, k).map((a) => a[1]));
    assert.equal(twoNearest.ids[qi], nearestSync(q.sliceRows(qi, qi + 1), base.sliceRows(0, 20_000)).ids[0]);
  }
});
