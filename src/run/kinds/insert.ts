/**
 * Insert cells (`grid.inserts`, paper Fig. 7): build an index on the base minus the batches, add
 * the batches one by one, and measure time, memory and recall after each (src/run/index-job.ts).
 * The index registry is reached through the index kind (src/run/kinds/index.ts).
 */
import { loadSeconds, RATES, type DataShape } from '../../core/cost.js';
import { cartesian } from '../../core/grid.js';
import type { ParamValue } from '../../core/params.js';
import type { IndexParams } from '../../index/registry.js';
import { atScale, dropUndefined, resolveRecord, type Grid, type Scaled } from '../grid-values.js';
import { RECALL_DEFINITION } from '../index-job.js';
import { FINGERPRINT_DEFINITIONS } from '../fingerprint.js';
import { dataOf, num, renameDataset, TIMING_DEFINITIONS, isNumber, isObject } from './common.js';
import { checkIndexSpec, indexCosts, indexPieces, withIndexSpec } from './index.js';
import { checkSearchParams } from '../../index/registry.js';
import type { CellKindDef, DatasetCellConfig } from './types.js';

/** One entry of `grid.inserts`. */
export interface InsertSpec {
  index: string;
  label?: string;
  build?: Record<string, Grid<ParamValue>>;
  search?: Record<string, Scaled<ParamValue>>;
  batches: Scaled<number[]>;
  k?: number;
  queries?: number;
}

export interface InsertConfig extends DatasetCellConfig {
  kind: 'insert';
  index: string;
  label?: string;
  build: IndexParams;
  search: IndexParams;
  batches: number[];
  k?: number;
  queries?: number;
}

function insertSeconds(c: InsertConfig, sh: DataShape): number {
  const total = c.batches.reduce((a, b) => a + b, 0);
  const q = Math.min(num(c.queries, 1000), sh.queries);
  const cost = indexCosts(c.index, c.build ?? {}, sh, Math.max(1, sh.base - total));
  const search = checkSearchParams(c.index, c.search ?? {});
  const perBatch = c.batches.reduce((t, b) => t + b * cost.addSecondsPerRow + (2 * sh.base * q * sh.dim) / RATES.kernelFlops + q * cost.querySeconds(search), 0);
  return RATES.startup + loadSeconds(sh) + cost.buildSeconds + perBatch;
}

export const insertKind: CellKindDef<'insert', 'inserts', InsertSpec[], InsertConfig> = {
  kind: 'insert',
  gridKey: 'inserts',
  describe: 'build an index on part of the base, add batches, measure seconds, memory and recall after each',
  perDataset: true,
  schema: { type: 'array', items: { $ref: '#/$defs/insert' } },
  definitions: {
    seconds: 'wall seconds to add the batch',
    indexBytesDelta: "change of the index's own bytes over the batch",
    rssDeltaBytes: 'change of the process RSS over the batch (noisy: the garbage collector runs when it likes)',
    recall: `${RECALL_DEFINITION}; truth = the exact neighbours among the rows indexed so far`,
    ...FINGERPRINT_DEFINITIONS,
    ...TIMING_DEFINITIONS,
  },
  check(section, at, fail) {
    section.forEach((x, i) => checkIndexSpec(x, [...at, i], fail, true));
  },
  expand(section, ctx) {
    const ds = ctx.dataset!;
    return section.flatMap((entry, i) => {
      const x = withIndexSpec(entry, ['grid', 'inserts', i]);
      const search = Object.fromEntries(resolveRecord(x.search, ctx.scale));
      return cartesian<ParamValue>(resolveRecord(x.build, ctx.scale)).map((build) => ({
        at: ['grid', 'inserts', i],
        pieces: ['insert', ds.slug, ...indexPieces(x, build, search)],
        config: dropUndefined<InsertConfig>({
          kind: 'insert', dataset: ds.name, subset: ds.subset, seed: ctx.seed, scale: ctx.scale, index: x.index, ...(x.label && { label: x.label }),
          build, search, batches: atScale(x.batches, ctx.scale), k: x.k, queries: x.queries,
        }),
      }));
    });
  },
  resultProblem(m) {
  if (!isObject(m)) return 'metrics must be an InsertResult object';
  if (!Array.isArray(m.batches)) return 'metrics.batches must be a list';
  for (const [i, b] of m.batches.entries()) if (!isObject(b) || !isNumber(b.seconds) || !isNumber(b.rows)) return `metrics.batches[${i}] needs rows and seconds`;
  return null;
  },
  estimate: insertSeconds,
  async execute(c, ctx) {
    const { runInsertJob } = await import('../index-job.js');
    const data = dataOf(ctx, 'insert');
    const r = await runInsertJob({ data, index: c.index, build: c.build, search: c.search, batches: c.batches, k: c.k, queries: c.queries, seed: c.seed, onProgress: ctx.onProgress });
    return { metrics: renameDataset(r, data, ctx.datasetName), datasetChecksum: null };
  },
  usesFaiss: (c) => c.index === 'faiss',
};
