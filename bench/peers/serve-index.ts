/**
 * A vqbench index as a long-lived peer (protocol: bench/peer-session.ts): build it once on the
 * split `vqbench index` uses (first `--queries` queries, exact top-10), then time one search
 * setting per stdin line, single query per call on this thread (measureSearch, as `vqbench index`).
 * Any registry index works, faiss-node included (`--index faiss --build '{"factory":"IVF1024,PQ50np"}'`).
 *
 * Run: node --import tsx bench/peers/serve-index.ts --data glove-100 --queries 2000 --index ivfpq \
 *        --build '{"nlist":1024,"m":50,"nbits":8}' [--seed 1234] [--warmup 100]
 */
import { createInterface } from 'node:readline';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { peakRssBytes } from '../../src/core/memory.js';
import { measureSearch, nnRecallAtK, recallAtK } from '../../src/eval/ann.js';
import { createIndex, givenParams } from '../../src/index/registry.js';
import { datasetWithTruth } from '../../src/run/index-job.js';
import { machineFingerprint } from '../peer-session.js';

const argv = yargs(hideBin(process.argv))
  .option('data', { type: 'string', default: 'glove-100' })
  .option('queries', { type: 'number', default: 10_000 })
  .option('index', { type: 'string', demandOption: true })
  .option('build', { type: 'string', default: '{}', describe: 'build parameters as a JSON object' })
  .option('seed', { type: 'number', default: 1234 })
  .option('warmup', { type: 'number', default: 100 })
  .strict()
  .parseSync();

const K = 10;
/** CPU seconds (user + system, every thread of this process) since `from`. */
const cpuSecondsSince = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
};
const emit = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n');

async function main(): Promise<void> {
  const build = JSON.parse(argv.build) as Record<string, unknown>;
  const { ds, queries, truth } = await datasetWithTruth({ data: argv.data, queries: argv.queries, seed: argv.seed }, K);
  const index = createIndex(argv.index, build);
  const cpu0 = process.cpuUsage();
  const rep = await index.build(ds.base, { seed: argv.seed });
  const buildCpuSeconds = cpuSecondsSince(cpu0);
  const machine = machineFingerprint();
  // single-query search runs on the calling thread (the faiss adapter sets its own OpenMP threads, default 1)
  const threads = typeof (index as { threads?: unknown }).threads === 'number' ? (index as unknown as { threads: number }).threads : 1;
  emit({
    event: 'build', index: argv.index, label: index.label, buildSeconds: rep.seconds, buildCpuSeconds, notes: rep.notes, indexBytes: index.memoryBytes(),
    memoryIsExact: index.capabilities.exactMemory, bitsPerVector: index.bitsPerVector, datasetChecksum: ds.checksum, n: ds.base.rows,
    nq: queries.rows, peakRssBytes: peakRssBytes(), fingerprint: machine, threads,
  });

  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    try {
      const setting = JSON.parse(line) as Record<string, unknown>;
      const search = givenParams(argv.index, 'search', setting);
      const cpu = process.cpuUsage();
      const m = await measureSearch(index, queries, K, search, { warmupQueries: argv.warmup });
      const cpuSeconds = cpuSecondsSince(cpu); // warm-up included: the peer's whole CPU cost of the request
      emit({
        event: 'search', setting, queries: queries.rows, k: K,
        recall1: recallAtK(m.ids, truth.ids, queries.rows, K, truth.k, 1),
        recall10: recallAtK(m.ids, truth.ids, queries.rows, K, truth.k, 10),
        nnRecall10: nnRecallAtK(m.ids, truth.ids, queries.rows, K, truth.k, 10),
        single: { qps: m.qps, seconds: m.seconds, p50Ms: m.latencyMs.p50, p99Ms: m.latencyMs.p99, meanMs: m.latencyMs.mean, threads, cpuSeconds },
        peakRssBytes: peakRssBytes(),
      });
    } catch (e) {
      emit({ event: 'error', message: (e as Error).message });
    }
    emit({ event: 'done' });
  }
  await index.close?.();
}

main().catch((e) => {
  process.stderr.write(`serve-index: ${(e as Error).message}\n`);
  process.exit(1);
});
