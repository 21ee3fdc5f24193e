// What a result records of a code: every quantizer's codeLayout adds up to its bitsPerVector
// (codes × log2 size + the stored weights or scalars), RaBitQ's record counts D levels plus its two
// float32 scalars (not D + 4 "books"), and the paper's ratio is null for the methods it does not
// describe (sq, binary, rabitq), with no row for it in the quantize table.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { writeNpy } from '../../src/data/npy.js';
import { createQuantizer, pickQuantizerParams, QUANTIZER_IDS } from '../../src/quant/registry.js';
import { runQuantize } from '../../src/run/quantize.js';
import { runCli } from '../helpers/cli.js';
import { mixture } from '../helpers/data.js';

after(shutdownWorkers);
const dir = mkdtempSync(join(tmpdir(), 'vqbench-code-layout-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const D = 24;
const x = mixture(600, D, 6, 3);
const DATA = join(dir, 'mix.npy');
writeNpy(DATA, x);

/** Small settings every quantizer accepts (each picks the names it knows). */
const SMALL = { books: 2, size: 16, iterations: 1, itqIters: 3, weights: 'gain', weightBits: 8, bits: 3, type: 'int4' };
const PER_DIMENSION = ['sq', 'binary', 'rabitq'];

test('every quantizer: codes × log2(size) + extraBits = bitsPerVector, and the layout phrase names the codes', async () => {
  for (const id of QUANTIZER_IDS) {
    const q = createQuantizer(id, pickQuantizerParams(id, SMALL));
    await q.train(x, { seed: 2, kmeansIters: 4 });
    const l = q.codeLayout;
    assert.equal(l.codes * Math.log2(l.size) + l.extraBits, q.bitsPerVector, `${id}: ${JSON.stringify(l)}`);
    assert.equal(l.codes, PER_DIMENSION.includes(id) ? D : 2, id);
    assert.match(l.describe, new RegExp(`^${l.codes} `), id);
    assert.equal(q.hasPaperRatio, !PER_DIMENSION.includes(id), id);
  }
});

test('the quantize record: rabitq counts D levels plus two float32 scalars; paperRatio is null for sq, binary and rabitq, a number for the book methods', async () => {
  const rec = async (method: string, params: Record<string, string | number>) => runQuantize({ data: DATA, method, params, trainSize: 500, evalSize: 100, seed: 1 });
  const r = await rec('rabitq', { bits: 2 });
  assert.deepEqual([r.books, r.size, r.bitsPerVector], [D, 4, D * 2 + 64]);
  assert.equal(r.codeLayout, `${D} × 2-bit levels + 2 float32 scalars (‖r‖, ⟨ō, o⟩)`);
  assert.equal(r.paperRatio, null);
  assert.equal((await rec('sq', { type: 'int4' })).paperRatio, null);
  assert.equal((await rec('binary', {})).codeLayout, `${D} sign bits`);
  const pq = await rec('pq', { m: 4, nbits: 4 });
  assert.equal(pq.paperRatio, D / 4);
  assert.equal(pq.codeLayout, '4 × 4-bit codes');
  const w = await rec('wrvq', { books: 2, size: 16, weightBits: 8 });
  assert.equal(w.codeLayout, '2 × 4-bit codes + 2 8-bit weights');
  assert.equal(w.bitsPerVector, 2 * (4 + 8));
});

test('vqbench quantize prints the code layout, and no paper ratio row for rabitq', () => {
  const t = runCli(['quantize', '--data', DATA, '--method', 'rabitq', '--eval-size', '50']);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, new RegExp(`code layout\\s+${D} × 1-bit levels \\+ 2 float32 scalars`));
  assert.doesNotMatch(t.stdout, /paper ratio/);
  const p = runCli(['quantize', '--data', DATA, '--method', 'pq:m=4,nbits=4', '--eval-size', '50']);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /paper ratio\s+6 \(eq\. 6/);
});
