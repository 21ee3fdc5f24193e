// Streaming cells in a task file (grid.streams, src/run/kinds/stream.ts): a runbook given as a file
// or inline expands to one cell per build configuration whose configuration holds the steps
// themselves; a missing runbook file, a bad runbook and an index that cannot delete given a
// deleting runbook are one ConfigError naming the task file and the field; the estimate is finite.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import { expandTask, loadTask } from '../../src/run/task.js';
import { modelSeconds } from '../../src/run/estimate.js';

const dir = mkdtempSync(join(tmpdir(), 'vqbench-stream-kind-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const steps = { max_pts: 1000, 1: { operation: 'insert', start: 0, end: 1000 }, 2: { operation: 'search' }, 3: { operation: 'delete', start: 0, end: 500 }, 4: { operation: 'search' } };
function task(streams: unknown): string {
  const p = join(dir, `t${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(p, JSON.stringify({ name: 's', description: 'streams', grid: { datasets: ['synthetic-gmm'], streams } }));
  return p;
}

test('grid.streams: a file or an inline runbook becomes cells holding the steps; estimates are finite', () => {
  const file = join(dir, 'rb.yaml');
  writeFileSync(file, `synthetic-gmm:\n  max_pts: 1000\n  1: {operation: insert, start: 0, end: 1000}\n  2: {operation: search}\n  3: {operation: delete, start: 0, end: 500}\n  4: {operation: search}\n`);
  const cells = expandTask(loadTask(task([
    { index: 'ivfpq', build: { nlist: [16, 32], m: 8 }, search: { nprobe: 4 }, runbook: file },
    { index: 'hnsw', label: 'graph', runbook: { 'synthetic-gmm': steps } },
  ])), 'small');
  assert.deepEqual(cells.map((c) => c.id), ['stream.synthetic-gmm.ivfpq.nlist-16.m-8.nprobe-4', 'stream.synthetic-gmm.ivfpq.nlist-32.m-8.nprobe-4', 'stream.synthetic-gmm.graph']);
  for (const c of cells) {
    assert.equal(c.kind, 'stream');
    assert.deepEqual(c.config.runbook, { 'synthetic-gmm': { max_pts: 1000, 1: steps[1], 2: steps[2], 3: steps[3], 4: steps[4] } }, c.id);
    const s = modelSeconds(c);
    assert.ok(Number.isFinite(s) && s > 0, `${c.id}: ${s}`);
  }
});

test('grid.streams: a missing file, a bad runbook and an index without deletes are one ConfigError naming the field', () => {
  const cases: [unknown, RegExp][] = [
    [[{ index: 'flat', runbook: join(dir, 'missing.yaml') }], /: grid\.streams\[0\]\.runbook cannot read the runbook .*missing\.yaml: no such file or directory\.$/],
    [[{ index: 'flat', runbook: { 'synthetic-gmm': { max_pts: 10, 1: { operation: 'replace' } } } }], /: grid\.streams\[0\]\.runbook step 1: replace is not supported by vqbench/],
    [[{ index: 'rabitq', runbook: { 'synthetic-gmm': steps } }], /: grid\.streams\[0\]\.index step 3 deletes rows, but --index rabitq does not support deletes \(rabitq cannot remove vectors\)\.$/],
    [[{ index: 'faiss', build: { factory: 'IVF16,Flat' }, runbook: { 'synthetic-gmm': steps } }], /: grid\.streams\[0\]\.index step 3 deletes rows, .*faiss-node has no add_with_ids/],
    [[{ index: 'flat' }], /grid\.streams\[0\]/],
  ];
  for (const [streams, pattern] of cases) {
    const p = task(streams);
    assert.throws(() => loadTask(p), (e: Error) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  }
});
