// The WRVQ three-layer index: eq. 14 against decoded vectors, the full scan (nprobe = size, no
// fuzzy layer) against an exact ADC ranking, the fuzzy layer keeping everything when asked to,
// recall against nprobe / fuzzyK, incremental add, re-rank, memory and bits, parameter errors.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/errors.js';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { dot, l2sq } from '../../src/core/distance.js';
import type { Matrix } from '../../src/core/matrix.js';
import { WrvqIndex, setWrvqWasmScan, type WrvqBuildParams } from '../../src/index/wrvq.js';
import { labelFilter } from '../../src/index/filter.js';
import { setWasmKernelsEnabled, wasmKernelsAvailable, wasmKernelsEnabled } from '../../src/core/wasm/loader.js';
import { mixture } from '../helpers/data.js';
import { assertClose, assertSortedResult, groundTruth, recallAt } from './helpers.js';

after(shutdownWorkers);

const D = 32;
const all = mixture(4200, D, 20, 21, 0.6);
const base = all.sliceRows(0, 4000);
const queries = all.sliceRows(4000, 4100);
const extra = all.sliceRows(4100, 4200);
const K = 10;
const S = 16;

const built = new Map<string, WrvqIndex>();
async function index(p: WrvqBuildParams): Promise<WrvqIndex> {
  const key = JSON.stringify(p);
  if (!built.has(key)) {
    const idx = new WrvqIndex({ books: 4, size: S, ...p });
    await idx.build(base, { seed: 7 });
    built.set(key, idx);
  }
  return built.get(key)!;
}

/** Scores of every base vector against its decoded x̂ (ip negated: ascending = best first). */
function decodedScan(idx: WrvqIndex, x: Matrix, q: Matrix): Float64Array[] {
  const dec = idx.quantizer.decode(idx.quantizer.encode(x));
  const ip = idx.metric === 'ip';
  return Array.from({ length: q.rows }, (_, i) => Float64Array.from({ length: x.rows }, (_, j) =>
    ip ? -dot(q.data, i * D, dec.data, j * D, D) : l2sq(q.data, i * D, dec.data, j * D, D)));
}

function assertFullScan(idx: WrvqIndex, params: Record<string, number>): void {
  const r = idx.search(queries, K, { nprobe: S, ...params });
  const ip = idx.metric === 'ip';
  assertSortedResult(r, queries.rows, K, !ip);
  const ref = decodedScan(idx, base, queries);
  const sign = ip ? -1 : 1;
  for (let i = 0; i < queries.rows; i++) {
    const sorted = Float64Array.from(ref[i]).sort();
    for (let j = 0; j < K; j++) {
      const id = r.ids[i * K + j];
      // eq. 14 (||x̂||² + ||q||² − 2 Σ w_i c_i·q) against ||q − x̂||² computed directly
      assertClose(sign * r.dists[i * K + j], ref[i][id], 1e-4, `q${i} id ${id}`);
      assertClose(sign * r.dists[i * K + j], sorted[j], 1e-4, `q${i} rank ${j}`);
    }
  }
}

test('wrvq: nprobe = size without fuzzy layer scans everything = exact ADC ranking over decoded vectors', async () => {
  const idx = await index({ fuzzyBooks: 0 });
  assert.equal(idx.label, `wrvq:books=4,size=${S},weights=paper,weightBits=16,trainer=kmeans,fuzzyBooks=0,rerank=false,metric=l2`);
  assertFullScan(idx, {});
  // adcDistance (the single-vector form) agrees with a direct computation too
  const dec = idx.quantizer.decode(idx.quantizer.encode(base.sliceRows(0, 5)));
  for (let j = 0; j < 5; j++) assertClose(idx.adcDistance(queries.row(0), j), l2sq(queries.data, 0, dec.data, j * D, D));
});

for (const fuzzyBooks of [1, 2]) {
  test(`wrvq: fuzzyBooks=${fuzzyBooks} with fuzzyK = 0 (keep all sub-cells) and nprobe = size is the full scan`, async () => {
    assertFullScan(await index({ fuzzyBooks }), { fuzzyK: 0 });
  });
}

for (const fuzzyBooks of [1, 2]) {
  test(`wrvq: fuzzy layer (fuzzyBooks=${fuzzyBooks}) scores sub-cells by distance to w̄1·c1 + w̄2·c2${fuzzyBooks === 2 ? ' + w̄3·c3' : ''}, keeps the best`, async () => {
    const idx = await index({ fuzzyBooks });
    const Q = idx.quantizer, w = idx.approximateWeights;
    const codes = Q.encode(base).codes;
    for (let i = 0; i < 10; i++) {
      const q = queries.row(i);
      // exact layer by hand: the non-empty cell whose centre w̄1·c1 is nearest
      let cell = -1, best = Infinity;
      for (let c = 0; c < S; c++) {
        if (!idx.subCells(q, c).codes.length) continue;
        const centre = new Float32Array(D);
        for (let t = 0; t < D; t++) centre[t] = w[c] * Q.codebooks[0][c * D + t];
        const v = l2sq(q, 0, centre, 0, D);
        if (v < best) { best = v; cell = c; }
      }
      const sc = idx.subCells(q, cell);
      let arg = 0;
      sc.codes.forEach((cs, b) => {
        const centre = new Float32Array(D);
        for (let t = 0; t < D; t++) {
          centre[t] = w[cell] * Q.codebooks[0][cell * D + t];
          cs.forEach((j, f) => { centre[t] += w[(f + 1) * S + j] * Q.codebooks[f + 1][j * D + t]; });
        }
        assertClose(sc.scores[b], l2sq(q, 0, centre, 0, D), 1e-4, `query ${i} sub-cell ${cs}`);
        if (sc.scores[b] < sc.scores[arg]) arg = b;
      });
      // nprobe 1, fuzzyK 1: every hit lies in that sub-cell
      const r = idx.search(queries.sliceRows(i, i + 1), 3, { nprobe: 1, fuzzyK: 1 });
      for (const id of r.ids) {
        if (id < 0) continue;
        const prefix = Array.from(codes.subarray(id * 4, id * 4 + 1 + fuzzyBooks));
        assert.deepEqual(prefix, [cell, ...sc.codes[arg]], `query ${i} hit ${id}`);
      }
    }
  });
}

test('wrvq: ip metric scores q · x̂, descending', async () => {
  assertFullScan(await index({ fuzzyBooks: 0, metric: 'ip' }), {});
});

test('wrvq: bits per vector and exact memory', async () => {
  const idx = await index({ fuzzyBooks: 1 });
  assert.equal(idx.bitsPerVector, 4 * (4 + 16) + 32);
  const m = idx.memoryBreakdown();
  const n = 4000;
  assert.equal(m.codes, n * 4 * 1 + n * 4 * 2 + n * 4);
  assert.equal(m.lists, n * 4 + (S + 1) * 4 + idx.buckets * 4 + (idx.buckets + 1) * 4);
  // + the wasm copy of the codebooks (transposed, sub-space table, norms) for the table kernel
  const wasmCopy = wasmKernelsEnabled() ? 4 * S * D * 4 + 2 * 4 * 4 + 4 * S * 4 : 0;
  assert.equal(m.codebooks, 4 * S * D * 4 + 4 * S * 4 * 2 + S * S * 4 + wasmCopy);
  assert.equal(m.vectors, 0);
  assert.equal(m.total, idx.memoryBytes());
});

test('wrvq: recall rises (non-strictly) with nprobe and with fuzzyK', async () => {
  const idx = await index({ fuzzyBooks: 1 });
  const truth = await groundTruth(base, queries, K);
  const byProbe = [1, 2, 4, 8, 16].map((nprobe) => recallAt(idx.search(queries, K, { nprobe, fuzzyK: 4 }), truth, K));
  for (let i = 1; i < byProbe.length; i++) assert.ok(byProbe[i] >= byProbe[i - 1], `recall by nprobe ${byProbe.join(', ')}`);
  const byFuzzy = [1, 2, 4, 8, 0].map((fuzzyK) => recallAt(idx.search(queries, K, { nprobe: 2, fuzzyK }), truth, K));
  for (let i = 1; i < byFuzzy.length; i++) assert.ok(byFuzzy[i] >= byFuzzy[i - 1], `recall by fuzzyK ${byFuzzy.join(', ')}`);
  assert.ok(byProbe[byProbe.length - 1] > byProbe[0]);
});

test('wrvq: rerank stores the vectors (counted) and does not lower recall', async () => {
  const plain = await index({ fuzzyBooks: 1 });
  const rr = await index({ fuzzyBooks: 1, rerank: true });
  assert.match(rr.label, /rerank=true/);
  assert.equal(rr.memoryBreakdown().vectors, 4000 * D * 4);
  assert.equal(rr.bitsPerVector, plain.bitsPerVector + 32 * D);
  const truth = await groundTruth(base, queries, K);
  const p = { nprobe: 4, fuzzyK: 8 };
  const a = recallAt(plain.search(queries, K, p), truth, K);
  const r = rr.search(queries, K, { ...p, rerankK: 50 });
  assertSortedResult(r, queries.rows, K);
  const b = recallAt(r, truth, K);
  assert.ok(b >= a, `recall ${a} → ${b} with rerank`);
  // re-ranked distances are exact
  for (let j = 0; j < K; j++) assertClose(r.dists[j], l2sq(queries.data, 0, base.data, r.ids[j] * D, D));
});

// A vector is found first by a query equal to it only when x̂ is closer to x than other vectors'
// x̂ are: true of the gain rule here, not of the paper rule with 16-word codebooks on d = 32 (its
// stage error shrinks only when cos(residual, codeword) > 0.5, see test/quant/quantizers.test.ts).
test('wrvq: add() after build finds the added vectors first', async () => {
  const idx = new WrvqIndex({ books: 4, size: 64, weights: 'gain', fuzzyBooks: 1 });
  await idx.build(base, { seed: 7 });
  const before = idx.buckets;
  await idx.add(extra, Uint32Array.from({ length: 100 }, (_, i) => 7000 + i));
  assert.equal(idx.size, 4100);
  assert.ok(idx.buckets >= before);
  const found = (p: Record<string, number>) => {
    const r = idx.search(extra, 1, p);
    let first = 0;
    for (let i = 0; i < extra.rows; i++) if (r.ids[i] === 7000 + i) first++;
    return first;
  };
  const full = found({ nprobe: 64, fuzzyK: 0 }), paperish = found({ nprobe: 1, fuzzyK: 1 });
  assert.ok(full >= 95, `${full} of 100 added vectors found first (full scan)`);
  assert.ok(paperish >= 85, `${paperish} of 100 added vectors found first (nprobe 1, fuzzyK 1)`);
  // the old vectors are still there, under their ids
  const r = idx.search(base.sliceRows(0, 100), 1, { nprobe: 64, fuzzyK: 0 });
  let self = 0;
  for (let i = 0; i < 100; i++) if (r.ids[i] === i) self++;
  assert.ok(self >= 95, `${self} of 100 base vectors found first`);
});

test('wrvq: bad parameters are InputErrors naming the flag', async () => {
  const idx = await index({ fuzzyBooks: 1 });
  const bad = (f: () => unknown, flag: RegExp) => assert.throws(f, (e: Error) => e instanceof InputError && flag.test(e.message), flag.source);
  bad(() => idx.search(queries, K, { nprobe: S + 1 }), /--nprobe/);
  bad(() => idx.search(queries, K, { fuzzy: 2 }), /--fuzzy\b/);
  bad(() => idx.search(queries, 4001), /--k/);
  bad(() => new WrvqIndex({ books: 2, fuzzyBooks: 2 }), /--fuzzyBooks/);
  bad(() => new WrvqIndex({ weights: 'papr' as never }), /--weights.*did you mean 'paper'/);
  bad(() => new WrvqIndex({ trainer: 'sgd' as never }), /--trainer/);
  await assert.rejects(() => new WrvqIndex({ size: 8192 }).build(base), (e: Error) => e instanceof InputError && /--size/.test(e.message));
});

test('wrvq: single queries (dot tables from the wasm table kernel) equal the JS search', { skip: wasmKernelsAvailable() ? false : 'no wasm kernels' }, async () => {
  for (const p of [{ fuzzyBooks: 1 }, { fuzzyBooks: 0, metric: 'ip' }] as const) {
    const idx = await index(p);
    for (let i = 0; i < 20; i++) {
      const q = queries.sliceRows(i, i + 1);
      const a = idx.search(q, K, { nprobe: 2 });
      const was = setWasmKernelsEnabled(false);
      let b;
      try {
        b = idx.search(q, K, { nprobe: 2 });
      } finally {
        setWasmKernelsEnabled(was);
      }
      for (let j = 0; j < K; j++) assertClose(a.dists[j], b.dists[j], 1e-5, `query ${i} rank ${j}`);
      assert.deepEqual([...a.ids], [...b.ids], `query ${i}`);
    }
  }
});

test('wrvq: the wasm weighted scan returns the JS scan\'s results bit for bit (l2, ip, 8-bit weights, rerank, filter, single and block queries)', { skip: wasmKernelsAvailable() ? false : 'no wasm kernels' }, async () => {
  const allowed = Uint8Array.from({ length: base.rows }, (_, i) => ((i * 2654435761) >>> 0) % 10 < 3 ? 1 : 0);
  const filter = labelFilter('label_30p', 0.3, allowed);
  const cases: [WrvqBuildParams, Record<string, number>][] = [
    [{ fuzzyBooks: 1 }, { nprobe: 2 }], [{ fuzzyBooks: 0, metric: 'ip' }, { nprobe: 3 }], [{ fuzzyBooks: 2, weightBits: 8 }, { nprobe: 2, fuzzyK: 5 }],
    [{ fuzzyBooks: 1, rerank: true }, { nprobe: 2, rerankK: 30 }],
  ];
  for (const [p, sp] of cases) {
    const idx = await index(p);
    for (const f of [undefined, filter]) {
      for (const q of [queries.sliceRows(0, 1), queries.sliceRows(5, 6), queries]) {
        const a = idx.search(q, K, sp, { filter: f });
        const was = setWrvqWasmScan(false);
        let b;
        try {
          b = idx.search(q, K, sp, { filter: f });
        } finally {
          setWrvqWasmScan(was);
        }
        const what = `${JSON.stringify(p)} ${q.rows} queries${f ? ' filtered' : ''}`;
        assert.deepEqual([...a.ids], [...b.ids], what);
        assert.deepEqual([...a.dists], [...b.dists], what);
        if (f) assert.ok([...a.ids].every((id) => id < 0 || allowed[id] === 1), `${what}: only allowed ids`);
      }
    }
  }
});
