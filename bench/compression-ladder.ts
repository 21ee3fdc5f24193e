/**
 * The compression ladder (issue 13 §2, §4, §7): every compression method at the shared bit budgets,
 * each at its REAL bits per vector (codes + stored scalars + weights), on one dataset.
 *
 * Budgets: 1, 4, 8 and 16 bits per dimension (d, 4d, 8d, 16d; on d = 100 about 100, 400, 800 and
 * 1600), plus 96 bits (WRVQ 4×256 with fp16 weights) when d is far from 96. At each budget B a
 * method sits where its own unit allows it (binary at d; RaBitQ with bits = B/d, plus its two
 * stored floats; sq int4 / int8 / fp16 at 4d / 8d / 16d; PQ, OPQ, ScaNN with ⌊B/8⌋ one-byte
 * codes, at most d of them; RVQ and AVQ with ⌊B/8⌋ books; WRVQ with ⌊B/(8 + weightBits)⌋ books).
 * A method that cannot sit at a budget has no cell there: nothing is interpolated. A cell that
 * could sit but would train too long (more books than the caps) is listed as not run, saying so.
 *
 * Per cell: held-out loss (mean ||x − x̂||²) with its bootstrap interval over rows, relative loss,
 * faiss's loss for the same configuration where faiss has it (bench/peers/faiss_quantizers.py)
 * and recall@10 of a flat scan over the codes, without and with rescoring, on a query subset.
 * Per budget, a verdict: the lowest loss, and WRVQ against RVQ, PQ, OPQ and binary by paired
 * bootstrap over the same rows.
 */
import { InputError } from '../src/core/errors.js';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { table, fmt } from '../src/core/format.js';
import type { Matrix } from '../src/core/matrix.js';
import { getThreads } from '../src/core/parallel.js';
import { progressBar } from '../src/core/progress.js';
import { recallAtK } from '../src/eval/ann.js';
import { bootstrapMean, pairedBootstrapDiff, type BootstrapInterval } from '../src/eval/bootstrap.js';
import { quantizationLoss, rowSquaredErrors } from '../src/eval/quantization.js';
import { createIndex } from '../src/index/registry.js';
import { encodeParallel } from '../src/quant/encode-parallel.js';
import { createQuantizer, quantizerLabel, type QuantizerGiven } from '../src/quant/registry.js';

/** WRVQ 4×256 with fp16 weights: 4 × (8 + 16) bits, the paper's operating point. */
const WRVQ_PAPER_BITS = 96;
/** sentence-transformers' default rescore_multiplier. */
const RESCORE = 4;
const K = 10;
/** A faiss peer run longer than this is stopped (faiss's OPQMatrix can take many minutes on a loaded machine). */
const FAISS_TIMEOUT_S = 240;

export interface LadderOptions {
  train: Matrix;
  evalSet: Matrix;
  seed: number;
  /** Most books trained for RVQ and WRVQ (training time grows with the books). */
  maxBooks: number;
  /** Most books trained for AVQ (its encoder is far slower). */
  avqBooks: number;
  /** Most sub-spaces trained for OPQ and ScaNN (their rotation / anisotropic updates grow with m); default no limit. */
  maxSubspaces?: number;
  /** Queries (the first rows of evalSet) for the recall scans; the other eval rows are the base. 0: no recall. */
  recallQueries: number;
  /** A folder holding train.npy and eval.npy for the faiss peer, or null: no faiss column. */
  faissDir: string | null;
  /** The faiss methods compared (sq, binary, pq, opq, rq, lsq); default all. */
  faissMethods?: readonly string[];
  /** Only these budgets (bits per vector) of ladderBudgets; default all. */
  budgets?: readonly number[];
  /** Only these methods (the table's method names, e.g. 'avq', 'wrvq w4'); default all. */
  methods?: readonly string[];
}

/** How a flat index scans the codes, without and with rescoring. */
interface IndexPlan { id: string; build: Record<string, string | number>; plain: Record<string, string | number>; rescored: Record<string, string | number> | null }

interface Planned {
  budget: number;
  method: string;
  id: string;
  params: QuantizerGiven;
  faiss?: string;
  index?: IndexPlan;
  /** Why the cell was not run (a budget it can sit at, but too long to train here). */
  skipped?: string;
}

export interface LadderCell {
  budget: number;
  method: string;
  spec: string;
  bits: number;
  loss: BootstrapInterval;
  relativeLoss: number;
  trainSeconds: number;
  faissLoss?: number;
  faissNotes?: string;
  recall?: number;
  recallRescored?: number;
  recallNote?: string;
  perRow: Float64Array;
}

/** The budgets of a d-dimensional dataset, in bits per vector. */
export function ladderBudgets(d: number): number[] {
  const perDim = [1, 4, 8, 16].map((b) => b * d);
  return (Math.abs(WRVQ_PAPER_BITS - d) / d > 0.1 ? [WRVQ_PAPER_BITS, ...perDim] : perDim).sort((a, b) => a - b);
}

/** Every method at every budget where it can sit. */
export function planLadder(d: number, maxBooks: number, avqBooks: number, maxSubspaces = Infinity): Planned[] {
  const out: Planned[] = [];
  const capped = (books: number, cap: number, flag: string) => (books > cap ? `not run: ${books} books exceed ${flag} ${cap} (training time on this machine)` : undefined);
  for (const budget of ladderBudgets(d)) {
    const perDim = budget / d;
    const add = (p: Omit<Planned, 'budget'>) => out.push({ budget, ...p });
    if (perDim === 1) {
      add({ method: 'binary', id: 'binary', params: { rotation: 'none' }, faiss: 'binary:none', index: { id: 'binary', build: { rotation: 'none' }, plain: {}, rescored: { rescore: RESCORE } } });
      add({ method: 'binary itq', id: 'binary', params: { rotation: 'itq' }, faiss: 'binary:itq', index: { id: 'binary', build: { rotation: 'itq' }, plain: {}, rescored: { rescore: RESCORE } } });
    }
    if (Number.isInteger(perDim) && perDim <= 8) {
      add({ method: `rabitq ${perDim}-bit`, id: 'rabitq', params: { bits: perDim }, index: { id: 'rabitq', build: { bits: perDim }, plain: { reranking: 'none' }, rescored: { reranking: 'bound' } } });
    }
    const sqType = ({ 4: 'int4', 8: 'int8', 16: 'fp16' } as Record<number, string>)[perDim];
    if (sqType) {
      const faissType = ({ int4: '4bit', int8: '8bit', fp16: 'fp16' } as Record<string, string>)[sqType];
      const types = sqType === 'fp16' ? ['fp16', 'bf16'] : [sqType];
      for (const type of types) {
        add({
          method: `sq ${type}`, id: 'sq', params: { type }, faiss: type === 'bf16' ? undefined : `sq:${faissType}`,
          // the int8 · int8 scan (query quantized too), then the float query against the top r·k's reconstructions
          index: { id: 'sq', build: { type }, plain: { query: 'codes' }, rescored: { query: 'codes', rescore: RESCORE } },
        });
      }
    }
    const m = Math.floor(budget / 8);
    if (m <= d) {
      add({ method: 'pq', id: 'pq', params: { m, nbits: 8 }, faiss: `pq:${m}x8`, index: { id: 'pq', build: { m, nbits: 8 }, plain: {}, rescored: null } });
      // faiss's OPQMatrix trains slowly: compared at the lowest budget only
      const tooMany = capped(m, maxSubspaces, '--ladder-max-m')?.replace('books', 'sub-spaces');
      add({ method: 'opq', id: 'opq', params: { m, nbits: 8 }, faiss: budget === ladderBudgets(d)[0] ? `opq:${m}x8` : undefined, skipped: tooMany });
      add({ method: 'scann', id: 'scann', params: { m, nbits: 8 }, skipped: tooMany });
    }
    add({ method: 'rvq', id: 'rvq', params: { books: m, size: 256, beam: 5 }, faiss: m <= 16 ? `rq:${m}x8` : undefined, skipped: capped(m, maxBooks, '--ladder-max-books') });
    for (const weightBits of [16, 8, 4]) {
      const books = Math.floor(budget / (8 + weightBits));
      const name = weightBits === 16 ? 'wrvq fp16' : `wrvq w${weightBits}`;
      add({ method: name, id: 'wrvq', params: { books, size: 256, weights: 'gain', weightBits }, skipped: capped(books, maxBooks, '--ladder-max-books') });
      // the paper's 4×256 with its weights stored in fewer bits: the same books, fewer bits (below the budget)
      if (budget === ladderBudgets(d)[0] && weightBits < 16 && books !== 4 && 4 * (8 + weightBits) <= budget && 4 <= maxBooks) {
        add({ method: `${name} 4×256`, id: 'wrvq', params: { books: 4, size: 256, weights: 'gain', weightBits } });
      }
    }
    add({ method: 'avq', id: 'avq', params: { books: m, size: 256 }, faiss: m <= 16 ? `lsq:${m}x8` : undefined, skipped: capped(m, avqBooks, '--ladder-avq-books') });
  }
  // a configuration outside the method's parameter ranges (RVQ with 100 books) cannot sit there at all
  return out.filter((p) => {
    try {
      quantizerLabel(p.id, p.params);
      return true;
    } catch {
      return false;
    }
  });
}

function faissLoss(dir: string, config: string, seed: number): { loss?: number; notes?: string } {
  try {
    const text = execFileSync('/usr/bin/python3', [
      'bench/peers/faiss_quantizers.py', '--train', join(dir, 'train.npy'), '--eval', join(dir, 'eval.npy'),
      '--configs', config, '--beam', '5', '--threads', String(getThreads()), '--seed', String(seed),
    ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24, timeout: FAISS_TIMEOUT_S * 1000 });
    const r = JSON.parse(text.trim().split('\n').pop()!) as { loss?: number; error?: string; notes?: string };
    return r.error ? { notes: `faiss failed: ${r.error}` } : { loss: r.loss, notes: r.notes };
  } catch (e) {
    const timedOut = (e as { signal?: string }).signal === 'SIGTERM';
    return { notes: timedOut ? `faiss not run: stopped after ${FAISS_TIMEOUT_S} s (a shared machine)` : `faiss not run: ${(e as Error).message.split('\n')[0]}` };
  }
}

/** recall@10 of the flat scan over the codes, plain and rescored (base = eval rows after the queries). */
async function flatRecall(plan: IndexPlan, evalSet: Matrix, nq: number, exact: Int32Array, seed: number): Promise<{ plain: number; rescored?: number }> {
  const queries = evalSet.sliceRows(0, nq), base = evalSet.sliceRows(nq, evalSet.rows);
  const index = createIndex(plan.id, { ...plan.build, metric: 'l2' });
  await index.build(base, { seed });
  const recall = async (params: Record<string, string | number>) => recallAtK((await index.search(queries, K, params)).ids, exact, nq, K, K, K);
  const plain = await recall(plan.plain);
  const rescored = plan.rescored ? await recall(plan.rescored) : undefined;
  await index.close?.();
  return { plain, rescored };
}

async function exactNeighbours(evalSet: Matrix, nq: number): Promise<Int32Array> {
  const flat = createIndex('flat', { metric: 'l2' });
  await flat.build(evalSet.sliceRows(nq, evalSet.rows));
  return (await flat.search(evalSet.sliceRows(0, nq), K)).ids;
}

async function runCell(p: Planned, o: LadderOptions, exact: Int32Array | null): Promise<LadderCell> {
  const q = createQuantizer(p.id, p.params);
  const bar = progressBar(`${p.method} @ ${p.budget}`, 'step');
  const rep = await q.train(o.train, { seed: o.seed, onProgress: bar.update });
  bar.finish();
  const xhat = q.decode(await encodeParallel(q, o.evalSet));
  const perRow = rowSquaredErrors(o.evalSet, xhat);
  const cell: LadderCell = {
    budget: p.budget, method: p.method, spec: quantizerLabel(p.id, p.params), bits: q.bitsPerVector,
    loss: bootstrapMean(perRow, { seed: o.seed }), relativeLoss: quantizationLoss(o.evalSet, xhat).relativeLoss,
    trainSeconds: rep.seconds, perRow,
  };
  if (p.faiss && o.faissDir && (!o.faissMethods || o.faissMethods.includes(p.faiss.split(':')[0]))) {
    console.error(`faiss ${p.faiss} ...`);
    const f = faissLoss(o.faissDir, p.faiss, o.seed);
    cell.faissLoss = f.loss;
    cell.faissNotes = f.notes;
  }
  if (p.index && exact) {
    try {
      const r = await flatRecall(p.index, o.evalSet, o.recallQueries, exact, o.seed);
      cell.recall = r.plain;
      cell.recallRescored = r.rescored;
    } catch (e) {
      cell.recallNote = (e as Error).message;
    }
  }
  return cell;
}

const cellOrEmpty = (v: number | undefined) => (v === undefined ? '' : v);

export function ladderTable(cells: readonly LadderCell[], skipped: readonly Planned[]): string {
  const rows = cells.map((c) => [
    c.budget, c.method, c.spec, c.bits, c.loss.mean, `[${fmt(c.loss.lo)}, ${fmt(c.loss.hi)}]`, c.relativeLoss,
    cellOrEmpty(c.faissLoss), c.faissLoss ? c.loss.mean / c.faissLoss : '', cellOrEmpty(c.recall), cellOrEmpty(c.recallRescored), c.trainSeconds,
  ]);
  const text = table(['budget', 'method', 'spec', 'bits/vector', 'loss', '95% CI', 'rel. loss', 'faiss loss', 'ours/faiss', `recall@${K} codes`, `recall@${K} rescored`, 'train s'], rows);
  const notes = [
    ...skipped.map((p) => `  ${p.budget} bits, ${p.method} (${quantizerLabel(p.id, p.params)}): ${p.skipped}`),
    // an empty faiss cell says why (stopped, failed, or faiss's own note)
    ...cells.filter((c) => c.faissNotes).map((c) => `  ${c.budget} bits, ${c.method}: ${c.faissNotes}`),
  ];
  return notes.length ? `${text}\n${notes.join('\n')}` : text;
}

/** Per budget: the lowest loss, and each WRVQ at or under the budget against RVQ, PQ, OPQ and binary (paired over the same rows). */
export function ladderVerdicts(cells: readonly LadderCell[], seed: number): string[] {
  const lines: string[] = [];
  for (const budget of [...new Set(cells.map((c) => c.budget))]) {
    const at = cells.filter((c) => c.budget === budget);
    const best = at.reduce((a, b) => (b.loss.mean < a.loss.mean ? b : a));
    // RaBitQ's stored scalars put it above the budget: name the best within the budget too
    const within = at.filter((c) => c.bits <= budget);
    const bestWithin = within.length ? within.reduce((a, b) => (b.loss.mean < a.loss.mean ? b : a)) : null;
    const alsoWithin = bestWithin && bestWithin !== best ? `; within ${budget} bits: ${bestWithin.method} (${bestWithin.bits} bits, ${fmt(bestWithin.loss.mean)})` : '';
    lines.push(`${budget} bits: lowest loss ${best.method} (${best.bits} bits, ${fmt(best.loss.mean)})${alsoWithin}`);
    const rivals = at.filter((c) => ['rvq', 'pq', 'opq', 'binary', 'binary itq'].includes(c.method));
    for (const w of at.filter((c) => c.method.startsWith('wrvq'))) {
      const parts = rivals.filter((r) => w.bits <= r.bits).map((r) => {
        const d = pairedBootstrapDiff(w.perRow, r.perRow, { seed });
        const word = !d.significant ? 'ties' : d.diff < 0 ? 'beats' : 'loses to';
        return `${word} ${r.method} (${r.bits} bits; Δloss ${fmt(d.diff)} [${fmt(d.lo)}, ${fmt(d.hi)}])`;
      });
      if (parts.length) lines.push(`  ${w.method} (${w.bits} bits) ${parts.join('; ')}`);
    }
  }
  return lines;
}

/** Runs the ladder; prints the table (without AVQ, then again with it: AVQ is slow) and returns the cells. */
export async function compressionLadder(o: LadderOptions): Promise<{ cells: Omit<LadderCell, 'perRow'>[]; skipped: Planned[]; verdicts: string[] }> {
  const known = ladderBudgets(o.evalSet.dim);
  const unknown = (o.budgets ?? []).filter((b) => !known.includes(b));
  if (unknown.length) throw new InputError(`--ladder-budgets: ${unknown.join(', ')} is not a budget of d = ${o.evalSet.dim} (its budgets: ${known.join(', ')}).`);
  // a part of the ladder (a re-run of one method, one budget) keeps the plan's names and skips
  const plan = planLadder(o.evalSet.dim, o.maxBooks, o.avqBooks, o.maxSubspaces)
    .filter((p) => (!o.budgets?.length || o.budgets.includes(p.budget)) && (!o.methods?.length || o.methods.includes(p.method)));
  const skipped = plan.filter((p) => p.skipped);
  const toRun = plan.filter((p) => !p.skipped);
  const nq = Math.min(o.recallQueries, Math.floor(o.evalSet.rows / 2));
  const exact = nq > 0 ? await exactNeighbours(o.evalSet, nq) : null;
  const cells: LadderCell[] = [];
  const header = `\n4. compression ladder: every method at its real bits per vector (codes + stored scalars + weights); ` +
    `loss on ${o.evalSet.rows} held-out rows with its 95% bootstrap interval over rows; ` +
    (exact ? `recall@${K} of a flat scan over the codes of ${o.evalSet.rows - nq} held-out rows for ${nq} others (index trained on its base): ` +
      `sq query=codes then rescore ${RESCORE}·k with the float query, binary Hamming then rescore ${RESCORE}·k, rabitq estimates then bound re-ranking, pq ADC without rescoring; ` : '') +
    `WRVQ with the gain rule; an empty cell: the method does not sit at that budget or has no such scan`;
  const print = (title: string) => {
    const sorted = [...cells].sort((a, b) => a.budget - b.budget || a.bits - b.bits);
    console.log(`${header}${title}\n${ladderTable(sorted, skipped)}\n\nverdicts (paired bootstrap over the same rows, 95%):\n${ladderVerdicts(sorted, o.seed).join('\n')}`);
  };
  const first = toRun.filter((x) => x.id !== 'avq');
  for (const [i, p] of first.entries()) {
    const c = await runCell(p, o, exact);
    cells.push(c);
    console.error(`${c.budget} bits ${c.method}: ${c.bits} bits, loss ${fmt(c.loss.mean)}${c.faissLoss ? `, faiss ${fmt(c.faissLoss)}` : ''}`);
    // the table so far after each budget, so that a run stopped early still shows what it measured
    if (i + 1 < first.length && first[i + 1].budget !== p.budget) print(` (so far: budgets up to ${p.budget} bits)`);
  }
  const avq = toRun.filter((x) => x.id === 'avq');
  if (avq.length) print(' (AVQ follows)');
  for (const p of avq) cells.push(await runCell(p, o, exact));
  print('');
  const sorted = [...cells].sort((a, b) => a.budget - b.budget || a.bits - b.bits);
  return { cells: sorted.map(({ perRow: _, ...c }) => c), skipped, verdicts: ladderVerdicts(sorted, o.seed) };
}
