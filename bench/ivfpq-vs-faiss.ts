/**
 * The ratio table of issue 11 §2: our `ivfpq` against native faiss 1.7.3 (python3-faiss, no
 * JavaScript in its timing) at each nprobe, single query per call on one thread, k = 10, both built
 * on the SAME number of training rows (`--train-rows`, given to ours as BuildOptions.trainRows and
 * to faiss as its sample), so that recall@10 is compared at equal training (ours by default trains
 * on max(65,536, 64·nlist) rows, the faiss peer on 100,000: a recall gap that is not the scan's).
 *
 * One build of each; then per run and per nprobe: ours, native, ours, native ... (A B A B), the
 * runs repeating the sweep, the load average recorded before and after each run. Printed per
 * nprobe: recall@10 of both, QPS medians, and ours/native as the median of the per-run ratios with
 * their min–max. Native batch search is not timed here (bench/native-faiss.ts does).
 *
 *   npm run bench:ivfpq-vs-faiss -- [--data glove-100] [--queries 2000] [--nprobe 1,4,16,64] [--runs 3]
 *        [--train-rows 100000] [--nlist 1024] [--m 50]
 * Writes results/bench/ivfpq-vs-faiss.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeFileAtomic } from '../src/core/atomic.js';
import { table } from '../src/core/format.js';
import { displayPath } from '../src/core/paths.js';
import { measureSearch, recallAtK } from '../src/eval/ann.js';
import { createIndex } from '../src/index/registry.js';
import { datasetWithTruth } from '../src/run/index-job.js';
import { formatRatio, IVF_PEER_OPTIONS, pairedRatios, parseNprobeList, spread } from './native-faiss-lib.js';
import { startNativePeer, writeSplitFiles, type PeerSession } from './peer-session.js';

const argv = yargs(hideBin(process.argv))
  .options(IVF_PEER_OPTIONS)
  .option('runs', { type: 'number', default: 3, describe: 'interleaved repeats (ours, native) of the whole nprobe sweep' })
  .option('warmup', { type: 'number', default: 100, describe: 'untimed queries before each timed loop (both sides)' })
  .option('train-rows', { type: 'number', default: 100_000, describe: 'training rows of BOTH sides (seeded samples of the base)' })
  .option('out', { type: 'string', default: 'results/bench/ivfpq-vs-faiss.json' })
  .strict()
  .parseSync();

const K = 10;
const load = (): number[] => loadavg().map((x) => Math.round(x * 100) / 100);

interface Side { recall10: number; qps: number; p50Ms: number }

async function main(): Promise<void> {
  const nprobes = parseNprobeList(argv.nprobe);
  if (!Number.isInteger(argv.runs) || argv.runs < 1) throw new Error(`--runs must be a positive integer, got ${argv.runs}`);
  const factory = `IVF${argv.nlist},PQ${argv.m}np`;
  const loadStart = load();
  const { ds, queries, truth } = await datasetWithTruth({ data: argv.data, queries: argv.queries, seed: argv.seed }, K);
  const dir = mkdtempSync(join(tmpdir(), 'vqbench-ivfpq-vs-faiss-'));
  let peer: PeerSession | null = null;
  try {
    const files = writeSplitFiles(dir, ds.base, queries, truth.ids, K);
    process.stderr.write(`[bench] native faiss ${factory} on ${argv.trainRows} training rows: building ...\n`);
    peer = startNativePeer({ files, factory, k: K, trainRows: argv.trainRows, seed: argv.seed, warmup: argv.warmup, batchRepeats: 0 });
    const nativeBuild = await peer.built();
    process.stderr.write('[bench] ours ivfpq: building ...\n');
    const ours = createIndex('ivfpq', { nlist: argv.nlist, m: argv.m, nbits: 8 });
    const oursBuild = await ours.build(ds.base, { seed: argv.seed, trainRows: argv.trainRows });

    const runs: { loadBefore: number[]; loadAfter: number[]; ours: Record<number, Side>; native: Record<number, Side> }[] = [];
    for (let r = 0; r < argv.runs; r++) {
      const rec = { loadBefore: load(), loadAfter: [] as number[], ours: {} as Record<number, Side>, native: {} as Record<number, Side> };
      process.stderr.write(`[bench] run ${r + 1}/${argv.runs} (load ${rec.loadBefore.join(' ')}): nprobe`);
      for (const np of nprobes) {
        process.stderr.write(` ${np}`);
        const m = await measureSearch(ours, queries, K, { nprobe: np }, { warmupQueries: argv.warmup });
        rec.ours[np] = { recall10: recallAtK(m.ids, truth.ids, queries.rows, K, K, K), qps: m.qps, p50Ms: m.latencyMs.p50 };
        const o = await peer.search({ nprobe: np });
        const s = o.single as Record<string, number>;
        rec.native[np] = { recall10: o.recall10 as number, qps: s.qps, p50Ms: s.p50Ms };
      }
      rec.loadAfter = load();
      process.stderr.write(` (load ${rec.loadAfter.join(' ')})\n`);
      runs.push(rec);
    }
    await peer.close();
    peer = null;
    await ours.close?.();

    const summary = nprobes.map((np) => {
      const oq = runs.map((r) => r.ours[np].qps), nq = runs.map((r) => r.native[np].qps);
      return {
        nprobe: np, recall10: { ours: runs[0].ours[np].recall10, native: runs[0].native[np].recall10 },
        qps: { ours: spread(oq), native: spread(nq) }, ratio: spread(pairedRatios(oq, nq)),
      };
    });
    console.log(`${displayPath(argv.data)}: ${ds.base.rows} base rows, ${queries.rows} queries, k = ${K}; ours ivfpq nlist=${argv.nlist} m=${argv.m} nbits=8 ` +
      `vs native faiss '${factory}' (${nativeBuild.faissVersion ?? 'python3-faiss'}), both trained on ${argv.trainRows} rows; ${argv.runs} interleaved runs; ${cpus().length} cores`);
    console.log(`load average (1 min): start ${loadStart[0]}; ` + runs.map((r, i) => `run ${i + 1} ${r.loadBefore[0]}→${r.loadAfter[0]}`).join(', '));
    console.log('QPS: one query per call, one thread, medians over runs; ours/native: median of the per-run ratios (min–max)\n' +
      table(['nprobe', 'R@10 ours', 'R@10 native', 'QPS ours', 'QPS native', 'ours/native'],
        summary.map((s) => [s.nprobe, s.recall10.ours, s.recall10.native, s.qps.ours.median, s.qps.native.median, formatRatio(s.ratio)])));
    writeFileAtomic(argv.out, JSON.stringify({
      data: displayPath(argv.data), datasetChecksum: ds.checksum, queries: queries.rows, k: K, trainRows: argv.trainRows,
      ours: { index: 'ivfpq', nlist: argv.nlist, m: argv.m, nbits: 8, buildSeconds: oursBuild.seconds, notes: oursBuild.notes },
      native: { factory, build: nativeBuild }, cores: cpus().length, loadStart, summary, runs,
    }, null, 2) + '\n');
    console.log(`wrote ${argv.out}`);
  } finally {
    peer?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
