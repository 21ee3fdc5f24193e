/**
 * Repeated timings, ann-benchmarks' way: every search configuration is timed `runs` times (each run
 * a warm-up and the timed single-query loop of measureSearch; the configurations interleaved) and
 * the fastest run is reported, with every run's QPS beside it; an index is built `buildRuns` times
 * from scratch and the fastest build time reported. One run is noise on a shared machine; the best
 * of several is what the hardware can do, and the spread says how much to trust it.
 */
import { InputError, VqbenchError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type { ProgressFn } from '../core/progress.js';
import { measureSearch, quantileSorted, type SearchMeasurement } from '../eval/ann.js';
import type { BuildReport, SearchOptions, SearchParams, VectorIndex } from '../index/types.js';
import { oneMinuteLoad, type LoadAverage, type LoadReading } from './fingerprint.js';

/** A repeat count, checked: a positive integer, else an InputError naming its flag or field. */
export function checkRuns(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${what} must be a positive integer, got ${n}.`);
  return n;
}

export interface RepeatedSearch {
  /** The fastest run: its ids, distances, per-query times, QPS and latency percentiles. */
  best: SearchMeasurement;
  /** QPS of every run, in order. */
  qpsRuns: number[];
  /** Queries whose returned ids differed between the first run and a later one (0 for a deterministic index). */
  differingQueries: number;
}

/** Queries (rows of k ids) on which `a` and `b` differ. */
function differingRows(a: Int32Array, b: Int32Array, nq: number, k: number): boolean[] {
  const out = new Array<boolean>(nq).fill(false);
  for (let q = 0; q < nq; q++) {
    for (let j = q * k; j < (q + 1) * k; j++) {
      if (a[j] !== b[j]) {
        out[q] = true;
        break;
      }
    }
  }
  return out;
}

/** One configuration's runs so far: its first run's ids (to compare with), its fastest run, every QPS. */
class RunTally {
  private first: SearchMeasurement | null = null;
  private best: SearchMeasurement | null = null;
  private readonly qpsRuns: number[] = [];
  private readonly differs: boolean[];

  constructor(nq: number, private readonly k: number) {
    this.differs = new Array<boolean>(nq).fill(false);
  }

  add(m: SearchMeasurement): void {
    this.qpsRuns.push(m.qps);
    if (this.first === null) this.first = m;
    else differingRows(this.first.ids, m.ids, m.nq, this.k).forEach((d, q) => (this.differs[q] ||= d));
    if (this.best === null || m.qps > this.best.qps) this.best = m; // the first of equals
  }

  result(): RepeatedSearch {
    return { best: this.best!, qpsRuns: this.qpsRuns, differingQueries: this.differs.filter(Boolean).length };
  }
}

/** A configuration's timed runs and the load around them, or the error that stopped it. */
export type SearchOutcome = { timed: RepeatedSearch; load: LoadReading } | { error: VqbenchError };

/**
 * Times every search configuration of one index `runs` times (each run a warm-up and the timed loop
 * of measureSearch), interleaved A B C A B C ...: a burst of other work then costs one run of each
 * configuration rather than every run of one, so their best runs and medians compare fairly. The
 * load average is read right before a configuration's first run and right after its last. One
 * whose search throws a VqbenchError (a value the index rejects) leaves the later rounds with its
 * error; any other error ends the whole measurement.
 */
export async function interleavedSearches(
  index: VectorIndex, queries: Matrix, k: number, searches: readonly SearchParams[],
  opts: {
    runs: number; warmupQueries: number; cores: number; loadAverage?: LoadAverage; onRun?: (done: number, total: number) => void;
    /** Search options of each configuration, in the order of `searches` (a filter per filtered configuration). */
    options?: readonly (SearchOptions | undefined)[];
  },
): Promise<SearchOutcome[]> {
  const runs = checkRuns(opts.runs, 'runs');
  const loadAverage = opts.loadAverage ?? oneMinuteLoad;
  const tallies = searches.map(() => new RunTally(queries.rows, k));
  const before: number[] = [], after: number[] = [];
  const errors: (VqbenchError | null)[] = searches.map(() => null);
  let done = 0;
  for (let r = 0; r < runs; r++) {
    for (const [i, params] of searches.entries()) {
      if (errors[i] !== null) {
        opts.onRun?.(++done, runs * searches.length); // a refused configuration's later runs count as done
        continue;
      }
      if (r === 0) before[i] = loadAverage();
      try {
        tallies[i].add(await measureSearch(index, queries, k, params, { warmupQueries: opts.warmupQueries, search: opts.options?.[i] }));
      } catch (e) {
        if (!(e instanceof VqbenchError)) throw e;
        errors[i] = e;
      }
      if (r === runs - 1) after[i] = loadAverage();
      opts.onRun?.(++done, runs * searches.length);
    }
  }
  return searches.map((_, i): SearchOutcome => {
    const error = errors[i];
    return error !== null ? { error } : { timed: tallies[i].result(), load: { before: before[i], after: after[i], cores: opts.cores } };
  });
}

/** Median (numpy's), min and max of the runs' QPS. */
export function qpsSpread(qpsRuns: readonly number[]): { qpsMedian: number; qpsMin: number; qpsMax: number } {
  const s = Float64Array.from(qpsRuns).sort();
  return { qpsMedian: quantileSorted(s, 0.5), qpsMin: s[0], qpsMax: s[s.length - 1] };
}

const NONDETERMINISM = 'a nondeterministic search';

/** The sentence a configuration's notes get when its runs returned different ids, or null. */
export function nondeterminismNote(r: RepeatedSearch, nq: number): string | null {
  if (r.differingQueries === 0) return null;
  return `the ${r.qpsRuns.length} timed runs returned different ids for ${r.differingQueries} of ${nq} queries (${NONDETERMINISM}); recall and the raw file are the fastest run's.`;
}

/** Is this note the one `nondeterminismNote` writes? */
export const isNondeterminismNote = (note: string): boolean => note.includes(`(${NONDETERMINISM})`);

/**
 * Builds a fresh index `buildRuns` times, closing all but the last, which is returned to be searched;
 * the seconds of every build, in order. An index whose build fails is closed before the error goes on.
 */
export async function repeatBuild(
  create: () => VectorIndex, buildOnce: (index: VectorIndex) => Promise<BuildReport>, buildRuns: number,
): Promise<{ index: VectorIndex; report: BuildReport; buildSecondsRuns: number[] }> {
  checkRuns(buildRuns, 'buildRuns');
  const buildSecondsRuns: number[] = [];
  for (let b = 0; ; b++) {
    const index = create();
    let report: BuildReport;
    try {
      report = await buildOnce(index);
    } catch (e) {
      await index.close?.();
      throw e;
    }
    buildSecondsRuns.push(report.seconds);
    if (b === buildRuns - 1) return { index, report, buildSecondsRuns };
    await index.close?.();
  }
}
