/**
 * Incremental insert (paper Fig. 7), in ONE run: each index built on glove-100's base minus the
 * batches, then the batches added in order, each index in its own `vqbench insert` child process.
 * Prints, per index and batch, the seconds, rows/s, change of the index's bytes and of the process
 * RSS, and recall@10 after the batch, with each index's insert rate as a ratio to faiss IVF-PQ's.
 * Run: node --import tsx bench/insert.ts [--data glove-100] [--batches 1000,5000,10000] [--queries 1000] [--only lancedb,pgvector]
 * pgvector runs embedded (PGlite: one WebAssembly process, one core); Chroma is not run (src/index/chroma.ts says why).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { table } from '../src/core/format.js';
import { writeFileAtomic } from '../src/core/atomic.js';
import type { InsertResult } from '../src/run/index-job.js';

const argv = yargs(hideBin(process.argv))
  .option('data', { type: 'string', default: 'glove-100' })
  .option('batches', { type: 'string', default: '1000,5000,10000' })
  .option('queries', { type: 'number', default: 1000 })
  .option('only', { type: 'string', describe: 'comma-separated config names to run (default: all)' })
  .strict()
  .parseSync();

const CONFIGS: { name: string; args: string[] }[] = [
  { name: 'wrvq', args: ['--index', 'wrvq', '--books', '4', '--size', '256', '--weights', 'gain', '--nprobe', '16', '--fuzzy-k', '0'] },
  { name: 'ivfpq', args: ['--index', 'ivfpq', '--nlist', '1024', '--m', '50', '--nprobe', '16'] },
  { name: 'faiss-ivfpq', args: ['--index', 'faiss', '--factory', 'IVF1024,PQ50np', '--nprobe', '16'] },
  { name: 'hnsw', args: ['--index', 'hnsw', '--m', '16', '--ef-construction', '200', '--ef-search', '64'] },
  { name: 'lancedb', args: ['--index', 'lancedb', '--num-partitions', '256', '--num-sub-vectors', '50', '--nprobes', '16'] },
  { name: 'pgvector', args: ['--index', 'pgvector', '--type', 'hnsw', '--m', '16', '--ef-construction', '64', '--ef-search', '64'] },
  { name: 'chroma', args: ['--index', 'chroma'] }, // recorded as not run, with its reason
];
const only = argv.only?.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = only?.filter((n) => !CONFIGS.some((c) => c.name === n)) ?? [];
if (unknown.length) throw new Error(`--only: unknown config ${unknown.join(', ')}; known: ${CONFIGS.map((c) => c.name).join(', ')}`);
const chosen = only ? CONFIGS.filter((c) => only.includes(c.name)) : CONFIGS;

const BIN = fileURLToPath(new URL('../bin/vqbench.mjs', import.meta.url));
const results: Record<string, InsertResult | { error: string }> = {};
for (const c of chosen) {
  process.stderr.write(`[bench] ${c.name}: vqbench insert ${c.args.join(' ')} ...\n`);
  const r = spawnSync(process.execPath, [BIN, 'insert', '--data', argv.data, '--batches', argv.batches, '--queries', String(argv.queries), '--json', ...c.args],
    { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, VQBENCH_PROGRESS: '0' } });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  results[c.name] = line ? (JSON.parse(line) as InsertResult) : { error: r.stderr.trim().split('\n').pop() ?? `exit ${r.status}` };
}

const peer = results['faiss-ivfpq'] ?? { error: 'not run' };
const rows: (string | number)[][] = [];
for (const c of chosen) {
  const res = results[c.name];
  if ('error' in res) {
    rows.push([c.name, 'not run', res.error]);
    continue;
  }
  rows.push([c.name, 'build', res.initialRows, res.buildSeconds, '', '', res.initialIndexBytes / 2 ** 20, '', '']);
  for (const b of res.batches) {
    const twin = 'error' in peer ? undefined : peer.batches.find((p) => p.batch === b.batch);
    rows.push([c.name, `+${b.rows}`, b.indexedAfter, b.seconds, b.rowsPerSecond, twin ? `${(b.rowsPerSecond / twin.rowsPerSecond).toFixed(2)}×` : '',
      b.indexBytesDelta / 2 ** 20, b.rssDeltaBytes / 2 ** 20, b.recall['10']?.toFixed(4) ?? '-']);
  }
}
console.log(`incremental insert on ${argv.data}: batches ${argv.batches}, recall@10 over ${argv.queries} queries against the exact neighbours among the rows indexed so far\n` +
  table(['index', 'step', 'rows indexed', 'seconds', 'rows/s', 'rate vs faiss', 'Δ index MiB', 'Δ RSS MiB', 'R@10'], rows));
writeFileAtomic('results/bench/insert.json', JSON.stringify(results, null, 2) + '\n');
console.log('\nwrote results/bench/insert.json');
