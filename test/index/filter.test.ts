// Filtered search: the seeded labels, the filtered exact truth, and every own index's filtered scan
// against brute force over the allowed rows (flat: exact; pq / ivfpq at nprobe = nlist / wrvq with
// every cell and sub-cell: the index's own full ADC ranking cut to the allowed rows), wasm and JS.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { knn, shutdownWorkers } from '../../src/core/parallel.js';
import { InputError } from '../../src/core/errors.js';
import { setWasmKernelsEnabled, wasmKernelsAvailable } from '../../src/core/wasm/loader.js';
import { checkSelectivities, labelName, labelRows, parseSelectivities } from '../../src/data/labels.js';
import { filteredGroundTruth } from '../../src/data/filtered-truth.js';
import { MatrixRowSource } from '../../src/data/row-source.js';
import { FlatIndex } from '../../src/index/flat.js';
import { PqIndex } from '../../src/index/pq.js';
import { IvfPqIndex } from '../../src/index/ivfpq.js';
import { WrvqIndex } from '../../src/index/wrvq.js';
import { labelFilter, passes, type SearchFilter } from '../../src/index/filter.js';
import type { SearchParams, SearchResult, VectorIndex } from '../../src/index/types.js';
import { mixture } from '../helpers/data.js';

after(shutdownWorkers);

const D = 16, N = 3000, K = 10;
const all = mixture(N + 20, D, 12, 5, 0.6);
const base = all.sliceRows(0, N);
const queries = all.sliceRows(N, N + 20);

const filterOf = (p: number, seed = 7): SearchFilter => labelFilter(labelName(p), p, labelRows(N, p, seed));

/** Every returned id passes; k answers whenever at least k rows pass (`full`). */
function assertSatisfies(r: SearchResult, f: SearchFilter, full: boolean, what: string): void {
  for (let i = 0; i < r.ids.length; i++) {
    const id = r.ids[i];
    if (id >= 0) assert.ok(passes(f, id), `${what}: id ${id} (rank ${i % r.k} of query ${Math.floor(i / r.k)}) does not carry ${f.predicate.label}`);
    else if (full) assert.fail(`${what}: padding at rank ${i % r.k} of query ${Math.floor(i / r.k)} though ${f.count} rows pass`);
  }
}

/**
 * `r` is the index's own ranking of every row (`all`, k = all rows) cut to the allowed rows: the same
 * distances rank by rank, and the same ids except where two rows score the same float32 distance
 * (which of a tie at the k-th place a heap keeps depends on the scan order, filtered or not).
 */
function assertCutRanking(r: SearchResult, all: SearchResult, f: SearchFilter, what: string): void {
  const k = r.k;
  for (let q = 0; q < all.nq; q++) {
    const distOf = new Map<number, number>();
    const want: number[] = [];
    for (let t = 0; t < all.k; t++) {
      const id = all.ids[q * all.k + t];
      if (id < 0 || !passes(f, id)) continue;
      distOf.set(id, all.dists[q * all.k + t]);
      if (want.length < k) want.push(id);
    }
    for (let j = 0; j < k; j++) {
      const got = r.ids[q * k + j];
      if (got === want[j]) continue;
      assert.ok(got >= 0 && distOf.get(got) === distOf.get(want[j]), `${what}: query ${q} rank ${j}: id ${got} (distance ${distOf.get(got)}) where the cut ranking has ${want[j]} (distance ${distOf.get(want[j])})`);
    }
  }
}

async function search(index: VectorIndex, k: number, params: SearchParams, filter?: SearchFilter): Promise<SearchResult> {
  return await index.search(queries, k, params, filter ? { filter } : {});
}

test('labels: label_{p}p on exactly round(p·n) rows, reproducible from (seed, n), another seed other rows; selectivities outside (0, 1] refused', () => {
  for (const p of [0.01, 0.1, 0.5, 0.99]) {
    const a = labelRows(N, p, 7);
    assert.equal(a.reduce((s, v) => s + v, 0), Math.round(p * N), labelName(p));
    assert.deepEqual(labelRows(N, p, 7), a);
    assert.notDeepEqual(labelRows(N, p, 8), a);
  }
  // the rows of one label do not depend on which other labels are asked for, and a label's rows are spread over the base
  const half = labelRows(N, 0.5, 7);
  assert.ok(Math.abs(half.subarray(0, N / 2).reduce((s, v) => s + v, 0) - N / 4) < 0.1 * N / 4);
  assert.deepEqual([labelName(0.01), labelName(0.1), labelName(0.5), labelName(0.99), labelName(0.005)], ['label_1p', 'label_10p', 'label_50p', 'label_99p', 'label_0_5p']);
  assert.deepEqual(labelRows(10, 1, 3), new Uint8Array(10).fill(1));
  assert.equal(labelRows(10, 0.001, 3).reduce((s, v) => s + v, 0), 1); // at least one row
  for (const bad of [0, -0.1, 1.5, NaN]) assert.throws(() => checkSelectivities([bad], '--filter'), InputError);
  assert.throws(() => parseSelectivities('0.1,,0.5', '--filter'), /empty item/);
  assert.throws(() => parseSelectivities('0.1,abc', '--filter'), /in \(0, 1\]; got 'abc'/);
  assert.throws(() => parseSelectivities('0.1,0.1', '--filter'), /twice/);
  assert.deepEqual(parseSelectivities('0.01, 0.99,1', '--filter'), [0.01, 0.99, 1]);
});

test('filtered truth = brute force over the allowed rows (ids mapped back), padded when fewer rows pass', async () => {
  const f = filterOf(0.1);
  const t = await filteredGroundTruth(new MatrixRowSource(base), queries, f.allowed, K, 'l2', null);
  assert.equal(t.k, 100);
  for (let q = 0; q < queries.rows; q++) {
    const want: { id: number; d: number }[] = [];
    for (let i = 0; i < N; i++) {
      if (!f.allowed[i]) continue;
      let s = 0;
      for (let j = 0; j < D; j++) s += (queries.data[q * D + j] - base.data[i * D + j]) ** 2;
      want.push({ id: i, d: s });
    }
    want.sort((a, b) => a.d - b.d || a.id - b.id);
    assert.deepEqual(Array.from(t.ids.subarray(q * 100, q * 100 + 10)), want.slice(0, 10).map((w) => w.id), `query ${q}`);
  }
  const tiny = labelFilter('tiny', 0.001, labelRows(N, 0.001, 1)); // 3 rows
  const s = await filteredGroundTruth(new MatrixRowSource(base), queries, tiny.allowed, K, 'l2', null);
  assert.equal(s.ids.subarray(0, 100).filter((id) => id >= 0).length, 3);
});

test('flat: filtered results equal exact k-NN over the allowed rows (l2 and ip) at 1%, 10%, 50%, 99%', async () => {
  for (const metric of ['l2', 'ip'] as const) {
    const index = new FlatIndex({ metric });
    await index.build(base);
    for (const p of [0.01, 0.1, 0.5, 0.99]) {
      const f = filterOf(p);
      const r = await search(index, K, {}, f);
      assertSatisfies(r, f, true, `flat ${metric} ${f.predicate.label}`);
      const t = await filteredGroundTruth(new MatrixRowSource(base), queries, f.allowed, K, metric, null);
      for (let q = 0; q < queries.rows; q++) {
        assert.deepEqual(Array.from(r.ids.subarray(q * K, q * K + K)), Array.from(t.ids.subarray(q * t.k, q * t.k + K)), `flat ${metric} ${f.predicate.label} query ${q}`);
        for (let j = 0; j < K; j++) assert.ok(Math.abs(r.dists[q * K + j] - t.dists[q * t.k + j]) <= 1e-3 * Math.max(1, Math.abs(t.dists[q * t.k + j])));
      }
    }
    // unfiltered searches are untouched by a filtered one
    const u = await search(index, K, {});
    assert.deepEqual(u.ids, (await knn(base, queries, K, metric)).ids.slice());
    await index.close();
  }
});

test('flat: a dense filter after remove() (ids no longer positions) still equals exact k-NN over the allowed live rows; fewer allowed rows than k are padded', async () => {
  const index = new FlatIndex();
  await index.build(base);
  await index.remove(Uint32Array.from({ length: N / 2 }, (_, i) => 2 * i)); // the even ids go: position p now holds id 2p + 1
  const f = filterOf(0.5);
  const live = Uint8Array.from(f.allowed, (a, id) => (a === 1 && id % 2 === 1 ? 1 : 0));
  const r = await search(index, K, {}, f);
  assertSatisfies(r, f, true, 'flat after remove');
  const t = await filteredGroundTruth(new MatrixRowSource(base), queries, live, K, 'l2', null);
  for (let q = 0; q < queries.rows; q++) assert.deepEqual(Array.from(r.ids.subarray(q * K, q * K + K)), Array.from(t.ids.subarray(q * t.k, q * t.k + K)), `query ${q}`);
  // a filter that passes 4 of the live rows, over half the base (not sparse): 4 ids, then -1
  const few = new Uint8Array(N);
  for (let p = 0; p < N / 2; p += N / 8) few[2 * p + 1] = 1;
  for (let id = 0; id < N; id += 2) few[id] = 1; // removed rows: allowed but gone
  const g = await search(index, K, {}, labelFilter('few_live', 0.5, few));
  for (let q = 0; q < queries.rows; q++) {
    const ids = Array.from(g.ids.subarray(q * K, q * K + K));
    assert.deepEqual(ids.slice(4), Array(K - 4).fill(-1), `query ${q}: ${ids}`);
    assert.deepEqual(ids.slice(0, 4).sort((a, b) => a - b), [1, 751, 1501, 2251], `query ${q}`);
  }
  await index.close();
});

const kernelModes = wasmKernelsAvailable() ? [true, false] : [false];

test('pq, ivfpq (nprobe = nlist) and wrvq (every cell and sub-cell): filtered results = the full ADC ranking cut to the allowed rows, wasm and JS scans', async () => {
  const pq = new PqIndex({ m: 4, nbits: 6 });
  await pq.build(base, { seed: 3 });
  const ivf = new IvfPqIndex({ nlist: 16, m: 4, nbits: 6 });
  await ivf.build(base, { seed: 3 });
  const wrvq = new WrvqIndex({ books: 3, size: 16 });
  await wrvq.build(base, { seed: 3 });
  const cases: [string, VectorIndex, SearchParams][] = [['pq', pq, {}], ['ivfpq', ivf, { nprobe: 16 }], ['wrvq', wrvq, { nprobe: 16, fuzzyK: 0 }]];
  try {
    for (const wasm of kernelModes) {
      setWasmKernelsEnabled(wasm);
      for (const [name, index, params] of cases) {
        const ranking = await search(index, N, params);
        for (const p of [0.01, 0.1, 0.5, 0.99]) {
          const f = filterOf(p);
          const r = await search(index, K, params, f);
          const what = `${name} ${wasm ? 'wasm' : 'JS'} ${f.predicate.label}`;
          assertSatisfies(r, f, true, what);
          assertCutRanking(r, ranking, f, what);
        }
      }
    }
  } finally {
    setWasmKernelsEnabled(wasmKernelsAvailable());
  }
  // a probed subset: fewer than k may pass (padded with −1), never a row without the label
  const f = filterOf(0.01);
  for (const [name, index, params] of [['ivfpq', ivf, { nprobe: 1 }], ['wrvq', wrvq, { nprobe: 1 }]] as const) {
    const r = await search(index, K, params, f);
    assertSatisfies(r, f, false, `${name} nprobe 1`);
    assert.ok(r.ids.some((id) => id < 0), `${name}: one cell of ${N} rows holds fewer than ${K} of the ${f.count} labelled rows for some query`);
  }
  await Promise.all(cases.map(([, i]) => i.close?.()));
});

test('wrvq with re-ranking: filtered results pass the filter and equal exact search over the allowed rows when every candidate is re-ranked', async () => {
  const index = new WrvqIndex({ books: 3, size: 16, rerank: true });
  await index.build(base, { seed: 3 });
  const f = filterOf(0.1);
  const r = await search(index, K, { nprobe: 16, fuzzyK: 0, rerankK: N }, f);
  assertSatisfies(r, f, true, 'wrvq rerank');
  const t = await filteredGroundTruth(new MatrixRowSource(base), queries, f.allowed, K, 'l2', null);
  for (let q = 0; q < queries.rows; q++) assert.deepEqual(Array.from(r.ids.subarray(q * K, q * K + K)), Array.from(t.ids.subarray(q * t.k, q * t.k + K)), `query ${q}`);
  await index.close();
});

test('--filter grammar: shares, int rates (share excluded) and dataset labels; a prefix holds until the next; bad items are one sentence naming --filter', async () => {
  const { parseFilterSpecs } = await import('../../src/data/filter-spec.js');
  assert.deepEqual(parseFilterSpecs('0.01,0.5,int:0.01,0.99,label:spam,ham,share:1'), [
    { kind: 'share', share: 0.01 }, { kind: 'share', share: 0.5 }, { kind: 'int', rate: 0.01 }, { kind: 'int', rate: 0.99 },
    { kind: 'label', value: 'spam' }, { kind: 'label', value: 'ham' }, { kind: 'share', share: 1 },
  ]);
  assert.deepEqual(parseFilterSpecs([0.1, 'int:0']), [{ kind: 'share', share: 0.1 }, { kind: 'int', rate: 0 }]);
  assert.throws(() => parseFilterSpecs('int:1'), /^InputError: --filter: an int filter's rate is the share of rows excluded \(id >= int\(n·rate\)\), in \[0, 1\); got 1\.$/);
  assert.throws(() => parseFilterSpecs('int:0.1,x'), /--filter: an int filter's rate .* got 'x'\./);
  assert.throws(() => parseFilterSpecs('range:0.1'), /--filter: unknown filter kind 'range:'/);
  assert.throws(() => parseFilterSpecs('label:'), /--filter: 'label:' names no value/);
  assert.throws(() => parseFilterSpecs('int:0.1,0.1'), /--filter lists the filter case int:0.1 twice/);
  assert.throws(() => parseFilterSpecs('0.5,1.5'), /--filter: a selectivity is the share of rows kept, in \(0, 1\]; got 1\.5\./);
});

test('int filter (VectorDBBench id >= int(n·rate)): the rows kept, flat exact against the filtered truth', async () => {
  const { intFilter } = await import('../../src/index/filter.js');
  const f = intFilter(0.99, N, 'int_99p');
  assert.equal(f.count, N - Math.floor(N * 0.99));
  assert.deepEqual(f.predicate, { kind: 'int-range', label: 'int_99p', min: 2970 });
  assert.ok(!passes(f, 2969) && passes(f, 2970) && passes(f, N - 1));
  assert.equal(intFilter(0, N, 'int_0p').count, N);
  const index = new FlatIndex({});
  await index.build(base);
  for (const rate of [0.01, 0.99]) {
    const g = intFilter(rate, N, 'int');
    const r = await search(index, K, {}, g);
    assertSatisfies(r, g, true, `int ${rate}`);
    const t = await filteredGroundTruth(new MatrixRowSource(base), queries, g.allowed, K, 'l2', null);
    for (let q = 0; q < queries.rows; q++) assert.deepEqual(Array.from(r.ids.subarray(q * K, q * K + K)), Array.from(t.ids.subarray(q * t.k, q * t.k + K)), `int ${rate} query ${q}`);
  }
  await index.close();
});

test('row labels (--labels): an int .npy or a JSON array; wrong length, a missing file, an unknown label are one sentence', async () => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { npyHeader } = await import('../../src/data/npy.js');
  const { checkRowLabels, readRowLabels, rowsLabelled } = await import('../../src/data/row-labels.js');
  const dir = mkdtempSync(join(tmpdir(), 'vqbench-row-labels-'));
  try {
    const values = Int32Array.from({ length: 10 }, (_, i) => (i % 3 === 0 ? 7 : -2));
    const header = new TextDecoder('latin1').decode(npyHeader(10, 1)).replace("'<f4'", "'<i4'").replace('(10, 1)', '(10,)  ');
    writeFileSync(join(dir, 'l.npy'), Buffer.concat([Buffer.from(header, 'latin1'), Buffer.from(values.buffer)]));
    const npy = readRowLabels(join(dir, 'l.npy'));
    assert.deepEqual(npy.names, ['7', '-2']);
    assert.deepEqual(Array.from(rowsLabelled(npy, '7')), Array.from(values, (v) => (v === 7 ? 1 : 0)));
    writeFileSync(join(dir, 'l.json'), JSON.stringify(['spam', 'ham', 'ham', 'spam']));
    const json = readRowLabels(join(dir, 'l.json'));
    assert.deepEqual(Array.from(rowsLabelled(json, 'ham')), [0, 1, 1, 0]);
    assert.notEqual(json.checksum, npy.checksum);
    assert.throws(() => checkRowLabels(json, 5, 'x.npy'), /^InputError: --labels .*l\.json holds 4 labels but the base of x\.npy has 5 rows; give one label per base row, in base order\.$/);
    assert.throws(() => rowsLabelled(json, 'eggs'), /--filter label:eggs: no base row has that label in .*l\.json \(its labels: spam, ham\)\./);
    assert.throws(() => readRowLabels(join(dir, 'none.json')), /^InputError: --labels .*none\.json does not exist\.$/);
    writeFileSync(join(dir, 'bad.json'), '[1.5]');
    assert.throws(() => readRowLabels(join(dir, 'bad.json')), /--labels .*bad\.json must hold a JSON array of integer or string labels/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
