// Expected time per cell: an earlier run of the same cell, else the other scale × the cost model, else the model.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { estimateCell, formatDuration, modelSeconds } from '../../src/run/estimate.js';
import type { CellPlan } from '../../src/run/task.js';

const dir = mkdtempSync(join(tmpdir(), 'vqbench-estimate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const cell = (scale: 'small' | 'full'): CellPlan => {
  const subset = scale === 'small' ? { base: 20000, queries: 500 } : null;
  return {
    id: 'quantize.glove-100.rvq.books-4.size-256', kind: 'quantize', timeout: null,
    dataset: { name: 'glove-100', spec: 'glove-100', subset },
    config: { kind: 'quantize', dataset: 'glove-100', subset, seed: 1, scale, method: 'rvq', books: 4, size: 256, trainSize: scale === 'small' ? 10000 : 50000, evalSize: scale === 'small' ? 500 : 10000 },
  };
};

test('formatDuration', () => {
  assert.deepEqual([3.21, 9.96, 42, 59.6, 239.7, 3725].map(formatDuration), ['3.2 s', '10 s', '42 s', '1:00', '4:00', '1h02m']);
});

test('estimates: the model grows with the data; earlier results are preferred and scaled across scales', () => {
  const small = cell('small'), full = cell('full');
  assert.ok(modelSeconds(full) > 2 * modelSeconds(small));
  assert.deepEqual(estimateCell(full, 'full', join(dir, 'none')), { seconds: modelSeconds(full), source: 'model' });
  const runDir = join(dir, 'results', 'x-small');
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, `${small.id}.json`), JSON.stringify({ status: 'ok', scale: 'small', config: small.config, timing: { wallSeconds: 10, startedAt: '2026-01-01T00:00:00Z' } }));
  assert.deepEqual(estimateCell(small, 'small', join(dir, 'results')), { seconds: 10, source: 'earlier run' });
  const e = estimateCell(full, 'full', join(dir, 'results'));
  assert.equal(e.source, 'similar run');
  assert.ok(Math.abs(e.seconds - (10 * modelSeconds(full)) / modelSeconds(small)) < 1e-9);
});
