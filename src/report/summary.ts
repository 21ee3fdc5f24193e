/**
 * The report's summary: one sentence per table (per dataset or model within it), generated from the
 * recomputed numbers with their intervals and the rankings of src/report/ranking.ts, never written
 * by hand. Beside it, the paper's claim on the same question where it made one (paper-figures.json).
 */
import { fmt } from '../core/format.js';
import type { IndexRow, MtebTask, QuantRow, RunView } from './model.js';
import type { SummarySentence } from './layout.js';
import { byMachine } from './machines.js';
import { matchIndexRecord, matchQuantize, paperFigure } from './paper.js';
import { indexRanking, mtebDiff, quantRanking, type Ranked } from './ranking.js';
import { fromCache, type Rescored } from './rescore.js';
import { diffText, withCI } from './tables.js';

/** The recall@10 a configuration must reach to count as "accurate" in the index sentence (ann-benchmarks' plots usually start there). */
export const RECALL_TARGET = 0.9;

const params = (p: Record<string, unknown> | undefined) => Object.entries(p ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(', ');
const indexName = (r: IndexRow) => `${r.rec.label}${params(r.rec.params?.search) ? ` (${params(r.rec.params?.search)})` : ''}`;
const recall10 = (r: IndexRow) => withCI(r.rec.recall?.['10'], r.rec.recallCI?.['recall@10'], 4);

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
}

/** "is significant (Δ …)" / "is not significant (Δ …)" for a ranked runner-up against the best. */
function verdict<T>(r: Ranked<T>, decimals?: number): string {
  return `the difference ${r.vsBest!.significant ? 'is significant' : 'is not significant'} (Δ ${diffText(r.vsBest!, decimals).replace(/ not significant$/, '')})`;
}

/** Table 5's lowest loss per paper dataset at the books of a matching row. */
function paperQuantClaim(rows: QuantRow[]): string | undefined {
  const m = rows.map((q) => matchQuantize(q.r)).find((x) => x !== null);
  if (m) {
    const t5 = paperFigure('Table 5').rows ?? [];
    const per = [...groupBy(t5, (r) => r.dataset)].map(([dataset, rs]) => {
      const vals = rs.map((r) => ({ method: r.method, loss: r.values[String(m.books)] })).filter((x): x is { method: string; loss: number } => typeof x.loss === 'number');
      vals.sort((a, b) => a.loss - b.loss);
      return vals.length ? `${vals[0].method}, ${vals[0].loss} on ${dataset}` : null;
    }).filter(Boolean);
    if (per.length) return `paper (Table 5, ${m.books} × 64 codebooks): the lowest loss is ${per.join('; ')}.`;
  }
  if (rows.some((q) => q.r.method === 'wrvq')) {
    const text = paperFigure('Fig. 5').textStatements ?? [];
    if (text.length) return `paper (Fig. 5, text): "${text[text.length - 1]}"`;
  }
  return undefined;
}

function quantSentences(r: Rescored): SummarySentence[] {
  const ranking = quantRanking(r);
  const out: SummarySentence[] = [];
  for (const [dataset, rows] of groupBy(r.view.quant, (q) => q.dataset)) {
    // the equal-bits group with the most quantizers (ties: the most bits) is the comparison the table is for
    const groups = [...groupBy(rows, (q) => String(q.r.bitsPerVector)).values()].sort((a, b) => b.length - a.length || b[0].r.bitsPerVector - a[0].r.bitsPerVector);
    const g = groups[0];
    const bits = g[0].r.bitsPerVector;
    const ranked = g.map((q) => ranking.get(q)).filter((x): x is Ranked<QuantRow> => x !== undefined).sort((a, b) => a.value - b.value);
    const loss = (q: QuantRow) => withCI(q.r.loss, q.r.lossCI);
    let text: string;
    if (g.length < 2) {
      text = `On ${dataset}, no two quantizers share a bit budget; at ${bits} bits per vector ${g[0].r.label} has loss ${loss(g[0])}.`;
    } else if (ranked.length >= 2 && ranked.length === g.length) {
      const [best, second] = ranked;
      const ties = ranked.filter((x) => x.rank === '=1').length;
      text = `At ${bits} bits per vector on ${dataset}, ${best.item.r.label} has the lowest loss, ${loss(best.item)}; ${second.item.r.label} ${loss(second.item)}; ${verdict(second)}${ties > 1 ? `; ${ties} quantizers are not significantly worse than it` : ''}.`;
    } else {
      const sorted = [...g].sort((a, b) => a.r.loss - b.r.loss);
      text = `At ${bits} bits per vector on ${dataset}, ${sorted[0].r.label} has the lowest loss, ${loss(sorted[0])}; ${sorted[1].r.label} ${loss(sorted[1])}; significance not tested (no per-row errors in the run).`;
    }
    out.push({ section: 'quantizers', text, ...(paperQuantClaim(g) ? { paper: paperQuantClaim(g) } : {}) });
  }
  return out;
}

/** Table 2's recall@10 of the paper's methods that match ours, per paper dataset, and the highest. */
function paperIndexClaim(rows: IndexRow[]): string | undefined {
  const methods = new Set(rows.map((x) => matchIndexRecord(x.rec)?.method).filter((m): m is string => typeof m === 'string'));
  const t2 = (paperFigure('Table 2').rows ?? []).filter((x) => methods.size === 0 || methods.has(x.method));
  const per = [...groupBy(t2, (x) => x.dataset)].map(([dataset, rs]) => {
    const vals = rs.filter((x) => typeof x.values['recall@10'] === 'number').sort((a, b) => (b.values['recall@10'] as number) - (a.values['recall@10'] as number));
    return vals.length ? `on ${dataset} ${vals[0].method}, ${((vals[0].values['recall@10'] as number) / 100).toFixed(4)}` : null;
  }).filter(Boolean);
  return per.length ? `paper (Table 2, highest recall@10${methods.size ? ' among the methods of ours it has' : ''}): ${per.join('; ')}.` : undefined;
}

/** When no configuration reaches the target: say so, and give the fastest one (the fast end of the recall–QPS frontier). */
function noneAccurate(rows: IndexRow[]): string {
  const fastest = rows.filter((x) => x.rec.qps !== null).sort((a, b) => b.rec.qps! - a.rec.qps!)[0];
  const tail = fastest ? `; the fastest configuration is ${indexName(fastest)} at ${fmt(fastest.rec.qps!, 4)} QPS, recall@10 ${recall10(fastest)}` : '';
  return `no configuration reaches recall@10 ≥ ${RECALL_TARGET}${tail}`;
}

/** The fastest configuration reaching the target among rows timed on one machine (or the fastest of all when none does). */
function fastestClause(rows: IndexRow[]): string {
  const fast = rows.filter((x) => x.rec.recall!['10'] >= RECALL_TARGET && x.rec.qps !== null).sort((a, b) => b.rec.qps! - a.rec.qps!)[0];
  return fast ? `the fastest configuration reaching recall@10 ≥ ${RECALL_TARGET} is ${indexName(fast)} at ${fmt(fast.rec.qps!, 4)} QPS, recall@10 ${recall10(fast)}` : noneAccurate(rows);
}

function indexSentences(r: Rescored): SummarySentence[] {
  const ranking = indexRanking(r);
  const out: SummarySentence[] = [];
  const ok = r.view.index.filter((x) => x.rec.status === 'ok' && typeof x.rec.recall?.['10'] === 'number');
  for (const [dataset, rows] of groupBy(ok, (x) => x.dataset)) {
    const best = [...rows].sort((a, b) => b.rec.recall!['10'] - a.rec.recall!['10'])[0];
    const rb = ranking.get(best);
    const ties = rb ? [...ranking.values()].filter((x) => x.best === best && x.rank === '=1').length : 0;
    const tieText = rb ? (ties ? `, and ${ties} other configuration${ties > 1 ? 's are' : ' is'} not significantly lower` : ', significantly above every other configuration') : ' (no per-query raw results: ties not tested)';
    // speed within one machine only: with several, one clause per machine's fingerprint
    const groups = byMachine(rows);
    const speed = [...groups].map(([id, rs]) => `${groups.size > 1 ? `on machine ${id ?? '(no fingerprint)'}, ` : ''}${fastestClause(rs)}`).join('; ');
    const text = `On ${dataset}, the highest recall@10 is ${indexName(best)}, ${recall10(best)}${tieText}; ${speed}.`;
    const paper = paperIndexClaim(rows);
    out.push({ section: 'indexes', text, ...(paper ? { paper } : {}) });
  }
  return out;
}

function mtebSentences(r: Rescored): SummarySentence[] {
  const out: SummarySentence[] = [];
  const fig6 = paperFigure('Fig. 6');
  const paper = fig6.note ? `paper (${fig6.ref}): ${fig6.note.replace(/^Bars only, no printed values\.\s*/, '')}` : undefined;
  for (const [model, tasks] of groupBy(r.view.mteb, (t) => t.model)) {
    const parts = tasks.flatMap((t: MtebTask) => {
      const diffs = t.variants.map((v) => ({ v, d: mtebDiff(r, t, v) })).filter((x) => x.d !== null).sort((a, b) => Math.abs(a.d!.diff) - Math.abs(b.d!.diff));
      if (!diffs.length) return [];
      const orig = t.variants.find((v) => v.variant === 'original')!;
      const { v, d } = diffs[0];
      const delta = d!.paired ? `Δ ${diffText(d!.paired, 3).replace(/ not significant$/, '')}, ${d!.paired.significant ? 'significant' : 'not significant'}` : `Δ ${d!.diff >= 0 ? '+' : ''}${fmt(d!.diff, 3)}, significance not tested (no per-item scores or paired interval in the run)`;
      return [`on ${t.task} ${v.variant}, ${withCI(v.mainScore, v.mainScoreCI)} against the original's ${withCI(orig.mainScore, orig.mainScoreCI)} (${delta})`];
    });
    if (parts.length) out.push({ section: 'mteb', text: `For ${model}, the quantized variant closest to the original ${parts.join('; ')}.`, ...(paper ? { paper } : {}) });
  }
  return out;
}

/** The summary sentences of a run (see the file comment); empty when nothing can be concluded. */
export function summarize(view: RunView, rescored: Rescored = fromCache(view)): SummarySentence[] {
  return [...quantSentences(rescored), ...indexSentences(rescored), ...mtebSentences(rescored)];
}
