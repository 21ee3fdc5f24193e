// The flat scans over per-dimension codes (src/index/flat-codes.ts): the `binary` index (Hamming
// over packed sign bits) and the `sq` index (level lookups), with and without float rescoring, on
// real GloVe rows (test/fixtures/data/glove-sample.npy: 900 base rows, 100 queries).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Matrix } from '../../src/core/matrix.js';
import { knn, shutdownWorkers } from '../../src/core/parallel.js';
import { readNpy } from '../../src/data/npy.js';
import { FlatCodesIndex, packBits, popcount32 } from '../../src/index/flat-codes.js';
import { createIndex, indexLabel, parseIndexSpec } from '../../src/index/registry.js';
import { inputError } from '../helpers/errors.js';
import { assertUserError, runCli } from '../helpers/cli.js';
import { assertSortedResult, groundTruth, recallAt } from './helpers.js';

after(shutdownWorkers);

const SAMPLE = fileURLToPath(new URL('../fixtures/data/glove-sample.npy', import.meta.url));
const all = readNpy(SAMPLE);
const base = all.sliceRows(0, 900), queries = all.sliceRows(900, 1000);

async function built(id: 'sq' | 'binary', build: Record<string, unknown> = {}): Promise<FlatCodesIndex> {
  const idx = createIndex(id, build) as FlatCodesIndex;
  await idx.build(base, { seed: 2 });
  return idx;
}

test('popcount32 and packBits agree with bit-by-bit counting', () => {
  for (const v of [0, 1, 0x80000000, 0xffffffff, 0x12345678, 0xdeadbeef]) {
    let n = 0;
    for (let b = 0; b < 32; b++) n += (v >>> b) & 1;
    assert.equal(popcount32(v), n, v.toString(16));
  }
  const codes = Uint16Array.from({ length: 2 * 40 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
  const words = packBits(codes, 2, 40);
  assert.equal(words.length, 4);
  for (let i = 0; i < 2; i++) for (let j = 0; j < 40; j++) assert.equal((words[i * 2 + (j >>> 5)] >>> (j & 31)) & 1, codes[i * 40 + j]);
});

for (const metric of ['l2', 'ip'] as const) {
  test(`binary (${metric}): the scan is the Hamming top-k of the sign bits, distances its angle estimate; rescoring (r = 4, 10) raises recall@10`, async () => {
    const idx = await built('binary', { metric });
    const truth = await groundTruth(base, queries, 10, metric);
    const plain = idx.search(queries, 10);
    assertSortedResult(plain, queries.rows, 10, metric === 'l2');
    // Hamming distances by hand, from the quantizer's own codes
    const qc = idx.quantizer.encode(queries).codes, bc = idx.quantizer.encode(base).codes, d = base.dim;
    for (let i = 0; i < 20; i++) {
      const h = Array.from({ length: base.rows }, (_, t) => {
        let s = 0;
        for (let j = 0; j < d; j++) s += qc[i * d + j] !== bc[t * d + j] ? 1 : 0;
        return s;
      });
      // ties at the k-th distance may keep any of the tied rows: compare the distances rank by rank
      const best = [...h].sort((a, b) => a - b).slice(0, 10);
      assert.deepEqual(Array.from(plain.ids.subarray(i * 10, i * 10 + 10), (t) => h[t]), best, `query ${i}`);
      const angle = (x: number) => Math.cos((Math.PI * x) / d);
      assert.ok(Math.abs(plain.dists[i * 10] - (metric === 'ip' ? angle(best[0]) : 2 - 2 * angle(best[0]))) < 1e-6, 'the angle estimate of the Hamming distance');
    }
    const r0 = recallAt(plain, truth, 10);
    const r4 = recallAt(idx.search(queries, 10, { rescore: 4 }), truth, 10);
    const r10 = recallAt(idx.search(queries, 10, { rescore: 10 }), truth, 10);
    assert.ok(r4 >= r0 && r10 >= r0 && r10 > r0, `recall@10: ${r0} (no rescoring), ${r4} (r = 4), ${r10} (r = 10)`);
    assertSortedResult(idx.search(queries, 10, { rescore: 4 }), queries.rows, 10, metric === 'l2');
    assert.equal(idx.bitsPerVector, d);
    assert.equal(idx.memoryBreakdown().codes, base.rows * Math.ceil(d / 32) * 4);
    await idx.close();
  });
}

test('binary: rescoring every row equals exact search over the reconstructions (itq too)', async () => {
  for (const rotation of ['none', 'itq'] as const) {
    const idx = await built('binary', { rotation, itqIters: 10 });
    const rec = idx.quantizer.decode(idx.quantizer.encode(base));
    const exact = await knn(rec, queries, 10, 'l2');
    const r = idx.search(queries, 10, { rescore: base.rows / 10 });
    assert.ok(recallAt(r, exact.ids, 10) >= 0.99, rotation);
    for (let i = 0; i < r.dists.length; i++) assert.ok(Math.abs(r.dists[i] - exact.dists[i]) < 1e-4, `${rotation}: ${r.dists[i]} vs ${exact.dists[i]}`);
  }
});

test('sq: the scan is exact search over the reconstructions (int8, fp16; l2 and ip); int8 recall@10 ≥ 0.9', async () => {
  for (const [type, metric] of [['int8', 'l2'], ['fp16', 'ip'], ['uint4', 'l2']] as const) {
    const idx = await built('sq', { type, metric });
    const rec = idx.quantizer.decode(idx.quantizer.encode(base));
    const exact = await knn(rec, queries, 10, metric);
    const r = idx.search(queries, 10);
    assertSortedResult(r, queries.rows, 10, metric === 'l2');
    assert.ok(recallAt(r, exact.ids, 10) >= 0.99, `${type}: the same neighbours as exact search over the reconstructions`);
    for (let i = 0; i < r.dists.length; i++) assert.ok(Math.abs(r.dists[i] - exact.dists[i]) < 1e-4, `${type}: ${r.dists[i]} vs ${exact.dists[i]}`);
    assert.equal(idx.bitsPerVector, base.dim * { int8: 8, fp16: 16, uint4: 4 }[type]);
    if (type === 'int8') assert.ok(recallAt(r, await groundTruth(base, queries, 10), 10) >= 0.9);
  }
});

test('sq query=codes (an int4 · int4 search): rescoring with the float query raises recall@10', async () => {
  const idx = await built('sq', { type: 'int4' });
  const truth = await groundTruth(base, queries, 10);
  const codes = recallAt(idx.search(queries, 10, { query: 'codes' }), truth, 10);
  const rescored = recallAt(idx.search(queries, 10, { query: 'codes', rescore: 4 }), truth, 10);
  const float = recallAt(idx.search(queries, 10), truth, 10);
  assert.ok(rescored > codes && float >= codes, `codes ${codes}, codes + rescore ${rescored}, float ${float}`);
});

test('add() with custom ids: the added rows are found under their ids', async () => {
  for (const [id, build] of [['sq', { type: 'fp16' }], ['sq', { type: 'int8' }], ['binary', {}]] as const) {
    const idx = createIndex(id, build) as FlatCodesIndex;
    await idx.build(base.sliceRows(0, 500), { seed: 1 });
    const extra = base.sliceRows(500, 600);
    await idx.add(extra, Uint32Array.from({ length: 100 }, (_, i) => 7000 + i));
    assert.equal(idx.size, 600);
    const r = idx.search(extra, 1, { rescore: 5 });
    let found = 0;
    for (let i = 0; i < 100; i++) if (r.ids[i] === 7000 + i) found++;
    assert.ok(found >= 95, `${id} ${JSON.stringify(build)}: ${found} of 100`);
  }
});

test('specs round-trip; bad input is one sentence: an unsupported metric, a negative rescore, k above the size', async () => {
  const spec = parseIndexSpec('binary:rotation=itq,metric=ip,rescore=4');
  assert.deepEqual(spec, { id: 'binary', build: { rotation: 'itq', itqIters: 50, metric: 'ip' }, search: { rescore: 4 } });
  assert.deepEqual(parseIndexSpec(indexLabel(spec.id, spec.build, spec.search)), spec);
  assert.equal(createIndex('sq', { type: 'int4' }).label, 'sq:type=int4,calibration=minmax,percentile=99,metric=l2');
  await inputError(() => createIndex('binary', { metric: 'hamming' }), /^--metric: binary build parameter 'metric' must be one of 'l2', 'ip', got 'hamming'/);
  const idx = await built('binary');
  await inputError(() => idx.search(queries, 10, { rescore: -1 }), /--rescore: binary search parameter 'rescore' must be a number from 0 to 1000/);
  await inputError(() => idx.search(queries, 901), /--k: binary holds 900 vectors, fewer than k = 901/);
  await inputError(() => idx.search(new Matrix(new Float32Array(3), 1, 3), 1), /queries have dimension 3 but the binary index was built on dimension 100/);
});

test('CLI: vqbench index --index binary sweeps rescore; an unsupported metric exits 2 with one sentence', () => {
  const env = { VQBENCH_CACHE: process.env.VQBENCH_CACHE ?? '' };
  const ok = runCli(['index', '--data', SAMPLE, '--index', 'binary', '--sweep', 'rescore=0,4', '--warmup', '0', '--json'], env);
  assert.equal(ok.code, 0, ok.stderr);
  const rows = ok.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.length, 2);
  assertUserError(runCli(['index', '--data', SAMPLE, '--index', 'binary:metric=cosine'], env), /'metric' must be one of 'l2', 'ip', got 'cosine'/);
});
