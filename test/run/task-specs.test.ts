// Task files speak the one spec grammar too: a quantizer's `method` and an index's `index` may be a
// whole spec, whose parameters become fixed values of the cell, exactly as if given as fields.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandTask, loadTask } from '../../src/run/task.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-task-specs-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, grid: Record<string, unknown>) => {
  const p = join(dir, `${name}.json`);
  writeFileSync(p, JSON.stringify({ name, description: 'specs in a task file', grid: { datasets: ['synthetic-gmm'], ...grid } }));
  return p;
};

const cellsOf = (p: string) => expandTask(loadTask(p), 'small').map((c) => ({ id: c.id, config: c.config }));

test('a quantizer method given as a spec expands as the same fields would', () => {
  const bySpec = cellsOf(write('q-spec', { quantizers: [{ method: ['pq:m=12,nbits=8', 'wrvq:weights=gain'], trainSize: 500 }] }));
  const byFields = cellsOf(write('q-fields', { quantizers: [{ method: 'pq', m: 12, nbits: 8, trainSize: 500 }, { method: 'wrvq', weights: 'gain', trainSize: 500 }] }));
  assert.deepEqual(bySpec, byFields);
  assert.deepEqual(bySpec.map((c) => c.id), ['quantize.synthetic-gmm.pq.m-12.nbits-8.trainSize-500', 'quantize.synthetic-gmm.wrvq.weights-gain.trainSize-500']);
});

test('an index or insert given as a spec: its build and search parameters become fixed values; the sweep still expands', () => {
  const bySpec = cellsOf(write('i-spec', {
    indexes: [{ index: 'ivfpq:nlist=64,m=8,tables=norms', sweep: { nprobe: [1, 4] } }, { index: 'hnsw:M=8,efSearch=32' }],
    inserts: [{ index: 'ivfpq:nlist=32,m=4,nprobe=2', batches: [100] }],
  }));
  const byFields = cellsOf(write('i-fields', {
    indexes: [{ index: 'ivfpq', build: { nlist: 64, m: 8, tables: 'norms' }, sweep: { nprobe: [1, 4] } }, { index: 'hnsw', build: { M: 8 }, search: { efSearch: 32 } }],
    inserts: [{ index: 'ivfpq', build: { nlist: 32, m: 4 }, search: { nprobe: 2 }, batches: [100] }],
  }));
  assert.deepEqual(bySpec, byFields);
  assert.deepEqual(bySpec.map((c) => c.id), [
    'index.synthetic-gmm.ivfpq.nlist-64.m-8.tables-norms',
    'index.synthetic-gmm.hnsw.M-8.efSearch-32',
    'insert.synthetic-gmm.ivfpq.nlist-32.m-4.nprobe-2',
  ]);
});

test('a bad spec in a task file is one sentence naming the field', () => {
  const fails = (name: string, grid: Record<string, unknown>, re: RegExp) =>
    assert.throws(() => loadTask(write(name, grid)), (e: Error) => e.name === 'ConfigError' && re.test(e.message), name);
  fails('clash-q', { quantizers: [{ method: 'pq:m=12', books: 4 }] }, /grid\.quantizers\[0\]\.books is also given in the method spec 'pq:m=12': give it in one of the two\.$/);
  fails('range-q', { quantizers: [{ method: 'pq:m=0' }] }, /grid\.quantizers\[0\]\.method 'pq:m=0' is not a valid spec: .*m.* must be an integer from 1 to 256, got '0'\.$/);
  fails('unknown-q', { quantizers: [{ method: 'rvq:weights=gain' }] }, /grid\.quantizers\[0\]\.method 'rvq:weights=gain' is not a valid spec: .*weights/);
  fails('clash-i', { indexes: [{ index: 'ivfpq:nlist=64', build: { nlist: 32 } }] }, /grid\.indexes\[0\]\.build\.nlist is also given in the index spec 'ivfpq:nlist=64'/);
  fails('unknown-i', { indexes: [{ index: 'ivfpq:nlists=64' }] }, /grid\.indexes\[0\]\.index is not a valid spec: .*nlists/);
});

test('an index entry\'s filter (selectivities) reaches its cells; outside (0, 1] or on an index without filtered search it is one sentence naming the field', () => {
  const cells = cellsOf(write('f-ok', { indexes: [{ index: 'ivfpq:nlist=64,m=8', sweep: { nprobe: [1, 4] }, filter: [0.01, 0.5] }] }));
  assert.deepEqual(cells.map((c) => (c.config as { filter?: number[] }).filter), [[0.01, 0.5]]);
  const fails = (name: string, grid: Record<string, unknown>, re: RegExp) =>
    assert.throws(() => loadTask(write(name, grid)), (e: Error) => e.name === 'ConfigError' && re.test(e.message), name);
  fails('f-zero', { indexes: [{ index: 'flat', filter: [0, 0.5] }] }, /grid\.indexes\[0\]\.filter\[0\] must be a share of rows kept in \(0, 1\]/);
  fails('f-big', { indexes: [{ index: 'flat', filter: [1.5] }] }, /grid\.indexes\[0\]\.filter\[0\] must be a share of rows kept in \(0, 1\]/);
  fails('f-faiss', { indexes: [{ index: 'faiss:factory=Flat', filter: [0.1] }] }, /grid\.indexes\[0\]\.filter asks for filtered search, which faiss does not support/);
  // VectorDBBench's int filters as 'int:R' items (R excluded) beside the shares; a label: item needs --labels, which a task cannot give
  const ints = cellsOf(write('f-int', { indexes: [{ index: 'flat', filter: [0.5, 'int:0.01', 'int:0.99'] }] }));
  assert.deepEqual(ints.map((c) => (c.config as { filter?: unknown[] }).filter), [[0.5, 'int:0.01', 'int:0.99']]);
  fails('f-int-1', { indexes: [{ index: 'flat', filter: ['int:1'] }] }, /grid\.indexes\[0\]\.filter\[0\] must be a share of rows kept in \(0, 1\] or 'int:R'/);
  fails('f-label', { indexes: [{ index: 'flat', filter: ['label:spam'] }] }, /grid\.indexes\[0\]\.filter\[0\] must be/);
  fails('f-twice', { indexes: [{ index: 'flat', filter: ['int:0.5', 'int:0.50'] }] }, /^.*grid\.indexes\[0\]\.filter .*(twice|more than once)/);
});
