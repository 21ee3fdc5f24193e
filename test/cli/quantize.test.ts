// End-to-end: the real CLI in a child process, on small seeded files written for the test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { readPerItem } from '../../src/eval/per-item-files.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Matrix } from '../../src/core/matrix.js';
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

test('--method takes a whole spec; PQ answers to m/nbits and to books/size alike, with the same result', () => {
  const a = run('quantize', '--data', join(dir, 'small.npy'), '--method', 'pq:m=2,nbits=3', '--train-size', '800', '--eval-size', '200', '--json');
  const b = run('quantize', '--data', join(dir, 'small.npy'), '--method', 'pq', '--books', '2', '--size', '8', '--train-size', '800', '--eval-size', '200', '--json');
  const c = run('quantize', '--data', join(dir, 'small.npy'), '--method', 'pq:books=2', '--nbits', '3', '--m', '2', '--train-size', '800', '--eval-size', '200', '--json');
  for (const r of [a, b, c]) assert.equal(r.code, 0, r.stderr);
  const [ja, jb, jc] = [a, b, c].map((r) => JSON.parse(r.stdout));
  assert.equal(ja.spec, 'pq:m=2,nbits=3');
  assert.equal(ja.label, ja.spec);
  assert.deepEqual(ja.params, { m: 2, nbits: 3 });
  assert.equal(ja.books, 2);
  assert.equal(ja.size, 8);
  assert.equal(ja.bitsPerVector, 6);
  assert.equal(ja.trainRows, 800);
  assert.equal(ja.evalRows, 150, 'the held-out rows are the dataset\'s 150 queries');
  for (const j of [jb, jc]) {
    assert.equal(j.spec, ja.spec);
    assert.equal(j.loss, ja.loss);
  }
});

test('the descriptors\' defaults: wrvq 4 × 256 paper; rvq beam 5; the canonical spec names every parameter', () => {
  const r = run('quantize', '--data', join(dir, 'small.npy'), '--method', 'rvq', '--nbits', '4', '--train-size', '600', '--eval-size', '100', '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.spec, 'rvq:books=4,size=16,beam=5');
  assert.equal(j.beam, 5);
  assert.equal(j.size, 16);
  const help = run('quantize', '--help');
  assert.equal(help.code, 0);
  for (const f of ['-m ', '--nbits', '--books', '--size', '--beam', '--weights', '--train-size', '--eval-size', '--trainer', '--adam-iters', '--adam-lr', '--seed', '--threads']) {
    assert.ok(help.stdout.includes(f), `--help lists ${f}`);
  }
  assert.match(help.stdout, /--books\s+\[pq, rvq, avq, wrvq(, [a-z]+)*\] codebooks[^]*\[default 4\]/, 'books described as its own, not as an alias');
  assert.match(help.stdout, /\[default 256\]/);
});

test('a parameter given in the spec and as a flag with another value is one sentence', () => {
  assertUserError(run('quantize', '--data', join(dir, 'small.npy'), '--method', 'pq:m=2', '--books', '3'), /--books 3 contradicts m=2 in --method pq:m=2; give m once/);
  assertUserError(run('quantize', '--data', join(dir, 'small.npy'), '--method', 'wrvq:weights=gain', '--weights', 'paper'), /--weights paper contradicts weights=gain/);
});

test('every value is checked against its declared range, one sentence naming the flag', () => {
  const data = ['--data', join(dir, 'small.npy')];
  for (const t of ['abc', '0', '-1', '999']) assertUserError(run('quantize', ...data, '--threads', t), /^error: --threads must be an integer from 1 to \d+, got/);
  assertUserError(run('quantize', ...data, '--method', 'pq', '--size', '100'), /--size: pq parameter 'size' must be a power of two from 2 to 65536/);
  assertUserError(run('quantize', ...data, '--method', 'rvq', '--beam', '0'), /--beam: rvq parameter 'beam' must be an integer from 1 to 64/);
  assertUserError(run('quantize', ...data, '--method', 'rvq', '--weights', 'gain'), /--weights is not a parameter of rvq; its parameters: --books, --size, --beam/);
  assertUserError(run('quantize', ...data, '--method', 'wrvq:bogus=1'), /--method: wrvq has no parameter 'bogus'; its parameters: books, size, weights/);
  assertUserError(run('quantize', ...data, '--adam-lr', '0'), /--adam-lr .*must be a number from 1e-9 to 10, got '0'/);
  assertUserError(run('quantize', ...data, '--adam-iters', '0'), /--adam-iters .*must be an integer from 1 to/);
  assertUserError(run('quantize', ...data, '--train-size', '0'), /--train-size .*must be a positive integer/);
  assertUserError(run('quantize', ...data, '--trainer', 'sgd'), /--trainer must be one of 'kmeans', 'adam', got 'sgd'/);
  assertUserError(run('quantize', ...data, '--method', 'pq:m=2,', '--nbits', '3'), /--method: 'pq:m=2,' ends with a comma/);
});

test('a loss that is not a number is an error sentence, never a printed result', () => {
  const zeros = join(dir, 'zeros.npy');
  writeNpy(zeros, Matrix.zeros(600, 8));
  const r = run('quantize', '--data', zeros, '--method', 'pq:m=2,nbits=3', '--json');
  assertUserError(r, /pq:m=2,nbits=3 on .*zeros\.npy: the relative loss is not defined: all \d+ evaluation vectors have zero norm\.$/);
  assert.equal(r.stdout, '');
});

test('quantize --raw DIR writes the squared error of each held-out row, named by the spec, and says where; numpy reads it and its mean is the loss', () => {
  const raw = join(dir, 'raw');
  const r = run('quantize', '--data', join(dir, 'small.npy'), '--method', 'pq', '--books', '2', '--size', '8', '--raw', raw, '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const file = join(raw, 'pq_m=2_nbits=3.row-errors.npy');
  assert.equal(j.raw.rowErrors, file);
  const e = readPerItem(file);
  assert.equal(e.length, j.evalRows);
  assert.equal(e.reduce((s: number, v: number) => s + v, 0) / e.length, j.loss);
  assert.ok(j.lossCI.lo < j.loss && j.loss < j.lossCI.hi);
  if (existsSync('/usr/bin/python3')) {
    const py = spawnSync('/usr/bin/python3', ['-c', 'import sys, numpy as np; x = np.load(sys.argv[1]); print(x.dtype, x.shape[0], repr(float(x.mean())))', file], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const [dtype, n, mean] = py.stdout.trim().split(' ');
    assert.deepEqual([dtype, Number(n)], ['float64', j.evalRows]);
    assert.ok(Math.abs(Number(mean) - j.loss) <= 1e-12 * j.loss, `numpy mean ${mean} vs loss ${j.loss}`);
  }
  // the table names the file and the interval
  const t = run('quantize', '--data', join(dir, 'small.npy'), '--method', 'pq', '--books', '2', '--size', '8', '--raw', raw);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /row errors\s+\S+pq_m=2_nbits=3\.row-errors\.npy/);
  assert.match(t.stdout, /95% CI \[/);
});

test('quantize --raw without a folder, or into a file, is one sentence naming it', () => {
  assertUserError(run('quantize', '--data', join(dir, 'small.npy'), '--method', 'pq', '--raw', ''), /--raw needs a folder/);
  assertUserError(run('quantize', '--data', join(dir, 'small.npy'), '--method', 'pq', '--raw', join(dir, 'notes.txt')), /notes\.txt/);
});
