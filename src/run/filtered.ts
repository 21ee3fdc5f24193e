/**
 * Filtered search in `vqbench index --filter` (VectorDBBench's filter cases): per case, its filter —
 * a seeded label carried by round(p·n) base rows (src/data/labels.ts), VectorDBBench's int filter
 * `id >= int(n·rate)`, or the rows of one of the base's own labels (`--labels`, src/data/row-labels.ts) —
 * and the exact neighbours among the rows it keeps (src/data/filtered-truth.ts); then, per
 * configuration, recall against that truth, QPS (repeated runs interleaved with the unfiltered
 * search) and a check that every returned id passes the filter.
 */
import { InputError } from '../core/errors.js';
import { filteredGroundTruth } from '../data/filtered-truth.js';
import type { FilterSpec } from '../data/filter-spec.js';
import { labelName, labelRows } from '../data/labels.js';
import { rowsLabelled, type RowLabels } from '../data/row-labels.js';
import type { GroundTruth } from '../data/types.js';
import { nnRecallAtK, recallAtK, type LatencySummary } from '../eval/ann.js';
import { intFilter, keptOf, labelFilter, violations, type SearchFilter } from '../index/filter.js';
import type { IndexData } from './index-data.js';
import type { ConcurrencyLevel } from './search-modes.js';
import { qpsSpread, type SearchOutcome } from './repeats.js';

/** What a record's `filtered` holds (result files' definitions). */
export const FILTERED_DEFINITION =
  "filtered search per filter case (VectorDBBench's filters): kind 'share' = the label label_{100p}p carried by round(p·n) base rows drawn by a seeded sample (labelSeed), " +
  "kind 'int' = VectorDBBench's int filter id >= int(n·rate) (rate = share excluded, named int_{100·rate}p), kind 'label' = the base rows whose own label (--labels file) is the value (named is_<value>); " +
  'each query searches with the filter; selectivity = the share of rows kept; recall@1/5/10 and nnRecall against the exact neighbours among the rows kept, ' +
  'returnedPerQuery (fewer than k when the probed lists hold too few labelled rows), violations (returned ids the filter excludes: 0), and QPS of each run (in batch mode, of each batch call), the runs interleaved with the unfiltered ones; ' +
  'with concurrency levels, concurrency (per level QPS, p50/p95/p99 and violations, the clients searching with the filter); with raw files, raw and rawTruth (this filter\'s result file and its filtered truth)';

/** One filter case: its filter and its exact truth. */
export interface FilterCase {
  kind: FilterSpec['kind'];
  /** Share of rows kept: as asked (share), 1 − rate (int), or measured (label). */
  selectivity: number;
  filter: SearchFilter;
  truth: GroundTruth;
  /** Seed of the label generator (kind 'share'), else null. */
  labelSeed: number | null;
  /** The int filter's rate (share excluded), else absent. */
  rate?: number;
  /** The base's own label searched (kind 'label'), else absent. */
  value?: string;
}

export interface FilteredRecord {
  /** 'share' (a seeded label), 'int' (id >= int(n·rate)) or 'label' (the base's own label, --labels). */
  kind: FilterSpec['kind'];
  /** The share of rows kept: as asked (share), 1 − rate (int), measured (label). */
  selectivity: number;
  /** The filter's name: the label searched (`label_1p`: VectorDBBench's `labels = 'label_1p'`), `int_1p`, or `is_<value>`. */
  label: string;
  /** Base rows the filter keeps. */
  rows: number;
  /** Seed of the label generator (share), else null. */
  labelSeed: number | null;
  /** int: the rate excluded; label: the value searched. */
  rate?: number;
  value?: string;
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
  /** With --raw: this filtered search's ann-benchmarks result file and its filtered truth file, relative to the raw folder. */
  raw?: string;
  rawTruth?: string;
  /** With --concurrency: the levels run with this filter (QPS, p50/p95/p99, violations), as the unfiltered record's `concurrency`. */
  concurrency?: ConcurrencyLevel[];
}

/**
 * The filter and filtered truth of every case over the base of `data` (a number = a seeded label's
 * share kept), labels seeded by `seed`; `rowLabels` for `label:` cases (checked against the base).
 */
export async function filterCases(
  data: IndexData, specs: readonly (FilterSpec | number)[], k: number, seed: number, rowLabels: RowLabels | null = null,
): Promise<FilterCase[]> {
  const out: FilterCase[] = [];
  const metric = data.metric === 'ip' ? 'ip' : 'l2';
  const n = data.base.rows;
  for (const given of specs) {
    const spec: FilterSpec = typeof given === 'number' ? { kind: 'share', share: given } : given;
    let c: Omit<FilterCase, 'truth'>, key: string;
    if (spec.kind === 'share') {
      const label = labelName(spec.share);
      c = { kind: 'share', selectivity: spec.share, filter: labelFilter(label, spec.share, labelRows(n, spec.share, seed)), labelSeed: seed };
      key = `${label}-seed${seed}`;
    } else if (spec.kind === 'int') {
      const name = labelName(spec.rate).replace(/^label_/, 'int_');
      c = { kind: 'int', selectivity: keptOf(spec.rate), filter: intFilter(spec.rate, n, name), labelSeed: null, rate: spec.rate };
      key = name;
    } else {
      if (!rowLabels) throw new InputError(`--filter label:${spec.value} needs --labels FILE (one label per base row).`);
      const allowed = rowsLabelled(rowLabels, spec.value);
      const f = labelFilter(columnName(spec.value, out), 1, allowed);
      c = { kind: 'label', selectivity: f.count / n, filter: { ...f, selectivity: f.count / n }, labelSeed: null, value: spec.value };
      key = `labels${rowLabels.checksum}-${f.predicate.label}`;
    }
    const truth = await filteredGroundTruth(data.base, data.queries, c.filter.allowed, k, metric, { checksum: data.checksum, label: key, seed: null });
    out.push({ ...c, truth });
  }
  return out;
}

/** `is_<value>` as an identifier (other characters → _), numbered when two values map to one name. */
function columnName(value: string, taken: readonly FilterCase[]): string {
  const base = `is_${value.replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, 48);
  let name = base;
  for (let i = 2; taken.some((c) => c.filter.predicate.label === name); i++) name = `${base}_${i}`;
  return name;
}

/** The filtered records of one configuration from its filtered outcomes (in the order of `cases`). */
export function measureFiltered(cases: readonly FilterCase[], outcomes: readonly SearchOutcome[], nq: number, kSearched: number): FilteredRecord[] {
  return cases.map((c, i) => {
    const o = outcomes[i];
    const head = {
      kind: c.kind, selectivity: c.selectivity, label: c.filter.predicate.label, rows: c.filter.count, labelSeed: c.labelSeed,
      ...(c.rate !== undefined && { rate: c.rate }), ...(c.value !== undefined && { value: c.value }),
    };
    if ('error' in o) {
      return { ...head, status: 'failed', error: o.error.message, recall: null, nnRecall: null, returnedPerQuery: null, violations: null, qps: null, qpsRuns: [], qpsMedian: null, qpsMin: null, qpsMax: null, latencyMs: null };
    }
    const m = o.timed.best;
    let returned = 0;
    for (const id of m.ids) if (id >= 0) returned++;
    const recall: Record<string, number> = {}, nnRecall: Record<string, number> = {};
    for (const at of [1, 5, 10]) {
      if (at > kSearched) continue;
      recall[at] = recallAtK(m.ids, c.truth.ids, nq, kSearched, c.truth.k, at);
      nnRecall[at] = nnRecallAtK(m.ids, c.truth.ids, nq, kSearched, c.truth.k, at);
    }
    return {
      ...head, status: 'ok', error: null, recall, nnRecall, returnedPerQuery: returned / nq, violations: violations(c.filter, m.ids),
      qps: m.qps, qpsRuns: o.timed.qpsRuns, ...qpsSpread(o.timed.qpsRuns), latencyMs: m.latencyMs,
    };
  });
}
