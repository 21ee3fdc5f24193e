/**
 * Index benchmark (issue: indexes, §5), ann-benchmarks style, in ONE run: every index on one
 * dataset (default glove-100, 10,000 queries, k = 10), one thread, one query at a time, each
 * (index, build) configuration in its own `vqbench index` child process (so its peak RSS is its
 * own), its search parameters swept against one build. Prints every configuration side by side,
 * the ratios of ours to the faiss configuration it mirrors (equal nlist / nprobe / code size), the
 * recall–QPS Pareto frontier of each index, and writes results/bench/indexes.json.
 *
 * Run: node --import tsx bench/indexes.ts [--data glove-100] [--queries 10000] [--only ivfpq,faiss-ivfpq50] [--nprobe 1,4,16,64]
 * `--only` takes config names, or prefixes of them (`faiss` = every faiss configuration) for names
 * that are not a config's full name (`ivfpq` is ivfpq alone, not also ivfpq-norms).
 * The batch exact-search throughput against faiss Flat (BLAS) is in bench/kernels.ts.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { table } from '../src/core/format.js';
import { writeFileAtomic } from '../src/core/atomic.js';
import { paretoFrontier } from '../src/eval/ann.js';
import type { IndexRecord } from '../src/run/index-job.js';
import { blasInfo } from '../src/core/blas.js';
import { displayPath } from '../src/core/paths.js';

const argv = yargs(hideBin(process.argv))
  .option('data', { type: 'string', default: 'glove-100' })
  .option('queries', { type: 'number', default: 10_000 })
  .option('only', { type: 'string', describe: 'comma-separated config names (or prefixes) to run' })
  .option('nprobe', { type: 'string', describe: 'nprobe values swept by the IVF configurations (default 1,2,4,8,16,32,64 for IVF1024, 1,4,16,64 for the others)' })
  .option('timeout', { type: 'number', default: 3600, describe: 'seconds allowed per configuration' })
  .strict()
  .parseSync();

interface Config {
  /** Name in the tables; `peer` names the faiss configuration it is compared with. */
  name: string;
  args: string[];
  peer?: string;
}

const NPROBE = `nprobe=${argv.nprobe ?? '1,2,4,8,16,32,64'}`;
const NPROBE_SHORT = `nprobe=${argv.nprobe ?? '1,4,16,64'}`;
const CONFIGS: Config[] = [
  { name: 'flat', args: ['--index', 'flat'], peer: 'faiss-flat' },
  { name: 'faiss-flat', args: ['--index', 'faiss', '--factory', 'Flat'] },
  { name: 'ivfpq', args: ['--index', 'ivfpq', '--nlist', '1024', '--m', '50', '--nbits', '8', '--sweep', NPROBE], peer: 'faiss-ivfpq50' },
  { name: 'ivfpq-norms', args: ['--index', 'ivfpq', '--nlist', '1024', '--m', '50', '--nbits', '8', '--tables', 'norms', '--sweep', NPROBE], peer: 'faiss-ivfpq50' },
  { name: 'faiss-ivfpq50', args: ['--index', 'faiss', '--factory', 'IVF1024,PQ50np', '--sweep', NPROBE] },
  // WRVQ 4×256 stores 4 × (8 + 16) bits + a float32 ||x̂||² = 128 bits; faiss PQ needs d % M = 0 (d = 100), so the
  // equal-bits peers bracket it: PQ10 (80 bits) and PQ20 (160 bits)
  { name: 'wrvq-paper', args: ['--index', 'wrvq', '--books', '4', '--size', '256', '--weights', 'paper', '--sweep', NPROBE_SHORT, '--sweep', 'fuzzy-k=4,16,0'] },
  { name: 'wrvq-gain', args: ['--index', 'wrvq', '--books', '4', '--size', '256', '--weights', 'gain', '--sweep', NPROBE_SHORT, '--sweep', 'fuzzy-k=4,16,0'] },
  { name: 'faiss-ivfpq10', args: ['--index', 'faiss', '--factory', 'IVF256,PQ10np', '--sweep', NPROBE_SHORT] },
  { name: 'faiss-ivfpq20', args: ['--index', 'faiss', '--factory', 'IVF256,PQ20np', '--sweep', NPROBE_SHORT] },
  { name: 'pq', args: ['--index', 'pq', '--m', '50', '--nbits', '8'], peer: 'faiss-pq50' },
  { name: 'faiss-pq50', args: ['--index', 'faiss', '--factory', 'PQ50np'] },
  { name: 'hnsw', args: ['--index', 'hnsw', '--m', '16', '--ef-construction', '200', '--sweep', 'ef-search=16,32,64,128,256'], peer: 'faiss-hnsw16' },
  { name: 'faiss-hnsw16', args: ['--index', 'faiss', '--factory', 'HNSW16', '--sweep', 'ef-search=16,32,64,128,256'] },
  { name: 'lancedb', args: ['--index', 'lancedb', '--num-partitions', '256', '--num-sub-vectors', '50', '--sweep', 'nprobes=1,4,16,64'] },
];

const BIN = fileURLToPath(new URL('../bin/vqbench.mjs', import.meta.url));

function run(c: Config): { records: IndexRecord[]; error: string | null; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, 'index', '--data', argv.data, '--queries', String(argv.queries), '--k', '10', '--json', ...c.args],
    { encoding: 'utf8', timeout: argv.timeout * 1000, maxBuffer: 1 << 26, env: { ...process.env, VQBENCH_PROGRESS: '0' } });
  const seconds = (performance.now() - t0) / 1000;
  const records = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as IndexRecord);
  const error = r.error ? `${r.error.message}` : records.length === 0 ? (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`) : null;
  return { records, error, seconds };
}

const searchLabel = (r: IndexRecord) => Object.entries(r.params.search).map(([k, v]) => `${k}=${v}`).join(',') || '-';

async function main(): Promise<void> {
  const only = argv.only?.split(',').map((s) => s.trim());
  const names = new Set(CONFIGS.map((c) => c.name));
  const configs = CONFIGS.filter((c) => !only || only.some((o) => c.name === o || (!names.has(o) && c.name.startsWith(o))));
  console.log(`dataset ${argv.data}, ${argv.queries} queries, k = 10, one thread, one query at a time; faiss BLAS ${blasInfo()}`);
  const results: Record<string, { records: IndexRecord[]; error: string | null; seconds: number }> = {};
  for (const c of configs) {
    process.stderr.write(`[bench] ${c.name}: vqbench index ${c.args.join(' ')} ...\n`);
    results[c.name] = run(c);
    const r = results[c.name];
    process.stderr.write(`[bench] ${c.name}: ${r.error ? 'FAILED ' + r.error : r.records.length + ' configurations'} in ${r.seconds.toFixed(0)} s\n`);
  }

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
  console.log('\nrecall@k = |approx top-k ∩ exact top-k| / k; nnR@10 = exact nearest neighbour within the top 10; ' +
    'QPS ratio and ΔR@10 are against the faiss configuration each mirrors (same search parameters); ' +
    'MiB = the index\'s own bytes (faiss, hnsw, lancedb: the adapter\'s estimate / on-disk size); RSS = the child process peak\n' +
    table(['config', 'search', 'R@1', 'R@10', 'nnR@10', 'QPS', 'QPS vs faiss', 'ΔR@10', 'p50 ms', 'p99 ms', 'build s', 'MiB', 'RSS MiB', 'bits/vec'], rows) +
    failures.map((f) => '\n' + f).join(''));

  console.log('\nrecall@10–QPS Pareto frontier of each configuration');
  for (const c of configs) {
    const ok = results[c.name].records.filter((r) => r.status === 'ok');
    if (ok.length === 0) continue;
    const front = paretoFrontier(ok.map((r) => ({ recall: r.recall!['10'], qps: r.qps!, label: searchLabel(r) })));
    console.log(`  ${c.name.padEnd(15)} ${front.map((p) => `${p.label}: ${p.recall.toFixed(3)} @ ${Math.round(p.qps)}`).join(' | ')}`);
  }
  console.log('Chroma: not run (its server needs glibc ≥ 2.38; Debian 12 has 2.36).');
  writeFileAtomic('results/bench/indexes.json', JSON.stringify({ data: displayPath(argv.data), queries: argv.queries, blas: blasInfo(), results }, null, 2) + '\n');
  console.log('\nwrote results/bench/indexes.json');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
