/**
 * Filtered search in `vqbench index --filter` (VectorDBBench's label filter cases): per selectivity
 * p, a seeded label carried by round(p·n) base rows (src/data/labels.ts), its filter, and the exact
 * neighbours among those rows (src/data/filtered-truth.ts); then, per configuration, recall against
 * that truth, QPS (repeated runs interleaved with the unfiltered search) and a check that every
 * returned id passes the filter.
 */
import { filteredGroundTruth } from '../data/filtered-truth.js';
import { labelName, labelRows } from '../data/labels.js';
import type { GroundTruth } from '../data/types.js';
import { nnRecallAtK, recallAtK, type LatencySummary } from '../eval/ann.js';
import { labelFilter, passes, type SearchFilter } from '../index/filter.js';
import type { IndexData } from './index-data.js';
import type { ConcurrencyLevel } from './search-modes.js';
import { qpsSpread, type SearchOutcome } from './repeats.js';

/** What a record's `filtered` holds (result files' definitions). */
export const FILTERED_DEFINITION =
  "filtered search per selectivity p (VectorDBBench's label filters): the label label_{100p}p is carried by round(p·n) base rows drawn by a seeded sample (labelSeed); " +
  'each query searches with the filter label = that label; recall@1/5/10 and nnRecall against the exact neighbours among the labelled rows, ' +
  'returnedPerQuery (fewer than k when the probed lists hold too few labelled rows), violations (returned ids without the label: 0), and QPS of each run, the runs interleaved with the unfiltered ones';

/** One selectivity's filter and its exact truth. */
export interface FilterCase {
  selectivity: number;
  filter: SearchFilter;
  truth: GroundTruth;
  labelSeed: number;
}

export interface FilteredRecord {
  /** The share of rows kept, as asked. */
  selectivity: number;
  /** The label searched (`label_1p`: VectorDBBench's `labels = 'label_1p'`). */
  label: string;
  /** Base rows carrying the label. */
  rows: number;
  /** Seed of the label generator. */
  labelSeed: number;
  status: 'ok' | 'failed';
  error: string | null;
  /** recall@1/5/10 and nnRecall against the exact neighbours among the rows carrying the label. */
  recall: Record<string, number> | null;
  nnRecall: Record<string, number> | null;
  /** Mean ids returned per query (fewer than k when an index's probes hold too few allowed rows). */
  returnedPerQuery: number | null;
  /** Returned ids that do not carry the label (0 for a correct filter). */
  violations: number | null;
  qps: number | null;
  qpsRuns: number[];
  qpsMedian: number | null;
  qpsMin: number | null;
  qpsMax: number | null;
  latencyMs: LatencySummary | null;
  /** With --concurrency: the levels run with this filter (QPS, p50/p95/p99, violations), as the unfiltered record's `concurrency`. */
  concurrency?: ConcurrencyLevel[];
}

/** The filter and filtered truth of every selectivity over the base of `data`, labels seeded by `seed`. */
export async function filterCases(data: IndexData, selectivities: readonly number[], k: number, seed: number): Promise<FilterCase[]> {
  const out: FilterCase[] = [];
  const metric = data.metric === 'ip' ? 'ip' : 'l2';
  for (const p of selectivities) {
    const label = labelName(p);
    const filter = labelFilter(label, p, labelRows(data.base.rows, p, seed));
    const truth = await filteredGroundTruth(data.base, data.queries, filter.allowed, k, metric, { checksum: data.checksum, label, seed });
    out.push({ selectivity: p, filter, truth, labelSeed: seed });
  }
  return out;
}

/** The filtered records of one configuration from its filtered outcomes (in the order of `cases`). */
export function measureFiltered(cases: readonly FilterCase[], outcomes: readonly SearchOutcome[], nq: number, kSearched: number): FilteredRecord[] {
  return cases.map((c, i) => {
    const o = outcomes[i];
    const head = { selectivity: c.selectivity, label: c.filter.predicate.label, rows: c.filter.count, labelSeed: c.labelSeed };
    if ('error' in o) {
      return { ...head, status: 'failed', error: o.error.message, recall: null, nnRecall: null, returnedPerQuery: null, violations: null, qps: null, qpsRuns: [], qpsMedian: null, qpsMin: null, qpsMax: null, latencyMs: null };
    }
    const m = o.timed.best;
    let returned = 0, violations = 0;
    for (const id of m.ids) {
      if (id < 0) continue;
      returned++;
      if (!passes(c.filter, id)) violations++;
    }
    const recall: Record<string, number> = {}, nnRecall: Record<string, number> = {};
    for (const at of [1, 5, 10]) {
      if (at > kSearched) continue;
      recall[at] = recallAtK(m.ids, c.truth.ids, nq, kSearched, c.truth.k, at);
      nnRecall[at] = nnRecallAtK(m.ids, c.truth.ids, nq, kSearched, c.truth.k, at);
    }
    return {
      ...head, status: 'ok', error: null, recall, nnRecall, returnedPerQuery: returned / nq, violations,
      qps: m.qps, qpsRuns: o.timed.qpsRuns, ...qpsSpread(o.timed.qpsRuns), latencyMs: m.latencyMs,
    };
  });
}
