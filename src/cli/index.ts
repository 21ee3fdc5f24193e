/**
 * `vqbench index` and `vqbench insert`: flags → runIndexJob / runInsertJob → a table, or one JSON
 * object per configuration with --json. The index parameters are not listed here: every build and
 * search parameter of every registered index (names and aliases, from the descriptors) becomes a
 * flag, so a new index brings its own flags; a flag the chosen index does not know is refused with
 * its own parameters. `--index` takes an id or a whole spec (`--index ivfpq:nlist=256,m=12,nprobe=4`).
 * The commands' own numbers (--k, --queries, --warmup, --runs, --build-runs, --seed, --threads, each
 * --batches item) are parameter specs too, so a bad value is one sentence naming its flag.
 */
import type { Argv } from 'yargs';
import { assertWritable, writeFileAtomic } from '../core/atomic.js';
import { emitResult } from './output.js';
import { InputError, UnavailableError } from '../core/errors.js';
import { didYouMean } from '../core/names.js';
import { setThreads } from '../core/parallel.js';
import { acceptedNames, camel, canonicalName, checkParam, kebab, resolveParams, type ParamSpec, type ParamSpecs, type ParamValue } from '../core/params.js';
import { progressBar } from '../core/progress.js';
import { INDEXES, INDEX_IDS, givenParams, indexDescriptor, splitIndexSpec, type IndexParams } from '../index/registry.js';
import type { IndexDescriptor } from '../index/descriptor.js';
import { runIndexJob, runInsertJob, type IndexRecord } from '../run/index-job.js';
import { checkDuration, checkMode, checkModeSupported, DEFAULT_DURATION, parseConcurrency } from '../run/search-modes.js';
import { isNondeterminismNote } from '../run/repeats.js';
import { fmt, table } from '../core/format.js';
import { parseFilterSpecs } from '../data/filter-spec.js';
import { COMMON_FLAGS, declareFlags, declareMethodFlags, readFlags, mergeSpecAndFlags, readMethodFlags, type MethodTable } from './flags.js';

/** The numeric flags both commands share. */
export const RUN_FLAGS = {
  k: { default: 10, min: 1, describe: 'neighbours per query (at least 10 are searched, for recall@10)' },
  queries: { default: null, type: 'number', min: 1, describe: 'use the first N queries (default: all for index, 1000 for insert)' },
  ...COMMON_FLAGS,
} as const satisfies ParamSpecs;

const INDEX_FLAGS = {
  ...RUN_FLAGS,
  warmup: { default: 100, min: 0, describe: 'untimed warm-up queries before each timed loop' },
  runs: { default: 3, min: 1, describe: 'timed runs (warm-up + timed loop each) of every search configuration; QPS and latency are the fastest run\'s, the table adds the median' },
  buildRuns: { default: 1, min: 1, describe: 'builds from scratch; build seconds is the fastest, the last index built is searched' },
  trainRows: { default: null, type: 'number', min: 1, describe: "rows of the seeded training sample (default: the index's own, e.g. 65536 for pq)" },
  chunkRows: { default: null, type: 'number', min: 1, describe: 'rows read and added at a time by indexes with a chunked build (flat, pq, ivfpq, wrvq; default: 64 MiB of rows)' },
} as const satisfies ParamSpecs;

/** One item of --batches. */
const BATCH_ITEM: ParamSpec = { default: 1, min: 1, describe: 'rows of one insert batch' };

/** The commands' own flags; an index parameter may not reuse one (checked when the flags are declared). */
const RESERVED = ['data', 'index', 'k', 'queries', 'seed', 'threads', 'json', 'out', 'sweep', 'warmup', 'runs', 'build-runs', 'train-rows', 'chunk-rows', 'batches', 'runbook', 'filter', 'labels', 'mode', 'concurrency', 'duration', 'help', 'version'];

/** Every index's build and search parameters, one table per index (the flags are their union). */
const TABLES: readonly MethodTable[] = Object.values(INDEXES).map((d) => ({ id: d.id, specs: { ...d.buildParams, ...d.searchParams } }));

export function withIndexFlags(a: Argv, own: ParamSpecs): Argv {
  const y = a
    .option('data', { type: 'string', demandOption: true, describe: 'dataset name (glove-100, synthetic-gmm), file (.npy, .fvecs, .bvecs, .hdf5) or TEXMEX folder; append :limit=N to use only its first N rows' })
    .option('index', {
      type: 'string', demandOption: true,
      describe: `index id (${INDEX_IDS.join(', ')}) or a whole spec, e.g. ivfpq:nlist=256,m=12,nprobe=4 or faiss:factory=IVF1024,PQ50np`,
    })
    .option('json', { type: 'boolean', default: false, describe: 'one JSON object per configuration on stdout' })
    .option('out', { type: 'string', describe: 'also write the results as JSON to this file (atomically)' });
  return declareMethodFlags(declareFlags(y, own), TABLES, RESERVED);
}

function canonical(specs: ParamSpecs, name: string): string | null {
  return (canonicalName(specs, name) ?? canonicalName(specs, camel(name)))?.name ?? null;
}

/**
 * The chosen index and its given build and search parameters (canonical names, checked, defaults
 * left to the index): from the --index spec and the parameter flags; a parameter given in both is
 * refused, as is a flag of another index.
 */
export function indexParams(argv: Record<string, unknown>): { d: IndexDescriptor; build: IndexParams; search: IndexParams } {
  const spec = splitIndexSpec(String(argv.index), '--index');
  const d = indexDescriptor(spec.id);
  const why = d.unavailable();
  if (why) throw new UnavailableError(why);
  const [buildFlags, searchFlags] = readMethodFlags(argv, TABLES, { id: d.id, groups: [d.buildParams, d.searchParams] });
  const what = { flag: '--index', text: String(argv.index) };
  const merge = (specs: ParamSpecs, fromSpec: Record<string, string>, fromFlags: Record<string, unknown>, kind: string) =>
    mergeSpecAndFlags(specs, fromSpec, fromFlags, `${d.id} ${kind} parameter`, what);
  return {
    d,
    build: givenParams(d.id, 'build', merge(d.buildParams, spec.build, buildFlags, 'build')),
    search: givenParams(d.id, 'search', merge(d.searchParams, spec.search, searchFlags, 'search')),
  };
}

/**
 * `--sweep name=v1,v2,...` (repeatable) → canonical search parameter → its checked values. An empty
 * item, no values, an unknown or build parameter, a value out of range, and a parameter also fixed
 * are refused naming --sweep.
 */
export function parseSweep(items: unknown, d: IndexDescriptor, fixed: IndexParams): Record<string, ParamValue[]> {
  const out: Record<string, ParamValue[]> = {};
  const list = (Array.isArray(items) ? items : items === undefined ? [] : [items]).map(String);
  const own = Object.keys(d.searchParams);
  for (const item of list) {
    const m = /^\s*([A-Za-z][\w-]*)\s*=(.*)$/.exec(item);
    if (!m) throw new InputError(`--sweep expects name=v1,v2,... (e.g. --sweep nprobe=1,2,4,8), got '${item}'.`);
    const [, name, rest] = m;
    if (rest.trim() === '') throw new InputError(`--sweep ${name}= lists no values; give name=v1,v2,... (e.g. --sweep nprobe=1,2,4,8).`);
    const values = rest.split(',').map((s) => s.trim());
    if (values.some((v) => v === '')) throw new InputError(`--sweep ${item} has an empty item; give name=v1,v2,... without empty values.`);
    const c = canonical(d.searchParams, name);
    if (!c) {
      const build = canonical(d.buildParams, name);
      if (build) throw new InputError(`--sweep ${item}: ${build} is a build parameter of ${d.id}, fixed per build; a sweep varies search parameters (${own.join(', ') || 'none'}).`);
      throw new InputError(`--sweep ${item}: unknown ${d.id} search parameter '${name}'${didYouMean(name, acceptedNames(d.searchParams))}; its search parameters: ${own.join(', ') || '(none)'}.`);
    }
    if (Object.hasOwn(out, c)) throw new InputError(`--sweep ${item}: ${c} is swept twice; give its values in one --sweep.`);
    if (Object.hasOwn(fixed, c)) throw new InputError(`--sweep ${item}: ${c} is also fixed (--${kebab(c)} or in --index); give it in one of the two.`);
    out[c] = values.map((v) => {
      try {
        return resolveParams(d.searchParams, { [name]: v }, `${d.id} search parameter`)[c] as ParamValue;
      } catch (e) {
        if (e instanceof InputError) throw new InputError(`--sweep ${item}: ${e.message.replace(/^--[\w-]+: /, '')}`);
        throw e;
      }
    });
  }
  return out;
}

/** `--batches 1000,5000`: positive integers, no empty item. */
function parseBatches(text: unknown): number[] {
  const s = String(text);
  const items = s.split(',').map((x) => x.trim());
  if (items.some((x) => x === '')) throw new InputError(`--batches '${s}' has an empty item; give batch sizes such as 1000,5000,10000.`);
  return items.map((x) => checkParam('batches', BATCH_ITEM, x, 'insert', '--batches') as number);
}

function recordRow(r: IndexRecord): (string | number)[] {
  const search = Object.entries(r.params.search).map(([k, v]) => `${k}=${v}`).join(',') || '-';
  if (r.status !== 'ok') return [r.label, search, `FAILED: ${r.error}`];
  const R = (o: Record<string, number> | null, k: number) => (o && o[k] !== undefined ? o[k].toFixed(4) : '-');
  return [r.label, search, R(r.recall, 1), R(r.recall, 5), R(r.recall, 10), R(r.nnRecall, 10), r.qps!, r.qpsMedian!, r.latencyMs!.p50, r.latencyMs!.p99,
    r.buildSeconds, r.indexBytes / 2 ** 20, r.bitsPerVector];
}

/** The filtered searches of every configuration, one row per selectivity, QPS beside the unfiltered run's of the same rounds. */
function filteredTable(records: IndexRecord[]): string {
  const rows: (string | number)[][] = [];
  for (const r of records) {
    const search = Object.entries(r.params.search).map(([k, v]) => `${k}=${v}`).join(',') || '-';
    for (const x of r.filtered ?? []) {
      if (x.status !== 'ok') {
        rows.push([r.label, search, x.label, x.rows, `FAILED: ${x.error}`]);
        continue;
      }
      const ratio = r.qpsMedian ? `${fmt(x.qpsMedian! / r.qpsMedian)}×` : '-';
      rows.push([r.label, search, x.label, x.rows, x.recall!['10']?.toFixed(4) ?? '-', x.returnedPerQuery!, x.violations!,
        `${fmt(x.qpsMedian!)} [${fmt(x.qpsMin!)}, ${fmt(x.qpsMax!)}]`, ratio]);
    }
  }
  if (rows.length === 0) return '';
  return '\nfiltered search (recall against the exact neighbours among the rows the filter keeps; QPS: median [min, max] of the runs, and its ratio to the unfiltered median of the same interleaved rounds)\n' +
    table(['index', 'search', 'label', 'rows', 'R@10', 'returned/q', 'violations', 'QPS med [range]', 'vs unfiltered'], rows) + '\n';
}

/** The concurrency levels of every configuration (VectorDBBench's table), or nothing when none was asked. */
function concurrencyTable(records: IndexRecord[]): string {
  const rows = records.flatMap((r) => {
    const search = Object.entries(r.params.search).map(([k, v]) => `${k}=${v}`).join(',') || '-';
    const levels = [{ filter: '-', levels: r.concurrency ?? [] }, ...(r.filtered ?? []).map((f) => ({ filter: f.label, levels: f.concurrency ?? [] }))];
    return levels.flatMap(({ filter, levels }) => levels.map((c) => [
      r.label, search, filter, c.clients, c.qps, c.p50, c.p95, c.p99, c.queries, c.seconds, c.violations ?? '-', filter === '-' ? r.serialP99Ms ?? '-' : '-',
    ]));
  });
  if (!rows.length) return '';
  const how = records.flatMap((r) => r.notes.filter((n) => n.startsWith('concurrency'))).filter((n, i, a) => a.indexOf(n) === i);
  return `\nconcurrent clients, each one query at a time from its own offset; QPS = queries done / wall seconds\n${how.map((n) => `${n}\n`).join('')}` +
    table(['index', 'search', 'filter', 'clients', 'QPS', 'p50 ms', 'p95 ms', 'p99 ms', 'queries', 'seconds', 'violations', 'serial p99 ms'], rows) + '\n';
}

/** The load warnings of the records in one sentence, and each configuration whose runs returned different ids. */
function timingWarnings(records: IndexRecord[]): string[] {
  const out: string[] = [];
  const loaded = records.filter((r) => r.loadWarning !== null && r.load !== null);
  if (loaded.length === 1) out.push(loaded[0].loadWarning!);
  else if (loaded.length > 1) {
    const peak = Math.max(...loaded.map((r) => Math.max(r.load!.before, r.load!.after)));
    out.push(`${loaded.length} of ${records.length} configurations were timed while the 1-minute load average exceeded half the ${loaded[0].load!.cores} cores (up to ${fmt(peak)}); their timings are unreliable.`);
  }
  for (const r of records) {
    const differ = r.notes.find(isNondeterminismNote);
    if (differ) out.push(`${Object.entries(r.params.search).map(([k, v]) => `${k}=${v}`).join(',') || r.label}: ${differ}`);
  }
  return out;
}

export function indexCommand(y: Argv): Argv {
  return y
    .command(
      'index',
      'build an index, sweep its search parameters, and measure recall, QPS, latency and memory',
      (a) => withIndexFlags(a, INDEX_FLAGS).option('sweep', { type: 'string', array: true, describe: 'search parameter values to sweep, e.g. --sweep nprobe=1,2,4,8 (repeatable)' })
        .option('raw', { type: 'string', describe: "also write each configuration's per-query ids, distances and times under this folder, in ann-benchmarks' result layout: DIR/{k}/{index}/{spec label}.hdf5" })
        .option('filter', { type: 'string', describe: "filtered search (VectorDBBench's filters): shares of rows kept, e.g. 0.01,0.1,0.5,0.99 (a seeded label each); int:0.01,0.99 = VectorDBBench's int filter id >= int(n·rate), rate = share excluded; label:spam = the rows whose --labels label is spam; a prefix holds until the next; recall against each filter's exact truth" })
        .option('labels', { type: 'string', describe: 'the base rows\' own labels for --filter label:NAME: an .npy of integers or a JSON array, one per base row' })
        .option('mode', { type: 'string', default: 'single', describe: "single: one query at a time on one thread; batch: all queries in one call on --threads threads (ann-benchmarks' --batch), QPS = queries / seconds of the call" })
        .option('concurrency', { type: 'string', describe: 'also run that many concurrent clients per level, e.g. 1,2,4 (VectorDBBench): each searches one query at a time for --duration seconds; QPS = queries done / wall seconds, p50/p95/p99 per level' })
        .option('duration', { type: 'string', describe: `seconds each --concurrency level runs [default ${DEFAULT_DURATION}]` }),
      async (raw) => {
        const argv = raw as unknown as { data: string; json: boolean; out?: string; sweep?: string[]; raw?: string; mode: string; concurrency?: string; duration?: string; filter?: string; labels?: string };
        const f = readFlags(raw, INDEX_FLAGS);
        const mode = checkMode(argv.mode);
        const concurrency = parseConcurrency(argv.concurrency);
        const duration = checkDuration(argv.duration ?? DEFAULT_DURATION);
        const { d, build, search } = indexParams(raw);
        checkModeSupported(d, mode, concurrency);
        const sweep = parseSweep(argv.sweep, d, search);
        const filter = argv.filter === undefined ? undefined : parseFilterSpecs(String(argv.filter), '--filter');
        if (f.threads !== null) setThreads(f.threads);
        if (argv.out) assertWritable(argv.out); // before the run, not after it
        const bar = progressBar(`index ${d.id}`, 'step');
        const records = await runIndexJob({
          data: argv.data, index: d.id, build, search, sweep, k: f.k, queries: f.queries ?? undefined,
          warmup: f.warmup, runs: f.runs, buildRuns: f.buildRuns, seed: f.seed, onProgress: bar.update, ...(argv.raw !== undefined && { raw: argv.raw }),
          trainRows: f.trainRows ?? undefined, chunkRows: f.chunkRows ?? undefined, mode, concurrency, duration, ...(filter && { filter }), ...(argv.labels !== undefined && { labels: argv.labels }),
          // stdout (stderr holds only the error sentence of a failed run); --json keeps it in each record instead
          onNote: argv.json ? undefined : (line) => process.stdout.write(`${line}\n`),
        });
        bar.finish();
        if (argv.out) writeFileAtomic(argv.out, JSON.stringify(records, null, 2) + '\n');
        if (records.some((r) => r.status !== 'ok')) process.exitCode = 1;
        if (argv.json) {
          for (const r of records) process.stdout.write(JSON.stringify(r) + '\n');
          return;
        }
        const r0 = records[0];
        const fp = r0.fingerprint;
        process.stdout.write(
          `dataset ${r0.dataset} (${r0.queries} queries, k = ${r0.k}); ${mode === 'batch' ? `batch mode: all queries in one call on ${r0.batchThreads ?? '?'} threads, QPS = queries / seconds of the call` : 'one thread, one query at a time'}; ${r0.recallDefinition}\n` +
          `QPS and latency: the fastest of ${r0.runs} run${r0.runs === 1 ? '' : 's'} (QPS med: their median); build s: the fastest of ${r0.buildSecondsRuns.length}; ` +
          `machine ${fp.id} (${fp.cpu}, ${fp.cores} cores, ${fp.threads} threads, BLAS ${fp.blas}, Node ${fp.node})\n` +
          `memory: the index's own bytes${r0.memoryIsExact ? '' : ' (estimated by the adapter)'}; peak RSS ${fmt(r0.peakRssBytes / 2 ** 20)} MiB (whole process, dataset included)` +
          `${r0.rssBudget?.bytes ? ` against a budget of ${fmt(r0.rssBudget.bytes / 2 ** 20)} MiB` : ''}; base ${r0.buildFrom === 'chunks' ? 'added chunk by chunk after training on a seeded sample' : 'held whole'}\n` +
          table(['index', 'search', 'R@1', 'R@5', 'R@10', 'nnR@10', 'QPS', 'QPS med', 'p50 ms', 'p99 ms', 'build s', 'MiB', 'bits/vec'], records.map(recordRow)) + '\n' +
          concurrencyTable(records) +
          timingWarnings(records).map((w) => `warning: ${w}\n`).join('') +
          filteredTable(records),
        );
      },
    )
    .command(
      'insert',
      'build an index on part of the base, insert batches, and measure time, memory and recall per batch (paper Fig. 7)',
      (a) => withIndexFlags(a, RUN_FLAGS).option('batches', { type: 'string', demandOption: true, describe: 'batch sizes, e.g. 1000,5000,10000' }),
      async (raw) => {
        const argv = raw as unknown as { data: string; json: boolean; out?: string; batches: string };
        const f = readFlags(raw, RUN_FLAGS);
        const { d, build, search } = indexParams(raw);
        const batches = parseBatches(argv.batches);
        if (f.threads !== null) setThreads(f.threads);
        if (argv.out) assertWritable(argv.out); // before the run, not after it
        const bar = progressBar(`insert ${d.id}`, 'batch');
        const result = await runInsertJob({ data: argv.data, index: d.id, build, search, batches, k: f.k, queries: f.queries ?? undefined, seed: f.seed, onProgress: bar.update });
        bar.finish();
        emitResult(result, argv, () =>
          `${result.label} on ${result.dataset}: built on ${result.initialRows} rows in ${fmt(result.buildSeconds)} s (${fmt(result.initialIndexBytes / 2 ** 20)} MiB)\n` +
          table(['batch', 'rows', 'indexed', 'seconds', 'rows/s', 'Δ index MiB', 'Δ RSS MiB', 'R@10'],
            result.batches.map((b) => [b.batch, b.rows, b.indexedAfter, b.seconds, b.rowsPerSecond, b.indexBytesDelta / 2 ** 20, b.rssDeltaBytes / 2 ** 20, b.recall[10]?.toFixed(4) ?? '-'])) + '\n' +
          (result.loadWarning ? `warning: ${result.loadWarning}\n` : ''),
        );
      },
    );
}
