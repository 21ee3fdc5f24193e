/**
 * Batch search on 2 threads: our ivfpq (src/index/search-modes.ts: the queries split over worker
 * threads, each with a restored copy) vs faiss-node's search(nq) on OpenMP threads vs NATIVE faiss
 * (python3-faiss, bench/peers/faiss_index.py: index.search(Q) on all cores), on one split of the
 * dataset (glove-100 by default) with the same nlist / m / nbits ('IVF{nlist},PQ{m}np').
 *
 * Each run sweeps nprobe and, at each value, times the three in turn (ours → faiss-node → native),
 * so the ratios pair numbers taken seconds apart under the same load; each side's number is the
 * median of `--calls` batch calls (after one untimed call); the runs repeat the sweep. Printed per
 * nprobe: recall@10 of each, batch QPS (median over runs) and the ours/native and ours/faiss-node
 * ratios, the median of the per-run ratios with their min–max.
 *
 * Run: node --import tsx bench/batch.ts [--data glove-100] [--queries 2000] [--nlist 1024] [--m 50]
 *      [--nprobe 1,4,16,64] [--runs 3] [--calls 3] [--threads 2]
 * Writes results/bench/batch.json (every run's numbers and the loads).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeFileAtomic } from '../src/core/atomic.js';
import { table } from '../src/core/format.js';
import { setThreads, shutdownWorkers } from '../src/core/parallel.js';
import type { Matrix } from '../src/core/matrix.js';
import { recallAtK } from '../src/eval/ann.js';
import { createIndex } from '../src/index/registry.js';
import { searchBatch } from '../src/index/search-modes.js';
import type { VectorIndex } from '../src/index/types.js';
import { datasetWithTruth } from '../src/run/index-job.js';
import { formatRatio, IVF_PEER_OPTIONS, pairedRatios, parseNprobeList, spread } from './native-faiss-lib.js';
import { startNativePeer, writeSplitFiles, type PeerSession } from './peer-session.js';

const argv = yargs(hideBin(process.argv))
  .options(IVF_PEER_OPTIONS)
  .option('runs', { type: 'number', default: 3, describe: 'interleaved repeats of the whole nprobe sweep' })
  .option('calls', { type: 'number', default: 3, describe: 'timed batch calls per side and setting (their median is the run\'s number)' })
  .option('threads', { type: 'number', default: 2 })
  .option('train-rows', { type: 'number', default: 100_000 })
  .option('out', { type: 'string', default: 'results/bench/batch.json' })
  .strict()
  .parseSync();

const K = 10;
const load = (): number => Math.round(loadavg()[0] * 100) / 100;

/** One untimed batch call, then the median QPS of `calls` timed ones, and the recall of the last. */
async function timeBatch(index: VectorIndex, q: Matrix, truth: Int32Array, nprobe: number): Promise<{ qps: number; recall10: number }> {
  await searchBatch(index, q, K, { nprobe }, argv.threads);
  const qps: number[] = [];
  let ids: ArrayLike<number> = [];
  for (let c = 0; c < argv.calls; c++) {
    const t0 = performance.now();
    const r = await searchBatch(index, q, K, { nprobe }, argv.threads);
    qps.push(q.rows / ((performance.now() - t0) / 1000));
    ids = r.ids;
  }
  return { qps: spread(qps).median, recall10: recallAtK(ids, truth, q.rows, K, K, K) };
}

async function main(): Promise<void> {
  const nprobes = parseNprobeList(argv.nprobe);
  setThreads(argv.threads);
  const factory = `IVF${argv.nlist},PQ${argv.m}np`;
  const { ds, queries, truth } = await datasetWithTruth({ data: argv.data, queries: argv.queries, seed: argv.seed }, K);
  const dir = mkdtempSync(join(tmpdir(), 'vqbench-batch-'));
  let peer: PeerSession | null = null;
  try {
    const files = writeSplitFiles(dir, ds.base, queries, truth.ids, K);
    process.stderr.write(`[bench] native faiss ${factory}: building ...\n`);
    peer = startNativePeer({ files, factory, k: K, trainRows: argv.trainRows, seed: argv.seed, warmup: 10, batchRepeats: argv.calls });
    await peer.built();
    process.stderr.write('[bench] ours ivfpq: building ...\n');
    const ours = createIndex('ivfpq', { nlist: argv.nlist, m: argv.m, nbits: 8 });
    await ours.build(ds.base, { seed: argv.seed });
    process.stderr.write(`[bench] faiss-node ${factory}: building ...\n`);
    const fnode = createIndex('faiss', { factory });
    await fnode.build(ds.base, { seed: argv.seed, trainRows: argv.trainRows });
    type Side = { qps: number; recall10: number };
    const runs: { load: [number, number]; ours: Record<number, Side>; fnode: Record<number, Side>; native: Record<number, Side & { threads: number }> }[] = [];
    for (let r = 0; r < argv.runs; r++) {
      const rec = { load: [load(), 0] as [number, number], ours: {} as Record<number, Side>, fnode: {} as Record<number, Side>, native: {} as Record<number, Side & { threads: number }> };
      process.stderr.write(`[bench] run ${r + 1}/${argv.runs} (load ${rec.load[0]}): nprobe`);
      for (const np of nprobes) {
        process.stderr.write(` ${np}`);
        rec.ours[np] = await timeBatch(ours, queries, truth.ids, np);
        rec.fnode[np] = await timeBatch(fnode, queries, truth.ids, np);
        const o = await peer.search({ nprobe: np });
        const b = o.batch as Record<string, number>;
        rec.native[np] = { qps: b.qps, recall10: o.recall10Batch as number, threads: b.threads };
      }
      rec.load[1] = load();
      process.stderr.write(` done (load ${rec.load[1]})\n`);
      runs.push(rec);
    }
    await peer.close();
    peer = null;
    await ours.close?.();
    await fnode.close?.();
    const rows = nprobes.map((np) => {
      const o = runs.map((r) => r.ours[np].qps), f = runs.map((r) => r.fnode[np].qps), n = runs.map((r) => r.native[np].qps);
      return [np, runs[0].ours[np].recall10, runs[0].fnode[np].recall10, runs[0].native[np].recall10, spread(o).median, spread(f).median, spread(n).median,
        formatRatio(spread(pairedRatios(o, n))), formatRatio(spread(pairedRatios(o, f)))];
    });
    console.log(`dataset ${argv.data}, ${queries.rows} queries, k = ${K}; ours ivfpq nlist=${argv.nlist} m=${argv.m} nbits=8 vs faiss '${factory}' (faiss-node, and native python3-faiss on ${runs[0].native[nprobes[0]].threads} threads); ` +
      `batch on ${argv.threads} threads, ${argv.calls} calls per side and setting (median), ${argv.runs} interleaved runs; ${cpus().length} cores; load ${runs.map((r) => `${r.load[0]}→${r.load[1]}`).join(', ')}`);
    console.log(table(['nprobe', 'R@10 ours', 'R@10 f-node', 'R@10 native', 'batch QPS ours', 'batch QPS f-node', 'batch QPS native', 'ours/native', 'ours/f-node'], rows));
    writeFileAtomic(argv.out, JSON.stringify({ data: argv.data, queries: queries.rows, k: K, factory, threads: argv.threads, calls: argv.calls, runs }, null, 2) + '\n');
    console.log(`wrote ${argv.out}`);
  } finally {
    peer?.kill();
    rmSync(dir, { recursive: true, force: true });
    await shutdownWorkers();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
