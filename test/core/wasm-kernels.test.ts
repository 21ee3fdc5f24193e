// The WebAssembly SIMD kernels against the JS reference kernels: same contracts, same answers
// (ids exactly except float32 near-ties, values within float32 accumulation error), including the
// chunked paths taken when an operand exceeds the scratch budget.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { innerProductsJs } from '../../src/core/distance.js';
import { knnRangeJs, nearestRowsJs } from '../../src/core/search.js';
import { AdcFrame, adcBooks, freeAdcBooks } from '../../src/core/wasm/adc-kernels.js';
import { innerProductsWasm, knnRangeFused, knnResident, nearestRowsFused } from '../../src/core/wasm/kernels.js';
import { setWasmKernelsEnabled, wasmKernelsAvailable } from '../../src/core/wasm/loader.js';
import { WasmArray, releaseResident, residentBytes, residentRows, setWasmScratchFloats } from '../../src/core/wasm/memory.js';
import { Rng } from '../../src/core/rng.js';
import { TopK } from '../../src/core/topk.js';
import { HALF_WEIGHTS, codewordNormsSq, dotTables, l2Tables, residentHalfTable, scanSum, scanSumPair, scanWeighted, sumTables, type CodebookSet, type WeightTable } from '../../src/index/adc.js';
import { toHalf } from '../../src/core/fp16.js';
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

// ---- ADC: tables, table sums and code scans (src/index/adc.ts runs these in wasm) ----

/** A codebook set of `books` sub-spaces over d dims (as ProductQuantizer splits them), or whole-space books. */
function codebookSet(d: number, books: number, ks: number, seed: number, whole = false): CodebookSet {
  const base = Math.floor(d / books), extra = d % books;
  const subDim = Array.from({ length: books }, (_, m) => (whole ? d : base + (m < extra ? 1 : 0)));
  const subOffset = subDim.map((_, m) => (whole ? 0 : subDim.slice(0, m).reduce((a, b) => a + b, 0)));
  const codebooks = subDim.map((sd, m) => randomMatrix(ks, sd, seed + m).data);
  return { size: ks, codebooks, subOffset, subDim };
}

function randomCodes(n: number, books: number, ks: number, seed: number): Uint8Array | Uint16Array {
  const rng = new Rng(seed);
  const c = ks <= 256 ? new Uint8Array(n * books) : new Uint16Array(n * books);
  for (let i = 0; i < c.length; i++) c[i] = rng.int(ks);
  return c;
}

const closeRel = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * (1 + Math.abs(b));

test('wasm ADC tables equal dotTables / l2Tables (sub-spaces of unequal width, whole-space books, odd sizes)', { skip }, () => {
  for (const [d, books, ks, whole] of [[100, 50, 256, false], [30, 7, 16, false], [13, 13, 6, false], [20, 3, 64, true], [9, 2, 2, false]] as const) {
    const cb = codebookSet(d, books, ks, d + books, whole);
    const cn = codewordNormsSq(cb);
    const rb = adcBooks(cb.codebooks, ks, cb.subOffset, cb.subDim, cn)!;
    const nq = 7, tl = books * ks;
    const x = randomMatrix(nq + 2, d, 3);
    for (const l2 of [false, true]) {
      const want = new Float32Array(nq * tl), got = new Float32Array(nq * tl);
      const was = setWasmKernelsEnabled(false);
      try {
        if (l2) l2Tables(x.data, d, 2, nq, cb, cn, want);
        else dotTables(x.data, d, 2, nq, cb, want);
      } finally {
        setWasmKernelsEnabled(was);
      }
      // through the public entry points with resident books (single queries and blocks)
      if (l2) l2Tables(x.data, d, 2, nq, cb, cn, got, undefined, rb);
      else dotTables(x.data, d, 2, nq, cb, got, undefined, rb);
      for (let u = 0; u < want.length; u++) {
        assert.ok(closeRel(got[u], want[u], 1e-5), `d ${d} books ${books} ks ${ks} l2 ${l2} at ${u}: ${got[u]} vs ${want[u]}`);
        if (l2) assert.ok(got[u] >= 0);
      }
      const one = new Float32Array(tl);
      if (l2) l2Tables(x.data, d, 4, 1, cb, cn, one, undefined, rb);
      else dotTables(x.data, d, 4, 1, cb, one, undefined, rb);
      for (let u = 0; u < tl; u++) assert.ok(closeRel(one[u], want[2 * tl + u], 1e-5));
    }
    freeAdcBooks(rb);
  }
});

test('wasm ADC scans equal scanSum / scanSumPair bit for bit (u8 and u16 codes, extra term, heap padding)', { skip }, () => {
  for (const [books, ks] of [[50, 256], [7, 16], [5, 300], [1, 256], [3, 2]] as const) {
    const n = 1500, tl = books * ks, k = 10, nq = 3;
    const codes = randomCodes(n, books, ks, books + ks);
    const rng = new Rng(books * ks);
    const lutA = Float32Array.from({ length: tl }, () => rng.normal());
    const lutB = Float32Array.from({ length: tl }, () => rng.normal());
    const extra = Float32Array.from({ length: n }, () => rng.normal());
    const ids = Int32Array.from({ length: n }, (_, i) => (i * 7919) % 100003);
    const wCodes = WasmArray.from(codes), wIds = WasmArray.from(ids), wExtra = WasmArray.from(extra);
    const wA = WasmArray.from(lutA), wB = WasmArray.from(lutB);
    // query 0: two runs of rows scanned with scanSum (one with the extra term); query 1: scanSumPair;
    // query 2: sumTables then scanSum over a run shorter than k (padding)
    const heap = new TopK(nq, k);
    const sum = new Float32Array(tl);
    scanSum(codes, books, ks, 0, 700, lutA, 0, -2, 0.75, null, ids, heap, 0);
    scanSum(codes, books, ks, 900, n, lutA, 0, 1, -0.5, extra, ids, heap, 0);
    scanSumPair(codes, books, ks, 100, 1200, lutA, 0, lutB, 0, -2, 1.25, ids, heap, 1);
    sumTables(sum, lutA, 0, lutB, 0, -2, tl);
    scanSum(codes, books, ks, 1490, 1496, sum, 0, 1, 0.5, null, ids, heap, 2);
    const want = heap.sort();

    const f = new AdcFrame(nq, 4, tl, k);
    f.load(new Float32Array(nq * 4), 0, nq);
    f.scan(wCodes, books, ks, 0, 700, wA.at, -2, 0.75, null, wIds, 0);
    f.scan(wCodes, books, ks, 900, n, wA.at, 1, -0.5, wExtra, wIds, 0);
    f.scanPair(wCodes, books, ks, 100, 1200, wA.at, wB.at, -2, 1.25, wIds, 1);
    f.axpy(wA.at, wB.at, -2, f.lut);
    f.scan(wCodes, books, ks, 1490, 1496, f.lut, 1, 0.5, null, wIds, 2);
    const got = { ids: new Int32Array(nq * k), dists: new Float32Array(nq * k) };
    f.finish(nq, false, got.ids, got.dists, 0);
    assert.deepEqual([...got.ids], [...want.ids], `books ${books} ks ${ks}`);
    assert.deepEqual([...got.dists], [...want.dists], `books ${books} ks ${ks}`);
    assert.deepEqual([...got.ids.subarray(2 * k + 6)], [-1, -1, -1, -1], 'padding');
    // the summed table equals sumTables exactly
    const wSum = new Float32Array(tl);
    const g2 = new AdcFrame(1, 4, tl, 1);
    g2.axpy(wA.at, wB.at, -2, g2.table(0));
    g2.readTables(1, wSum);
    assert.deepEqual([...wSum], [...sum]);
    for (const a of [wCodes, wIds, wExtra, wA, wB]) a.free();
  }
});

test('wasm weighted scan equals scanWeighted bit for bit (fp16 and level weights, u8 / u16 codes, odd runs, k > run, l2 / ip, filter on / off)', { skip }, () => {
  const half = residentHalfTable()!;
  for (const [books, ks, bits] of [[4, 256, 16], [5, 16, 8], [3, 300, 4], [1, 7, 16], [2, 2, 8]] as const) {
    const n = 901, tl = books * ks, k = 12, nq = 4;
    const rng = new Rng(books * 1000 + ks + bits);
    const codes = randomCodes(n, books, ks, books + ks + bits);
    // weights: fp16 patterns of values in (0.2, 1.8), or level indices into per-book tables
    const L = bits === 16 ? 0 : 2 ** bits;
    const weights = bits === 16 ? Uint16Array.from({ length: n * books }, () => toHalf(0.2 + 1.6 * rng.float()))
      : Uint8Array.from({ length: n * books }, () => rng.int(L));
    const wt: WeightTable = bits === 16 ? HALF_WEIGHTS : { table: Float32Array.from({ length: books * L }, () => 0.2 + 1.6 * rng.float()), stride: L };
    const dots = Float32Array.from({ length: nq * tl }, () => rng.normal());
    const norms = Float32Array.from({ length: n }, () => 1 + rng.float());
    const ids = Int32Array.from({ length: n }, (_, i) => (i * 7919) % 1009);
    const allowed = Uint8Array.from({ length: 1009 }, () => (rng.float() < 0.3 ? 1 : 0));
    const w = { codes: WasmArray.from(codes), weights: WasmArray.from(weights), norms: WasmArray.from(norms), ids: WasmArray.from(ids) };
    const wtR = bits === 16 ? half : WasmArray.from(wt.table);
    const allowedR = WasmArray.from(allowed); // before the frames: a new block voids a live frame
    // runs of odd and even lengths, one shorter than k (the heap stays part-full), one of length 1
    const runs: [number, number][] = [[0, 333], [340, 345], [345, 346], [400, 900], [900, 901]];
    const runArray = Uint32Array.from(runs.flat());
    for (const filtered of [false, true]) {
      for (const ip of [false, true]) {
        const normScale = ip ? 0 : 1, dotScale = ip ? -1 : -2;
        const heap = new TopK(nq, k, filtered ? allowed : null);
        const f = new AdcFrame(nq, 4, tl, k, runs.length);
        f.load(new Float32Array(nq * 4), 0, nq);
        f.write(f.table(0), dots, 0, nq * tl);
        f.allowed = filtered ? allowedR : null;
        for (let q = 0; q < nq; q++) {
          const bias = ip ? 0 : 0.5 + q;
          // query q scans the first q + 2 runs (query 0: two runs, 338 rows; query 3: all), the wasm scan in one call
          for (const [s, e] of runs.slice(0, q + 2)) scanWeighted(codes, weights, norms, books, ks, s, e, dots, q * tl, normScale, bias, dotScale, ids, heap, q, wt);
          f.scanWeighted(runArray, q + 2, w.codes, w.weights, wtR, wt.stride, books, ks, f.table(q), dotScale, bias, ip ? null : w.norms, w.ids, q);
        }
        const want = heap.sort();
        const got = { ids: new Int32Array(nq * k), dists: new Float32Array(nq * k) };
        f.finish(nq, false, got.ids, got.dists, 0);
        const what = `books ${books} ks ${ks} weights ${bits} ${ip ? 'ip' : 'l2'}${filtered ? ' filtered' : ''}`;
        assert.deepEqual([...got.ids], [...want.ids], what);
        assert.deepEqual([...got.dists], [...want.dists], what);
        if (filtered) assert.ok([...got.ids].every((id) => id < 0 || allowed[id] === 1), `${what}: only allowed ids`);
      }
    }
    // a single query whose one run is shorter than k: padded with −1 on both paths
    const heap = new TopK(1, k);
    scanWeighted(codes, weights, norms, books, ks, 340, 345, dots, 0, 1, 0, -2, ids, heap, 0, wt);
    const f = new AdcFrame(1, 4, tl, k, 1);
    f.load(new Float32Array(4), 0, 1);
    f.write(f.table(0), dots, 0, tl);
    f.scanWeighted(Uint32Array.of(340, 345), 1, w.codes, w.weights, wtR, wt.stride, books, ks, f.table(0), -2, 0, w.norms, w.ids, 0);
    const got = { ids: new Int32Array(k), dists: new Float32Array(k) };
    f.finish(1, false, got.ids, got.dists, 0);
    assert.deepEqual([...got.ids], [...heap.sort().ids]);
    assert.deepEqual([...got.ids.subarray(5)], new Array(k - 5).fill(-1), 'padding');
    for (const a of [...Object.values(w), allowedR]) a.free();
    if (wtR !== half) wtR.free();
  }
});

test('AdcFrame: finish negates for inner product; a frame is refused after another kernel reused the scratch', { skip }, () => {
  const books = 4, ks = 16, n = 50, k = 5;
  const codes = WasmArray.from(randomCodes(n, books, ks, 1)), ids = WasmArray.from(Int32Array.from({ length: n }, (_, i) => i));
  const lut = WasmArray.from(Float32Array.from({ length: books * ks }, (_, i) => Math.sin(i)));
  const f = new AdcFrame(1, 2, books * ks, k);
  f.load(new Float32Array(2), 0, 1);
  f.scan(codes, books, ks, 0, n, lut.at, -1, 0, null, ids, 0);
  const r = { ids: new Int32Array(k), dists: new Float32Array(k) };
  f.finish(1, true, r.ids, r.dists, 0);
  for (let j = 1; j < k; j++) assert.ok(r.dists[j - 1] >= r.dists[j], 'descending after negation');
  innerProductsWasm(new Float32Array(64 * 8), 0, 64, new Float32Array(64 * 8), 0, 64, 8, new Float32Array(64 * 64));
  assert.throws(() => f.scan(codes, books, ks, 0, n, lut.at, -1, 0, null, ids, 0), /AdcFrame used after/);
  for (const a of [codes, ids, lut]) a.free();
});

test('WasmArray: one copy in wasm memory, views survive memory growth when re-taken, blocks are reused', { skip }, () => {
  const before = residentBytes();
  const src = Float32Array.from({ length: 1000 }, (_, i) => i * 0.5);
  const a = WasmArray.from(src);
  assert.ok(a.resident);
  assert.equal(a.byteLength, 4000);
  assert.deepEqual([...a.array], [...src]);
  const big = WasmArray.from(new Uint8Array(32 * 1024 * 1024)); // grows the memory: old views detach
  assert.deepEqual([...a.array.subarray(0, 5)], [0, 0.5, 1, 1.5, 2], 'a fresh view after the growth');
  const u16 = WasmArray.from(Uint16Array.from([1, 65535, 7]));
  assert.deepEqual([...u16.array], [1, 65535, 7]);
  big.free();
  const again = WasmArray.from(new Uint8Array(16 * 1024 * 1024));
  assert.equal(again.at, big.at, 'the freed block is taken again (first fit)');
  for (const x of [again, a, u16]) x.free();
  a.free(); // a second free is a no-op
  assert.equal(residentBytes(), before, 'every block given back');
  assert.throws(() => a.array, /after free/);
  const empty = WasmArray.from(new Int32Array(0));
  assert.equal(empty.resident, false);
  assert.equal(empty.array.length, 0);
});
