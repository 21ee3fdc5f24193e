// Each descriptor's cost model gives the run estimator's numbers (src/run/estimate.ts, indexCosts) for
// the same configuration: the estimator can switch to `descriptor.cost` without changing a plan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RATES, loadSeconds } from '../../src/core/cost.js';
import { checkBuildParams, checkSearchParams, indexDescriptor } from '../../src/index/registry.js';
import { modelSeconds } from '../../src/run/estimate.js';
import type { CellPlan } from '../../src/run/task.js';

const SHAPE = { base: 20_000, queries: 1_000, dim: 64 }; // synthetic-gmm, as the estimator knows it

const CASES: [string, Record<string, unknown>, Record<string, unknown>][] = [
  ['flat', {}, {}],
  ['pq', {}, {}],
  ['pq', { m: 4, nbits: 6 }, {}],
  ['ivfpq', { nlist: 64, m: 8 }, { nprobe: 4 }],
  ['ivfpq', {}, {}],
  ['wrvq', { books: 4, size: 64 }, { nprobe: 2 }],
  ['wrvq', { trainer: 'adam' }, {}],
  ['hnsw', { M: 32, efConstruction: 100 }, { efSearch: 128 }],
  ['hnsw', {}, {}],
  ['faiss', { factory: 'IVF256,PQ16np' }, { nprobe: 8 }],
  ['faiss', { factory: 'IVF256,Flat' }, {}],
  ['faiss', { factory: 'HNSW32' }, { efSearch: 64 }],
  ['faiss', { factory: 'PQ16' }, {}],
  ['faiss', {}, {}],
  ['lancedb', {}, { nprobes: 10 }],
  ['lancedb', {}, {}],
];

function cell(kind: 'index' | 'insert', config: Record<string, unknown>): CellPlan {
  return { id: 'x', kind, dataset: { name: 'synthetic-gmm', spec: 'synthetic-gmm', subset: null }, config, timeout: null };
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

for (const [id, build, search] of CASES) {
  test(`${id} ${JSON.stringify(build)} ${JSON.stringify(search)}: descriptor cost = the estimator's`, () => {
    const d = indexDescriptor(id);
    const b = checkBuildParams(id, build), s = checkSearchParams(id, search);
    // an index cell: startup, load, ground truth, build, (queries + warm-up) × per query
    const c = d.cost(b, SHAPE, SHAPE.base);
    const truth = (2 * SHAPE.base * SHAPE.queries * SHAPE.dim) / RATES.kernelFlops;
    const mine = RATES.startup + loadSeconds(SHAPE) + truth + c.buildSeconds + (SHAPE.queries + 100) * c.querySeconds(s);
    close(mine, modelSeconds(cell('index', { index: id, build, search })), 'index cell');
    // an insert cell: the build on the base minus the batches, then per batch rows × seconds per row, the truth and the queries
    const batches = [1000, 4000], rows = SHAPE.base - 5000, q = 500;
    const ci = d.cost(b, SHAPE, rows);
    const perBatch = batches.reduce((t, n) => t + n * ci.addSecondsPerRow + (2 * SHAPE.base * q * SHAPE.dim) / RATES.kernelFlops + q * ci.querySeconds(s), 0);
    close(RATES.startup + loadSeconds(SHAPE) + ci.buildSeconds + perBatch, modelSeconds(cell('insert', { index: id, build, search, batches, queries: q })), 'insert cell');
  });
}
