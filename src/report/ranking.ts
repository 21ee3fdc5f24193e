/**
 * Ranks with ties: methods scored on the same items (quantizers on the same evaluation rows,
 * index configurations on the same queries) are ordered by their mean, and each is compared with
 * the best by a paired bootstrap of the item-wise differences (src/eval/bootstrap.ts). A method
 * whose difference from the best is not significant (its 95% interval contains 0) ties with it:
 * rank "=1". The others keep their position in the order ("3" = two methods score better).
 * The tables and the summary read the same rankings.
 */
import { pairedBootstrapDiff, type PairedBootstrapDiff } from '../eval/bootstrap.js';
import { metricInfo } from '../eval/metric-registry.js';
import type { IndexRow, MtebTask, MtebVariant, QuantRow } from './model.js';
import { REPORT_BOOTSTRAP, type Rescored } from './rescore.js';

export interface Ranked<T> {
  item: T;
  value: number;
  /** "1" for the best, "=1" for a tie with it, else the position in the order. */
  rank: string;
  /** This item minus the best, with its paired interval; null for the best itself. */
  vsBest: PairedBootstrapDiff | null;
  /** The group's best item. */
  best: T;
  /** Items in the group. */
  groupSize: number;
}

export interface Candidate<T> {
  item: T;
  value: number;
  perItem: Float64Array;
}

/** Ranks one group of candidates scored on the same items (see the file comment). */
export function rankWithTies<T>(group: Candidate<T>[], metric: string, seed: number): Ranked<T>[] {
  const higher = metricInfo(metric).higherIsBetter;
  const sorted = [...group].sort((a, b) => (higher ? b.value - a.value : a.value - b.value));
  const best = sorted[0];
  return sorted.map((c, i) => {
    if (i === 0) return { item: c.item, value: c.value, rank: '1', vsBest: null, best: best.item, groupSize: sorted.length };
    const d = pairedBootstrapDiff(c.perItem, best.perItem, { seed, ...REPORT_BOOTSTRAP });
    return { item: c.item, value: c.value, rank: d.significant ? String(i + 1) : '=1', vsBest: d, best: best.item, groupSize: sorted.length };
  });
}

/** Candidates grouped by key, each group ranked; items without per-item values are not ranked. */
function rankGroups<T>(cands: (Candidate<T> & { key: string; seed: number })[], metric: string): Map<T, Ranked<T>> {
  const groups = new Map<string, (Candidate<T> & { seed: number })[]>();
  for (const c of cands) groups.set(c.key, [...(groups.get(c.key) ?? []), c]);
  const out = new Map<T, Ranked<T>>();
  for (const g of groups.values()) for (const r of rankWithTies(g, metric, g[0].seed)) out.set(r.item, r);
  return out;
}

/** How the index table ranks, for its note and the summary. */
export const INDEX_RANK_RULE =
  'Rank: all configurations of one dataset scored on the same queries (any index), ordered by set recall@10, the quality axis of ann-benchmarks\' plots; "1" is the highest, "=1" a configuration whose paired bootstrap difference from it over the queries (95%, 1000 resamples) contains 0, i.e. not significantly lower; others keep their position. Among the "=1" rows, the fastest (QPS) is the one to pick.';

export const QUANT_RANK_RULE =
  'Rank: quantizers of one dataset at the same bits per vector, scored on the same evaluation rows, ordered by loss; "1" is the lowest, "=1" a quantizer whose paired bootstrap difference from it over the rows (95%, 1000 resamples) contains 0, i.e. not significantly higher; others keep their position. Rows without per-row errors (older runs) are not ranked.';

/** One ranking per Rescored: the tables and the summary ask for the same one (paired bootstraps are not free). */
function memo<T>(f: (r: Rescored) => Map<T, Ranked<T>>): (r: Rescored) => Map<T, Ranked<T>> {
  const cache = new WeakMap<Rescored, Map<T, Ranked<T>>>();
  return (r) => {
    let m = cache.get(r);
    if (!m) cache.set(r, (m = f(r)));
    return m;
  };
}

/** Index configurations ranked by recall@10 within (dataset, queries) groups; only rows recomputed from raw files. */
export const indexRanking = memo((r: Rescored): Map<IndexRow, Ranked<IndexRow>> => {
  const cands = r.view.index.flatMap((row) => {
    const s = r.index.get(row);
    const per = s?.perQueryRecall10;
    const value = row.rec.recall?.['10'];
    if (row.rec.status !== 'ok' || !per || !s.queriesKey || typeof value !== 'number') return [];
    return [{ item: row, value, perItem: per, key: `${row.dataset}\u0000${s.queriesKey}`, seed: row.cell.seed ?? 0 }];
  });
  return rankGroups(cands, 'recall');
});

/** Quantizers ranked by loss within (dataset, bits per vector, evaluation rows) groups; only rows with per-row errors. */
export const quantRanking = memo((r: Rescored): Map<QuantRow, Ranked<QuantRow>> => {
  const cands = r.view.quant.flatMap((row) => {
    const e = r.quant.get(row)?.rowErrors;
    if (!e) return [];
    return [{ item: row, value: row.r.loss, perItem: e, key: `${row.dataset}\u0000${row.r.bitsPerVector}\u0000${e.length}\u0000${row.cell.seed}`, seed: row.cell.seed ?? 0 }];
  });
  return rankGroups(cands, 'loss');
});

/**
 * A quantized MTEB variant minus the original on one task: paired over the items when both kept
 * per-item values whose mean is the score, else the cell's own paired interval (`deltaCI`: the
 * statistic recomputed on the same resampled pairs, for Spearman / AP), else none.
 */
export interface MtebDiff {
  diff: number;
  paired: PairedBootstrapDiff | null;
}

export function mtebDiff(r: Rescored, task: MtebTask, v: MtebVariant): MtebDiff | null {
  const orig = task.variants.find((x) => x.variant === 'original');
  if (!orig || orig === v || orig.mainScore === null || v.mainScore === null) return null;
  const a = r.mteb.get(v)?.perItem, b = r.mteb.get(orig)?.perItem;
  const paired = a && b && a.length === b.length
    ? pairedBootstrapDiff(a, b, { seed: task.cell.seed ?? 0, ...REPORT_BOOTSTRAP })
    : v.deltaCI ? { ...v.deltaCI, method: 'percentile' as const } : null;
  return { diff: paired ? paired.diff : v.mainScore - orig.mainScore, paired };
}
