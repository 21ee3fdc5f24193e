import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { innerProducts, rowNormsSq } from '../../src/core/distance.js';
import {
  knnRangeNative, nativeKnnAvailable, nativeKnnCalls, nativeKnnDescription, nativeKnnScanVariants, nativeKnnUnavailable, nativeNearestCalls,
  nearestRowsNative, setNativeKnnEnabled, setNativeKnnScanVariant,
} from '../../src/core/native/knn-native.js';
import { knn, nearest, nearestSync, setThreads, getThreads, shutdownWorkers } from '../../src/core/parallel.js';
import { knnRange, knnRangeJs, nearestRows, nearestRowsJs } from '../../src/core/search.js';
import { knnRangeFused, nearestRowsFused } from '../../src/core/wasm/kernels.js';
import { wasmKernelsAvailable } from '../../src/core/wasm/loader.js';
import { machineFingerprint } from '../../src/run/fingerprint.js';
import { bruteForceL2, randomMatrix } from '../helpers/data.js';

after(shutdownWorkers);

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

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

// ---- the native exact k-NN kernel (src/core/native/knn.cc: OpenBLAS sgemm + the wasm kernel's selection) ----

const nativeSkip = nativeKnnAvailable() ? false : `the native k-NN kernel is not available: ${nativeKnnUnavailable()}`;

/** Same top-k as the reference: ids equal except where two candidates tie within float32 error, distances close. */
function assertSameTopK(a: { ids: Int32Array; dists: Float32Array }, b: { ids: Int32Array; dists: Float32Array }, what: string): void {
  for (let i = 0; i < a.ids.length; i++) {
    const tol = 1e-4 * (1 + Math.abs(a.dists[i]));
    if (a.ids[i] === -1 || b.ids[i] === -1) assert.equal(b.ids[i], a.ids[i], `${what}: padding at ${i}`);
    else assert.ok(Math.abs(a.dists[i] - b.dists[i]) <= tol, `${what} at ${i}: ${a.dists[i]} vs ${b.dists[i]}`);
    if (a.ids[i] !== b.ids[i]) assert.ok(Math.abs(a.dists[i] - b.dists[i]) <= tol, `${what} at ${i}: ids ${a.ids[i]} / ${b.ids[i]} differ beyond a tie`);
  }
}

/** Runs `body` with each scan variant of the native kernel this CPU has (AVX-512, AVX2, scalar), naming it. */
function eachScanVariant(body: (variant: string) => void): void {
  const variants = nativeKnnScanVariants();
  assert.ok(variants.includes('scalar'));
  for (const v of variants) {
    const prev = setNativeKnnScanVariant(v);
    try {
      body(v);
    } finally {
      setNativeKnnScanVariant(prev);
    }
  }
}

test('native k-NN equals the JS scan, and the wasm kernel bit for bit (every scan variant): l2 and ip, k = 1 / 10 / 100, ranges across blocks, nb < k, odd d', { skip: nativeSkip }, () => eachScanVariant((variant) => {
  // 300 queries from row 7 (two 256-query blocks, the second partial), 2,500 base rows (1,024-row blocks, the last partial)
  for (const [nb, d, nq, start] of [[2500, 37, 300, 7], [50, 9, 20, 0], [1, 3, 5, 2]]) {
    const base = randomMatrix(nb, d, nb + d), q = randomMatrix(start + nq, d, 3 * d);
    const norms = rowNormsSq(base.data, nb, d);
    for (const metric of ['l2', 'ip'] as const) {
      for (const k of [1, 10, 100]) {
        const n = (start + nq) * k;
        const out = () => ({ ids: new Int32Array(n).fill(-9), dists: new Float32Array(n) });
        const js = out(), nat = out(), wasm = out(), nat2 = out();
        knnRangeJs(base.data, nb, null, q.data, start, start + nq, d, k, metric, js.ids, js.dists);
        assert.ok(knnRangeNative(base.data, nb, metric === 'l2' ? norms : null, q.data, start, start + nq, d, k, metric, nat.ids, nat.dists));
        const what = `${variant} ${metric} nb=${nb} d=${d} k=${k}`;
        assert.ok(nat.ids.subarray(0, start * k).every((v) => v === -9), `${what}: rows before start untouched`);
        assertSameTopK(js, nat, what);
        if (nb < k) assert.ok(nat.ids.subarray(start * k, start * k + k).slice(nb).every((v) => v === -1), `${what}: padded with -1`);
        if (wasmKernelsAvailable()) {
          assert.ok(knnRangeFused(base.data, nb, metric === 'l2' ? norms : null, q.data, start, start + nq, d, k, metric, wasm.ids, wasm.dists));
          assert.deepEqual([...nat.ids], [...wasm.ids], `${what}: ids as the wasm kernel's`);
          assert.deepEqual([...nat.dists], [...wasm.dists], `${what}: distances as the wasm kernel's`);
        }
        // norms computed by the kernel when not given: the same answer
        knnRangeNative(base.data, nb, null, q.data, start, start + nq, d, k, metric, nat2.ids, nat2.dists);
        assertSameTopK(nat, nat2, `${what} (norms computed)`);
      }
    }
  }
}));

test('native k-NN keeps the wasm kernel\'s keys where sgemm\'s rounding differs (every scan variant): large offsets, many ties', { skip: nativeSkip || (wasmKernelsAvailable() ? false : 'needs the wasm kernel') }, () => eachScanVariant((variant) => {
  // rows far from the origin (||b||² ~ 3·10⁹ against differences ~ 10²) on a half-integer grid: sgemm's
  // sums differ from the wasm tile's in the last bits, and without the filter's margin ~2,800 ids differ
  const nb = 4000, d = 33, nq = 64, k = 50;
  const base = randomMatrix(nb, d, 5), q = randomMatrix(nq, d, 6);
  for (const m of [base, q]) for (let i = 0; i < m.data.length; i++) m.data[i] = Math.round(m.data[i] * 2) / 2 + 1e4;
  for (const metric of ['l2', 'ip'] as const) {
    const nat = { ids: new Int32Array(nq * k), dists: new Float32Array(nq * k) }, wasm = { ids: new Int32Array(nq * k), dists: new Float32Array(nq * k) };
    knnRangeNative(base.data, nb, null, q.data, 0, nq, d, k, metric, nat.ids, nat.dists);
    knnRangeFused(base.data, nb, null, q.data, 0, nq, d, k, metric, wasm.ids, wasm.dists);
    assert.deepEqual([...nat.ids], [...wasm.ids], `${variant} ${metric}`);
    assert.deepEqual([...nat.dists], [...wasm.dists], `${variant} ${metric}`);
  }
}));

test('native k-NN: knnRange takes it, OpenBLAS stays on the calling thread, and kernel workers run it too', { skip: nativeSkip }, async () => {
  assert.match(nativeKnnDescription()!, /^native \(OpenBLAS .*, 1 thread per call\)$/);
  const base = randomMatrix(30_000, 48, 5), q = randomMatrix(300, 48, 6), k = 10;
  const run = (native: boolean) => {
    const was = setNativeKnnEnabled(native);
    const r = { ids: new Int32Array(300 * k), dists: new Float32Array(300 * k) };
    const calls = nativeKnnCalls(), t = performance.now(), c = process.cpuUsage();
    try {
      knnRange(base.data, base.rows, null, q.data, 0, 300, 48, k, 'l2', r.ids, r.dists);
    } finally {
      setNativeKnnEnabled(was);
    }
    const cpu = process.cpuUsage(c);
    return { ...r, calls: nativeKnnCalls() - calls, wall: performance.now() - t, cpu: (cpu.user + cpu.system) / 1000 };
  };
  const nat = run(true);
  assert.equal(nat.calls, 1, 'knnRange ran the native kernel');
  assert.equal(run(false).calls, 0, 'turned off in this thread: not called');
  let best = nat;
  for (let i = 0; i < 3 && best.cpu > 1.3 * best.wall + 5; i++) { const r = run(true); if (r.cpu / r.wall < best.cpu / best.wall) best = r; }
  assert.ok(best.cpu <= 1.3 * best.wall + 5, `single-threaded BLAS: ${best.cpu.toFixed(0)} ms CPU in ${best.wall.toFixed(0)} ms`);
  // two threads: the worker calls it too, with the same answer; turned off here, the worker follows
  const prev = getThreads();
  setThreads(2);
  try {
    let calls = nativeKnnCalls();
    const two = await knn(base, q, k);
    assert.equal(nativeKnnCalls() - calls, 2, 'the main thread and the worker each ran the native kernel');
    assert.deepEqual([...two.ids], [...nat.ids]);
    const was = setNativeKnnEnabled(false);
    calls = nativeKnnCalls();
    try {
      assert.deepEqual([...(await knn(base, q, k)).ids], [...nat.ids]);
    } finally {
      setNativeKnnEnabled(was);
    }
    assert.equal(nativeKnnCalls() - calls, 0, 'off in the caller: off in the worker');
  } finally {
    setThreads(prev);
  }
});

// ---- the native nearest-row assignment (k-means): knnRange of knn.cc with k = 1, bit for bit nearest_tile's ----

test('native nearest equals the wasm nearest_tile bit for bit and the JS scan (every scan variant): l2 and ip, nc across blocks, exact ties, odd d, large offsets', { skip: nativeSkip || (wasmKernelsAvailable() ? false : 'needs the wasm kernel') }, () => eachScanVariant((variant) => {
  // [nc, d, rows, start, offset]: 300 rows from row 7 (two 256-row blocks, the second partial); nc = 1,100
  // (a 1,024-centroid block then a partial one), 37 (not a multiple of 8), 1; rows far from the origin
  // on a half-integer grid (offset 1e4), where sgemm's sums differ from the wasm tile's in the last bits
  for (const [nc, d, nx, start, offset] of [[1100, 37, 300, 7, 0], [37, 9, 40, 3, 0], [1, 3, 5, 0, 0], [1100, 33, 300, 0, 1e4]]) {
    const c = randomMatrix(nc, d, nc + d), x = randomMatrix(start + nx, d, 7 * d + nc);
    if (offset) for (const m of [c, x]) for (let i = 0; i < m.data.length; i++) m.data[i] = Math.round(m.data[i] * 2) / 2 + offset;
    // exact ties: centroid 2j+1 a copy of 2j for the first tenth (whichever is nearest, the first copy wins), and
    // every fifth row a copy of a centroid (distance 0 to it and to its duplicate)
    for (let j = 0; j + 1 < Math.ceil(nc / 10); j += 2) c.data.copyWithin((j + 1) * d, j * d, (j + 1) * d);
    for (let i = start; i < start + nx; i += 5) x.data.set(c.data.subarray(((i * 7) % nc) * d, ((i * 7) % nc) * d + d), i * d);
    if (nx > 1) x.data.fill(0, (start + 1) * d, (start + 2) * d); // a zero row: every ip key 0 and the kernel's margin 0
    const norms = rowNormsSq(c.data, nc, d);
    for (const metric of ['l2', 'ip'] as const) {
      const n = start + nx;
      const out = () => ({ ids: new Int32Array(n).fill(-9), dists: new Float32Array(n) });
      const js = out(), nat = out(), wasm = out(), nat2 = out(), wasm2 = out();
      const what = `${variant} ${metric} nc=${nc} d=${d} offset=${offset}`;
      const cn = metric === 'l2' ? norms : null;
      nearestRowsJs(x.data, start, n, c.data, nc, d, metric, cn, js.ids, js.dists);
      assert.ok(nearestRowsNative(x.data, start, n, c.data, nc, d, metric, cn, nat.ids, nat.dists));
      assert.ok(nearestRowsFused(x.data, start, n, c.data, nc, d, metric, cn, wasm.ids, wasm.dists));
      assert.ok(nat.ids.subarray(0, start).every((v) => v === -9), `${what}: rows before start untouched`);
      assert.deepEqual([...nat.ids], [...wasm.ids], `${what}: ids as the wasm kernel's`);
      assert.deepEqual([...nat.dists], [...wasm.dists], `${what}: distances as the wasm kernel's`);
      // norms computed by the kernels when not given: again equal to each other
      nearestRowsNative(x.data, start, n, c.data, nc, d, metric, null, nat2.ids, nat2.dists);
      nearestRowsFused(x.data, start, n, c.data, nc, d, metric, null, wasm2.ids, wasm2.dists);
      assert.deepEqual([...nat2.ids], [...wasm2.ids], `${what} (norms computed)`);
      assert.deepEqual([...nat2.dists], [...wasm2.dists], `${what} (norms computed)`);
      let tied = 0;
      for (let i = start; i < n; i++) {
        // the later copy of a duplicated centroid never wins
        const id = nat.ids[i];
        if (id % 2 === 0 && id + 1 < Math.ceil(nc / 10)) tied++;
        assert.ok(!(id % 2 === 1 && id < Math.ceil(nc / 10) && nc > 1), `${what}: row ${i} took the second copy ${id}`);
        if (offset) continue; // the JS scan's float64 keys tie differently there; its rows are checked above against wasm
        if (js.ids[i] !== id) {
          // JS keys are summed in float64: a different id only where the two keys tie within float32 error
          const key = (j: number) => {
            let ip = 0;
            for (let t = 0; t < d; t++) ip += x.data[i * d + t] * c.data[j * d + t];
            return metric === 'l2' ? norms[j] - 2 * ip : -ip;
          };
          assert.ok(Math.abs(key(js.ids[i]) - key(id)) <= 1e-4 * (1 + Math.abs(key(id))), `${what}: row ${i} ids ${js.ids[i]} / ${id} differ beyond a tie`);
        }
        if ((i - start) % 5 === 0 && metric === 'l2') assert.ok(nat.dists[i] <= 1e-3 * (1 + norms[id]), `${what}: row ${i} is a centroid (${nat.dists[i]})`);
      }
      if (nc >= 37 && metric === 'l2') assert.ok(tied > 0, `${what}: some rows tie between two copies`);
    }
  }
}));

test('native nearest: nearestRows takes it, and the kernel workers of nearest() run it too (off in the caller: off there)', { skip: nativeSkip }, async () => {
  const x = randomMatrix(20_000, 37, 11), c = randomMatrix(1100, 37, 12);
  const run = (native: boolean) => {
    const was = setNativeKnnEnabled(native);
    const r = { ids: new Int32Array(x.rows), dists: new Float32Array(x.rows) };
    const calls = nativeNearestCalls();
    try {
      nearestRows(x.data, 0, x.rows, c.data, c.rows, 37, 'l2', null, r.ids, r.dists);
    } finally {
      setNativeKnnEnabled(was);
    }
    return { ...r, calls: nativeNearestCalls() - calls };
  };
  const nat = run(true), wasm = run(false);
  assert.equal(nat.calls, 1, 'nearestRows ran the native kernel');
  assert.equal(wasm.calls, 0, 'turned off in this thread: not called');
  assert.deepEqual([...nat.ids], [...wasm.ids]);
  assert.deepEqual([...nat.dists], [...wasm.dists]);
  const prev = getThreads();
  setThreads(2);
  try {
    let calls = nativeNearestCalls();
    const two = await nearest(x, c); // 2·20000·1100·37 flops: above the parallel threshold
    assert.equal(nativeNearestCalls() - calls, 2, 'the main thread and the worker each ran the native kernel');
    assert.deepEqual([...two.ids], [...nat.ids]);
    const was = setNativeKnnEnabled(false);
    calls = nativeNearestCalls();
    try {
      assert.deepEqual([...(await nearest(x, c)).ids], [...nat.ids]);
    } finally {
      setNativeKnnEnabled(was);
    }
    assert.equal(nativeNearestCalls() - calls, 0, 'off in the caller: off in the worker');
  } finally {
    setThreads(prev);
  }
});

test('VQBENCH_NATIVE_KERNELS=0 turns the native kernel off (VQBENCH_KERNEL=js too); the fingerprint names the k-NN kernel', { skip: nativeSkip }, () => {
  const probe = "import('./src/core/native/knn-native.ts').then(async (m) => { const f = await import('./src/run/fingerprint.ts'); console.log(JSON.stringify([m.nativeKnnEnabled(), m.nativeKnnUnavailable(), f.machineFingerprint().knnKernel])); })";
  const ask = (env: Record<string, string>) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', probe], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as [boolean, string | null, string];
  };
  assert.deepEqual(ask({ VQBENCH_NATIVE_KERNELS: '0' }), [false, 'disabled by VQBENCH_NATIVE_KERNELS=0', 'wasm-simd128']);
  const js = ask({ VQBENCH_NATIVE_KERNELS: '', VQBENCH_KERNEL: 'js' });
  assert.deepEqual(js.slice(0, 2), [false, 'disabled by VQBENCH_KERNEL=js']);
  assert.match(js[2], /^js /);
  assert.equal(machineFingerprint().knnKernel, nativeKnnDescription());
});
