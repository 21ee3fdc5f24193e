/**
 * Repeated timings, ann-benchmarks' way: a search configuration is timed `runs` times (each run a
 * warm-up and the timed single-query loop of measureSearch) and the fastest run is reported, with
 * every run's QPS beside it; an index is built `buildRuns` times from scratch and the fastest build
 * time reported. One run is noise on a shared machine; the best of several is what the hardware
 * can do, and the spread says how much to trust it.
 */
import { InputError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type { ProgressFn } from '../core/progress.js';
import { measureSearch, quantileSorted, type SearchMeasurement } from '../eval/ann.js';
import type { BuildReport, SearchParams, VectorIndex } from '../index/types.js';

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

/** Times the search `runs` times (warm-up + timed loop each); the fastest run is `best` (the first of equals). */
export async function repeatSearch(
  index: VectorIndex, queries: Matrix, k: number, params: SearchParams, opts: { runs: number; warmupQueries: number },
): Promise<RepeatedSearch> {
  const runs = checkRuns(opts.runs, 'runs');
  let first: SearchMeasurement | null = null, best: SearchMeasurement | null = null;
  const qpsRuns: number[] = [];
  const differs = new Array<boolean>(queries.rows).fill(false);
  for (let r = 0; r < runs; r++) {
    const m = await measureSearch(index, queries, k, params, { warmupQueries: opts.warmupQueries });
    qpsRuns.push(m.qps);
    if (first === null) first = m;
    else differingRows(first.ids, m.ids, m.nq, k).forEach((d, q) => (differs[q] ||= d));
    if (best === null || m.qps > best.qps) best = m;
  }
  return { best: best!, qpsRuns, differingQueries: differs.filter(Boolean).length };
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
  create: () => VectorIndex, base: Matrix, opts: { buildRuns: number; seed: number; onProgress?: ProgressFn },
): Promise<{ index: VectorIndex; report: BuildReport; buildSecondsRuns: number[] }> {
  const buildRuns = checkRuns(opts.buildRuns, 'buildRuns');
  const buildSecondsRuns: number[] = [];
  for (let b = 0; ; b++) {
    const index = create();
    let report: BuildReport;
    try {
      report = await index.build(base, { seed: opts.seed, onProgress: opts.onProgress });
    } catch (e) {
      await index.close?.();
      throw e;
    }
    buildSecondsRuns.push(report.seconds);
    if (b === buildRuns - 1) return { index, report, buildSecondsRuns };
    await index.close?.();
  }
}
