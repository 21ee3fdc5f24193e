/**
 * Our ivfpq against NATIVE faiss (python3-faiss, no JavaScript in its timing), interleaved.
 *
 * bench/indexes.ts times faiss through faiss-node, whose per-call conversion (Array.from of the query
 * and back) is counted as faiss's time. Here the same split of the same dataset (base, the first
 * `--queries` queries, their exact top-10) is written once as .npy, and three searches run on ONE build
 * each: ours (`ivfpq`, this process), native faiss (bench/peers/faiss_index.py --serve, a child
 * process, same nlist / m / nbits as 'IVF{nlist},PQ{m}np') and faiss-node (this process, the same
 * factory). Each run sweeps the nprobe values, and at each one times the three in turn, ours → native →
 * faiss-node (A B C A B C ...), so the numbers paired in a ratio are taken seconds apart under the
 * same load; the runs repeat the sweep; the load average is recorded before and after each run.
 *
 * Printed per nprobe: recall@10 of each; the median over runs of ours/native single-query QPS (one
 * thread, one query per call) with its min–max; native batch QPS (all cores, one search(Q)); and
 * faiss-node's added time per call = faiss-node p50 latency − native p50 latency (median over runs).
 *
 * Run: node --import tsx bench/native-faiss.ts [--data glove-100] [--queries 2000] [--nlist 1024] [--m 50]
 *      [--nprobe 1,4,16,64] [--runs 3] [--no-faiss-node]
 * Writes results/bench/native-faiss.json (every run's numbers, the loads, the BLAS).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { table } from '../src/core/format.js';
import { writeFileAtomic } from '../src/core/atomic.js';
import { blasInfo } from '../src/core/blas.js';
import { displayPath } from '../src/core/paths.js';
import { measureSearch, recallAtK } from '../src/eval/ann.js';
import { createIndex } from '../src/index/registry.js';
import type { VectorIndex } from '../src/index/types.js';
import { datasetWithTruth } from '../src/run/index-job.js';
import { formatRatio, IVF_PEER_OPTIONS, pairedRatios, parseNprobeList, spread } from './native-faiss-lib.js';
import { startNativePeer, writeSplitFiles, type PeerSession } from './peer-session.js';

const argv = yargs(hideBin(process.argv))
  .options(IVF_PEER_OPTIONS)
  .option('nbits', { type: 'number', default: 8 })
  .option('runs', { type: 'number', default: 3, describe: 'interleaved repeats (ours, native, faiss-node) of the whole nprobe sweep' })
  .option('warmup', { type: 'number', default: 100, describe: 'untimed queries before each timed loop (all three sides)' })
  .option('train-rows', { type: 'number', default: 100_000, describe: 'training sample of native faiss and faiss-node (faiss-node adapter default)' })
  .option('faiss-node', { type: 'boolean', default: true, describe: 'also time faiss-node (--no-faiss-node to skip)' })
  .option('out', { type: 'string', default: 'results/bench/native-faiss.json' })
  .strict()
  .parseSync();

const K = 10;

interface SideResult {
  recall10: number;
  qps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}
interface NativeResult extends SideResult {
  batchQps: number;
  batchThreads: number;
}
interface RunRecord {
  run: number;
  loadBefore: number[];
  loadAfter: number[];
  ours: Record<number, SideResult>;
  native: Record<number, NativeResult>;
  faissNode: Record<number, SideResult>;
}

async function measure(index: VectorIndex, queries: Parameters<typeof measureSearch>[1], truthIds: Int32Array, nprobe: number): Promise<SideResult> {
  const m = await measureSearch(index, queries, K, { nprobe }, { warmupQueries: argv.warmup });
  return {
    recall10: recallAtK(m.ids, truthIds, queries.rows, K, K, K),
    qps: m.qps, p50Ms: m.latencyMs.p50, p99Ms: m.latencyMs.p99, meanMs: m.latencyMs.mean,
  };
}

const load = (): number[] => loadavg().map((x) => Math.round(x * 100) / 100);

async function main(): Promise<void> {
  const nprobes = parseNprobeList(argv.nprobe);
  if (!Number.isInteger(argv.runs) || argv.runs < 1) throw new Error(`--runs must be a positive integer, got ${argv.runs}`);
  const factory = `IVF${argv.nlist},PQ${argv.m}${argv.nbits === 8 ? '' : 'x' + argv.nbits}np`;
  const blas = blasInfo();
  console.log(`dataset ${argv.data}, ${argv.queries} queries, k = ${K}; ours ivfpq nlist=${argv.nlist} m=${argv.m} nbits=${argv.nbits} vs native faiss '${factory}' ` +
    `(python3-faiss) and faiss-node; ${argv.runs} interleaved runs; ${cpus().length} cores; BLAS ${blas}`);
  const loadStart = load();

  const { ds, queries, truth } = await datasetWithTruth({ data: argv.data, queries: argv.queries, seed: argv.seed }, K);
  const truthIds = truth.ids; // nq × K
  const dir = mkdtempSync(join(tmpdir(), 'vqbench-native-faiss-'));
  let peer: PeerSession | null = null;
  try {
    const files = writeSplitFiles(dir, ds.base, queries, truthIds, K);
    // builds one after the other (not concurrently), each timed alone
    process.stderr.write(`[bench] native faiss ${factory}: building ...\n`);
    peer = startNativePeer({ files, factory, k: K, trainRows: argv.trainRows, seed: argv.seed, warmup: argv.warmup });
    const nativeBuild = await peer.built();
    process.stderr.write(`[bench] native faiss built in ${(nativeBuild.buildSeconds as number).toFixed(1)} s\n[bench] ours ivfpq: building ...\n`);

    const ours = createIndex('ivfpq', { nlist: argv.nlist, m: argv.m, nbits: argv.nbits });
    const oursBuild = await ours.build(ds.base, { seed: argv.seed });
    process.stderr.write(`[bench] ours built in ${oursBuild.seconds.toFixed(1)} s\n`);
    let fnode: VectorIndex | null = null;
    let fnodeBuildSeconds: number | null = null;
    let fnodeError: string | null = null;
    if (argv.faissNode) {
      try {
        process.stderr.write(`[bench] faiss-node ${factory}: building ...\n`);
        fnode = createIndex('faiss', { factory });
        fnodeBuildSeconds = (await fnode.build(ds.base, { seed: argv.seed, trainRows: argv.trainRows })).seconds;
        process.stderr.write(`[bench] faiss-node built in ${fnodeBuildSeconds.toFixed(1)} s\n`);
      } catch (e) {
        fnodeError = (e as Error).message;
        fnode = null;
        process.stderr.write(`[bench] faiss-node not run: ${fnodeError}\n`);
      }
    }

    const runs: RunRecord[] = [];
    for (let r = 0; r < argv.runs; r++) {
      const rec: RunRecord = { run: r + 1, loadBefore: load(), loadAfter: [], ours: {}, native: {}, faissNode: {} };
      process.stderr.write(`[bench] run ${r + 1}/${argv.runs} (load ${rec.loadBefore.join(' ')}): nprobe`);
      // per nprobe: ours, native, faiss-node back to back, so the paired numbers share the same load
      for (const np of nprobes) {
        process.stderr.write(` ${np}`);
        rec.ours[np] = await measure(ours, queries, truthIds, np);
        const o = await peer.search({ nprobe: np });
        const s = o.single as Record<string, number>, b = o.batch as Record<string, number>;
        rec.native[np] = { recall10: o.recall10 as number, qps: s.qps, p50Ms: s.p50Ms, p99Ms: s.p99Ms, meanMs: s.meanMs, batchQps: b.qps, batchThreads: b.threads };
        if (fnode) rec.faissNode[np] = await measure(fnode, queries, truthIds, np);
      }
      rec.loadAfter = load();
      process.stderr.write(` done (load ${rec.loadAfter.join(' ')})\n`);
      runs.push(rec);
    }
    await peer.close();
    peer = null;
    await ours.close?.();
    await fnode?.close?.();

    const rows: (string | number)[][] = [];
    const summary = nprobes.map((np) => {
      const oq = runs.map((r) => r.ours[np].qps), nq = runs.map((r) => r.native[np].qps);
      const ratio = spread(pairedRatios(oq, nq));
      const overhead = fnode ? spread(runs.map((r) => (r.faissNode[np].p50Ms - r.native[np].p50Ms) * 1000)) : null;
      const overheadMean = fnode ? spread(runs.map((r) => (r.faissNode[np].meanMs - r.native[np].meanMs) * 1000)) : null;
      const s = {
        nprobe: np,
        recall10: { ours: runs[0].ours[np].recall10, native: runs[0].native[np].recall10, faissNode: fnode ? runs[0].faissNode[np].recall10 : null },
        qps: { ours: spread(oq), native: spread(nq), nativeBatch: spread(runs.map((r) => r.native[np].batchQps)), faissNode: fnode ? spread(runs.map((r) => r.faissNode[np].qps)) : null },
        p50Ms: { ours: spread(runs.map((r) => r.ours[np].p50Ms)), native: spread(runs.map((r) => r.native[np].p50Ms)), faissNode: fnode ? spread(runs.map((r) => r.faissNode[np].p50Ms)) : null },
        ratioOursNative: ratio,
        faissNodeOverheadUsP50: overhead,
        faissNodeOverheadUsMean: overheadMean,
      };
      rows.push([np, s.recall10.ours, s.recall10.native, s.recall10.faissNode ?? '-', s.qps.ours.median, s.qps.native.median, formatRatio(ratio),
        s.qps.nativeBatch.median, s.qps.faissNode?.median ?? '-', s.p50Ms.native.median * 1000, s.p50Ms.faissNode ? s.p50Ms.faissNode.median * 1000 : '-',
        overhead ? `${overhead.median.toFixed(1)} (${overhead.min.toFixed(1)}–${overhead.max.toFixed(1)})` : '-']);
      return s;
    });
    const loadEnd = load();

    const batchThreads = runs[0].native[nprobes[0]].batchThreads;
    console.log(`\nbuild s: ours ${oursBuild.seconds.toFixed(1)}, native ${(nativeBuild.buildSeconds as number).toFixed(1)} (1 thread, ${nativeBuild.trainRows} training rows), ` +
      `faiss-node ${fnodeBuildSeconds === null ? `not run${fnodeError ? ': ' + fnodeError : ''}` : fnodeBuildSeconds.toFixed(1)}`);
    console.log(`load average (1/5/15 min): start ${loadStart.join(' ')}; ` + runs.map((r) => `run ${r.run} ${r.loadBefore[0]}→${r.loadAfter[0]}`).join(', ') + `; end ${loadEnd.join(' ')}`);
    console.log('\nQPS = single query per call, one thread (medians over runs); ours/native = median of the per-run ratios (min–max); ' +
      `batch = native search(Q) on ${batchThreads} threads; µs/call = p50 single-query latency; faiss-node +µs = faiss-node p50 − native p50 per run, median (min–max)\n` +
      table(['nprobe', 'R@10 ours', 'R@10 native', 'R@10 f-node', 'QPS ours', 'QPS native', 'ours/native', 'QPS native batch', 'QPS f-node',
        'native µs/call', 'f-node µs/call', 'f-node +µs/call'], rows));

    writeFileAtomic(argv.out, JSON.stringify({
      data: displayPath(argv.data), datasetChecksum: ds.checksum, queries: queries.rows, k: K,
      ours: { index: 'ivfpq', nlist: argv.nlist, m: argv.m, nbits: argv.nbits, buildSeconds: oursBuild.seconds, notes: oursBuild.notes },
      native: { factory, build: nativeBuild },
      faissNode: { factory, buildSeconds: fnodeBuildSeconds, error: fnodeError },
      blas, cores: cpus().length, loadStart, loadEnd, runsOrder: 'per run, per nprobe: ours, native, faiss-node', summary, runs,
      recallDefinition: 'recall@10 = |approx top-10 ∩ exact top-10| / 10 averaged over queries',
    }, null, 2) + '\n');
    console.log(`\nwrote ${argv.out}`);
  } finally {
    peer?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
