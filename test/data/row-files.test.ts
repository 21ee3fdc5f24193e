// The streamed readers (src/data/row-files.ts) against the whole-file readers on numpy / h5py
// fixtures and seeded files: the same rows for any range or chosen rows, the same checks, and each
// problem found in a chunk (a corrupt row header, NaN) one sentence naming the file and the row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../src/core/errors.js';
import { Matrix } from '../../src/core/matrix.js';
import { readNpy, writeNpy } from '../../src/data/npy.js';
import { readIvecs, readVecs, writeBvecs, writeFvecs, writeIvecs } from '../../src/data/fvecs.js';
import { readAnnBenchmarksHdf5 } from '../../src/data/hdf5.js';
import { openIdRows, openRowFile, openRowSource } from '../../src/data/row-files.js';
import { MatrixRowSource, chunkRanges, type RowSource } from '../../src/data/row-source.js';
import { Rng } from '../../src/core/rng.js';
import { loadDataset } from '../../src/data/load.js';
import { openStreamedDataset } from '../../src/data/streamed.js';
import { mixture } from '../helpers/data.js';
import { inputError } from '../helpers/errors.js';

const FIX = fileURLToPath(new URL('../fixtures/data/', import.meta.url));
let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-rowfiles-'));
  process.env.VQBENCH_CACHE = join(dir, 'cache');
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Every range and a shuffled choice of rows of `src` equal the rows of `whole`. */
function assertSameRows(src: RowSource, whole: Matrix, what: string): void {
  assert.equal(src.rows, whole.rows, what);
  assert.equal(src.dim, whole.dim, what);
  for (const chunk of [1, 7, whole.rows]) {
    const parts: number[] = [];
    for (const [s, e] of chunkRanges(src.rows, chunk)) parts.push(...src.read(s, e - s).data);
    assert.deepEqual(parts, [...whole.data], `${what}: chunks of ${chunk}`);
  }
  const pick = [...new Rng(3).sample(whole.rows, Math.min(whole.rows, 25)), 0, 0];
  assert.deepEqual([...src.readRows(pick).data], [...whole.selectRows(pick).data], `${what}: readRows`);
  const shared = src.read(0, 2, { shared: true });
  assert.ok(shared.data.buffer instanceof SharedArrayBuffer, `${what}: shared read`);
  // reads into one reused array give the same rows
  const into = new Float32Array(7 * whole.dim).fill(NaN);
  const parts: number[] = [];
  for (const [s, e] of chunkRanges(src.rows, 7)) {
    const m = src.read(s, e - s, { into });
    assert.equal(m.data.buffer, into.buffer, `${what}: read into the given array`);
    parts.push(...m.data);
  }
  assert.deepEqual(parts, [...whole.data], `${what}: reads into one array`);
  assert.throws(() => src.read(0, 8, { into }), RangeError);
}

test('npy fixtures written by numpy stream the same rows as the whole-file reader (f4, f8, f2, big-endian, v2, v3)', () => {
  for (const f of ['f4', 'f8', 'f2', 'f4-big-endian', 'f4-v2', 'f4-v3', 'glove-sample']) {
    const src = openRowFile(join(FIX, `${f}.npy`));
    assertSameRows(src, readNpy(join(FIX, `${f}.npy`)), f);
    src.close();
    assert.throws(() => src.read(0, 1), /after close/);
  }
});

test('seeded .npy, .fvecs and .bvecs files: ranges, readRows and limit match the whole file', () => {
  const m = mixture(203, 9, 4, 7);
  const bytes = Matrix.zeros(203, 9);
  for (let i = 0; i < bytes.data.length; i++) bytes.data[i] = Math.abs(Math.round(m.data[i] * 100)) % 256;
  writeNpy(join(dir, 'a.npy'), m);
  writeFvecs(join(dir, 'a.fvecs'), m);
  writeBvecs(join(dir, 'a.bvecs'), bytes);
  for (const [f, whole] of [['a.npy', m], ['a.fvecs', m], ['a.bvecs', readVecs(join(dir, 'a.bvecs'), 'bvecs')]] as const) {
    const src = openRowFile(join(dir, f));
    assertSameRows(src, whole, f);
    src.close();
    const first = openRowFile(join(dir, f), { limit: 50 });
    assertSameRows(first, whole.sliceRows(0, 50).clone(), `${f} limit 50`);
    assert.throws(() => first.read(45, 10), RangeError);
    first.close();
  }
  assert.equal(openRowFile(join(dir, 'a.npy'), { limit: 10_000 }).rows, 203, 'a limit beyond the file keeps every row');
  assert.throws(() => openRowFile(join(dir, 'a.npy'), { limit: 0 }), /limit of .*a\.npy must be a positive integer/);
});

test('.ivecs ids stream by row range', () => {
  const ids = Int32Array.from({ length: 31 * 5 }, (_, i) => (i * 7919) % 1000);
  writeIvecs(join(dir, 'gt.ivecs'), 31, 5, ids);
  const r = openIdRows(join(dir, 'gt.ivecs'));
  assert.deepEqual([r.rows, r.dim], [31, 5]);
  assert.deepEqual([...r.read(3, 10)], [...readIvecs(join(dir, 'gt.ivecs')).data.subarray(15, 65)]);
  r.close();
  assert.throws(() => openRowFile(join(dir, 'gt.ivecs')), /gt\.ivecs holds ids \(\.ivecs\), not vectors/);
});

test('HDF5 train and test stream by hyperslab, normalized as the whole-file reader does', async () => {
  const path = join(FIX, 'tiny-angular.hdf5');
  const whole = await readAnnBenchmarksHdf5(path);
  const train = await openRowSource(path);
  assertSameRows(train, whole.base, 'train');
  train.close();
  const test = await openRowSource(path, { hdf5Dataset: 'test', limit: 3 });
  assertSameRows(test, whole.queries.sliceRows(0, 3).clone(), 'test');
  test.close();
  // as a streamed dataset: the parts and checksum of loadDataset, with and without :limit=N
  for (const spec of [`${path}:limit=20`, path]) {
    const s = await openStreamedDataset(spec);
    const m = await loadDataset(spec);
    assert.equal(s.checksum, m.checksum, spec);
    assert.deepEqual([...s.queries.data], [...m.queries.data], spec);
    assert.deepEqual([...s.base.read(0, s.base.rows).data], [...m.base.data], spec);
    s.close();
  }
  assert.equal((await loadDataset(`${path}:limit=20`)).base.rows, 20);
});

test('a bad file is one sentence naming it: Fortran order, truncation, a corrupt row header or NaN in a later chunk', async () => {
  await inputError(() => openRowFile(join(FIX, 'f4-fortran.npy')), /f4-fortran\.npy is stored in Fortran .*C order/);
  await inputError(() => openRowFile(join(FIX, 'i4.npy')), /i4\.npy holds dtype '<i4'/);
  await inputError(() => openRowFile(join(dir, 'missing.fvecs')), /missing\.fvecs does not exist/);
  const full = readFileSync(join(FIX, 'f4.npy'));
  writeFileSync(join(dir, 'short.npy'), full.subarray(0, full.length - 5));
  await inputError(() => openRowFile(join(dir, 'short.npy')), /short\.npy is truncated/);
  writeFileSync(join(dir, 'bad.npy'), 'not numpy at all');
  await inputError(() => openRowFile(join(dir, 'bad.npy')), /bad\.npy is not a valid \.npy file/);

  const m = mixture(100, 6, 3, 2);
  writeFvecs(join(dir, 'c.fvecs'), m);
  const buf = readFileSync(join(dir, 'c.fvecs'));
  writeFileSync(join(dir, 'cut.fvecs'), buf.subarray(0, buf.length - 3));
  await inputError(() => openRowFile(join(dir, 'cut.fvecs')), /cut\.fvecs is truncated or corrupt/);
  buf.writeInt32LE(5, 77 * 28); // row 77 announces dimension 5
  writeFileSync(join(dir, 'corrupt.fvecs'), buf);
  const corrupt = openRowFile(join(dir, 'corrupt.fvecs'));
  assert.equal(corrupt.read(0, 70).rows, 70, 'the chunks before the bad row read fine');
  await inputError(() => corrupt.read(70, 30), /corrupt\.fvecs is corrupt: row 77 announces dimension 5, row 0 announced 6/);
  await inputError(() => corrupt.readRows([3, 77]), /row 77 announces/);

  const withNaN = m.clone();
  withNaN.data[64 * 6 + 2] = NaN;
  writeNpy(join(dir, 'nan.npy'), withNaN);
  const nan = openRowFile(join(dir, 'nan.npy'));
  assert.equal(nan.read(0, 60).rows, 60);
  await inputError(() => nan.read(60, 40), /nan\.npy: row 64 contains NaN \(column 2\)/);
  await inputError(() => nan.readRows([99, 64, 1]), /nan\.npy: row 64 contains NaN/);
});

test('MatrixRowSource serves the same interface from memory', () => {
  const m = mixture(40, 4, 2, 9);
  assertSameRows(new MatrixRowSource(m), m, 'matrix');
});

test('seeded mutations of .npy / .fvecs / .bvecs files: every streamed read is clean or one InputError sentence', () => {
  const m = mixture(40, 5, 2, 12);
  writeNpy(join(dir, 'fz.npy'), m);
  writeFvecs(join(dir, 'fz.fvecs'), m);
  writeBvecs(join(dir, 'fz.bvecs'), Matrix.zeros(40, 5));
  const rng = new Rng(77);
  let errors = 0, clean = 0;
  for (const f of ['fz.npy', 'fz.fvecs', 'fz.bvecs']) {
    const good = readFileSync(join(dir, f));
    for (let c = 0; c < 150; c++) {
      const b = Buffer.from(good);
      const kind = rng.int(3);
      let bytes: Buffer = b;
      if (kind === 0) bytes = b.subarray(0, rng.int(b.length));
      else {
        // flip bytes, mostly in the header region where structure lives
        for (let i = 0, n = 1 + rng.int(4); i < n; i++) b[kind === 1 ? rng.int(Math.min(b.length, 140)) : rng.int(b.length)] = rng.int(256);
      }
      const p = join(dir, `mut-${c}${f.slice(2)}`);
      writeFileSync(p, bytes);
      try {
        const src = openRowFile(p);
        try {
          src.read(0, src.rows);
          src.readRows([src.rows - 1, 0]);
        } finally {
          src.close();
        }
        clean++;
      } catch (e) {
        assert.ok(e instanceof InputError, `${f} mutation ${c}: ${(e as Error).stack}`);
        assert.doesNotMatch((e as Error).message, /\n/);
        errors++;
      }
    }
  }
  assert.ok(errors > 50 && clean > 20, `${errors} errors, ${clean} clean loads`);
});
