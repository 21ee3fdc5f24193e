/**
 * Out-of-core at scale (issue 14 §1): a seeded Gaussian-mixture base of N × 96 float32 rows (default
 * 10M = 3.8 GB), written once in chunks into the cache (bench/scale-data.ts), with 10,000 queries;
 * then, in one process, stage by stage:
 *   1. exact ground truth of the queries (groundTruthStreamed: the base file chunk by chunk), and faiss's
 *      exact search (IndexFlatL2, BLAS, python3-faiss) on the first rows that fit, run before and
 *      after ours (interleaved); throughput = rows × queries per second;
 *   2. `ivfpq` (m = 16, nlist ≈ 4·√N) and 3. `wrvq` (4 × 256), each trained on a seeded sample and
 *      built from the file chunk by chunk (src/index/chunked-build.ts), its peak-RSS budget printed
 *      first (src/index/memory-budget.ts), then searched with every query at a few nprobe values.
 * Per stage: seconds, the process's peak RSS during the stage (VmHWM, reset before each stage through
 * /proc/self/clear_refs), index bytes, recall@10, the budget, and the issue's targets: peak RSS ≤ 2 GiB
 * + the index's bytes, ground truth ≥ 50% of faiss's throughput.
 *
 * Run: npm run bench:scale -- [--rows 10000000] [--queries 10000] [--nprobe 1,8,32] [--no-faiss]
 * Results: results/bench/scale.json (and the table on stdout).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeFileAtomic } from '../src/core/atomic.js';
import { fmt, table } from '../src/core/format.js';
import { peakRssBytes } from '../src/core/memory.js';
import { shutdownWorkers } from '../src/core/parallel.js';
import { progressBar } from '../src/core/progress.js';
import { openRowSource } from '../src/data/row-files.js';
import { groundTruthStreamed } from '../src/data/ground-truth-streamed.js';
import { GROUND_TRUTH_MIN_K } from '../src/data/ground-truth.js';
import type { StreamedDataset } from '../src/data/types.js';
import { recallAtK } from '../src/eval/ann.js';
import { buildFromSource } from '../src/index/chunked-build.js';
import { chunkRowsFor } from '../src/data/streamed.js';
import { formatBudget, rssBudget } from '../src/index/memory-budget.js';
import { checkBuildParams, createIndex, indexDescriptor, type IndexParams } from '../src/index/registry.js';
import { machineFingerprint, oneMinuteLoad } from '../src/run/fingerprint.js';
import { ensureScaleData } from './scale-data.js';

const argv = yargs(hideBin(process.argv))
  .option('rows', { type: 'number', default: 10_000_000, describe: 'base rows' })
  .option('dim', { type: 'number', default: 96 })
  .option('queries', { type: 'number', default: 10_000 })
  .option('clusters', { type: 'number', default: 1000, describe: 'Gaussian-mixture components' })
  .option('seed', { type: 'number', default: 1234 })
  .option('nlist', { type: 'number', describe: 'ivfpq cells (default 4·√rows, rounded)' })
  .option('train-rows', { type: 'number', describe: "rows of each index's seeded training sample (default: ivfpq 32·nlist, at least 65536; wrvq its own, 65536)" })
  .option('chunk-rows', { type: 'number', describe: 'rows read and added at a time (default 64 MiB of rows)' })
  .option('nprobe', { type: 'string', default: '1,8,32', describe: 'ivfpq nprobe values searched' })
  .option('wrvq-nprobe', { type: 'string', default: '1,4,16', describe: 'wrvq nprobe values searched' })
  .option('faiss', { type: 'boolean', default: true, describe: 'compare the ground truth with faiss (python3-faiss); --no-faiss skips it' })
  .option('faiss-rows', { type: 'number', describe: 'rows faiss searches (default min(rows, 1M): a chunk that fits)' })
  .option('verify', { type: 'boolean', default: false, describe: "re-hash the cached data files against their markers' sha256" })
  .option('out', { type: 'string', default: 'results/bench/scale.json' })
  .strict()
  .parseSync();

const K = 10;
/** Neighbours the exact search keeps per query (groundTruthStreamed keeps at least GROUND_TRUTH_MIN_K); faiss is asked as many. */
const GT_K = Math.max(K, GROUND_TRUTH_MIN_K);
const GiB = 2 ** 30, MiB = 2 ** 20;
const PY = '/usr/bin/python3';
const FAISS_SCRIPT = fileURLToPath(new URL('../scripts/faiss-flat-rate.py', import.meta.url));

/** Resets the process's peak RSS (VmHWM) to its current RSS, so each stage reports its own peak. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

interface Stage {
  stage: string;
  seconds: number;
  peakRssBytes: number;
  indexBytes?: number;
  budgetBytes?: number | null;
  detail?: string;
}
const stages: Stage[] = [];
const searches: { index: string; nprobe: number; recallAt10: number; qps: number }[] = [];
const canReset = resetPeakRss();

async function stage<T>(name: string, fn: () => Promise<T> | T, extra: (r: T) => Partial<Stage> = () => ({})): Promise<T> {
  if (canReset) {
    (globalThis as { gc?: () => void }).gc?.();
    resetPeakRss();
  }
  const t0 = performance.now();
  const r = await fn();
  const s: Stage = { stage: name, seconds: (performance.now() - t0) / 1000, peakRssBytes: peakRssBytes(), ...extra(r) };
  stages.push(s);
  process.stderr.write(`[scale] ${name}: ${fmt(s.seconds)} s, peak RSS ${fmt(s.peakRssBytes / MiB)} MiB${s.detail ? `, ${s.detail}` : ''}\n`);
  return r;
}

function faissRate(basePath: string, queryPath: string, rows: number): { rate: number; seconds: number; rows: number; threads: number } | { error: string } {
  const r = spawnSync(PY, [FAISS_SCRIPT, basePath, queryPath, String(rows), String(GT_K)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.error) return { error: `${PY} could not run (${r.error.message})` };
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    return { error: r.stderr.trim().split('\n').pop() ?? `exit ${r.status}` };
  }
}

const list = (s: string) => s.split(',').map(Number);
const rows = argv.rows, dim = argv.dim;
const nlist = argv.nlist ?? Math.max(16, Math.round(4 * Math.sqrt(rows)));
const chunkRows = argv['chunk-rows'] ?? chunkRowsFor(dim);

const files = await stage('data', () => {
  const bar = progressBar('scale data', 'row');
  const f = ensureScaleData({ rows, dim, clusters: argv.clusters, seed: argv.seed }, argv.queries, { verify: argv.verify, onProgress: bar.update });
  bar.finish();
  return f;
}, (f) => ({ detail: f.written ? `written (${fmt(((rows + argv.queries) * dim * 4) / GiB)} GiB)` : 'cached, intact' }));

const base = await openRowSource(files.base);
const qsrc = await openRowSource(files.queries);
const queries = qsrc.read(0, qsrc.rows);
qsrc.close();

// 1. ground truth, faiss before and after (interleaved: the shared machine's load hits both alike)
const faissRows = Math.min(rows, argv['faiss-rows'] ?? 1_000_000);
const faissRuns: ({ rate: number; seconds: number; rows: number; threads: number } | { error: string })[] = [];
if (argv.faiss) faissRuns.push(await stage('faiss flat (before)', () => faissRate(files.base, files.queries, faissRows)));
const ds: StreamedDataset = {
  name: files.base, source: 'bench/scale.ts Gaussian mixture', metric: 'l2', dim, train: base, base, queries, checksum: files.checksum, close: () => {},
};
const truth = await stage('ground truth', async () => {
  const bar = progressBar('ground truth', 'row');
  // not cached: the point is to time it
  const gt = await groundTruthStreamed(ds, K, { chunkRows, cache: false, onProgress: bar.update });
  bar.finish();
  return gt;
}, () => ({ detail: `${fmt((rows * queries.rows) / 1e9)}e9 distances, top ${GT_K} kept` }));
if (argv.faiss) faissRuns.push(await stage('faiss flat (after)', () => faissRate(files.base, files.queries, faissRows)));
const gtSeconds = stages.find((s) => s.stage === 'ground truth')!.seconds;
const ourRate = (rows * queries.rows) / gtSeconds;
const faissOk = faissRuns.filter((r): r is { rate: number; seconds: number; rows: number; threads: number } => !('error' in r));
const faissBest = faissOk.length ? Math.max(...faissOk.map((r) => r.rate)) : null;

// 2–3. the indexes, built chunk by chunk from the file
async function runIndex(id: string, params: IndexParams, trainRows: number | undefined, nprobes: number[]): Promise<void> {
  const d = indexDescriptor(id);
  const build = checkBuildParams(id, params);
  const index = createIndex(id, params);
  const train = Math.min(rows, trainRows ?? (index as unknown as { defaultTrainRows(): number }).defaultTrainRows());
  const budget = rssBudget(d, build, { rows, dim, trainRows: train, chunkRows, queries: queries.rows, k: K, wholeBase: false });
  process.stderr.write(`[scale] ${id}: ${formatBudget(budget, id)}\n`);
  const bar = progressBar(`${id} build`, 'row');
  await stage(`${id} build`, () => buildFromSource(index, base, { seed: argv.seed, trainRows: train, chunkRows, onProgress: bar.update }), (r) => ({
    indexBytes: index.memoryBytes(), budgetBytes: budget.bytes,
    detail: `train ${fmt(r.trainSeconds)} s on ${r.trainRows} rows, add ${fmt(r.addSeconds)} s in ${r.chunks} chunks, index ${fmt(index.memoryBytes() / MiB)} MiB, budget ${fmt((budget.bytes ?? 0) / MiB)} MiB`,
  }));
  bar.finish();
  for (const nprobe of nprobes) {
    await stage(`${id} search nprobe=${nprobe}`, async () => {
      const t0 = performance.now();
      const r = await index.search(queries, K, { nprobe });
      const qps = queries.rows / ((performance.now() - t0) / 1000);
      const recall = recallAtK(r.ids, truth.ids, queries.rows, K, truth.k, K);
      searches.push({ index: id, nprobe, recallAt10: recall, qps });
      return { recall, qps };
    }, (r) => ({ indexBytes: index.memoryBytes(), detail: `recall@10 ${r.recall.toFixed(4)}, ${fmt(r.qps)} QPS (one thread, all queries in one call)` }));
  }
  await index.close?.();
}

await runIndex('ivfpq', { nlist, m: 16, nbits: 8 }, argv['train-rows'] ?? Math.max(65536, 32 * nlist), list(argv.nprobe));
await runIndex('wrvq', { books: 4, size: 256 }, argv['train-rows'], list(argv['wrvq-nprobe']));
base.close();
await shutdownWorkers();

// report
const peakOf = (prefix: string) => Math.max(...stages.filter((s) => s.stage.startsWith(prefix)).map((s) => s.peakRssBytes));
const bytesOf = (prefix: string) => Math.max(...stages.filter((s) => s.stage.startsWith(prefix)).map((s) => s.indexBytes ?? 0));
const targets = [
  ...['ivfpq', 'wrvq'].map((id) => {
    const peak = peakOf(id), limit = 2 * GiB + bytesOf(id);
    return `${id}: peak RSS ${fmt(peak / MiB)} MiB ${peak <= limit ? '≤' : '>'} 2 GiB + index ${fmt(bytesOf(id) / MiB)} MiB: ${peak <= limit ? 'met' : 'MISSED'}`;
  }),
  faissBest === null
    ? `ground truth: ${fmt(ourRate / 1e9)}e9 distances/s; faiss not run (${faissRuns.map((r) => ('error' in r ? r.error : '')).join('; ') || '--no-faiss'})`
    : `ground truth: ${fmt(ourRate / 1e9)}e9 distances/s = ${((100 * ourRate) / faissBest).toFixed(0)}% of faiss's ${fmt(faissBest / 1e9)}e9 (IndexFlatL2 on the first ${faissRows} rows, ${faissOk[0].threads} threads, best of ${faissOk.length}): ${ourRate >= 0.5 * faissBest ? 'met' : 'MISSED'} (target ≥ 50%)`,
];
const header = `bench/scale: ${rows} × ${dim} float32 Gaussian mixture (${argv.clusters} clusters, seed ${argv.seed}), ${queries.rows} queries, k = ${K}; ` +
  `chunks of ${chunkRows} rows; ivfpq nlist=${nlist}, m=16, nbits=8; wrvq 4 × 256; peak RSS = the process's VmHWM during each stage${canReset ? ' (reset before each)' : ' (not resettable here: cumulative)'}`;
console.log(header + '\n' +
  table(['stage', 'seconds', 'peak RSS MiB', 'index MiB', 'budget MiB', 'detail'], stages.map((s) => [s.stage, s.seconds, s.peakRssBytes / MiB,
    s.indexBytes !== undefined ? s.indexBytes / MiB : '', s.budgetBytes ? s.budgetBytes / MiB : '', s.detail ?? ''])) + '\n' +
  targets.map((t) => `target ${t}`).join('\n'));
writeFileAtomic(argv.out, JSON.stringify({
  rows, dim, queries: queries.rows, clusters: argv.clusters, seed: argv.seed, k: K, chunkRows, nlist, stages, searches,
  groundTruth: { seconds: gtSeconds, rate: ourRate, faiss: faissRuns, faissRows }, targets,
  fingerprint: machineFingerprint(), loadAfter: oneMinuteLoad(),
}, null, 2) + '\n');
console.log(`\nwrote ${argv.out}`);
