/**
 * The index job's search modes beyond one query at a time (ann-benchmarks' `--batch`, VectorDBBench's
 * concurrency levels), on the dispatch of src/index/search-modes.ts:
 *  - batch: all queries in one call on `threads` threads, `runs` times with the configurations
 *    interleaved (A B A B); QPS = nq / wall seconds of the call; recall from the batch's answers.
 *  - concurrency: per level, that many clients for a fixed duration after a synced start; QPS =
 *    queries done / wall seconds (never 1 / latency), p50 / p95 / p99 of the clients' latencies.
 */
import { InputError, VqbenchError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { latencyPercentiles, type SearchMeasurement } from '../eval/ann.js';
import type { IndexDescriptor } from '../index/descriptor.js';
import { batchHow, runClients, searchBatch } from '../index/search-modes.js';
import type { SearchFilter } from '../index/filter.js';
import type { SearchOptions, SearchParams, VectorIndex } from '../index/types.js';
import { checkRuns, type SearchOutcome } from './repeats.js';
import { oneMinuteLoad, type LoadAverage } from './fingerprint.js';

export type SearchMode = 'single' | 'batch';
export const SEARCH_MODES: readonly SearchMode[] = ['single', 'batch'];

/** Seconds each concurrency level runs when the CLI is not told (VectorDBBench runs 30). */
export const DEFAULT_DURATION = 10;

/** One concurrency level's measurement (VectorDBBench's per-level row). */
export interface ConcurrencyLevel {
  clients: number;
  /** Queries done by all clients / wall seconds from the synced start to the last client's stop. */
  qps: number;
  /** Latency percentiles (ms) over every client's queries. */
  p50: number;
  p95: number;
  p99: number;
  queries: number;
  seconds: number;
  /** A filtered level's returned ids that do not pass the filter (0 for a correct filter); absent unfiltered. */
  violations?: number;
}

/** The mode, checked: 'single' or 'batch', else an InputError naming `what`. */
export function checkMode(mode: unknown, what = '--mode'): SearchMode {
  if (mode === undefined || mode === null) return 'single';
  if (!SEARCH_MODES.includes(mode as SearchMode)) throw new InputError(`${what} must be single or batch, got '${String(mode)}'.`);
  return mode as SearchMode;
}

/** `--concurrency 1,2,4` (or a list from a task file): positive integers, else an InputError naming `what`. */
export function parseConcurrency(given: unknown, what = '--concurrency'): number[] {
  if (given === undefined || given === null) return [];
  const items = Array.isArray(given) ? given.map((x) => String(x).trim()) : String(given).split(',').map((x) => x.trim());
  const bad = items.find((x) => !/^\d+$/.test(x) || Number(x) < 1);
  if (items.length === 0 || bad !== undefined) {
    throw new InputError(`${what} must list positive integers (concurrent clients), such as 1,2,4; got '${Array.isArray(given) ? given.join(',') : String(given)}'.`);
  }
  return items.map(Number);
}

/** `--duration`: seconds per concurrency level, a positive finite number. */
export function checkDuration(seconds: unknown, what = '--duration'): number {
  const n = typeof seconds === 'string' && seconds.trim() !== '' ? Number(seconds) : seconds;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) throw new InputError(`${what} must be a positive number of seconds, got ${String(seconds)}.`);
  return n;
}

/** Why an index cannot run the mode or the levels asked for (its descriptor says `batch: false`), naming the field to fix; null when it can. */
export function modeProblem(d: IndexDescriptor, mode: SearchMode, levels: readonly number[]): { field: 'mode' | 'concurrency'; why: string } | null {
  if (d.capabilities.batch) return null;
  if (mode === 'batch') return { field: 'mode', why: `the ${d.id} index cannot search in batch mode (its descriptor declares no batch support)` };
  if (levels.length) return { field: 'concurrency', why: `the ${d.id} index cannot serve concurrent clients (its descriptor declares no batch support)` };
  return null;
}

/** Refuses batch mode or concurrency on an index whose descriptor says it cannot (before anything is built): an InputError naming the flag. */
export function checkModeSupported(d: IndexDescriptor, mode: SearchMode, levels: readonly number[]): void {
  const p = modeProblem(d, mode, levels);
  if (p?.field === 'mode') throw new InputError(`--mode batch: ${p.why}; use --mode single.`);
  if (p) throw new InputError(`--concurrency: ${p.why}; leave --concurrency out.`);
}

/** A batch call as a measurement: ann-benchmarks' batch mode gives every query the mean time (total / nq). */
function batchMeasurement(r: { nq: number; k: number; ids: Int32Array; dists: Float32Array }, seconds: number): SearchMeasurement {
  const perQueryMs = (seconds * 1000) / r.nq;
  return {
    ...r, qps: r.nq / seconds, seconds, samplesMs: new Float64Array(r.nq).fill(perQueryMs),
    latencyMs: { p50: perQueryMs, p95: perQueryMs, p99: perQueryMs, mean: perQueryMs },
  };
}

/**
 * Every configuration's batch `runs` times, interleaved A B A B, after one untimed warm-up batch
 * each; the fastest run is reported, every run's QPS kept (the shape interleavedSearches returns).
 */
export async function interleavedBatches(
  index: VectorIndex, queries: Matrix, k: number, searches: readonly SearchParams[],
  opts: {
    runs: number; threads: number; cores: number; loadAverage?: LoadAverage; onRun?: (done: number, total: number) => void;
    /** Search options of each configuration, in the order of `searches` (a filter per filtered configuration). */
    options?: readonly (SearchOptions | undefined)[];
  },
): Promise<SearchOutcome[]> {
  const runs = checkRuns(opts.runs, 'runs');
  const loadAverage = opts.loadAverage ?? oneMinuteLoad;
  const best: (SearchMeasurement | null)[] = searches.map(() => null);
  const first: (Int32Array | null)[] = searches.map(() => null);
  const differs = searches.map(() => new Set<number>());
  const qpsRuns: number[][] = searches.map(() => []);
  const errors: (VqbenchError | null)[] = searches.map(() => null);
  const before: number[] = [], after: number[] = [];
  let done = 0;
  for (let r = 0; r < runs; r++) {
    for (const [i, params] of searches.entries()) {
      if (errors[i] === null) {
        if (r === 0) before[i] = loadAverage();
        try {
          const options = opts.options?.[i];
          if (r === 0) await searchBatch(index, queries, k, params, opts.threads, options); // warm-up: workers restore their copy
          const t0 = performance.now();
          const res = await searchBatch(index, queries, k, params, opts.threads, options);
          const m = batchMeasurement(res, (performance.now() - t0) / 1000);
          qpsRuns[i].push(m.qps);
          if (first[i] === null) first[i] = m.ids;
          else for (let j = 0; j < m.ids.length; j++) if (m.ids[j] !== first[i]![j]) differs[i].add(Math.floor(j / k));
          if (best[i] === null || m.qps > best[i]!.qps) best[i] = m;
        } catch (e) {
          if (!(e instanceof VqbenchError)) throw e;
          errors[i] = e;
        }
        if (r === runs - 1) after[i] = loadAverage();
      }
      opts.onRun?.(++done, runs * searches.length);
    }
  }
  return searches.map((_, i): SearchOutcome => errors[i] !== null
    ? { error: errors[i]! }
    : { timed: { best: best[i]!, qpsRuns: qpsRuns[i], differingQueries: differs[i].size }, load: { before: before[i], after: after[i], cores: opts.cores } });
}

/** How a batch ran, for the record's notes. */
export function batchNote(index: VectorIndex, threads: number): string {
  return `batch mode: ${batchHow(index, threads)}; QPS = queries / wall seconds of the call, latency = that time / queries (ann-benchmarks' batch convention)`;
}

/**
 * Each level in turn: `clients` clients for `seconds` after a synced start. Returns the levels and
 * the notes they call for (how the clients ran; more clients than cores).
 */
export async function measureConcurrency(
  index: VectorIndex, queries: Matrix, k: number, params: SearchParams,
  o: { levels: readonly number[]; seconds: number; seed: number; cores: number; filter?: SearchFilter },
): Promise<{ levels: ConcurrencyLevel[]; notes: string[] }> {
  const levels: ConcurrencyLevel[] = [];
  const notes = new Set<string>();
  for (const clients of o.levels) {
    const run = await runClients(index, queries, k, params, { clients, seconds: o.seconds, seed: o.seed + clients, filter: o.filter });
    if (run.queries === 0) throw new VqbenchError(`concurrency ${clients}: no query finished within ${o.seconds} s; give a longer --duration.`);
    const lat = latencyPercentiles(run.latenciesMs);
    levels.push({ clients, qps: run.queries / run.seconds, p50: lat.p50, p95: lat.p95, p99: lat.p99, queries: run.queries, seconds: run.seconds, ...(run.violations !== null && { violations: run.violations }) });
    notes.add(`concurrency: ${run.how.replace(/^\d+ /, 'one per client: ')}`);
    if (clients > o.cores && index.snapshot) {
      notes.add(`concurrency ${clients} > ${o.cores} cores: the clients share the cores (VectorDBBench runs one process per client), so QPS stops rising and latency grows`);
    }
  }
  return { levels, notes: [...notes] };
}
