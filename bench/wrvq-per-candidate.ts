/**
 * Issue 11 §2 target "wrvq index: QPS at least that of ivfpq per candidate scanned": our wrvq
 * (the paper's 4×256 three-layer index) against our ivfpq (IVF1024,PQ50 by default) on the same
 * dataset, single query per call on one thread, k = 10, measured as millions of candidates scanned
 * per second (QPS × candidates per query), the two indexes scanning different numbers of candidates.
 *
 * wrvq is timed twice per round: with its wasm weighted scan (adc_scan_weighted) and with the JS
 * scan (`setWrvqWasmScan(false)`, the scan before the wasm kernel; tables and layers unchanged), so
 * before and after come from the same run. Candidates per query are counted once per index and
 * nprobe by an untimed pass that sums the rows every wasm scan call covers.
 *
 * Per round and per nprobe: ivfpq, wrvq (wasm), wrvq (JS) — interleaved (A B C A B C ...), the
 * rounds repeating the sweep, the load average recorded before and after each round. Printed per
 * nprobe: candidates per query, recall@10, QPS and M candidates/s medians, and the paired per-round
 * ratios wrvq/ivfpq per candidate (wasm and JS scans) and wrvq wasm/JS QPS as median (min–max).
 *
 *   npm run bench:wrvq-per-candidate -- [--data glove-100] [--queries 1000] [--nprobe 1,4,16] [--runs 5]
 *        [--nlist 1024] [--m 50] [--fuzzy-k 16] [--train-rows N]
 * Writes results/bench/wrvq-per-candidate.json.
 */
import { cpus, loadavg } from 'node:os';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeFileAtomic } from '../src/core/atomic.js';
import { table } from '../src/core/format.js';
import { displayPath } from '../src/core/paths.js';
import { AdcFrame } from '../src/core/wasm/adc-kernels.js';
import { wasmKernelsEnabled } from '../src/core/wasm/loader.js';
import { measureSearch, recallAtK } from '../src/eval/ann.js';
import { createIndex } from '../src/index/registry.js';
import type { SearchParams, VectorIndex } from '../src/index/types.js';
import { setWrvqWasmScan } from '../src/index/wrvq.js';
import { datasetWithTruth } from '../src/run/index-job.js';
import type { Matrix } from '../src/core/matrix.js';
import { formatRatio, pairedRatios, parseNprobeList, spread, type Spread } from './native-faiss-lib.js';

const argv = yargs(hideBin(process.argv))
  .option('data', { type: 'string', default: 'glove-100' })
  .option('queries', { type: 'number', default: 1000 })
  .option('nlist', { type: 'number', default: 1024 })
  .option('m', { type: 'number', default: 50 })
  .option('fuzzy-k', { type: 'number', default: 16, describe: "wrvq's fuzzyK (sub-cells kept per probed cell)" })
  .option('nprobe', { type: 'string', default: '1,4,16' })
  .option('runs', { type: 'number', default: 5, describe: 'interleaved rounds (ivfpq, wrvq wasm, wrvq JS) of the whole nprobe sweep' })
  .option('warmup', { type: 'number', default: 100, describe: 'untimed queries before each timed loop' })
  .option('train-rows', { type: 'number', describe: "training rows of both indexes (default: each index's own)" })
  .option('seed', { type: 'number', default: 1234 })
  .option('out', { type: 'string', default: 'results/bench/wrvq-per-candidate.json' })
  .strict()
  .parseSync();

const K = 10;
const load = (): number[] => loadavg().map((x) => Math.round(x * 100) / 100);
const SIDES = ['ivfpq', 'wrvqWasm', 'wrvqJs'] as const;
type SideName = (typeof SIDES)[number];

/**
 * Rows scanned per query: one untimed single-query pass with the AdcFrame scans wrapped to sum the
 * rows they cover (scan / scanPair: [start, end) at argument positions 3, 4; scanWeighted: its runs).
 */
async function candidatesPerQuery(index: VectorIndex, queries: Matrix, params: SearchParams): Promise<number> {
  const proto = AdcFrame.prototype as unknown as Record<string, (...a: unknown[]) => void>;
  const rowsOf: Record<string, (a: unknown[]) => number> = {
    scan: (a) => (a[4] as number) - (a[3] as number),
    scanPair: (a) => (a[4] as number) - (a[3] as number),
    scanWeighted: (a) => {
      const runs = a[0] as Uint32Array, nr = a[1] as number;
      let n = 0;
      for (let r = 0; r < nr; r++) n += runs[2 * r + 1] - runs[2 * r];
      return n;
    },
  };
  const saved = Object.fromEntries(Object.keys(rowsOf).map((n) => [n, proto[n]]));
  let rows = 0;
  for (const [name, count] of Object.entries(rowsOf)) {
    const orig = saved[name];
    proto[name] = function (this: unknown, ...a: unknown[]) {
      rows += count(a);
      return orig.apply(this, a);
    };
  }
  try {
    for (let i = 0; i < queries.rows; i++) await index.search(queries.sliceRows(i, i + 1), K, params);
  } finally {
    Object.assign(proto, saved);
  }
  return rows / queries.rows;
}

async function main(): Promise<void> {
  const nprobes = parseNprobeList(argv.nprobe);
  if (!Number.isInteger(argv.runs) || argv.runs < 1) throw new Error(`--runs must be a positive integer, got ${argv.runs}`);
  if (!wasmKernelsEnabled()) throw new Error('the wasm kernels are off (VQBENCH_KERNEL=js or no SIMD): this bench compares the wasm scan with the JS one');
  const loadStart = load();
  const { ds, queries, truth } = await datasetWithTruth({ data: argv.data, queries: argv.queries, seed: argv.seed }, K);
  const buildOpts = { seed: argv.seed, ...(argv.trainRows ? { trainRows: argv.trainRows } : {}) };
  process.stderr.write(`[bench] ivfpq nlist=${argv.nlist} m=${argv.m}: building ...\n`);
  const ivf = createIndex('ivfpq', { nlist: argv.nlist, m: argv.m, nbits: 8 });
  const ivfBuild = await ivf.build(ds.base, buildOpts);
  process.stderr.write('[bench] wrvq 4×256: building ...\n');
  const wrvq = createIndex('wrvq', { books: 4, size: 256 });
  const wrvqBuild = await wrvq.build(ds.base, buildOpts);
  const index: Record<SideName, VectorIndex> = { ivfpq: ivf, wrvqWasm: wrvq, wrvqJs: wrvq };
  const params = (side: SideName, np: number): SearchParams => (side === 'ivfpq' ? { nprobe: np } : { nprobe: np, fuzzyK: argv.fuzzyK });

  const candidates: Record<number, { ivfpq: number; wrvq: number }> = {};
  for (const np of nprobes) {
    candidates[np] = { ivfpq: await candidatesPerQuery(ivf, queries, params('ivfpq', np)), wrvq: await candidatesPerQuery(wrvq, queries, params('wrvqWasm', np)) };
  }

  type Cell = { qps: number; recall10: number };
  const runs: { loadBefore: number[]; loadAfter: number[]; sides: Record<SideName, Record<number, Cell>>; sameIds: Record<number, boolean> }[] = [];
  for (let r = 0; r < argv.runs; r++) {
    const rec = { loadBefore: load(), loadAfter: [] as number[], sides: { ivfpq: {}, wrvqWasm: {}, wrvqJs: {} } as Record<SideName, Record<number, Cell>>, sameIds: {} as Record<number, boolean> };
    process.stderr.write(`[bench] round ${r + 1}/${argv.runs} (load ${rec.loadBefore.join(' ')}): nprobe`);
    for (const np of nprobes) {
      process.stderr.write(` ${np}`);
      const ids: Partial<Record<SideName, Int32Array>> = {};
      for (const side of SIDES) {
        const was = setWrvqWasmScan(side !== 'wrvqJs');
        try {
          const m = await measureSearch(index[side], queries, K, params(side, np), { warmupQueries: argv.warmup });
          rec.sides[side][np] = { qps: m.qps, recall10: recallAtK(m.ids, truth.ids, queries.rows, K, K, K) };
          ids[side] = m.ids;
        } finally {
          setWrvqWasmScan(was);
        }
      }
      rec.sameIds[np] = ids.wrvqWasm!.every((v, i) => v === ids.wrvqJs![i]);
    }
    rec.loadAfter = load();
    process.stderr.write(` (load ${rec.loadAfter.join(' ')})\n`);
    runs.push(rec);
  }
  await ivf.close?.();
  await wrvq.close?.();

  const mcs = (side: SideName, np: number): number[] =>
    runs.map((r) => (r.sides[side][np].qps * (side === 'ivfpq' ? candidates[np].ivfpq : candidates[np].wrvq)) / 1e6);
  const summary = nprobes.map((np) => {
    const qps = Object.fromEntries(SIDES.map((s) => [s, spread(runs.map((r) => r.sides[s][np].qps))])) as Record<SideName, Spread>;
    const mc = Object.fromEntries(SIDES.map((s) => [s, spread(mcs(s, np))])) as Record<SideName, Spread>;
    return {
      nprobe: np, candidates: candidates[np],
      recall10: { ivfpq: runs[0].sides.ivfpq[np].recall10, wrvq: runs[0].sides.wrvqWasm[np].recall10 },
      qps, mCandidatesPerSecond: mc,
      perCandidate: { wasm: spread(pairedRatios(mcs('wrvqWasm', np), mcs('ivfpq', np))), js: spread(pairedRatios(mcs('wrvqJs', np), mcs('ivfpq', np))) },
      wasmOverJs: spread(pairedRatios(runs.map((r) => r.sides.wrvqWasm[np].qps), runs.map((r) => r.sides.wrvqJs[np].qps))),
      sameIds: runs.every((r) => r.sameIds[np]),
    };
  });
  const f1 = (x: number) => x.toFixed(1);
  console.log(`${displayPath(argv.data)}: ${ds.base.rows} base rows, ${queries.rows} queries, k = ${K}; ivfpq nlist=${argv.nlist} m=${argv.m} nbits=8 ` +
    `vs wrvq books=4 size=256 fuzzyK=${argv.fuzzyK}; ${argv.runs} interleaved rounds (ivfpq, wrvq wasm scan, wrvq JS scan); ${cpus().length} cores`);
  console.log(`load average (1 min): start ${loadStart[0]}; ` + runs.map((r, i) => `round ${i + 1} ${r.loadBefore[0]}→${r.loadAfter[0]}`).join(', '));
  console.log('one query per call, one thread; QPS and M candidates/s: medians over rounds; ratios: median of the per-round ratios (min–max)\n' +
    table(['nprobe', 'cand/q ivfpq', 'cand/q wrvq', 'R@10 ivfpq', 'R@10 wrvq', 'QPS ivfpq', 'QPS wrvq wasm', 'QPS wrvq JS', 'Mc/s ivfpq', 'Mc/s wrvq wasm', 'Mc/s wrvq JS'],
      summary.map((s) => [s.nprobe, Math.round(s.candidates.ivfpq), Math.round(s.candidates.wrvq), s.recall10.ivfpq, s.recall10.wrvq,
        Math.round(s.qps.ivfpq.median), Math.round(s.qps.wrvqWasm.median), Math.round(s.qps.wrvqJs.median),
        f1(s.mCandidatesPerSecond.ivfpq.median), f1(s.mCandidatesPerSecond.wrvqWasm.median), f1(s.mCandidatesPerSecond.wrvqJs.median)])));
  console.log('\n' + table(['nprobe', 'wrvq/ivfpq per candidate (wasm scan)', 'wrvq/ivfpq per candidate (JS scan)', 'wrvq QPS wasm/JS', 'same ids wasm/JS'],
    summary.map((s) => [s.nprobe, formatRatio(s.perCandidate.wasm), formatRatio(s.perCandidate.js), formatRatio(s.wasmOverJs), s.sameIds ? 'yes' : 'NO'])));
  writeFileAtomic(argv.out, JSON.stringify({
    data: displayPath(argv.data), datasetChecksum: ds.checksum, queries: queries.rows, k: K,
    ivfpq: { nlist: argv.nlist, m: argv.m, nbits: 8, buildSeconds: ivfBuild.seconds }, wrvq: { books: 4, size: 256, fuzzyK: argv.fuzzyK, buildSeconds: wrvqBuild.seconds },
    cores: cpus().length, loadStart, summary, runs,
  }, null, 2) + '\n');
  console.log(`wrote ${argv.out}`);
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
