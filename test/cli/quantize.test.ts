// End-to-end: the real CLI in a child process, on small seeded files written for the test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNpy } from '../../src/data/npy.js';
import { writeFvecs } from '../../src/data/fvecs.js';
import { mixture } from '../helpers/data.js';
import { assertUserError, runCli } from '../helpers/cli.js';

let dir = '';

const run = (...args: string[]) => runCli(args);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-cli-'));
  writeNpy(join(dir, 'small.npy'), mixture(1500, 16, 6, 1));
  const bad = mixture(300, 8, 3, 2);
  bad.data[5 * 8 + 3] = NaN;
  writeNpy(join(dir, 'nan.npy'), bad);
  writeFvecs(join(dir, 'good.fvecs'), mixture(400, 8, 3, 3));
  const fv = readFileSync(join(dir, 'good.fvecs'));
  writeFileSync(join(dir, 'truncated.fvecs'), fv.subarray(0, fv.length - 7));
  writeFileSync(join(dir, 'notes.txt'), 'hello');
  const h5 = readFileSync(fileURLToPath(new URL('../fixtures/data/tiny-angular.hdf5', import.meta.url)));
  writeFileSync(join(dir, 'cut.hdf5'), h5.subarray(0, 3000));
  writeFileSync(join(dir, 'int.npy'), readFileSync(fileURLToPath(new URL('../fixtures/data/i4.npy', import.meta.url))));
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('quantize --json prints one JSON object with the documented fields, and --out writes it', () => {
  const out = join(dir, 'result.json');
  const r = run('quantize', '--data', join(dir, 'small.npy'), '--method', 'wrvq', '--books', '2', '--size', '16', '--json', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const j = JSON.parse(lines[0]);
  for (const f of ['method', 'books', 'size', 'trainer', 'bitsPerVector', 'paperRatio', 'loss', 'relativeLoss', 'trainSeconds', 'encodeSeconds', 'trainRows', 'evalRows', 'dim', 'seed']) {
    assert.ok(f in j, `missing ${f}`);
  }
  assert.equal(j.method, 'wrvq');
  assert.equal(j.bitsPerVector, 2 * (4 + 16));
  assert.equal(j.dim, 16);
  assert.equal(j.trainRows + j.evalRows, 1500);
  assert.ok(j.loss > 0 && j.relativeLoss < 1);
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')).loss, j.loss);
});

test('quantize prints a table naming bits and loss', () => {
  const r = run('quantize', '--data', join(dir, 'good.fvecs'), '--method', 'pq', '--books', '2', '--size', '8');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /bits per vector\s+6 /);
  assert.match(r.stdout, /loss\s+[0-9.e-]+ \(mean/);
});

test('a missing file is one sentence naming it', () => {
  assertUserError(run('quantize', '--data', join(dir, 'nope.npy')), /nope\.npy/);
});

test('an unknown extension names the file', () => {
  assertUserError(run('quantize', '--data', join(dir, 'notes.txt')), /notes\.txt/);
});

test('a truncated fvecs file names the file', () => {
  assertUserError(run('quantize', '--data', join(dir, 'truncated.fvecs')), /truncated\.fvecs/);
});

test('a truncated hdf5 file is one sentence: the HDF5 library\'s own diagnostics do not leak', () => {
  assertUserError(run('quantize', '--data', join(dir, 'cut.hdf5')), /cut\.hdf5 cannot be read as HDF5: truncated file/);
});

test('an unsupported npy dtype names the file and the dtype', () => {
  assertUserError(run('quantize', '--data', join(dir, 'int.npy')), /int\.npy holds dtype '<i4'/);
});

test('a NaN row names the file and the row', () => {
  assertUserError(run('quantize', '--data', join(dir, 'nan.npy')), /nan\.npy.*row 5/);
});

test('an unknown method suggests the nearest name', () => {
  assertUserError(run('quantize', '--data', join(dir, 'small.npy'), '--method', 'wrqv'), /unknown quantizer 'wrqv'; did you mean 'wrvq'/);
});

test('an unknown flag is named', () => {
  assertUserError(run('quantize', '--data', join(dir, 'small.npy'), '--bookz', '3'), /bookz/);
});

test('--size larger than the training rows names --size, and an earlier --out file is left untouched', () => {
  const out = join(dir, 'keep.json');
  writeFileSync(out, '{"previous": true}\n');
  assertUserError(run('quantize', '--data', join(dir, 'small.npy'), '--size', '4096', '--out', out), /--size 4096/);
  assert.equal(readFileSync(out, 'utf8'), '{"previous": true}\n');
});

test('an unknown dataset name suggests the nearest one', () => {
  assertUserError(run('quantize', '--data', 'glove-10'), /glove-100/);
});
