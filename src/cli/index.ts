/**
 * `vqbench index` and `vqbench insert`: flags → runIndexJob / runInsertJob → a table, or one JSON
 * object per configuration with --json. The index parameters are not listed here: every build and
 * search parameter of every registered index becomes a flag (kebab-case), so a new index brings
 * its own flags; a flag the chosen index does not know is refused with its known parameters.
 */
import type { Argv } from 'yargs';
import { writeFileAtomic } from '../core/atomic.js';
import { InputError } from '../core/errors.js';
import { setThreads } from '../core/parallel.js';
import { progressBar } from '../core/progress.js';
import { INDEXES, INDEX_IDS, indexEntry, type IndexParams } from '../index/registry.js';
import { runIndexJob, runInsertJob, type IndexRecord } from '../run/index-job.js';
import { fmt, table } from '../core/format.js';

interface CommonArgs { data: string; index: string; k: number; queries?: number; seed: number; threads?: number; json: boolean; out?: string }

const kebab = (s: string) => (/^[A-Z]+$/.test(s) ? s : s.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()));
const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The short flags, mapped per index onto its own parameter names. */
const ALIASES: Record<string, Record<string, string>> = {
  hnsw: { m: 'M' },
};

/** Every parameter name of every index, with the indexes that take it. */
function allParams(): Map<string, { boolean: boolean; describe: string; owners: string[] }> {
  const out = new Map<string, { boolean: boolean; describe: string; owners: string[] }>();
  for (const e of Object.values(INDEXES)) {
    for (const [name, spec] of [...Object.entries(e.buildParams), ...Object.entries(e.searchParams)]) {
      const cur = out.get(name) ?? { boolean: typeof spec.default === 'boolean', describe: spec.describe, owners: [] };
      cur.owners.push(e.id);
      out.set(name, cur);
    }
  }
  return out;
}

/** The commands' own flags; an index parameter may not reuse one (checked when the flags are declared). */
const COMMON_FLAGS = ['data', 'index', 'k', 'queries', 'seed', 'threads', 'json', 'out', 'sweep', 'warmup', 'batches', 'help', 'version'];

function withIndexFlags(a: Argv): Argv {
  let y = a
    .option('data', { type: 'string', demandOption: true, describe: 'dataset name (glove-100, synthetic-gmm), file (.npy, .fvecs, .bvecs, .hdf5) or TEXMEX folder' })
    .option('index', { type: 'string', demandOption: true, describe: `index: ${INDEX_IDS.join(', ')}` })
    .option('k', { type: 'number', default: 10, describe: 'neighbours per query (at least 10 are searched, for recall@10)' })
    .option('queries', { type: 'number', describe: 'use the first N queries (default: all)' })
    .option('seed', { type: 'number', default: 1234 })
    .option('threads', { type: 'number', describe: 'threads for ground truth and building (search is always one thread)' })
    .option('json', { type: 'boolean', default: false, describe: 'one JSON object per configuration on stdout' })
    .option('out', { type: 'string', describe: 'also write the results as JSON to this file (atomically)' });
  for (const [name, p] of allParams()) {
    if (COMMON_FLAGS.includes(kebab(name))) throw new Error(`index parameter '${name}' collides with the command's own --${kebab(name)}`);
    y = y.option(kebab(name), { type: p.boolean ? 'boolean' : 'string', describe: `[${p.owners.join(', ')}] ${p.describe}` });
  }
  return y;
}

/** Splits the given flags into the index's build and search parameters; refuses the others. */
function indexParams(argv: { [key: string]: unknown }): { id: string; build: IndexParams; search: IndexParams } {
  const e = indexEntry(String(argv.index));
  const aliases = ALIASES[e.id] ?? {};
  const build: IndexParams = {}, search: IndexParams = {};
  const known = [...Object.keys(e.buildParams), ...Object.keys(e.searchParams)];
  for (const name of allParams().keys()) {
    const v = argv[kebab(name)] ?? argv[name];
    if (v === undefined) continue;
    const target = aliases[name] ?? name;
    if (target in e.buildParams) build[target] = v as never;
    else if (target in e.searchParams) search[target] = v as never;
    else throw new InputError(`--${kebab(name)} is not a parameter of index ${e.id}; its parameters: ${known.map((n) => '--' + kebab(n)).join(', ') || '(none)'}.`);
  }
  return { id: e.id, build, search };
}

function parseSweep(items: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const item of (Array.isArray(items) ? items : items === undefined ? [] : [items]).map(String)) {
    const m = /^([A-Za-z][\w-]*)=(.+)$/.exec(item);
    if (!m) throw new InputError(`--sweep expects name=v1,v2,... (e.g. --sweep nprobe=1,2,4,8), got '${item}'.`);
    out[camel(m[1])] = m[2].split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  }
  return out;
}

function recordRow(r: IndexRecord): (string | number)[] {
  const search = Object.entries(r.params.search).map(([k, v]) => `${k}=${v}`).join(',') || '-';
  if (r.status !== 'ok') return [r.label, search, `FAILED: ${r.error}`];
  const R = (o: Record<string, number> | null, k: number) => (o && o[k] !== undefined ? o[k].toFixed(4) : '-');
  return [r.label, search, R(r.recall, 1), R(r.recall, 5), R(r.recall, 10), R(r.nnRecall, 10), r.qps!, r.latencyMs!.p50, r.latencyMs!.p99,
    r.buildSeconds, r.indexBytes / 2 ** 20, r.bitsPerVector];
}

export function indexCommand(y: Argv): Argv {
  return y
    .command(
      'index',
      'build an index, sweep its search parameters, and measure recall, QPS, latency and memory',
      (a) => withIndexFlags(a).option('sweep', { type: 'string', array: true, describe: 'search parameter values to sweep, e.g. --sweep nprobe=1,2,4,8 (repeatable)' })
        .option('warmup', { type: 'number', default: 100, describe: 'untimed warm-up queries before each timed loop' }),
      async (raw) => {
        const argv = raw as unknown as CommonArgs & { sweep?: string[]; warmup: number };
        if (argv.threads !== undefined) setThreads(argv.threads);
        const { id, build, search } = indexParams(raw);
        const bar = progressBar(`index ${id}`, 'step');
        const records = await runIndexJob({
          data: argv.data, index: id, build, search, sweep: parseSweep(argv.sweep), k: argv.k, queries: argv.queries,
          warmup: argv.warmup, seed: argv.seed, onProgress: bar.update,
        });
        bar.finish();
        if (argv.out) writeFileAtomic(argv.out, JSON.stringify(records, null, 2) + '\n');
        if (records.some((r) => r.status !== 'ok')) process.exitCode = 1;
        if (argv.json) {
          for (const r of records) process.stdout.write(JSON.stringify(r) + '\n');
          return;
        }
        const r0 = records[0];
        process.stdout.write(
          `dataset ${r0.dataset} (${r0.queries} queries, k = ${r0.k}); one thread, one query at a time; ${r0.recallDefinition}\n` +
          `memory: the index's own bytes${r0.memoryIsExact ? '' : ' (estimated by the adapter)'}; peak RSS ${fmt(r0.peakRssBytes / 2 ** 20)} MiB (whole process, dataset included)\n` +
          table(['index', 'search', 'R@1', 'R@5', 'R@10', 'nnR@10', 'QPS', 'p50 ms', 'p99 ms', 'build s', 'MiB', 'bits/vec'], records.map(recordRow)) + '\n',
        );
      },
    )
    .command(
      'insert',
      'build an index on part of the base, insert batches, and measure time, memory and recall per batch (paper Fig. 7)',
      (a) => withIndexFlags(a).option('batches', { type: 'string', demandOption: true, describe: 'batch sizes, e.g. 1000,5000,10000' }),
      async (raw) => {
        const argv = raw as unknown as CommonArgs & { batches: string };
        if (argv.threads !== undefined) setThreads(argv.threads);
        const { id, build, search } = indexParams(raw);
        const batches = String(argv.batches).split(',').map((s) => Number(s.trim()));
        if (batches.some((b) => !Number.isInteger(b) || b < 1)) throw new InputError(`--batches expects positive integers separated by commas, got '${argv.batches}'.`);
        const bar = progressBar(`insert ${id}`, 'batch');
        const result = await runInsertJob({ data: argv.data, index: id, build, search, batches, k: argv.k, queries: argv.queries, seed: argv.seed, onProgress: bar.update });
        bar.finish();
        if (argv.out) writeFileAtomic(argv.out, JSON.stringify(result, null, 2) + '\n');
        if (argv.json) {
          process.stdout.write(JSON.stringify(result) + '\n');
          return;
        }
        process.stdout.write(
          `${result.label} on ${result.dataset}: built on ${result.initialRows} rows in ${fmt(result.buildSeconds)} s (${fmt(result.initialIndexBytes / 2 ** 20)} MiB)\n` +
          table(['batch', 'rows', 'indexed', 'seconds', 'rows/s', 'Δ index MiB', 'Δ RSS MiB', 'R@10'],
            result.batches.map((b) => [b.batch, b.rows, b.indexedAfter, b.seconds, b.rowsPerSecond, b.indexBytesDelta / 2 ** 20, b.rssDeltaBytes / 2 ** 20, b.recall[10]?.toFixed(4) ?? '-'])) + '\n',
        );
      },
    );
}
