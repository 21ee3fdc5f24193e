// The run estimator (src/run/estimate.ts → src/run/kinds/index.ts, insert.ts) composes each index
// descriptor's cost model as documented: start-up, load, ground truth, build, and (queries + warm-up)
// × seconds per query; insert cells add rows × seconds per added row per batch. And the cost models
// themselves move the right way: more rows cost more to build, more probes / a wider beam cost more per query.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RATES, loadSeconds } from '../../src/core/cost.js';
import { checkBuildParams, checkSearchParams, indexDescriptor } from '../../src/index/registry.js';
import { modelSeconds } from '../../src/run/estimate.js';
import { DEFAULT_BUILD_RUNS, DEFAULT_RUNS } from '../../src/run/index-job.js';
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
  ['pgvector', {}, { efSearch: 100 }],
  ['pgvector', { type: 'ivfflat', lists: 64 }, { probes: 8 }],
  ['pgvector', { type: 'none' }, {}],
];

function cell(kind: 'index' | 'insert', config: Record<string, unknown>): CellPlan {
  return { id: 'x', kind, dataset: { name: 'synthetic-gmm', spec: 'synthetic-gmm', subset: null }, config: config as unknown as CellPlan['config'], timeout: null };
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

for (const [id, build, search] of CASES) {
  test(`${id} ${JSON.stringify(build)} ${JSON.stringify(search)}: the estimator composes the descriptor's cost`, () => {
    const d = indexDescriptor(id);
    const b = checkBuildParams(id, build), s = checkSearchParams(id, search);
    // an index cell: startup, load, ground truth, the builds, runs × (queries + warm-up) × per query
    const c = d.cost(b, SHAPE, SHAPE.base);
    const truth = (2 * SHAPE.base * SHAPE.queries * SHAPE.dim) / RATES.kernelFlops;
    const mine = RATES.startup + loadSeconds(SHAPE) + truth + DEFAULT_BUILD_RUNS * c.buildSeconds + DEFAULT_RUNS * (SHAPE.queries + 100) * c.querySeconds(s);
    close(mine, modelSeconds(cell('index', { index: id, build, search })), 'index cell');
    // an insert cell: the build on the base minus the batches, then per batch rows × seconds per row, the truth and the queries
    const batches = [1000, 4000], rows = SHAPE.base - 5000, q = 500;
    const ci = d.cost(b, SHAPE, rows);
    const perBatch = batches.reduce((t, n) => t + n * ci.addSecondsPerRow + (2 * SHAPE.base * q * SHAPE.dim) / RATES.kernelFlops + q * ci.querySeconds(s), 0);
    close(RATES.startup + loadSeconds(SHAPE) + ci.buildSeconds + perBatch, modelSeconds(cell('insert', { index: id, build, search, batches, queries: q })), 'insert cell');
  });
}

const WIDER: [string, Record<string, unknown>, string, number, number][] = [
  ['ivfpq', { nlist: 64, m: 8 }, 'nprobe', 1, 16],
  ['wrvq', { books: 4, size: 64 }, 'nprobe', 1, 8],
  ['hnsw', {}, 'efSearch', 16, 256],
  ['faiss', { factory: 'IVF256,PQ16np' }, 'nprobe', 1, 32],
  ['faiss', { factory: 'HNSW32' }, 'efSearch', 16, 128],
  ['lancedb', {}, 'nprobes', 5, 50],
  ['pgvector', {}, 'efSearch', 16, 256],
  ['pgvector', { type: 'ivfflat', lists: 64 }, 'probes', 1, 32],
];

for (const [id, build, name, lo, hi] of WIDER) {
  test(`${id} ${JSON.stringify(build)}: more ${name} costs more per query`, () => {
    const c = indexDescriptor(id).cost(checkBuildParams(id, build), SHAPE, SHAPE.base);
    assert.ok(c.querySeconds(checkSearchParams(id, { [name]: hi })) > c.querySeconds(checkSearchParams(id, { [name]: lo })));
  });
}

test('every available index: costs finite and positive with its defaults, and a bigger base costs more to build', () => {
  for (const id of ['flat', 'pq', 'ivfpq', 'wrvq', 'hnsw', 'faiss', 'lancedb', 'pgvector']) {
    const d = indexDescriptor(id);
    const b = checkBuildParams(id, {}), s = checkSearchParams(id, {});
    const small = d.cost(b, SHAPE, 10_000), big = d.cost(b, SHAPE, 100_000);
    for (const v of [small.buildSeconds, small.querySeconds(s), small.addSecondsPerRow]) assert.ok(Number.isFinite(v) && v >= 0, `${id}: ${v}`);
    assert.ok(small.buildSeconds > 0, id);
    assert.ok(big.buildSeconds > small.buildSeconds, `${id}: ${big.buildSeconds} vs ${small.buildSeconds}`);
  }
});
