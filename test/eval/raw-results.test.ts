// Raw per-query results in ann-benchmarks' result layout (src/eval/raw-results.ts): bit-exact round
// trip, atomic writes, refusal of truncated or malformed files, exact distances.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Matrix } from '../../src/core/matrix.js';
import { exactDistances, rawRelativePath, readAnnResult, writeAnnResult, type AnnResult } from '../../src/eval/raw-results.js';
import { inputError } from '../helpers/errors.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-raw-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function sample(nq = 7, k = 5): AnnResult {
  const neighbors = new Int32Array(nq * k).map((_, i) => (i * 7919) % 1000);
  const distances = new Float32Array(nq * k).map((_, i) => Math.fround(Math.sqrt(i) / 3 + 1e-7 * i));
  const indexDistances = new Float32Array(nq * k).map((_, i) => Math.fround(-i / 7));
  neighbors[nq * k - 1] = -1; // padding
  distances[nq * k - 1] = Infinity;
  indexDistances[nq * k - 1] = Infinity;
  const times = new Float32Array(nq).map((_, i) => Math.fround(1e-5 * (i + 1) + 3e-9));
  return {
    nq, k, neighbors, distances, indexDistances, times,
    attrs: {
      batch_mode: false, best_search_time: 1.25e-5, candidates: 5, expect_extra: false, name: 'ivfpq:nlist=8,m=4,nprobe=2', run_count: 1,
      distance: 'euclidean', count: k, build_time: 0.5, index_size: 88.75, algo: 'ivfpq', dataset: 'glove-100',
    },
  };
}

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

test('a written file reads back bit-exactly: ids, distances (padding included), times and attributes', async () => {
  const r = sample();
  const p = join(dir, 'a', rawRelativePath(10, 'ivfpq', String(r.attrs.name)));
  assert.equal(rawRelativePath(10, 'ivfpq', String(r.attrs.name)), '10/ivfpq/ivfpq_nlist_8_m_4_nprobe_2.hdf5');
  await writeAnnResult(p, r);
  const back = await readAnnResult(p);
  assert.equal(back.nq, r.nq);
  assert.equal(back.k, r.k);
  assert.ok(back.neighbors instanceof Int32Array && back.distances instanceof Float32Array && back.times instanceof Float32Array);
  assert.ok(bytes(back.neighbors).equals(bytes(r.neighbors)));
  assert.ok(bytes(back.distances).equals(bytes(r.distances)));
  assert.ok(bytes(back.indexDistances!).equals(bytes(r.indexDistances!)));
  assert.ok(bytes(back.times).equals(bytes(r.times)));
  // booleans come back as 0 / 1 (int8, as h5py reads them: numbers whose truth ann-benchmarks tests)
  assert.deepEqual(back.attrs, { ...r.attrs, batch_mode: 0, expect_extra: 0 });
  // atomic: nothing but the file is left in its folder; a second write replaces it
  assert.deepEqual(readdirSync(join(dir, 'a', '10', 'ivfpq')), ['ivfpq_nlist_8_m_4_nprobe_2.hdf5']);
  await writeAnnResult(p, sample(3, 2));
  assert.equal((await readAnnResult(p)).nq, 3);
  assert.deepEqual(readdirSync(join(dir, 'a', '10', 'ivfpq')), ['ivfpq_nlist_8_m_4_nprobe_2.hdf5']);
});

test('a truncated, malformed or foreign file is one InputError sentence naming it', async () => {
  const p = join(dir, 'whole.hdf5');
  await writeAnnResult(p, sample(200, 10));
  const whole = readFileSync(p);
  for (const keep of [whole.length - 1, Math.floor(whole.length / 2), 2100, 600, 100, 7]) {
    const t = join(dir, `cut-${keep}.hdf5`);
    writeFileSync(t, whole.subarray(0, keep));
    await inputError(() => readAnnResult(t), new RegExp(`^${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  }
  const junk = join(dir, 'junk.hdf5');
  writeFileSync(junk, 'not an hdf5 file at all');
  await inputError(() => readAnnResult(junk), /junk\.hdf5 is not an HDF5 file/);
  await inputError(() => readAnnResult(join(dir, 'missing.hdf5')), /missing\.hdf5/);
  // an HDF5 file that is not a result file: an ann-benchmarks dataset has no 'times'
  const { h5wasm } = await import('../../src/data/hdf5.js');
  const lib = await h5wasm();
  const other = join(dir, 'dataset.hdf5');
  const f = new lib.File(other, 'w');
  f.create_dataset({ name: 'train', data: new Float32Array(4), shape: [2, 2], dtype: '<f' });
  f.close();
  await inputError(() => readAnnResult(other), /dataset\.hdf5 has no 'times' dataset: it is not an ann-benchmarks result file/);
});

test('writing over a folder is one InputError sentence naming the target', async () => {
  const p = join(dir, 'taken.hdf5');
  mkdirSync(p);
  await inputError(() => writeAnnResult(p, sample()), /taken\.hdf5/);
});

test('exact distances: euclidean ||q - x||, angular 1 - cos, ip -q.x; padding +inf', () => {
  const base = new Matrix(Float32Array.from([1, 0, 0, 2, 3, 4]), 3, 2);
  const q = new Matrix(Float32Array.from([1, 1]), 1, 2);
  const ids = Int32Array.from([2, 0, -1]);
  const l2 = exactDistances(base, q, ids, 3, 'l2');
  assert.deepEqual([...l2], [Math.fround(Math.sqrt(4 + 9)), 1, Infinity]);
  const ang = exactDistances(base, q, ids, 3, 'angular');
  assert.ok(Math.abs(ang[0] - (1 - 7 / (5 * Math.SQRT2))) < 1e-7);
  assert.ok(Math.abs(ang[1] - (1 - 1 / Math.SQRT2)) < 1e-7);
  assert.deepEqual([...exactDistances(base, q, ids, 3, 'ip')], [-7, -1, Infinity]);
});
