import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compressionLadder, ladderBudgets, ladderVerdicts, planLadder, type LadderCell } from '../../bench/compression-ladder.js';
import { gaussianMixture } from '../../src/data/synthetic.js';

test('ladderBudgets: 1, 4, 8, 16 bits per dimension, plus WRVQ 4×256\'s 96 bits when d is far from 96', () => {
  assert.deepEqual(ladderBudgets(100), [100, 400, 800, 1600]);
  assert.deepEqual(ladderBudgets(512), [96, 512, 2048, 4096, 8192]);
});

test('planLadder: each method only where it can sit, over-long trainings listed as not run with the flag', () => {
  const plan = planLadder(100, 12, 4);
  const at = (budget: number) => plan.filter((p) => p.budget === budget && !p.skipped).map((p) => p.method);
  assert.deepEqual(at(100).filter((m) => m.startsWith('binary')), ['binary', 'binary itq']);
  assert.ok(at(400).includes('sq int4') && at(800).includes('sq int8') && at(1600).includes('sq fp16'));
  assert.ok(!at(100).some((m) => m.startsWith('sq')), 'no sq type has 1 bit per dimension');
  // PQ has at most d sub-spaces: none at 16 bits per dimension
  assert.ok(at(800).includes('pq') && !at(1600).includes('pq'));
  for (const p of plan) {
    if (p.id === 'pq' || p.id === 'opq' || p.id === 'scann') assert.ok((p.params.m as number) <= 100);
    if (p.id === 'rabitq') assert.equal(p.params.bits, p.budget / 100);
  }
  const rvq400 = plan.find((p) => p.budget === 400 && p.id === 'rvq')!;
  assert.match(rvq400.skipped!, /50 books exceed --ladder-max-books 12/);
  assert.match(plan.find((p) => p.budget === 100 && p.id === 'avq')!.skipped!, /--ladder-avq-books 4/);
  // RVQ cannot have 200 books at all (its range): no cell, not even a skipped one
  assert.ok(!plan.some((p) => p.budget === 1600 && p.id === 'rvq'));
});

const cell = (method: string, bits: number, perRow: number[]): LadderCell => {
  const mean = perRow.reduce((a, b) => a + b, 0) / perRow.length;
  return { budget: 100, method, spec: method, bits, perRow: Float64Array.from(perRow), relativeLoss: mean, trainSeconds: 0, loss: { mean, lo: mean, hi: mean, resamples: 1000, level: 0.95, method: 'percentile' } };
};

test('ladderVerdicts: the lowest loss, and WRVQ beats / ties / loses by a paired bootstrap over the same rows', () => {
  const base = Array.from({ length: 200 }, (_, i) => 1 + (i % 7) / 10);
  const lines = ladderVerdicts([
    cell('wrvq fp16', 96, base.map((v) => v - 0.2)),
    cell('pq', 96, base),
    cell('rvq', 96, base.map((v, i) => v - 0.2 + (i % 2 ? 0.01 : -0.01))),
    cell('binary', 100, base.map((v) => v + 0.3)),
    cell('wrvq w8', 128, base), // more bits than the rivals: not compared with them
  ], 1);
  assert.match(lines[0], /^100 bits: lowest loss (wrvq fp16|rvq) \(96 bits, 1\.09\d*\)$/); // the two tie on average
  assert.match(lines[1], /wrvq fp16 \(96 bits\) beats pq .*; ties rvq .*; beats binary/);
  assert.equal(lines.length, 2);
});

test('compressionLadder: every planned cell trained at its real bits on seeded data, with loss intervals and flat-scan recall', async () => {
  const x = gaussianMixture(900, 8, 6, 7);
  const train = x.sliceRows(0, 600), evalSet = x.sliceRows(600, 900);
  const r = await compressionLadder({ train, evalSet, seed: 3, maxBooks: 2, avqBooks: 0, recallQueries: 30, faissDir: null });
  for (const c of r.cells) {
    // the budget's bits, or fewer (WRVQ rounds its books down; 4×256 with fewer weight bits), plus RaBitQ's 64 bits of scalars
    assert.ok(c.bits <= c.budget + (c.method.startsWith('rabitq') ? 64 : 0), `${c.method} at ${c.budget}: ${c.bits} bits`);
    assert.ok(c.loss.lo <= c.loss.mean && c.loss.mean <= c.loss.hi && c.loss.mean >= 0);
  }
  const sq8 = r.cells.find((c) => c.method === 'sq int8')!, bin = r.cells.find((c) => c.method === 'binary')!;
  assert.equal(sq8.bits, 64);
  assert.equal(bin.bits, 8);
  assert.ok(sq8.loss.mean < bin.loss.mean, 'int8 loses less than one bit per dimension');
  assert.ok(bin.recall !== undefined && bin.recallRescored !== undefined && bin.recallRescored >= bin.recall - 0.05, 'rescoring the binary scan does not lose recall');
  assert.ok(sq8.recall! > 0.8);
  assert.ok(r.verdicts.some((l) => /^8 bits: lowest loss /.test(l)));
  assert.ok(r.skipped.some((p) => p.id === 'avq'));
});

test('compressionLadder: --ladder-budgets / --ladder-methods run one part of the plan; a budget the data has not is one sentence', async () => {
  const x = gaussianMixture(500, 8, 6, 7);
  const train = x.sliceRows(0, 300), evalSet = x.sliceRows(300, 500);
  const part = await compressionLadder({ train, evalSet, seed: 3, maxBooks: 2, avqBooks: 0, recallQueries: 0, faissDir: null, budgets: [64], methods: ['sq int8', 'pq'] });
  assert.deepEqual(part.cells.map((c) => `${c.budget} ${c.method}`).sort(), ['64 pq', '64 sq int8']);
  await assert.rejects(
    compressionLadder({ train, evalSet, seed: 3, maxBooks: 2, avqBooks: 0, recallQueries: 0, faissDir: null, budgets: [100] }),
    /--ladder-budgets: 100 is not a budget of d = 8 \(its budgets: 8, 32, 64, 96, 128\)/,
  );
});
