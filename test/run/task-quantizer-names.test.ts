// Task files' quantizer entries take both vocabularies for every method they list: books/size and
// PQ's (faiss's) m/nbits; the cells keep the names given and run the same quantizer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { executeCell } from '../../src/run/cell-job.js';
import { expandTask, loadTask } from '../../src/run/task.js';
import { quantizerBits, type QuantizerChoice } from '../../src/run/kinds/quantize.js';
import type { QuantizeResult } from '../../src/run/quantize.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-qnames-'));
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await shutdownWorkers();
});

const task = {
  name: 'names',
  description: 'both vocabularies',
  paper: 'none',
  scale: { small: { base: 3000, queries: 100, trainSize: 1000, evalSize: 100 }, full: {} },
  grid: {
    datasets: ['synthetic-gmm'],
    quantizers: [
      { method: ['rvq', 'pq'], m: 2, nbits: 4 },
      { label: 'alias', method: 'pq', books: 2, size: 16 },
    ],
    mteb: [{ models: ['glove-avg'], tasks: ['STS'], quantizers: [{ method: 'pq', m: 4, nbits: 4 }] }],
  },
};

test('m/nbits and books/size both load, expand and run, for PQ and RVQ alike', async () => {
  const p = join(dir, 'names.json');
  writeFileSync(p, JSON.stringify(task));
  const cells = expandTask(loadTask(p), 'small');
  assert.deepEqual(cells.map((c) => c.id), [
    'quantize.synthetic-gmm.rvq.m-2.nbits-4',
    'quantize.synthetic-gmm.pq.m-2.nbits-4',
    'quantize.synthetic-gmm.alias.pq.books-2.size-16',
    'mteb.glove-avg.original',
    'mteb.glove-avg.pq.m-4.nbits-4',
  ]);
  const quantize = cells.filter((c) => c.kind === 'quantize');
  assert.deepEqual(quantize.map((c) => quantizerBits(c.config as unknown as QuantizerChoice)), [8, 8, 8]);
  const results: QuantizeResult[] = [];
  for (const c of quantize.slice(1)) {
    const out = await executeCell(c, c.dataset!.spec);
    assert.equal(out.status, 'ok', out.error ?? '');
    results.push(out.metrics as QuantizeResult);
  }
  // pq m=2,nbits=4 and pq books=2,size=16 are one quantizer: same spec, same loss
  assert.equal(results[0].spec, 'pq:m=2,nbits=4');
  assert.equal(results[1].spec, results[0].spec);
  assert.equal(results[1].loss, results[0].loss);
  assert.equal(results[0].books, 2);
  assert.equal(results[0].size, 16);
});

test('a PQ entry whose size is not a power of two is refused when the task loads, in one sentence naming the field', () => {
  const p = join(dir, 'bad.json');
  writeFileSync(p, JSON.stringify({ ...task, grid: { datasets: ['synthetic-gmm'], quantizers: [{ method: 'pq', books: 2, size: 100 }] } }));
  assert.throws(() => loadTask(p), (e: Error) => e.name === 'ConfigError' && /grid\.quantizers\[0\]\.size 100 does not fit pq: .*must be a power of two from 2 to 65536/.test(e.message));
});
