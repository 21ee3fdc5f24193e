/**
 * Index benchmark (issue: indexes, §5; issue 12 §3, §5), ann-benchmarks style, in ONE run: every
 * index on one dataset (default glove-100, 10,000 queries, k = 10), one thread, one query at a time.
 *
 * Configurations with a faiss peer (flat ↔ Flat, ivfpq ↔ IVF1024,PQ50np, pq ↔ PQ50np, hnsw ↔
 * HNSW16 at the same efConstruction) run as an interleaved peer session (bench/peer-compare.ts):
 * ours (bench/peers/serve-index.ts), native faiss (bench/peers/faiss_index.py on /usr/bin/python3,
 * no JavaScript in its timing) and faiss-node (serve-index.ts with the faiss index) are each built
 * once in their own long-lived process, then timed ours → native → faiss-node at each search
 * setting, the sweep repeated `--runs` times. Printed per setting: recall@10 of both, the median
 * ours/native single-query QPS ratio with its min–max over runs, native batch QPS on all cores, and
 * faiss-node's added time per call (faiss-node p50 − native p50). Ratios are only taken between two
 * timings of this run with the same machine fingerprint; runs whose load average exceeded half the
 * cores are flagged. Without python3-faiss (or with --no-native) the ratio is against faiss-node.
 *
 * The other configurations (WRVQ and its equal-bit bracket, LanceDB, faiss-node configurations
 * whose twin is not run) run once each in their own `vqbench index` child process, as before.
 *
 * Run: node --import tsx bench/indexes.ts [--data glove-100] [--queries 10000] [--runs 5]
 *        [--only ivfpq,hnsw] [--nprobe 1,4,16,64] [--ef-search 16,32,64,128,256] [--no-native] [--no-faiss-node]
 * `--only` takes config names, or prefixes of them (`faiss` = every faiss configuration) for names
 * that are not a config's full name (`ivfpq` is ivfpq alone, not also ivfpq-norms).
 * Writes results/bench/indexes.json (every run's timings, fingerprints and loads), atomically.
 * The batch exact-search throughput against faiss Flat (BLAS) is in bench/kernels.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { table } from '../src/core/format.js';
import { writeFileAtomic } from '../src/core/atomic.js';
import { paretoFrontier } from '../src/eval/ann.js';
import type { IndexRecord } from '../src/run/index-job.js';
import { datasetWithTruth } from '../src/run/index-job.js';
import { blasInfo } from '../src/core/blas.js';
import { displayPath } from '../src/core/paths.js';
import { formatRatio, parseNprobeList, type Spread } from './native-faiss-lib.js';
import { runSession, type SessionResult, type Setting, type SideSpec } from './peer-compare.js';
import { machineFingerprint, nativeFaissUnavailable, startNativePeer, startVqbenchPeer, writeSplitFiles } from './peer-session.js';

const argv = yargs(hideBin(process.argv))
  .option('data', { type: 'string', default: 'glove-100' })
  .option('queries', { type: 'number', default: 10_000 })
  .option('only', { type: 'string', describe: 'comma-separated config names (or prefixes) to run' })
  .option('nprobe', { type: 'string', describe: 'nprobe values swept by the IVF configurations (default 1,2,4,8,16,32,64 for IVF1024, 1,4,16,64 for the others)' })
  .option('ef-search', { type: 'string', default: '16,32,64,128,256', describe: 'efSearch values swept by the HNSW configurations' })
  .option('runs', { type: 'number', default: 5, describe: 'interleaved repeats of each peer session\'s sweep (median ratio and its min–max)' })
  .option('native', { type: 'boolean', describe: 'time native faiss (python3-faiss) as the peer; default: on when /usr/bin/python3 imports faiss' })
  .option('faiss-node', { type: 'boolean', default: true, describe: 'also time faiss-node in each peer session (--no-faiss-node to skip)' })
  .option('warmup', { type: 'number', default: 100, describe: 'untimed queries before each timed loop (every side)' })
  .option('seed', { type: 'number', default: 1234 })
  .option('timeout', { type: 'number', default: 3600, describe: 'seconds allowed per single-run configuration' })
  .option('out', { type: 'string', default: 'results/bench/indexes.json' })
  .strict()
  .parseSync();

const K = 10;

interface Config {
  /** Name in the tables; `peer` names the faiss-node configuration it mirrors. */
  name: string;
  args: string[];
  peer?: string;
  /** An interleaved session: our index and build parameters, the native faiss twin, the settings swept. */
  session?: { index: string; build: Record<string, unknown>; factory: string; efConstruction?: number; settings: Setting[]; faissNode: boolean };
}

function positiveInt(flag: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) usage(`${flag} must be a positive integer, got ${v}.`);
  return v;
}
function usage(msg: string): never {
  console.error(msg);
  process.exit(2);
}
function list(flag: string, spec: string): number[] {
  try {
    return parseNprobeList(spec);
  } catch (e) {
    return usage((e as Error).message.replace('--nprobe', flag));
  }
}

const RUNS = positiveInt('--runs', argv.runs);
positiveInt('--queries', argv.queries);
const NPROBE_LIST = argv.nprobe ?? '1,2,4,8,16,32,64';
const NPROBE_SHORT_LIST = argv.nprobe ?? '1,4,16,64';
const NPROBE = `nprobe=${NPROBE_LIST}`;
const NPROBE_SHORT = `nprobe=${NPROBE_SHORT_LIST}`;
const nprobes = list('--nprobe', NPROBE_LIST).map((nprobe) => ({ nprobe }));
const efSearches = list('--ef-search', argv.efSearch).map((efSearch) => ({ efSearch }));
const IVFPQ = { nlist: 1024, m: 50, nbits: 8 };

const CONFIGS: Config[] = [
  { name: 'flat', args: ['--index', 'flat'], peer: 'faiss-flat', session: { index: 'flat', build: {}, factory: 'Flat', settings: [{}], faissNode: true } },
  { name: 'faiss-flat', args: ['--index', 'faiss', '--factory', 'Flat'] },
  {
    name: 'ivfpq', args: ['--index', 'ivfpq', '--nlist', '1024', '--m', '50', '--nbits', '8', '--sweep', NPROBE], peer: 'faiss-ivfpq50',
    session: { index: 'ivfpq', build: IVFPQ, factory: 'IVF1024,PQ50np', settings: nprobes, faissNode: true },
  },
  {
    name: 'ivfpq-norms', args: ['--index', 'ivfpq', '--nlist', '1024', '--m', '50', '--nbits', '8', '--tables', 'norms', '--sweep', NPROBE], peer: 'faiss-ivfpq50',
    session: { index: 'ivfpq', build: { ...IVFPQ, tables: 'norms' }, factory: 'IVF1024,PQ50np', settings: nprobes, faissNode: true },
  },
  { name: 'faiss-ivfpq50', args: ['--index', 'faiss', '--factory', 'IVF1024,PQ50np', '--sweep', NPROBE] },
  // WRVQ 4×256 stores 4 × (8 + 16) bits + a float32 ||x̂||² = 128 bits; faiss PQ needs d % M = 0 (d = 100), so the
  // equal-bits peers bracket it: PQ10 (80 bits) and PQ20 (160 bits). No single twin, so no interleaved ratio.
  { name: 'wrvq-paper', args: ['--index', 'wrvq', '--books', '4', '--size', '256', '--weights', 'paper', '--sweep', NPROBE_SHORT, '--sweep', 'fuzzy-k=4,16,0'] },
  { name: 'wrvq-gain', args: ['--index', 'wrvq', '--books', '4', '--size', '256', '--weights', 'gain', '--sweep', NPROBE_SHORT, '--sweep', 'fuzzy-k=4,16,0'] },
  { name: 'faiss-ivfpq10', args: ['--index', 'faiss', '--factory', 'IVF256,PQ10np', '--sweep', NPROBE_SHORT] },
  { name: 'faiss-ivfpq20', args: ['--index', 'faiss', '--factory', 'IVF256,PQ20np', '--sweep', NPROBE_SHORT] },
  {
    name: 'pq', args: ['--index', 'pq', '--m', '50', '--nbits', '8'], peer: 'faiss-pq50',
    session: { index: 'pq', build: { m: 50, nbits: 8 }, factory: 'PQ50np', settings: [{}], faissNode: true },
  },
  { name: 'faiss-pq50', args: ['--index', 'faiss', '--factory', 'PQ50np'] },
  {
    name: 'hnsw', args: ['--index', 'hnsw', '--m', '16', '--ef-construction', '200', '--sweep', `ef-search=${argv.efSearch}`], peer: 'faiss-hnsw16',
    // native faiss gets our efConstruction; faiss-node cannot set it (faiss's 40), so its graph differs and it is left out
    session: { index: 'hnsw', build: { M: 16, efConstruction: 200 }, factory: 'HNSW16', efConstruction: 200, settings: efSearches, faissNode: false },
  },
  { name: 'faiss-hnsw16', args: ['--index', 'faiss', '--factory', 'HNSW16', '--sweep', `ef-search=${argv.efSearch}`] },
  { name: 'lancedb', args: ['--index', 'lancedb', '--num-partitions', '256', '--num-sub-vectors', '50', '--sweep', 'nprobes=1,4,16,64'] },
];

const BIN = fileURLToPath(new URL('../bin/vqbench.mjs', import.meta.url));

interface SingleRun {
  records: IndexRecord[];
  error: string | null;
  seconds: number;
}

/** One configuration, once, in its own `vqbench index` child (its peak RSS is its own). */
function runOnce(c: Config): SingleRun {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, 'index', '--data', argv.data, '--queries', String(argv.queries), '--k', String(K), '--json', '--seed', String(argv.seed), ...c.args],
    { encoding: 'utf8', timeout: argv.timeout * 1000, maxBuffer: 1 << 26, env: { ...process.env, VQBENCH_PROGRESS: '0' } });
  const seconds = (performance.now() - t0) / 1000;
  const records = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as IndexRecord);
  const error = r.error ? `${r.error.message}` : records.length === 0 ? (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`) : null;
  return { records, error, seconds };
}

const searchLabel = (r: IndexRecord) => Object.entries(r.params.search).map(([k, v]) => `${k}=${v}`).join(',') || '-';
const fmtSpread = (s: Spread | null | undefined, digits = 1) => (s ? `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})` : '-');
const num = (v: unknown) => (typeof v === 'number' ? v : '-');
const log = (name: string) => (s: string) => process.stderr.write(`[bench] ${name}: ${s}\n`);

async function main(): Promise<void> {
  const only = argv.only?.split(',').map((s) => s.trim());
  const names = new Set(CONFIGS.map((c) => c.name));
  const selected = CONFIGS.filter((c) => !only || only.some((o) => c.name === o || (!names.has(o) && c.name.startsWith(o))));
  const nativeWhyNot = argv.native === false ? 'turned off (--no-native)' : nativeFaissUnavailable();
  if (argv.native === true && nativeWhyNot) usage(`--native: ${nativeWhyNot}.`);
  const native = nativeWhyNot === null;
  const sessions = selected.filter((c) => c.session);
  // a faiss-node twin timed inside its peer's session is not run again on its own
  const inSessions = new Set(argv.faissNode ? sessions.filter((c) => c.session!.faissNode).map((c) => c.peer!) : []);
  const singles = selected.filter((c) => !c.session && !inSessions.has(c.name));
  const cores = cpus().length;
  const driver = { node: process.version, fingerprint: machineFingerprint() };
  console.log(`dataset ${argv.data}, ${argv.queries} queries, k = ${K}, one thread, one query at a time; ${cores} cores; BLAS ${blasInfo()}; ` +
    `peer sessions: ${RUNS} interleaved runs against ${native ? 'native faiss (python3-faiss)' : `faiss-node (native faiss ${nativeWhyNot})`}`);

  const t0 = performance.now();
  const sessionResults: Record<string, SessionResult | { error: string }> = {};
  let splitDir: string | null = null;
  try {
    let files: ReturnType<typeof writeSplitFiles> | null = null;
    if (native && sessions.length > 0) {
      // the split every side searches: base, the first --queries queries, their exact top-10 (as `vqbench index`)
      const { ds, queries, truth } = await datasetWithTruth({ data: argv.data, queries: argv.queries, seed: argv.seed }, K);
      splitDir = mkdtempSync(join(tmpdir(), 'vqbench-indexes-'));
      files = writeSplitFiles(splitDir, ds.base, queries, truth.ids, truth.k);
    }
    for (const c of sessions) {
      const s = c.session!;
      const twin = c.peer ? CONFIGS.find((x) => x.name === c.peer) : undefined;
      const sides: SideSpec[] = [
        { role: 'ours', label: c.name, start: () => startVqbenchPeer({ name: c.name, data: argv.data, queries: argv.queries, index: s.index, build: s.build, seed: argv.seed, warmup: argv.warmup }) },
      ];
      if (files) {
        const f = files;
        sides.push({
          role: 'native', label: `native faiss ${s.factory}`,
          start: () => startNativePeer({ files: f, factory: s.factory, k: K, seed: argv.seed, warmup: argv.warmup, batchRepeats: 1, efConstruction: s.efConstruction }),
        });
      }
      if (argv.faissNode && s.faissNode && twin) {
        sides.push({
          role: 'faissNode', label: twin.name,
          start: () => startVqbenchPeer({ name: twin.name, data: argv.data, queries: argv.queries, index: 'faiss', build: { factory: s.factory }, seed: argv.seed, warmup: argv.warmup }),
        });
      }
      try {
        sessionResults[c.name] = await runSession(sides, s.settings, RUNS, log(c.name));
      } catch (e) {
        sessionResults[c.name] = { error: (e as Error).message };
        log(c.name)(`FAILED ${(e as Error).message}`);
      }
    }
  } finally {
    if (splitDir) rmSync(splitDir, { recursive: true, force: true });
  }

  const results: Record<string, SingleRun> = {};
  for (const c of singles) {
    process.stderr.write(`[bench] ${c.name}: vqbench index ${c.args.join(' ')} ...\n`);
    results[c.name] = runOnce(c);
    const r = results[c.name];
    process.stderr.write(`[bench] ${c.name}: ${r.error ? 'FAILED ' + r.error : r.records.length + ' configurations'} in ${r.seconds.toFixed(0)} s\n`);
  }

  printSessions(sessions, sessionResults, native, cores);
  printSingles(singles, results);
  console.log('Chroma: not run (its server needs glibc ≥ 2.38; Debian 12 has 2.36).');

  writeFileAtomic(argv.out, JSON.stringify({
    data: displayPath(argv.data), queries: argv.queries, k: K, runs: RUNS, cores, blas: blasInfo(), driver,
    native: { enabled: native, reason: nativeWhyNot }, faissNode: argv.faissNode, seconds: (performance.now() - t0) / 1000,
    ratioRule: 'a ratio pairs two timings of the same run and setting, taken back to back, and only when their fingerprints (host, cpu, cpuFlags, cores, blas, threads, node) are equal',
    sessions: sessionResults, results,
  }, null, 2) + '\n');
  console.log(`\nwrote ${argv.out} (${((performance.now() - t0) / 1000).toFixed(0)} s in all)`);
}

function printSessions(configs: Config[], res: Record<string, SessionResult | { error: string }>, native: boolean, cores: number): void {
  if (configs.length === 0) return;
  const ref = native ? 'native' : 'faiss-node';
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  const builds: string[] = [];
  const fronts: string[] = [];
  const cpuLines: string[] = [];
  for (const c of configs) {
    const r = res[c.name];
    if ('error' in r) {
      rows.push([c.name, '-', 'not run']);
      notes.push(`${c.name}: not run: ${r.error}`);
      continue;
    }
    for (const side of Object.values(r.sides)) {
      if (side?.error) notes.push(`${c.name}: ${side.label} not run: ${side.error}`);
      const b = side?.build;
      if (b) {
        builds.push(`  ${side.label.padEnd(28)} build ${(b.buildSeconds as number).toFixed(1)} s` +
          (typeof b.indexBytes === 'number' ? `, ${(b.indexBytes / 2 ** 20).toFixed(1)} MiB` : '') +
          (typeof b.bitsPerVector === 'number' ? `, ${b.bitsPerVector} bits/vec` : '') +
          (typeof b.peakRssBytes === 'number' ? `, peak RSS ${(b.peakRssBytes / 2 ** 20).toFixed(0)} MiB` : ''));
      }
    }
    for (const role of ['ours', 'native'] as const) {
      const pts = r.summary.filter((s) => s.qps[role] && s.recall10[role] !== undefined)
        .map((s) => ({ recall: s.recall10[role]!, qps: s.qps[role]!.median, label: s.label }));
      if (pts.length > 1) fronts.push(`  ${r.sides[role]!.label.padEnd(28)} ${paretoFrontier(pts).map((p) => `${p.label}: ${p.recall.toFixed(3)} @ ${Math.round(p.qps)}`).join(' | ')}`);
    }
    for (const s of r.summary) {
      if (s.ratioError) notes.push(`${c.name} ${s.label}: ${s.ratioError}`);
      rows.push([c.name, s.label, num(s.recall10.ours), num(s.recall10.native), num(s.recall10.faissNode),
        s.qps.ours ? Math.round(s.qps.ours.median) : '-', s.qps.native ? Math.round(s.qps.native.median) : '-', s.qps.faissNode ? Math.round(s.qps.faissNode.median) : '-',
        s.ratio ? formatRatio(s.ratio) : '-', s.nativeBatchQps ? `${Math.round(s.nativeBatchQps.median)} (${s.nativeBatchThreads})` : '-', fmtSpread(s.faissNodeAddedUsP50)]);
    }
    for (const run of r.runs) {
      for (const [label, sides] of Object.entries(run.timings)) {
        for (const [role, t] of Object.entries(sides)) if (t && 'error' in t) notes.push(`${c.name} run ${run.run} ${label} ${role}: ${t.error}`);
      }
    }
    const cpu = (o: Partial<Record<string, number>>) => Object.entries(o).map(([k, v]) => `${k} ${v!.toFixed(1)}`).join(', ') || '-';
    cpuLines.push(`  ${c.name}: builds ${cpu(r.cpuSeconds.build)}; single-query loops ${cpu(r.cpuSeconds.search)}`);
    const flagged = r.runs.filter((x) => x.loadExceeded).map((x) => x.run);
    console.log(`${c.name}: peers loaded and built in ${r.seconds.build.toFixed(0)} s, searched in ${r.seconds.search.toFixed(0)} s; load (1 min) per run ` +
      r.runs.map((x) => `${x.loadBefore[0]}→${x.loadAfter[0]}${x.loadExceeded ? '!' : ''}`).join(', ') +
      (flagged.length ? `; ! = above half the cores (${cores / 2}) in run ${flagged.join(', ')}: those timings shared the machine` : ''));
  }
  console.log(`\nInterleaved peer sessions: per run, per setting, each side in turn (ours → ${native ? 'native faiss → faiss-node' : 'faiss-node'}, where run), ${RUNS} runs. ` +
    `QPS = single query per call, one thread, median over runs; ours/${ref} = median (min–max) of the per-run ratios, each between two timings ` +
    'taken back to back with the same fingerprint; batch = native search(Q) on all cores (threads); ' +
    'faiss-node +µs/call = faiss-node p50 − native p50 latency per run, median (min–max)\n' +
    table(['config', 'search', 'R@10 ours', 'R@10 native', 'R@10 f-node', 'QPS ours', 'QPS native', 'QPS f-node', `ours/${ref}`, 'native batch QPS', 'f-node +µs/call'], rows) +
    notes.map((n) => '\n' + n).join(''));
  console.log('\nbuilds (one at a time, each alone; MiB = the index\'s own bytes; RSS = the peer process peak)\n' + builds.join('\n'));
  console.log('\nCPU seconds per side (on an idle machine about its wall time; ours builds on all threads)\n' + cpuLines.join('\n'));
  if (fronts.length) console.log('\nrecall@10–QPS Pareto frontier (median QPS over runs)\n' + fronts.join('\n'));
}

function printSingles(configs: Config[], results: Record<string, SingleRun>): void {
  if (configs.length === 0) return;
  const rows: (string | number)[][] = [];
  const failures: string[] = [];
  for (const c of configs) {
    const r = results[c.name];
    if (r.error) {
      rows.push([c.name, '-', 'not run']);
      failures.push(`${c.name}: not run: ${r.error}`);
      continue;
    }
    const peer = c.peer ? results[c.peer] : undefined;
    for (const rec of r.records) {
      if (rec.status !== 'ok') {
        rows.push([c.name, searchLabel(rec), 'failed']);
        failures.push(`${c.name} ${searchLabel(rec)}: failed: ${rec.error}`);
        continue;
      }
      const twin = peer?.records.find((p) => p.status === 'ok' && searchLabel(p) === searchLabel(rec));
      rows.push([c.name, searchLabel(rec), rec.recall!['1'], rec.recall!['10'], rec.nnRecall!['10'], rec.qps!,
        twin ? `${(rec.qps! / twin.qps!).toFixed(2)}×` : '', twin ? (rec.recall!['10'] - twin.recall!['10']).toFixed(4) : '',
        rec.latencyMs!.p50, rec.latencyMs!.p99, rec.buildSeconds, rec.indexBytes / 2 ** 20, rec.peakRssBytes / 2 ** 20, rec.bitsPerVector]);
    }
  }
  console.log('\nSingle-run configurations (one `vqbench index` child each, timed once). recall@k = |approx top-k ∩ exact top-k| / k; ' +
    'nnR@10 = exact nearest neighbour within the top 10; QPS ratio and ΔR@10 are against the faiss-node configuration each mirrors ' +
    '(same search parameters); MiB = the index\'s own bytes (faiss, hnsw, lancedb: the adapter\'s estimate / on-disk size); RSS = the child process peak\n' +
    table(['config', 'search', 'R@1', 'R@10', 'nnR@10', 'QPS', 'QPS vs faiss', 'ΔR@10', 'p50 ms', 'p99 ms', 'build s', 'MiB', 'RSS MiB', 'bits/vec'], rows) +
    failures.map((f) => '\n' + f).join(''));

  console.log('\nrecall@10–QPS Pareto frontier of each configuration');
  for (const c of configs) {
    const ok = results[c.name].records.filter((r) => r.status === 'ok');
    if (ok.length === 0) continue;
    const front = paretoFrontier(ok.map((r) => ({ recall: r.recall!['10'], qps: r.qps!, label: searchLabel(r) })));
    console.log(`  ${c.name.padEnd(15)} ${front.map((p) => `${p.label}: ${p.recall.toFixed(3)} @ ${Math.round(p.qps)}`).join(' | ')}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
