/**
 * Index cells (`grid.indexes`): build one index configuration, then run every search
 * configuration of its sweep, ann-benchmarks style (src/run/index-job.ts). Every call into the
 * index registry the runner makes (here and for insert cells) goes through this file, and so does
 * the question whether an index runs on this machine at all (`indexUnavailable`).
 */
import { rmSync } from 'node:fs';
import { loadSeconds, RATES, type DataShape } from '../../core/cost.js';
import { ConfigError, InputError, UnavailableError } from '../../core/errors.js';
import { cartesian } from '../../core/grid.js';
import { didYouMean } from '../../core/names.js';
import { acceptedNames, camel, canonicalName, coerceText, paramProblem, type ParamSpecs, type ParamValue } from '../../core/params.js';
import type { IndexCost } from '../../index/descriptor.js';
import { INDEXES, INDEX_IDS, checkBuildParams, checkSearchParams, indexDescriptor, splitIndexSpec, type IndexParams } from '../../index/registry.js';
import { allValues, dropUndefined, idPiece, resolveRecord, type Grid, type Scaled } from '../grid-values.js';
import { DEFAULT_BUILD_RUNS, DEFAULT_RUNS, RECALL_DEFINITION, type IndexRecord } from '../index-job.js';
import { show } from '../schema.js';
import { FINGERPRINT_DEFINITIONS } from '../fingerprint.js';
import { FILTERED_DEFINITION } from '../filtered.js';
import { parseFilterSpecs } from '../../data/filter-spec.js';
import { dataOf, num, renameDataset, TIMING_DEFINITIONS, isNumber, isObject } from './common.js';
import { DEFAULT_DURATION, modeProblem, type SearchMode } from '../search-modes.js';
import type { CellKindDef, DatasetCellConfig, Fail, FieldPath } from './types.js';

/** One entry of `grid.indexes`. */
export interface IndexSpec {
  index: string;
  label?: string;
  build?: Record<string, Grid<ParamValue>>;
  search?: Record<string, Scaled<ParamValue>>;
  sweep?: Record<string, Scaled<ParamValue[]>>;
  k?: number;
  queries?: number;
  warmup?: number;
  /** Timed runs of every search configuration (default: the task's `runs`, else 3). */
  runs?: number;
  /** Builds from scratch (default: the task's `buildRuns`, else 1). */
  buildRuns?: number;
  /** Filtered search: shares of rows kept (label filters) and 'int:R' items (int filters, R excluded); src/data/filter-spec.ts. */
  filter?: (number | string)[];
  /** 'single' (default) or 'batch' (src/run/search-modes.ts). */
  mode?: SearchMode;
  /** Concurrency levels (clients), each for `duration` seconds. */
  concurrency?: number[];
  /** Seconds per concurrency level (default 10). */
  duration?: number;
}

/** Task-wide defaults of the repeat counts (the task file's top-level `runs` / `buildRuns`), handed to the expansion beside the ExpandContext fields. */
export interface RepeatDefaults {
  runs?: number;
  buildRuns?: number;
}

export interface IndexConfig extends DatasetCellConfig {
  kind: 'index';
  index: string;
  label?: string;
  build: IndexParams;
  search: IndexParams;
  sweep: Record<string, ParamValue[]>;
  k?: number;
  queries?: number;
  warmup?: number;
  runs?: number;
  buildRuns?: number;
  filter?: (number | string)[];
  mode?: SearchMode;
  concurrency?: number[];
  duration?: number;
}

/** Why an index cannot run on this machine (its cells are recorded as "not run" with this sentence), or null: the index's own descriptor says. */
export function indexUnavailable(id: string): string | null {
  return Object.hasOwn(INDEXES, id) ? INDEXES[id].unavailable() : null;
}

/** A fail that throws (for expansion, after the checks passed). */
const thrower: Fail = (path, what) => {
  throw new ConfigError(`${path.join('.')} ${what}`);
};

/**
 * An entry whose `index` is a whole spec (`"ivfpq:nlist=128,m=12,nprobe=4"`, the grammar of
 * src/core/spec.ts): the id, and the spec's parameters as fixed build / search values in front of the
 * entry's own. A parameter given both in the spec and in `build` / `search` is a problem, named.
 */
export function withIndexSpec<T extends { index: string; build?: Record<string, unknown>; search?: Record<string, unknown> }>(x: T, at: FieldPath, fail: Fail = thrower): T {
  if (!/[:(]/.test(x.index)) return x;
  let given: { id: string; build: Record<string, string>; search: Record<string, string> };
  try {
    given = splitIndexSpec(x.index, 'index');
  } catch (e) {
    if (e instanceof InputError) return fail([...at, 'index'], `is not a valid spec: ${e.message.replace(/^(index|--[\w-]+): /, '')}`);
    throw e;
  }
  const d = INDEXES[given.id];
  const typed = (specs: ParamSpecs, rec: Record<string, string>, group: 'build' | 'search', own: Record<string, unknown> | undefined) => {
    const out: Record<string, unknown> = {};
    for (const [n, v] of Object.entries(rec)) {
      const c = canonicalName(specs, n) ?? canonicalName(specs, camel(n));
      const clash = Object.keys(own ?? {}).find((m) => (canonicalName(specs, m) ?? canonicalName(specs, camel(m)))?.name === c!.name);
      if (clash) fail([...at, group, clash], `is also given in the index spec '${x.index}': give it in one of the two.`);
      out[n] = coerceText(specs[c!.name], v);
    }
    return out;
  };
  return { ...x, index: given.id, build: { ...typed(d.buildParams, given.build, 'build', x.build), ...x.build }, search: { ...typed(d.searchParams, given.search, 'search', x.search), ...x.search } };
}

/** Checks an index or insert entry against the index registry: the id, insert support, every parameter's name and values. */
export function checkIndexSpec(entry: { index: string; build?: Record<string, unknown>; search?: Record<string, unknown>; sweep?: Record<string, unknown> }, at: FieldPath, fail: Fail, insert: boolean): void {
  const x = withIndexSpec(entry, at, fail);
  const e = Object.hasOwn(INDEXES, x.index) ? INDEXES[x.index] : undefined;
  if (!e) return fail([...at, 'index'], `names an unknown index '${x.index}'${didYouMean(x.index, INDEX_IDS)}; known: ${INDEX_IDS.join(', ')}.`);
  if (insert && !e.capabilities.add) fail([...at, 'index'], `names ${x.index}, which does not support incremental insert.`);
  const check = (group: 'build' | 'search' | 'sweep', specs: ParamSpecs, values: Record<string, unknown> | undefined) => {
    const noun = group === 'build' ? 'build' : 'search';
    for (const [name, v] of Object.entries(values ?? {})) {
      const c = canonicalName(specs, name);
      if (!c) fail([...at, group, name], `is not a ${noun} parameter of ${x.index}${didYouMean(name, acceptedNames(specs))}; its ${noun} parameters: ${Object.keys(specs).join(', ') || '(none)'}.`);
      for (const one of allValues(v as Grid<ParamValue>)) {
        const expected = paramProblem(specs[c!.name], c!.alias && typeof one === 'number' ? c!.alias.from(one) : one);
        if (expected) fail([...at, group, name], `must be ${expected}${c!.alias ? ` (as ${c!.name}: ${c!.alias.describe})` : ''}, got ${show(one)}.`);
      }
    }
  };
  check('build', e.buildParams, x.build);
  check('search', e.searchParams, x.search);
  if (x.sweep !== undefined) {
    check('sweep', e.searchParams, x.sweep);
    for (const name of Object.keys(x.sweep)) {
      if (x.search && Object.hasOwn(x.search, name)) fail([...at, 'sweep', name], 'is also fixed in search: give it in one of the two.');
    }
  }
}

/** Batch mode or concurrency levels on an index whose descriptor cannot run them (the values themselves are checked by the schema). */
function checkSearchModes(x: IndexSpec, at: FieldPath, fail: Fail): void {
  const id = withIndexSpec(x, at, fail).index;
  if (!Object.hasOwn(INDEXES, id)) return;
  const p = modeProblem(INDEXES[id], x.mode === 'batch' ? 'batch' : 'single', Array.isArray(x.concurrency) ? x.concurrency : []);
  if (p) fail([...at, p.field], `is ${p.field === 'mode' ? 'batch' : 'given'}, but ${p.why}.`);
}

/** The id pieces of an index configuration: label or index, then `name-value` of the build and search parameters given. */
export function indexPieces(x: { index: string; label?: string }, build: IndexParams, search: IndexParams): string[] {
  return [x.label ?? x.index, ...Object.entries(build).map(([k, v]) => idPiece(k, v)), ...Object.entries(search).map(([k, v]) => idPiece(k, v))];
}

/** The cost model of an index configuration over `rows` rows: its descriptor's (src/index/<id>.ts), on resolved parameters. */
export function indexCosts(index: string, build: IndexParams, sh: DataShape, rows: number): IndexCost {
  return indexDescriptor(index).cost(checkBuildParams(index, build), sh, rows);
}

/** Resolved search parameters (defaults filled) of one search configuration. */
const searchOf = (index: string, s: IndexParams) => checkSearchParams(index, s);

/** The share of rows a task file's filter item keeps: a number is that share, 'int:R' keeps 1 − R. */
const keptShare = (item: number | string): number => (typeof item === 'number' ? item : 1 - Number(item.slice('int:'.length)));

function indexSeconds(c: IndexConfig, sh: DataShape): number {
  if (indexUnavailable(c.index) !== null) return RATES.startup;
  const q = Math.min(num(c.queries, sh.queries), sh.queries);
  const truth = (2 * sh.base * sh.queries * sh.dim) / RATES.kernelFlops; // cached after the first cell of a dataset
  const cost = indexCosts(c.index, c.build ?? {}, sh, sh.base);
  const combos = cartesian<ParamValue | null>(Object.entries(c.sweep ?? {}), c.search ?? {});
  // every run repeats the warm-up and the timed loop; every build run builds from scratch
  const runs = num(c.runs, DEFAULT_RUNS), buildRuns = num(c.buildRuns, DEFAULT_BUILD_RUNS);
  // a filtered search per selectivity beside each configuration (its truth: one exact pass over the kept rows)
  const filters = c.filter?.length ?? 0, filteredTruth = c.filter?.reduce<number>((t, p) => t + keptShare(p) * truth, 0) ?? 0;
  const search = (1 + filters) * combos.reduce((t, s) => t + runs * (q + Math.min(q, num(c.warmup, 100))) * cost.querySeconds(searchOf(c.index, s)), 0);
  const levels = (c.concurrency?.length ?? 0) * combos.length * (1 + filters) * (c.duration ?? DEFAULT_DURATION); // each level runs its duration, unfiltered and per filter
  return RATES.startup + loadSeconds(sh) + truth + filteredTruth + buildRuns * cost.buildSeconds + search + levels;
}

export const indexKind: CellKindDef<'index', 'indexes', IndexSpec[], IndexConfig> = {
  kind: 'index',
  gridKey: 'indexes',
  describe: 'build an index once, then measure recall, QPS and latency for every search configuration of its sweep',
  perDataset: true,
  schema: { type: 'array', items: { $ref: '#/$defs/index' } },
  definitions: {
    recall: RECALL_DEFINITION,
    nnRecall: RECALL_DEFINITION,
    recallCI: "95% percentile bootstrap interval {lo, hi} over queries of recall@1/5/10 and nnRecall@10 (1000 resamples seeded by the cell's seed; src/eval/bootstrap.ts)",
    qps: "queries per second of the fastest of `runs` timed runs (ann-benchmarks' convention: 1 / best_search_time), one query at a time on one thread, after warm-up",
    latencyMs: "per-query latency percentiles (ms) of the fastest run (the one `qps` reports), one thread",
    runs: 'timed runs of the configuration, each a warm-up and the timed single-query loop (the raw file\'s run_count); the sweep\'s configurations take turns run by run (A B A B ...)',
    qpsRuns: 'queries per second of every timed run, in order',
    qpsMedian: 'median of qpsRuns (numpy\'s: the mean of the middle two for an even count)',
    qpsMin: 'the slowest run\'s queries per second',
    qpsMax: 'the fastest run\'s queries per second (= qps)',
    buildSeconds: 'wall seconds to build (train + add) the index: the fastest of buildSecondsRuns',
    buildSecondsRuns: 'wall seconds of every build, each from scratch, in order; the last index built is the one searched',
    ...FINGERPRINT_DEFINITIONS,
    indexBytes: "the index's own bytes (exact for ours; the adapter's estimate for native libraries, on-disk size for LanceDB and pgvector)",
    peakRssBytes: 'process peak RSS when the configuration was measured (whole process, dataset included)',
    bitsPerVector: 'bits the index stores per vector',
    filtered: FILTERED_DEFINITION,
    mode: "how qps was measured: 'single' (one query at a time, one thread) or 'batch' (all queries in one call on batchThreads threads: qps = queries / seconds of the call, every latency = that time / queries, ann-benchmarks' batch convention)",
    batchThreads: 'threads of a batch-mode search (batch mode only)',
    concurrency: "per concurrency level (VectorDBBench): clients, qps = queries done by all clients / wall seconds from the synced start to the last client's stop (not 1 / latency), p50/p95/p99 latency in ms over every client's queries, queries, seconds",
    serialP99Ms: 'p99 latency (ms) of the serial pass (single mode\'s fastest run) beside the concurrency levels; null in batch mode',
    ...TIMING_DEFINITIONS,
  },
  check(section, at, fail) {
    section.forEach((x, i) => {
      checkIndexSpec(x, [...at, i], fail, false);
      const id = x.index.split(/[:(]/)[0];
      if (x.filter !== undefined && Object.hasOwn(INDEXES, id) && !INDEXES[id].capabilities.filter) fail([...at, i, 'filter'], `asks for filtered search, which ${id} does not support.`);
      if (x.filter !== undefined) {
        try {
          parseFilterSpecs(x.filter, 'filter');
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          fail([...at, i, 'filter'], e.message.slice('filter'.length).replace(/^:\s*/, ''));
        }
      }
      checkSearchModes(x, [...at, i], fail);
    });
  },
  expand(section, ctx) {
    const ds = ctx.dataset!;
    const defaults: RepeatDefaults = ctx;
    return section.flatMap((entry, i) => {
      const x = withIndexSpec(entry, ['grid', 'indexes', i]);
      const search = Object.fromEntries(resolveRecord(x.search, ctx.scale));
      const sweep = Object.fromEntries(resolveRecord<ParamValue[]>(x.sweep, ctx.scale));
      return cartesian<ParamValue>(resolveRecord(x.build, ctx.scale)).map((build) => ({
        at: ['grid', 'indexes', i],
        pieces: ['index', ds.slug, ...indexPieces(x, build, search)],
        config: dropUndefined<IndexConfig>({
          kind: 'index', dataset: ds.name, subset: ds.subset, seed: ctx.seed, scale: ctx.scale, index: x.index, ...(x.label && { label: x.label }),
          build, search, sweep, k: x.k, queries: x.queries, warmup: x.warmup, runs: x.runs ?? defaults.runs, buildRuns: x.buildRuns ?? defaults.buildRuns, filter: x.filter,
          mode: x.mode, concurrency: x.concurrency, duration: x.duration,
        }),
      }));
    });
  },
  resultProblem(m) {
  if (!Array.isArray(m)) return 'metrics must be a list of IndexRecord';
  for (const [i, r] of m.entries()) {
    if (!isObject(r)) return `metrics[${i}] must be an object`;
    if (typeof r.index !== 'string' || typeof r.label !== 'string') return `metrics[${i}] needs 'index' and 'label'`;
    if (r.status === 'ok' && (!isObject(r.recall) || !isNumber(r.qps))) return `metrics[${i}] is ok but has no recall or qps`;
  }
  return null;
  },
  estimate: indexSeconds,
  async execute(c, ctx) {
    const unavailable = indexUnavailable(c.index);
    if (unavailable !== null) throw new UnavailableError(unavailable);
    const { runIndexJob } = await import('../index-job.js');
    const data = dataOf(ctx, 'index');
    // a re-run's raw folder holds this run's files only
    if (ctx.raw) rmSync(ctx.raw.dir, { recursive: true, force: true });
    const records = await runIndexJob({
      data, index: c.index, build: c.build, search: c.search, sweep: c.sweep, k: c.k, queries: c.queries, warmup: c.warmup,
      runs: c.runs ?? DEFAULT_RUNS, buildRuns: c.buildRuns ?? DEFAULT_BUILD_RUNS, seed: c.seed, onProgress: ctx.onProgress, ...(c.filter && { filter: c.filter }),
      mode: c.mode, concurrency: c.concurrency, duration: c.duration,
      ...(ctx.raw && { raw: ctx.raw.dir, rawDataset: ctx.datasetName ?? undefined }),
    });
    for (const r of records) renameDataset(r, data, ctx.datasetName);
    if (ctx.raw) {
      for (const r of records) {
        if (r.raw !== undefined) r.raw = `${ctx.raw.relative}/${r.raw}`;
        if (r.rawTruth !== undefined) r.rawTruth = `${ctx.raw.relative}/${r.rawTruth}`;
      }
    }
    const datasetChecksum = records[0]?.datasetChecksum ?? null;
    if (!records.some((r) => r.status === 'ok')) return { metrics: records, datasetChecksum, failure: records[0]?.error ?? 'no search configuration ran.' };
    return { metrics: records, datasetChecksum };
  },
  failedParts: (metrics) => (Array.isArray(metrics) ? (metrics as IndexRecord[]).filter((r) => r?.status === 'failed').length : 0),
  usesFaiss: (c) => c.index === 'faiss',
};
