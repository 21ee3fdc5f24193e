/**
 * The `vqbench index` job, as ann-benchmarks runs an algorithm: load a dataset and its exact ground
 * truth (cached), build one index configuration (`buildRuns` times, the last build is searched), then
 * run every search-parameter combination of the sweep one query at a time on one thread, `runs` times
 * (src/run/repeats.ts), and score each: recall@1/5/10, the true-nearest-neighbour rate, the best run's
 * QPS and latency percentiles with every run's QPS, build seconds, the index's own bytes, the process
 * peak RSS, the machine's fingerprint and the load average around the timing. A configuration that
 * fails (a parameter the index rejects) is recorded as failed with its reason; the others still run.
 */
import { InputError, VqbenchError } from '../core/errors.js';
import { cartesian } from '../core/grid.js';
import type { ParamValue } from '../core/params.js';
import type { Matrix } from '../core/matrix.js';
import { knn } from '../core/parallel.js';
import type { ProgressFn } from '../core/progress.js';
import { groundTruth, loadDataset } from '../data/load.js';
import type { GroundTruth, VectorDataset } from '../data/types.js';
import { measureSearch, nnRecallAtK, nnRecallPerQuery, recallAtK, recallPerQuery, type LatencySummary } from '../eval/ann.js';
import { bootstrapMean } from '../eval/bootstrap.js';
import { annDistanceName, EXACT_DISTANCES_NOTE, filteredTruthFile, INDEX_DISTANCES_NOTE, rawPath, rawRelativePath, TRUTH_FILE, writeAnnResult, writeAnnTruth } from '../eval/raw-results.js';
import { annTruth } from '../eval/metric-registry.js';
import { join } from 'node:path';
import { assertWritableDir } from '../core/atomic.js';
import { INDEXES, checkBuildParams, checkSearchParams, createIndex, givenParams, indexEntry, indexLabel, type IndexParams } from '../index/registry.js';
import { filterSpecsOf, type FilterSpec } from '../data/filter-spec.js';
import { checkRowLabels, readRowLabels, type RowLabels } from '../data/row-labels.js';
import type { MemoryBreakdown, VectorIndex } from '../index/types.js';
import { captureEnvironment, type RunEnvironment } from './env.js';
import { loadWarning, machineFingerprint, oneMinuteLoad, underLoad, type LoadAverage, type LoadReading, type MachineFingerprint } from './fingerprint.js';
import { checkRuns, interleavedSearches, nondeterminismNote, qpsSpread, repeatBuild, type RepeatedSearch } from './repeats.js';
import { peakRssBytes } from '../core/memory.js';
import { asChunked, buildFromSource } from '../index/chunked-build.js';
import { chunkRowsFor } from '../data/streamed.js';
import { formatBudget, rssBudget, type BudgetPart, type RssBudget } from '../index/memory-budget.js';
import type { IndexDescriptor } from '../index/descriptor.js';
import type { BuildReport } from '../index/types.js';
import { exactDistancesFrom, openIndexData, wholeBase, type IndexData } from './index-data.js';
import { displayPath } from '../core/paths.js';
import { filterCases, measureFiltered, type FilterCase, type FilteredRecord } from './filtered.js';
import { getThreads } from '../core/parallel.js';
import {
  batchNote, checkDuration, checkMode, checkModeSupported, DEFAULT_DURATION, interleavedBatches, measureConcurrency, parseConcurrency,
  type ConcurrencyLevel, type SearchMode,
} from './search-modes.js';
import { checkFilterable } from '../index/search-modes.js';

export const RECALL_AT = [1, 5, 10] as const;
export const RECALL_DEFINITION =
  'recall@k = |approx top-k ∩ exact top-k| / k averaged over queries (ann-benchmarks, without its distance-tie epsilon); ' +
  'nnRecall@k = fraction of queries whose exact nearest neighbour is in the approx top-k (the WRVQ / IVFPQ papers\' R@k)';

/** Timed runs of a search configuration and builds of an index when the job names none (ann-benchmarks takes the best of its runs). */
export const DEFAULT_RUNS = 3, DEFAULT_BUILD_RUNS = 1;

export interface IndexJob {
  data: string;
  index: string;
  /** Build parameters of the index (registry names). */
  build?: IndexParams;
  /** Search parameters held fixed. */
  search?: IndexParams;
  /** Search parameters swept: every combination runs against the one build. */
  sweep?: Record<string, (number | string | boolean)[]>;
  /** Neighbours asked per query; at least 10 are searched so that recall@10 is defined. Default 10. */
  k?: number;
  /** Use only the first N queries. Default: all. */
  queries?: number;
  /** Untimed warm-up queries before each timed loop. Default 100. */
  warmup?: number;
  /** Timed runs (warm-up + timed loop each) of every search configuration; the fastest is reported. Default 3. */
  runs?: number;
  /** Builds from scratch; the fastest build time is reported and the last index searched. Default 1. */
  buildRuns?: number;
  /** The 1-minute load average read around each timing (tests inject a fake). Default os.loadavg()[0]. */
  loadAverage?: LoadAverage;
  seed?: number;
  onProgress?: ProgressFn;
  /** Write each measured search configuration's per-query results under this folder, ann-benchmarks' layout (src/eval/raw-results.ts). */
  raw?: string;
  /** The dataset name written into the raw files (default: the loaded dataset's). */
  rawDataset?: string;
  /** Rows of the seeded training sample of a chunked build (default: the index's own). */
  trainRows?: number;
  /** Rows read and added at a time by a chunked build (default: 64 MiB of rows). */
  chunkRows?: number;
  /** Lines to show the user before the build (the peak-RSS budget, how the base is read). */
  onNote?: (line: string) => void;
  /**
   * Filtered search cases (src/data/filter-spec.ts): numbers are shares of rows kept (a seeded label each),
   * strings `--filter` items (`int:0.01`, `label:spam`); each configuration is also searched with each filter (src/run/filtered.ts).
   */
  filter?: readonly (number | string | FilterSpec)[];
  /** The base rows' own labels (.npy of ints or JSON array), for `label:` filter cases. */
  labels?: string;
  /** 'single' (default: one query at a time, one thread) or 'batch' (all queries in one call on `threads` threads; src/run/search-modes.ts). */
  mode?: SearchMode;
  /** Concurrency levels (clients), each run for `duration` seconds after the mode's timed runs. Default none. */
  concurrency?: number[];
  /** Seconds per concurrency level. Default 10. */
  duration?: number;
  /** Threads of batch mode. Default: the kernels' (--threads, VQBENCH_THREADS, else every core). */
  threads?: number;
}

export interface IndexRecord {
  status: 'ok' | 'failed';
  error: string | null;
  index: string;
  label: string;
  params: { build: IndexParams; search: IndexParams };
  dataset: string;
  datasetChecksum: string;
  k: number;
  queries: number;
  recall: Record<string, number> | null;
  nnRecall: Record<string, number> | null;
  /** 95% bootstrap intervals over queries ('recall@1', 'recall@5', 'recall@10', 'nnRecall@10'); null when failed, absent in older results. */
  recallCI?: Record<string, { lo: number; hi: number }> | null;
  /** The fastest run's QPS (ann-benchmarks' convention); null when failed. */
  qps: number | null;
  /** The fastest run's latency percentiles. */
  latencyMs: LatencySummary | null;
  /** Timed runs of this configuration. */
  runs: number;
  /** QPS of every run, in order (empty when failed). */
  qpsRuns: number[];
  qpsMedian: number | null;
  qpsMin: number | null;
  qpsMax: number | null;
  /** The fastest of the builds. */
  buildSeconds: number;
  /** Seconds of every build, in order (the last index built is the one searched). */
  buildSecondsRuns: number[];
  /** The machine the timing was taken on (src/run/fingerprint.ts). */
  fingerprint: MachineFingerprint;
  /** The 1-minute load average right before the first timed run and right after the last; null when the search failed. */
  load: LoadReading | null;
  /** A sentence when the load exceeded half the cores while this configuration was timed, else null. */
  loadWarning: string | null;
  indexBytes: number;
  memory: MemoryBreakdown;
  memoryIsExact: boolean;
  peakRssBytes: number;
  /** The peak-RSS budget printed before the build (src/index/memory-budget.ts; bytes null without a memory model); absent in older results. */
  rssBudget?: { bytes: number | null; parts: BudgetPart[] };
  /** How the base reached the index: 'chunks' (train on a seeded sample, then add chunk by chunk) or 'whole'; absent in older results. */
  buildFrom?: 'chunks' | 'whole';
  bitsPerVector: number;
  recallDefinition: string;
  seed: number;
  notes: string[];
  env: RunEnvironment;
  /** The configuration's raw per-query results, relative to the raw folder (`{k}/{index}/{spec label}.hdf5`); only when asked. */
  raw?: string;
  /** The exact ground truth of its queries (ann-benchmarks' dataset layout, `truth.hdf5`), relative as `raw`; only when asked. */
  rawTruth?: string;
  /** Filtered search per selectivity (recall against the filtered exact truth, QPS), when the job asked for it (`filter`). */
  filtered?: FilteredRecord[];
  /** How qps was measured: 'single' (one query at a time) or 'batch' (qps = nq / seconds of one call of all queries); absent in older results = single. */
  mode?: SearchMode;
  /** Threads of a batch (mode 'batch' only). */
  batchThreads?: number;
  /** Concurrency levels measured (VectorDBBench): QPS = queries done / wall seconds, latency percentiles per level; absent when none was asked. */
  concurrency?: ConcurrencyLevel[];
  /** p99 latency (ms) of the serial pass (single mode's fastest run), beside the concurrency levels; null in batch mode. */
  serialP99Ms?: number | null;
}

/** Every combination of the sweep's values, each merged over the fixed parameters. */
export function expandSweep(fixed: IndexParams, sweep: Record<string, (number | string | boolean)[]> = {}): IndexParams[] {
  for (const [name, values] of Object.entries(sweep)) if (values.length === 0) throw new InputError(`--sweep ${name}= lists no values.`);
  return cartesian<ParamValue | null>(Object.entries(sweep), fixed);
}

/** The first measured number that is NaN or infinite ("recall@10 = NaN"), or null when all are finite. */
export function nonFinite(m: { recall: Record<string, number>; nnRecall: Record<string, number>; qps: number; latencyMs: LatencySummary }): string | null {
  const named: [string, number][] = [
    ...Object.entries(m.recall).map(([k, v]): [string, number] => [`recall@${k}`, v]),
    ...Object.entries(m.nnRecall).map(([k, v]): [string, number] => [`nnRecall@${k}`, v]),
    ['QPS', m.qps],
    ...Object.entries(m.latencyMs).map(([k, v]): [string, number] => [`latency ${k}`, v as number]),
  ];
  const bad = named.find(([, v]) => typeof v === 'number' && !Number.isFinite(v));
  return bad ? `${bad[0]} = ${bad[1]}` : null;
}

/** Loads the dataset, keeps the first `queries` rows, and the matching exact ground truth. */
export async function datasetWithTruth(job: { data: string; queries?: number; seed?: number; onProgress?: ProgressFn }, k: number): Promise<{ ds: VectorDataset; queries: Matrix; truth: GroundTruth }> {
  const ds = await loadDataset(job.data, { seed: job.seed ?? 1234 });
  if (ds.base.rows === 0) throw new InputError(`${job.data} has an empty base: nothing to index.`);
  if (job.queries !== undefined && (!Number.isInteger(job.queries) || job.queries < 1)) throw new InputError(`--queries must be a positive integer, got ${job.queries}.`);
  const truth = await groundTruth(ds, k, { onProgress: job.onProgress });
  const nq = Math.min(ds.queries.rows, job.queries ?? ds.queries.rows);
  return { ds, queries: ds.queries.sliceRows(0, nq), truth: { k: truth.k, ids: truth.ids.subarray(0, nq * truth.k), dists: truth.dists.subarray(0, nq * truth.k) } };
}

function recalls(ids: Int32Array, truth: GroundTruth, nq: number, kSearched: number): { recall: Record<string, number>; nnRecall: Record<string, number> } {
  const recall: Record<string, number> = {}, nnRecall: Record<string, number> = {};
  for (const at of RECALL_AT) {
    if (at > kSearched || at > truth.k) continue;
    recall[at] = recallAtK(ids, truth.ids, nq, kSearched, truth.k, at);
    nnRecall[at] = nnRecallAtK(ids, truth.ids, nq, kSearched, truth.k, at);
  }
  return { recall, nnRecall };
}

/** The seeded 95% percentile bootstrap interval over queries (src/eval/bootstrap.ts) of recall@1/5/10 and nnRecall@10. */
function recallIntervals(ids: Int32Array, truth: GroundTruth, nq: number, kSearched: number, seed: number): Record<string, { lo: number; hi: number }> {
  const out: Record<string, { lo: number; hi: number }> = {};
  const ci = (per: Float64Array) => {
    const { lo, hi } = bootstrapMean(per, { seed, level: 0.95, resamples: 1000 });
    return { lo, hi };
  };
  for (const at of RECALL_AT) if (at <= kSearched && at <= truth.k) out[`recall@${at}`] = ci(recallPerQuery(ids, truth.ids, nq, kSearched, truth.k, at));
  if (10 <= kSearched && 10 <= truth.k) out['nnRecall@10'] = ci(nnRecallPerQuery(ids, truth.ids, nq, kSearched, truth.k, 10));
  return out;
}

/**
 * Writes one search configuration's per-query ids, distances (exact, recomputed with the dataset's
 * metric, and the index's own) and times as ann-benchmarks' result file; returns its path relative to `dir`.
 */
async function writeRaw(
  dir: string, timed: RepeatedSearch & { load: LoadReading; fingerprintId: string },
  c: { data: IndexData; index: string; build: IndexParams; search: IndexParams; buildSeconds: number; indexBytes: number; dataset: string; batch?: boolean; filter?: FilterCase },
): Promise<string> {
  const m = timed.best;
  const unfiltered = indexLabel(c.index, c.build, checkSearchParams(c.index, c.search));
  const name = c.filter ? `${unfiltered} filter ${c.filter.filter.predicate.label}` : unfiltered; // a filtered search's own file
  const relative = rawRelativePath(m.k, c.batch ? `${c.index}-batch` : c.index, name); // ann-benchmarks' {algo}[-batch] folder
  let returned = 0;
  for (const id of m.ids) if (id >= 0) returned++;
  await writeAnnResult(rawPath(dir, relative), {
    nq: m.nq, k: m.k, neighbors: m.ids, times: Float32Array.from(m.samplesMs, (ms) => ms / 1000),
    distances: exactDistancesFrom(c.data.base, c.data.queries, m.ids, m.k, c.data.metric), indexDistances: m.dists,
    attrs: {
      batch_mode: c.batch === true, best_search_time: m.seconds / m.nq, candidates: returned / m.nq, expect_extra: false, name, run_count: timed.qpsRuns.length,
      distance: annDistanceName(c.data.metric), count: m.k, build_time: c.buildSeconds, index_size: c.indexBytes / 1024, algo: c.index, dataset: c.dataset,
      distances_are: EXACT_DISTANCES_NOTE, index_distances_are: INDEX_DISTANCES_NOTE,
      times_are: c.batch
        ? 'seconds of the fastest of run_count batch calls (all queries in one call) divided by the queries, the same for each (ann-benchmarks\' batch mode)'
        : 'seconds per query of the fastest of run_count runs, one query at a time on one thread, after warm-up (performance.now)', vqbench_search_params: JSON.stringify(c.search),
      vqbench_qps_runs: JSON.stringify(timed.qpsRuns), fingerprint_id: timed.fingerprintId, load_before: timed.load.before, load_after: timed.load.after,
      ...(c.filter && { vqbench_filter: c.filter.filter.predicate.label, vqbench_filter_kind: c.filter.kind, vqbench_filter_rows: c.filter.filter.count, vqbench_truth: filteredTruthFile(c.filter.filter.predicate.label) }),
    },
  });
  return relative;
}

export async function runIndexJob(job: IndexJob): Promise<IndexRecord[]> {
  const entry = indexEntry(job.index);
  const k = job.k ?? 10;
  if (!Number.isInteger(k) || k < 1) throw new InputError(`--k must be a positive integer, got ${k}.`);
  const kSearched = Math.max(k, RECALL_AT[RECALL_AT.length - 1]);
  const seed = job.seed ?? 1234;
  const runs = checkRuns(job.runs ?? DEFAULT_RUNS, '--runs');
  const buildRuns = checkRuns(job.buildRuns ?? DEFAULT_BUILD_RUNS, '--build-runs');
  const mode = checkMode(job.mode);
  const levels = job.concurrency?.length ? parseConcurrency(job.concurrency) : [];
  const duration = checkDuration(job.duration ?? DEFAULT_DURATION);
  checkModeSupported(entry, mode, levels);
  const threads = job.threads ?? getThreads();
  const build = checkBuildParams(entry.id, job.build ?? {});
  const combos = expandSweep(job.search ?? {}, job.sweep);
  // an unknown swept name is an input error before anything is built; bad values fail per configuration
  for (const name of Object.keys(job.sweep ?? {})) if (!(name in entry.searchParams)) checkSearchParams(entry.id, { [name]: job.sweep![name][0] });
  if (job.raw === '') throw new InputError('--raw needs a folder to write the raw per-query results into.');
  if (job.raw !== undefined) assertWritableDir(job.raw); // before the run, not after it
  const filters = job.filter === undefined ? null : checkFilterJob(entry, job.filter);
  const rowLabels = filterLabels(filters, job.labels);
  const data = await openIndexData(job.data, kSearched, { queries: job.queries, seed, onProgress: job.onProgress });
  try {
    if (rowLabels) checkRowLabels(rowLabels, data.base.rows, job.data);
    const cases = filters === null ? [] : await filterCases(data, filters, kSearched, seed, rowLabels);
    return await measureIndex(job, entry, build, combos, data, { k, kSearched, seed, runs, buildRuns, cases, mode, levels, duration, threads });
  } finally {
    data.close();
  }
}

/** The build(s) of one configuration over `data`, its budget printed first, then its search sweep. */
async function measureIndex(
  job: IndexJob, entry: IndexDescriptor, build: IndexParams, combos: IndexParams[], data: IndexData,
  o: { k: number; kSearched: number; seed: number; runs: number; buildRuns: number; cases: FilterCase[]; mode: SearchMode; levels: number[]; duration: number; threads: number },
): Promise<IndexRecord[]> {
  const { k, kSearched, seed, runs, buildRuns, cases, mode } = o;
  const { queries, truth } = data;
  // the truth beside the raw files: every metric can be recomputed from the run folder alone
  if (job.raw !== undefined) {
    const t = annTruth(truth, queries.rows, data.metric);
    await writeAnnTruth(join(job.raw, TRUTH_FILE), { ...t, dists: Float32Array.from(t.dists), attrs: { distance: annDistanceName(data.metric), dataset: job.rawDataset ?? displayPath(data.name), point_type: 'float' } });
    // each filter's truth beside it: a filtered raw file is scored against the exact neighbours among the rows its filter keeps
    for (const c of cases) {
      const ft = annTruth(c.truth, queries.rows, data.metric);
      await writeAnnTruth(join(job.raw, filteredTruthFile(c.filter.predicate.label)), {
        ...ft, dists: Float32Array.from(ft.dists),
        attrs: { distance: annDistanceName(data.metric), dataset: job.rawDataset ?? displayPath(data.name), point_type: 'float', vqbench_filter: c.filter.predicate.label, vqbench_filter_kind: c.kind, vqbench_filter_rows: c.filter.count },
      });
    }
  }
  const env = captureEnvironment();
  const fingerprint = machineFingerprint();
  const { index, report: rep, buildSecondsRuns, budget, buildFrom } = await buildRepeated(job, entry, build, data, { buildRuns, seed, k: kSearched });
  const buildSeconds = Math.min(...buildSecondsRuns);
  try {
    const base = {
      index: entry.id, label: index.label, dataset: displayPath(data.name), datasetChecksum: data.checksum,
      k, queries: queries.rows, runs, buildSeconds, buildSecondsRuns, indexBytes: index.memoryBytes(), memory: index.memoryBreakdown(),
      memoryIsExact: index.capabilities.exactMemory, bitsPerVector: index.bitsPerVector, recallDefinition: RECALL_DEFINITION,
      seed, notes: rep.notes, env, fingerprint, rssBudget: { bytes: budget.bytes, parts: budget.parts }, buildFrom,
    };
    const unmeasured = { recall: null, nnRecall: null, qps: null, latencyMs: null, recallCI: null, qpsRuns: [], qpsMedian: null, qpsMin: null, qpsMax: null };
    const failed = (build: IndexParams, search: IndexParams, error: string, load: LoadReading | null = null): IndexRecord =>
      ({ status: 'failed', error, ...base, params: { build, search }, ...unmeasured, load, loadWarning: load && loadWarning(load), peakRssBytes: peakRssBytes() });
    // typed values (a swept '4' becomes 4) of the parameters given; the index fills its own defaults
    const configs = combos.map((given) => {
      try {
        return { search: givenParams(entry.id, 'search', given), error: null };
      } catch (e) {
        if (!(e instanceof VqbenchError)) throw e;
        return { search: given, error: e.message };
      }
    });
    const valid = configs.filter((c) => c.error === null);
    const onRun = (done: number, total: number) => job.onProgress?.(done, total, 'timed runs');
    // each configuration, then the same with each filter, all interleaved (single and batch mode alike), so a filtered QPS has its unfiltered peer in the same rounds
    if (cases.length > 0 && mode === 'batch') checkFilterable(index, 'in batch mode');
    if (cases.length > 0 && o.levels.length > 0) checkFilterable(index, 'for concurrent clients');
    const stride = 1 + cases.length;
    const strided = valid.flatMap((c) => Array<IndexParams>(stride).fill(c.search));
    const options = valid.flatMap(() => [undefined, ...cases.map((c) => ({ filter: c.filter }))]);
    const outcomes = mode === 'batch'
      ? await interleavedBatches(index, queries, kSearched, strided, { runs, threads: o.threads, cores: fingerprint.cores, loadAverage: job.loadAverage, onRun, options })
      : await interleavedSearches(index, queries, kSearched, strided, { runs, warmupQueries: job.warmup ?? 100, cores: fingerprint.cores, loadAverage: job.loadAverage, onRun, options });
    const modeFields = mode === 'batch' ? { mode, batchThreads: o.threads } : { mode };
    const records: IndexRecord[] = [];
    let next = 0; // outcomes are in the order of the valid configurations
    for (const { search, error } of configs) {
      if (error !== null) {
        records.push(failed(build, search, error));
        continue;
      }
      const outcome = outcomes[next * stride];
      const filteredOutcomes = outcomes.slice(next * stride + 1, (next + 1) * stride);
      const filtered = cases.length === 0 ? {} : { filtered: measureFiltered(cases, filteredOutcomes, queries.rows, kSearched) };
      next++;
      if (job.raw !== undefined && !('error' in outcome)) {
        // one raw file per filter beside the unfiltered one (`…_filter_label_1p.hdf5`), with its filtered truth
        for (const [i, f] of (filtered.filtered ?? []).entries()) {
          const o = filteredOutcomes[i];
          if ('error' in o) continue;
          f.raw = await writeRaw(job.raw, { ...o.timed, load: o.load, fingerprintId: fingerprint.id }, {
            data, index: entry.id, build, search, buildSeconds, indexBytes: base.indexBytes, dataset: job.rawDataset ?? base.dataset, batch: mode === 'batch', filter: cases[i],
          });
          f.rawTruth = filteredTruthFile(f.label);
        }
      }
      if ('error' in outcome) {
        records.push(failed(build, search, outcome.error.message));
        continue;
      }
      const { timed, load } = outcome;
      const m = timed.best;
      const note = nondeterminismNote(timed, queries.rows);
      const notes = [...base.notes, ...(note === null ? [] : [note]), ...(mode === 'batch' ? [batchNote(index, o.threads)] : [])];
      const scores = { ...recalls(m.ids, truth, queries.rows, kSearched), qps: m.qps, latencyMs: m.latencyMs };
      const bad = nonFinite(scores);
      const raw = job.raw === undefined ? {} : {
        rawTruth: TRUTH_FILE,
        raw: await writeRaw(job.raw, { ...timed, load, fingerprintId: fingerprint.id }, { data, index: entry.id, build, search, buildSeconds, indexBytes: base.indexBytes, dataset: job.rawDataset ?? base.dataset, batch: mode === 'batch' }),
      };
      if (bad) {
        records.push({ ...failed(build, search, `the measurement gave ${bad}, not a finite number, so this configuration failed.`, load), notes, ...raw });
      } else {
        const recallCI = recallIntervals(m.ids, truth, queries.rows, kSearched, seed);
        const concurrent = o.levels.length === 0 ? {} : await concurrencyFields(index, queries, kSearched, search, o, fingerprint.cores, notes, mode === 'single' ? m.latencyMs.p99 : null);
        // the filtered searches' levels: each selectivity's clients search with its filter
        if (o.levels.length > 0) {
          for (const [i, f] of (filtered.filtered ?? []).entries()) {
            if (f.status === 'ok') f.concurrency = (await measureConcurrency(index, queries, kSearched, search, { levels: o.levels, seconds: o.duration, seed: o.seed, cores: fingerprint.cores, filter: cases[i].filter })).levels;
          }
        }
        records.push({
          status: 'ok', error: null, ...base, notes, params: { build, search }, ...scores, qpsRuns: timed.qpsRuns, ...qpsSpread(timed.qpsRuns),
          load, loadWarning: loadWarning(load), recallCI, peakRssBytes: peakRssBytes(), ...raw, ...filtered, ...modeFields, ...concurrent,
        });
      }
    }
    return records;
  } finally {
    await index.close?.();
  }
}

/** `--labels` read when a `label:` case needs it (before the data is loaded); refused without one. */
function filterLabels(filters: FilterSpec[] | null, labels: string | undefined): RowLabels | null {
  const wanted = filters?.find((f) => f.kind === 'label');
  if (labels === undefined) {
    if (wanted) throw new InputError(`--filter label:${wanted.value} needs --labels FILE (one label per base row: an .npy of integers or a JSON array).`);
    return null;
  }
  if (!wanted) throw new InputError(`--labels ${labels} is read only for --filter label:NAME cases; add one or leave --labels out.`);
  return readRowLabels(labels);
}

/** `--filter` checked before anything is loaded or built: the cases, and an index that filters. */
function checkFilterJob(entry: IndexDescriptor, filter: readonly (number | string | FilterSpec)[]): FilterSpec[] {
  const selectivities = filterSpecsOf(filter, '--filter');
  if (!entry.capabilities.filter) throw new InputError(`--filter: index ${entry.id} does not support filtered search${entry.id === 'faiss' ? ' (faiss-node exposes no IDSelector / SearchParameters)' : ''}; filtering indexes: ${filteringIndexes().join(', ')}.`);
  return selectivities;
}

/** The concurrency levels of one search configuration, and the serial pass's p99 beside them (the notes gain how the clients ran). */
async function concurrencyFields(
  index: VectorIndex, queries: Matrix, k: number, search: IndexParams, o: { levels: number[]; duration: number; seed: number },
  cores: number, notes: string[], serialP99Ms: number | null,
): Promise<Pick<IndexRecord, 'concurrency' | 'serialP99Ms'>> {
  const c = await measureConcurrency(index, queries, k, search, { levels: o.levels, seconds: o.duration, seed: o.seed, cores });
  notes.push(...c.notes);
  return { concurrency: c.levels, serialP99Ms };
}

/**
 * Builds `buildRuns` times from scratch (the fastest time reported, the last index kept): from the
 * RowSource chunk by chunk when the index declares chunked builds, else from the whole base. The
 * peak-RSS budget of the descriptor's memory model is computed and shown first.
 */
async function buildRepeated(
  job: IndexJob, entry: IndexDescriptor, build: IndexParams, data: IndexData, o: { buildRuns: number; seed: number; k: number },
): Promise<{ index: VectorIndex; report: BuildReport; buildSecondsRuns: number[]; budget: RssBudget; buildFrom: 'chunks' | 'whole' }> {
  let first: VectorIndex | null = createIndex(entry.id, build); // the first build's index, probed for a chunked build
  const chunked = asChunked(first);
  const rows = data.base.rows, dim = data.dim;
  const chunkRows = Math.min(rows, job.chunkRows ?? chunkRowsFor(dim));
  const trainRows = chunked ? Math.min(rows, chunked.defaultTrainRows() === 0 ? 0 : job.trainRows ?? chunked.defaultTrainRows()) : 0;
  const budget = rssBudget(entry, build, { rows, dim, trainRows, chunkRows, queries: data.queries.rows, k: o.k, wholeBase: !chunked || !data.streamed });
  job.onNote?.(formatBudget(budget, entry.id));
  const whole = chunked ? null : wholeBase(data.base);
  if (!chunked && data.streamed) job.onNote?.(`${entry.id} has no chunked build: the base of ${rows} rows is held whole (${(rows * dim * 4 / 2 ** 20).toFixed(0)} MiB).`);
  const create = () => {
    const index = first ?? createIndex(entry.id, build);
    first = null;
    return index;
  };
  const built = await repeatBuild(create, (index) => chunked
    ? buildFromSource(index, data.base, { seed: o.seed, trainRows: job.trainRows, chunkRows, onProgress: job.onProgress })
    : index.build(whole!, { seed: o.seed, trainRows: job.trainRows, onProgress: job.onProgress }), o.buildRuns);
  return { ...built, budget, buildFrom: chunked ? 'chunks' : 'whole' };
}

export interface InsertJob {
  data: string;
  index: string;
  build?: IndexParams;
  search?: IndexParams;
  /** Sizes of the successive insert batches; their sum is held out of the initial build. */
  batches: number[];
  k?: number;
  /** Queries scored after each batch (exact truth over the rows indexed so far). Default 1000. */
  queries?: number;
  seed?: number;
  /** The 1-minute load average read before the first batch and after the last (tests inject a fake). Default os.loadavg()[0]. */
  loadAverage?: LoadAverage;
  onProgress?: ProgressFn;
}

export interface InsertRecord {
  batch: number;
  rows: number;
  indexedAfter: number;
  seconds: number;
  rowsPerSecond: number;
  indexBytesDelta: number;
  indexBytes: number;
  rssDeltaBytes: number;
  recall: Record<string, number>;
  nnRecall: Record<string, number>;
}

export interface InsertResult {
  index: string;
  label: string;
  params: { build: IndexParams; search: IndexParams };
  dataset: string;
  initialRows: number;
  buildSeconds: number;
  initialIndexBytes: number;
  batches: InsertRecord[];
  recallDefinition: string;
  seed: number;
  env: RunEnvironment;
  /** The machine the batches were timed on (src/run/fingerprint.ts). */
  fingerprint: MachineFingerprint;
  /** The 1-minute load average right before the first batch and right after the last. */
  load: LoadReading;
  /** A sentence when the load exceeded half the cores while the batches were timed, else null. */
  loadWarning: string | null;
}

/**
 * Incremental insert (paper Fig. 7): build on the base minus the batches, then add the batches in
 * order; after each, the seconds it took, the change of the index's bytes and of the process RSS,
 * and recall against the exact neighbours among the rows indexed so far.
 */
export async function runInsertJob(job: InsertJob): Promise<InsertResult> {
  const entry = indexEntry(job.index);
  if (!entry.capabilities.add) throw new InputError(`--index ${entry.id} does not support incremental insert.`);
  if (job.batches.length === 0 || job.batches.some((b) => !Number.isInteger(b) || b < 1)) throw new InputError(`--batches must list positive integers, got ${job.batches.join(',')}.`);
  const k = job.k ?? 10;
  const kSearched = Math.max(k, RECALL_AT[RECALL_AT.length - 1]);
  const seed = job.seed ?? 1234;
  const build = checkBuildParams(entry.id, job.build ?? {});
  const search = givenParams(entry.id, 'search', job.search ?? {});
  const ds = await loadDataset(job.data, { seed });
  const total = job.batches.reduce((a, b) => a + b, 0);
  const initialRows = ds.base.rows - total;
  if (initialRows < kSearched) throw new InputError(`--batches add ${total} rows, leaving ${initialRows} of the ${ds.base.rows} base rows of ${ds.name} for the initial build (at least ${kSearched} are needed).`);
  const queries = ds.queries.sliceRows(0, Math.min(ds.queries.rows, job.queries ?? 1000));
  const index: VectorIndex = createIndex(entry.id, build);
  const env = captureEnvironment();
  try {
    const rep = await index.build(ds.base.sliceRows(0, initialRows), { seed, onProgress: job.onProgress });
    const initialIndexBytes = index.memoryBytes();
    const fingerprint = machineFingerprint();
    const batches: InsertRecord[] = [];
    const insertBatches = async () => {
      let at = initialRows;
      for (const [b, rows] of job.batches.entries()) {
        const part = ds.base.sliceRows(at, at + rows);
        const ids = new Uint32Array(rows).map((_, i) => at + i);
        const bytesBefore = index.memoryBytes(), rssBefore = process.memoryUsage().rss;
        const t0 = performance.now();
        await index.add(part, ids);
        const seconds = (performance.now() - t0) / 1000;
        at += rows;
        const exact = await knn(ds.base.sliceRows(0, at), queries, kSearched, ds.metric === 'ip' ? 'ip' : 'l2');
        const m = await measureSearch(index, queries, kSearched, search, { warmupQueries: 0 });
        const truth: GroundTruth = { k: kSearched, ids: exact.ids, dists: exact.dists };
        batches.push({
          batch: b + 1, rows, indexedAfter: at, seconds, rowsPerSecond: rows / seconds,
          indexBytesDelta: index.memoryBytes() - bytesBefore, indexBytes: index.memoryBytes(),
          rssDeltaBytes: process.memoryUsage().rss - rssBefore, ...recalls(m.ids, truth, queries.rows, kSearched),
        });
        job.onProgress?.(b + 1, job.batches.length, 'insert batches');
      }
    };
    const { load } = await underLoad(insertBatches, fingerprint.cores, job.loadAverage ?? oneMinuteLoad);
    return {
      index: entry.id, label: index.label, params: { build, search }, dataset: displayPath(ds.name), initialRows, buildSeconds: rep.seconds,
      initialIndexBytes, batches, recallDefinition: RECALL_DEFINITION, seed, env, fingerprint, load, loadWarning: loadWarning(load),
    };
  } finally {
    await index.close?.();
  }
}

/** Ids of the registered indexes that declare filtered search. */
function filteringIndexes(): string[] {
  return Object.values(INDEXES).filter((d) => d.capabilities.filter).map((d) => d.id);
}
