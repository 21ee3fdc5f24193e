// The cell-kind registry: every kind declares the whole contract, the task schema's listing of the
// grid sections equals the kinds' own schema nodes, and the generic modules name no kind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/core/errors.js';
import { CELL_KINDS, CELL_KIND_IDS, KINDS_BY_GRID_KEY, cellKind } from '../../src/run/kinds/registry.js';
import { expandTask, loadTask, SCHEMA_PATH, shippedTasks, TASKS_DIR } from '../../src/run/task.js';
import { modelSeconds } from '../../src/run/estimate.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-kinds-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('every kind declares the contract: a unique id and grid key, metric definitions with timing, and its functions', () => {
  assert.deepEqual(CELL_KIND_IDS, ['quantize', 'index', 'insert', 'stream', 'rd-bound', 'mteb', 'embed']);
  assert.deepEqual(Object.keys(KINDS_BY_GRID_KEY), ['quantizers', 'indexes', 'inserts', 'streams', 'rdBound', 'mteb', 'embed']);
  for (const k of Object.values(CELL_KINDS)) {
    assert.ok(Object.isFrozen(k), k.kind);
    for (const f of ['check', 'expand', 'estimate', 'execute'] as const) assert.equal(typeof k[f], 'function', `${k.kind}.${f}`);
    assert.ok(k.definitions['timing.wallSeconds'] && Object.keys(k.definitions).length > 3, k.kind);
  }
  assert.throws(() => cellKind('quantise'), /unknown cell kind 'quantise'; did you mean 'quantize'\?/);
});

test("the task schema lists exactly the kinds' grid sections, each the kind's own schema node", () => {
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as { properties: { grid: { properties: Record<string, unknown>; additionalProperties?: unknown } } };
  const listed = schema.properties.grid.properties;
  assert.deepEqual(Object.keys(listed).filter((k) => k !== 'datasets').sort(), Object.keys(KINDS_BY_GRID_KEY).sort());
  for (const [key, kind] of Object.entries(KINDS_BY_GRID_KEY)) assert.deepEqual(listed[key], kind.schema, key);
  // other keys are left to the loader, which knows the kinds (a new kind needs no schema edit)
  assert.equal(schema.properties.grid.additionalProperties, undefined);
});

test('an unknown grid section is refused by the loader, naming the kinds; a section is checked by its kind', () => {
  const write = (grid: unknown) => {
    const p = join(dir, `t${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(p, JSON.stringify({ name: 'k', description: 'x', grid }));
    return p;
  };
  const p = write({ datasets: ['synthetic-gmm'], quantizer: [{ method: 'pq' }] });
  assert.throws(() => loadTask(p), (e: Error) => e instanceof ConfigError && e.message === `${p}: grid.quantizer is not a known field; did you mean 'quantizers'?; known: datasets, quantizers, indexes, inserts, streams, rdBound, mteb, embed.`);
  const q = write({ datasets: ['synthetic-gmm'], rdBound: { rows: 0 } });
  assert.throws(() => loadTask(q), (e: Error) => e instanceof ConfigError && /: grid\.rdBound\.rows must be a positive integer, got 0\.$/.test(e.message));
});

test('every cell of every shipped task: its id starts with its kind, and its kind estimates it in finite positive seconds', () => {
  for (const name of shippedTasks()) {
    const task = loadTask(join(TASKS_DIR, `${name}.json`));
    for (const c of expandTask(task, 'small')) {
      assert.ok(c.id.startsWith(`${c.kind}.`), c.id);
      assert.equal(c.config.kind, c.kind, c.id);
      const s = modelSeconds(c);
      assert.ok(Number.isFinite(s) && s > 0, `${c.id}: ${s}`);
    }
  }
});

test('the generic modules name no cell kind and no index: adding a kind is a file in src/run/kinds/ and a line in its registry', () => {
  const src = fileURLToPath(new URL('../../src/run/', import.meta.url));
  for (const f of ['task.ts', 'estimate.ts', 'cell-job.ts', 'runner.ts', 'plan.ts', 'execute.ts', 'cell.ts']) {
    const text = readFileSync(join(src, f), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''); // code, not comments
    for (const word of [...CELL_KIND_IDS, 'chroma', 'faiss', 'quantizers', 'indexes']) assert.ok(!text.includes(`'${word}'`), `${f} names '${word}'`);
  }
});
