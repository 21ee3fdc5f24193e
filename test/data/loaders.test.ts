// The dataset loaders on files written by numpy / h5py (test/fixtures/data, made by
// scripts/make-data-fixtures.py) and by our own writers, and every malformed case named in one sentence.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Matrix } from '../../src/core/matrix.js';
import { readNpy, writeNpy } from '../../src/data/npy.js';
import { readIvecs, readVecs, writeBvecs, writeFvecs, writeIvecs } from '../../src/data/fvecs.js';
import { readAnnBenchmarksHdf5 } from '../../src/data/hdf5.js';
import { groundTruth, loadDataset } from '../../src/data/load.js';
import { heldOutRows } from '../../src/data/registry.js';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { mixture } from '../helpers/data.js';
import { inputError } from '../helpers/errors.js';

const FIX = fileURLToPath(new URL('../fixtures/data/', import.meta.url));
const REF = [0.5, -1.0, 2.0, 0.25, 3.0, -0.125, 1.5, 4.0, -2.0, 0.75, -0.5, 8.0];
let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-data-'));
  process.env.VQBENCH_CACHE = join(dir, 'cache');
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await shutdownWorkers();
});

test('npy files written by numpy read back exactly: f4, f8, f2, big-endian, Fortran order, format v2 and v3', () => {
  for (const f of ['f4', 'f8', 'f2', 'f4-big-endian', 'f4-fortran', 'f4-v2', 'f4-v3']) {
    const m = readNpy(join(FIX, `${f}.npy`));
    assert.equal(m.rows, 3, f);
    assert.equal(m.dim, 4, f);
    assert.deepEqual([...m.data], REF, f);
  }
});

test('writeNpy output is readable by our reader and keeps the values', () => {
  const m = mixture(37, 5, 3, 1);
  const p = join(dir, 'w.npy');
  writeNpy(p, m);
  assert.deepEqual(readNpy(p).data, m.data);
  const bytes = readFileSync(p);
  assert.equal((10 + bytes.readUInt16LE(8)) % 64, 0, 'header padded to 64 bytes as numpy does');
});

test('npy: unsupported dtype, 1-D array, bad magic and truncated data are one sentence naming the file', async () => {
  await inputError(() => readNpy(join(FIX, 'i4.npy')), /i4\.npy holds dtype '<i4'/);
  await inputError(() => readNpy(join(FIX, 'f4-1d.npy')), /f4-1d\.npy .*2-D/);
  writeFileSync(join(dir, 'bad.npy'), 'not numpy at all');
  await inputError(() => readNpy(join(dir, 'bad.npy')), /bad\.npy is not a valid \.npy file/);
  const full = readFileSync(join(FIX, 'f4.npy'));
  writeFileSync(join(dir, 'short.npy'), full.subarray(0, full.length - 5));
  await inputError(() => readNpy(join(dir, 'short.npy')), /short\.npy is truncated/);
  await inputError(() => readNpy(join(dir, 'missing.npy')), /missing\.npy does not exist/);
});

test('fvecs, bvecs and ivecs round-trip; truncation and mixed dimensions are named', async () => {
  const m = mixture(20, 7, 2, 3, 0.5, false);
  writeFvecs(join(dir, 'a.fvecs'), m);
  assert.deepEqual(readVecs(join(dir, 'a.fvecs'), 'fvecs').data, m.data);
  const b = new Matrix(Float32Array.from({ length: 14 }, (_, i) => i * 17 % 256), 2, 7);
  writeBvecs(join(dir, 'a.bvecs'), b);
  assert.deepEqual(readVecs(join(dir, 'a.bvecs'), 'bvecs').data, b.data);
  writeIvecs(join(dir, 'a.ivecs'), 2, 3, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...readIvecs(join(dir, 'a.ivecs')).data], [1, 2, 3, 4, 5, 6]);
  const raw = readFileSync(join(dir, 'a.fvecs'));
  writeFileSync(join(dir, 'cut.fvecs'), raw.subarray(0, raw.length - 3));
  await inputError(() => readVecs(join(dir, 'cut.fvecs'), 'fvecs'), /cut\.fvecs is truncated/);
  const mixed = Buffer.from(raw);
  mixed.writeInt32LE(6, (4 + 7 * 4) * 3); // row 3 claims another dimension
  writeFileSync(join(dir, 'mixed.fvecs'), mixed);
  await inputError(() => readVecs(join(dir, 'mixed.fvecs'), 'fvecs'), /mixed\.fvecs is corrupt: row 3 announces dimension 6/);
  writeFileSync(join(dir, 'empty.fvecs'), '');
  await inputError(() => readVecs(join(dir, 'empty.fvecs'), 'fvecs'), /empty\.fvecs is empty/);
});

test('an ann-benchmarks hdf5 file written by h5py: base, queries, normalized (angular), ground truth as squared L2', async () => {
  const f = await readAnnBenchmarksHdf5(join(FIX, 'tiny-angular.hdf5'));
  assert.equal(f.metric, 'angular');
  assert.equal(f.base.rows, 60);
  assert.equal(f.queries.rows, 4);
  assert.equal(f.groundTruth!.k, 5);
  for (let i = 0; i < f.base.rows; i++) {
    let s = 0;
    for (const v of f.base.row(i)) s += v * v;
    assert.ok(Math.abs(s - 1) < 1e-5);
  }
  // h5py's neighbours equal our exact search on the loaded (normalized) vectors
  const ds = await loadDataset(join(FIX, 'tiny-angular.hdf5'));
  const ours = await groundTruth({ ...ds, groundTruth: undefined }, 5, { cache: false });
  assert.deepEqual([...ours.ids], [...f.groundTruth!.ids]);
  for (let i = 0; i < ours.dists.length; i++) assert.ok(Math.abs(ours.dists[i] - f.groundTruth!.dists[i]) < 1e-5);
});

test('hdf5: a truncated file, a non-HDF5 file and a file without train are one sentence each, with no HDF5 diagnostics', async () => {
  const full = readFileSync(join(FIX, 'tiny-angular.hdf5'));
  writeFileSync(join(dir, 'cut.hdf5'), full.subarray(0, 3000));
  await inputError(() => readAnnBenchmarksHdf5(join(dir, 'cut.hdf5')), /cut\.hdf5 cannot be read as HDF5: .*truncated/);
  writeFileSync(join(dir, 'text.hdf5'), 'hello');
  await inputError(() => readAnnBenchmarksHdf5(join(dir, 'text.hdf5')), /text\.hdf5 is not an HDF5 file/);
});

test('a plain vector file is split by a seeded shuffle: 10% held out (at most 10,000), the same under the same seed', async () => {
  const m = mixture(500, 6, 4, 9);
  writeNpy(join(dir, 'split.npy'), m);
  const a = await loadDataset(join(dir, 'split.npy'), { seed: 5 });
  const b = await loadDataset(join(dir, 'split.npy'), { seed: 5 });
  const c = await loadDataset(join(dir, 'split.npy'), { seed: 6 });
  assert.equal(a.queries.rows, 50);
  assert.equal(a.base.rows, 450);
  assert.deepEqual(a.queries.data, b.queries.data);
  assert.notDeepEqual(a.queries.data, c.queries.data);
  assert.equal(a.checksum, b.checksum);
  assert.notEqual(a.checksum, c.checksum);
  assert.equal(heldOutRows(10), 1);
  assert.equal(heldOutRows(1_000_000), 10_000);
});

test('a TEXMEX folder: base, queries, learn and ground truth; a query of another dimension is named', async () => {
  const t = join(dir, 'sift');
  mkdirSync(t);
  const base = mixture(300, 8, 4, 1, 0.5, false), q = mixture(12, 8, 4, 2, 0.5, false);
  writeFvecs(join(t, 'mini_base.fvecs'), base);
  writeFvecs(join(t, 'mini_query.fvecs'), q);
  const ds = await loadDataset(t);
  assert.equal(ds.base.rows, 300);
  assert.equal(ds.queries.rows, 12);
  const gt = await groundTruth(ds, 10);
  writeIvecs(join(t, 'mini_groundtruth.ivecs'), 12, 10, gt.ids);
  assert.deepEqual([...(await loadDataset(t)).groundTruth!.ids], [...gt.ids]);
  writeFvecs(join(t, 'mini_query.fvecs'), mixture(12, 9, 4, 2));
  await inputError(() => loadDataset(t), /mini_query\.fvecs has dimension 9 but .*mini_base\.fvecs has 8/);
});

test('ground truth is exact (brute force), cached on disk, and k larger than the base is named', async () => {
  const m = mixture(400, 10, 5, 4);
  writeNpy(join(dir, 'gt.npy'), m);
  const ds = await loadDataset(join(dir, 'gt.npy'));
  const gt = await groundTruth(ds, 7);
  for (let q = 0; q < ds.queries.rows; q++) {
    const all = Array.from({ length: ds.base.rows }, (_, j) => {
      let s = 0;
      for (let t = 0; t < ds.dim; t++) s += (ds.queries.data[q * ds.dim + t] - ds.base.data[j * ds.dim + t]) ** 2;
      return s;
    });
    const best = all.map((v, j) => [v, j]).sort((a, b) => a[0] - b[0]).slice(0, 7);
    for (let r = 0; r < 7; r++) assert.ok(Math.abs(gt.dists[q * 7 + r] - best[r][0]) < 1e-4, `query ${q} rank ${r}`);
  }
  const again = await groundTruth(ds, 7); // now from the cache
  assert.deepEqual(again.ids, gt.ids);
  await inputError(() => groundTruth(ds, 1000), /--k 1000 is larger than the 360 base rows/);
});

test('unknown dataset names suggest the nearest; unknown extensions and missing files are named', async () => {
  await inputError(() => loadDataset('glove-10'), /unknown dataset 'glove-10'; did you mean 'glove-100'/);
  writeFileSync(join(dir, 'x.csv'), '1,2');
  await inputError(() => loadDataset(join(dir, 'x.csv')), /x\.csv has an unknown extension '\.csv'/);
  await inputError(() => loadDataset(join(dir, 'nope.fvecs')), /nope\.fvecs does not exist/);
});

test('synthetic-gmm is deterministic under a seed', async () => {
  const a = await loadDataset('synthetic-gmm', { seed: 3 });
  const b = await loadDataset('synthetic-gmm', { seed: 3 });
  assert.equal(a.checksum, b.checksum);
  assert.equal(a.base.rows, 20_000);
  assert.equal(a.queries.rows, 1000);
});

// Regressions found by the loader fuzzing (test/fuzz, test/fixtures/fuzz/make-hdf5.py).
const FUZZ = fileURLToPath(new URL('../fixtures/fuzz/', import.meta.url));

test('hdf5: a -1 (or out-of-range, non-integer) neighbour is named with the file and dataset, as TEXMEX ground truth is', async () => {
  await inputError(() => loadDataset(join(FUZZ, 'neighbors-minus-one.hdf5')), /neighbors-minus-one\.hdf5: 'neighbors' names row -1 \(query 1\)/);
  await inputError(() => loadDataset(join(FUZZ, 'neighbors-out-of-range.hdf5')), /neighbors-out-of-range\.hdf5: 'neighbors' names row 40 .*rows 0 to 39/);
});

test('hdf5: Inf in train or test is reported as infinite (also in an angular file, where normalizing used to turn it into NaN)', async () => {
  await inputError(() => loadDataset(join(FUZZ, 'train-inf-angular.hdf5')), /train-inf-angular\.hdf5 \('train'\): row 7 contains an infinite value \(column 3\)/);
  await inputError(() => loadDataset(join(FUZZ, 'train-inf.hdf5')), /train-inf\.hdf5 \('train'\): row 7 contains an infinite value/);
  await inputError(() => loadDataset(join(FUZZ, 'test-nan.hdf5')), /test-nan\.hdf5 \('test'\): row 1 contains NaN/);
});

test('hdf5: int64 neighbours are read; distances of another shape or NaN, empty, float16 and non-numeric datasets are named', async () => {
  const ds = await loadDataset(join(FUZZ, 'neighbors-i64.hdf5'));
  const ref = await loadDataset(join(FUZZ, 'valid.hdf5'));
  assert.deepEqual([...ds.groundTruth!.ids], [...ref.groundTruth!.ids]);
  await inputError(() => loadDataset(join(FUZZ, 'distances-short.hdf5')), /distances-short\.hdf5: 'distances' has shape \(3, 2\) but 'neighbors' has \(3, 4\)/);
  await inputError(() => loadDataset(join(FUZZ, 'distances-nan.hdf5')), /distances-nan\.hdf5: 'distances' holds NaN/);
  await inputError(() => loadDataset(join(FUZZ, 'train-empty.hdf5')), /train-empty\.hdf5: 'train' has shape \(0, 5\); it holds no vectors/);
  await inputError(() => loadDataset(join(FUZZ, 'train-f16.hdf5')), /train-f16\.hdf5: 'train' holds float16 values/);
  await inputError(() => loadDataset(join(FUZZ, 'train-strings.hdf5')), /train-strings\.hdf5: 'train' does not hold numbers/);
});

test('hdf5: a dataset whose header claims more bytes than the file holds is refused before it is read', async () => {
  // gzip-chunked train (HDF5 itself checks contiguous storage) with its dataspace patched: dims and maxdims (40, 5) → (N, 5)
  const bytes = readFileSync(join(FUZZ, 'valid-gzip.hdf5'));
  const dims = Buffer.alloc(16);
  dims.writeBigUInt64LE(40n, 0);
  dims.writeBigUInt64LE(5n, 8);
  for (const rows of [2n ** 40n, 100_000n]) {
    const patched = Buffer.from(bytes);
    for (let at = bytes.indexOf(dims); at >= 0 && at < 2048; at = bytes.indexOf(dims, at + 1)) patched.writeBigUInt64LE(rows, at);
    writeFileSync(join(dir, 'huge.hdf5'), patched);
    await inputError(() => loadDataset(join(dir, 'huge.hdf5')), new RegExp(`huge\\.hdf5: 'train' claims shape \\(${rows}, 5\\), \\d+ bytes, more than the \\d+-byte file can hold`));
  }
});

test('npy: bytes after the data its header describes, and float64 values beyond float32, are named', async () => {
  const m = mixture(5, 3, 2, 1);
  writeNpy(join(dir, 'extra.npy'), m);
  writeFileSync(join(dir, 'extra.npy'), Buffer.concat([readFileSync(join(dir, 'extra.npy')), Buffer.alloc(12)]));
  await inputError(() => readNpy(join(dir, 'extra.npy')), /extra\.npy is corrupt: its header promises 5 × 3 values \(60 bytes\) but 72 bytes follow/);
  const f8 = Buffer.from(readFileSync(join(FIX, 'f8.npy')));
  f8.writeDoubleLE(1e300, f8.length - 8);
  writeFileSync(join(dir, 'big.npy'), f8);
  await inputError(() => readNpy(join(dir, 'big.npy')), /big\.npy holds 1e\+300 \(value 11\), beyond the float32 range/);
});
