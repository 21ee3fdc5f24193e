// The binary index's Hamming scan: the wasm kernel (i64.popcnt over 64-bit words, kernels.c
// hamming_scan) against the JS one (SWAR popcount over 32-bit words) on seeded bits: the same ids
// and distances, ties and short bases included, at every row width the kernel special-cases and
// some it does not; and the binary index finds the same neighbours with the wasm kernels on and off.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/core/rng.js';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { hammingTopK, hammingTopKJs } from '../../src/core/hamming.js';
import { hammingTopKWasm } from '../../src/core/wasm/hamming-kernels.js';
import { setWasmKernelsEnabled, wasmKernelsAvailable } from '../../src/core/wasm/loader.js';
import { WasmArray, setWasmScratchFloats } from '../../src/core/wasm/memory.js';
import { readNpy } from '../../src/data/npy.js';
import { createIndex } from '../../src/index/registry.js';
import type { FlatCodesIndex } from '../../src/index/flat-codes.js';

after(shutdownWorkers);
const skip = wasmKernelsAvailable() ? false : 'the wasm kernels did not load on this engine';

/** n rows of w random words; `bitsUsed` < 32·w leaves the high bits 0 (as packBits does past d). */
function randomBits(n: number, w: number, bitsUsed: number, seed: number): Uint32Array {
  const rng = new Rng(seed), out = new Uint32Array(n * w);
  for (let i = 0; i < n; i++) for (let b = 0; b < bitsUsed; b++) if (rng.float() < 0.5) out[i * w + (b >>> 5)] |= 1 << (b & 31);
  return out;
}

test('wasm Hamming top-k equals the JS scan: ids and distances, every width (1 to 1000 bits), ties, k above n', { skip }, () => {
  let cases = 0;
  for (const d of [1, 7, 31, 32, 33, 64, 96, 100, 128, 200, 256, 384, 512, 768, 1000]) {
    const w = Math.ceil(d / 32);
    for (const [n, nq, k] of [[500, 13, 10], [37, 3, 50], [1, 2, 1]]) {
      const codes = randomBits(n, w, d, d * 31 + n), q = randomBits(nq, w, d, d * 17 + 5);
      const resident = WasmArray.from(codes);
      assert.ok(resident.resident);
      const ids = new Int32Array(nq * k), dists = new Float32Array(nq * k);
      assert.ok(hammingTopKWasm(resident, n, w, q, nq, k, ids, dists));
      const js = hammingTopKJs(codes, n, w, q, nq, k);
      assert.deepEqual(ids, js.ids, `d = ${d}, n = ${n}, k = ${k}: ids`);
      assert.deepEqual(dists, js.dists, `d = ${d}, n = ${n}, k = ${k}: distances`);
      // and the distances are popcounts: the first against a bit-by-bit count
      if (js.ids[0] >= 0) {
        let h = 0;
        for (let b = 0; b < d; b++) h += ((q[b >>> 5] ^ codes[js.ids[0] * w + (b >>> 5)]) >>> (b & 31)) & 1;
        assert.equal(dists[0], h);
      }
      resident.free();
      cases++;
    }
  }
  assert.equal(cases, 45);
});

test('wasm Hamming top-k in blocks of queries (tiny scratch) equals one block; the dispatcher takes the JS path when wasm is off', { skip }, () => {
  const n = 3000, w = 4, nq = 40, k = 20;
  const codes = randomBits(n, w, 128, 1), q = randomBits(nq, w, 128, 2), resident = WasmArray.from(codes);
  const whole = hammingTopK(resident, n, w, q, nq, k);
  const prev = setWasmScratchFloats(1024); // 1024 / (4 + 41) = 22 queries per block
  try {
    assert.deepEqual(hammingTopK(resident, n, w, q, nq, k), whole);
  } finally {
    setWasmScratchFloats(prev);
  }
  const was = setWasmKernelsEnabled(false);
  try {
    const ids = new Int32Array(nq * k), dists = new Float32Array(nq * k);
    assert.equal(hammingTopKWasm(resident, n, w, q, nq, k, ids, dists), false);
    assert.deepEqual(hammingTopK(resident, n, w, q, nq, k), whole);
  } finally {
    setWasmKernelsEnabled(was);
  }
  resident.free();
});

test('the binary index on GloVe rows: the same neighbours with the wasm kernels on and off (no rescoring, rescoring, itq)', { skip }, async () => {
  const all = readNpy(fileURLToPath(new URL('../fixtures/data/glove-sample.npy', import.meta.url)));
  const base = all.sliceRows(0, 900), queries = all.sliceRows(900, 1000);
  for (const build of [{ metric: 'l2' }, { metric: 'ip', rotation: 'itq', itqIters: 5 }]) {
    const idx = createIndex('binary', build) as FlatCodesIndex;
    await idx.build(base, { seed: 3 });
    for (const search of [{ rescore: 0 }, { rescore: 4 }]) {
      const on = idx.search(queries, 10, search);
      const was = setWasmKernelsEnabled(false);
      const off = idx.search(queries, 10, search);
      setWasmKernelsEnabled(was);
      const what = JSON.stringify({ build, search });
      assert.deepEqual(on.ids, off.ids, what);
      // the scan's distances are the same numbers; rescored ones come from the float kernels, which
      // the switch also changes (float32 vs float64 accumulation)
      if (search.rescore === 0) assert.deepEqual(on.dists, off.dists, what);
      else on.dists.forEach((v, i) => assert.ok(Math.abs(v - off.dists[i]) <= 1e-5 * (1 + Math.abs(v)), `${what} at ${i}: ${v} vs ${off.dists[i]}`));
    }
    await idx.close();
  }
});
