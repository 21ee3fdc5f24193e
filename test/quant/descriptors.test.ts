// The quantizer descriptors (src/quant/<id>.ts): their cost models give the run estimator's numbers
// for every quantize cell of the shipped tasks, and src/quant/ has no runtime import cycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RATES, loadSeconds, type DataShape } from '../../src/core/cost.js';
import { modelSeconds } from '../../src/run/estimate.js';
import { SCALES, expandTask, loadTask, shippedTasks } from '../../src/run/task.js';
import { QUANTIZERS, QUANTIZER_IDS, pickQuantizerParams, resolveQuantizerParams } from '../../src/quant/registry.js';
import type { TrainerKind } from '../../src/quant/types.js';

// the estimator's known shapes (src/run/estimate.ts), the only datasets the shipped quantize cells use
const SHAPES: Record<string, DataShape> = {
  'glove-100': { base: 331_479, queries: 10_000, dim: 100 },
  'synthetic-gmm': { base: 20_000, queries: 1_000, dim: 64 },
};

test('descriptor.cost + start-up + load equals the estimator for every shipped quantize cell, both scales, both trainers', () => {
  let n = 0;
  for (const file of shippedTasks()) {
    const task = loadTask(file);
    for (const scale of SCALES) {
      for (const cell of expandTask(task, scale)) {
        if (cell.kind !== 'quantize') continue;
        for (const trainer of ['kmeans', 'adam'] as TrainerKind[]) {
          const c: Record<string, unknown> = { ...(cell.config as Record<string, unknown>), trainer };
          const full = SHAPES[cell.dataset!.spec];
          assert.ok(full, `a shape for ${cell.dataset!.spec}`);
          const sh = { ...full, base: Math.min(full.base, cell.dataset!.subset?.base ?? Infinity), queries: Math.min(full.queries, cell.dataset!.subset?.queries ?? Infinity) };
          const id = c.method as string;
          const p = resolveQuantizerParams(id, pickQuantizerParams(id, c));
          const work = {
            shape: sh, trainRows: Math.min((c.trainSize as number | undefined) ?? 50_000, sh.base),
            evalRows: Math.min((c.evalSize as number | undefined) ?? 10_000, sh.queries), trainer,
          };
          const ours = RATES.startup + loadSeconds(sh) + QUANTIZERS[id].cost(p, work);
          const theirs = modelSeconds({ ...cell, config: c as typeof cell.config });
          assert.ok(Math.abs(ours - theirs) <= 1e-12 * theirs, `${cell.id} (${trainer}): ${ours} vs ${theirs}`);
          n++;
        }
      }
    }
  }
  assert.ok(n > 100, `${n} cells compared`);
});

test('cost models grow with the work: more books (not PQ), bigger codebooks, a wider beam, adam', () => {
  const work = { shape: SHAPES['glove-100'], trainRows: 50_000, evalRows: 10_000, trainer: 'kmeans' as TrainerKind };
  // the methods counted in codebooks; sq and binary's cost models are checked in their own tests
  for (const id of QUANTIZER_IDS.filter((i) => 'books' in resolveQuantizerParams(i) || 'm' in resolveQuantizerParams(i))) {
    const d = QUANTIZERS[id];
    const base = resolveQuantizerParams(id);
    const cost = (given: Record<string, number>, w = work) => d.cost(resolveQuantizerParams(id, given), w);
    assert.ok(cost({}) > 0 && Number.isFinite(cost({})), id);
    // PQ's and OPQ's work does not depend on m (m sub-spaces of d/m dimensions each); the others' grows with books
    if (id === 'pq' || id === 'opq') assert.ok(Math.abs(cost({ books: 8 }) - cost({})) <= 1e-12 * cost({}), `${id}: m`);
    else assert.ok(cost({ books: 8 }) > cost({}), `${id}: books`);
    assert.ok(cost({ size: 1024 }) > cost({}), `${id}: size`);
    if ('beam' in base) assert.ok(cost({ beam: (base.beam as number) + 4 }) > cost({}), `${id}: beam`);
    const adam = d.cost(base, { ...work, trainer: 'adam' }), kmeans = d.cost(base, work);
    assert.ok(Math.abs(adam - 6 * kmeans) <= 1e-12 * adam, `${id}: adam ${adam} vs 6 × ${kmeans}`);
  }
});

test('no runtime import cycle inside src/quant/ (type-only imports excluded)', () => {
  const dir = fileURLToPath(new URL('../../src/quant/', import.meta.url));
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.ts')) files.push(join(d, e.name));
    }
  };
  walk(dir);
  const deps = new Map<string, string[]>();
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    const out: string[] = [];
    for (const m of src.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'(\.[^']+)'/gms)) {
      const to = resolve(dirname(f), m[1]).replace(/\.js$/, '.ts');
      if (files.includes(to)) out.push(to);
    }
    deps.set(f, out);
  }
  assert.ok(deps.get(join(dir, 'registry.ts'))!.length >= 4, 'the scan sees the registry importing the quantizers');
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of deps.get(f)!) {
      if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map((x) => x.slice(dir.length)).join(' → '));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});
