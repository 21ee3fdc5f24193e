/**
 * Filtered search: our ivfpq against NATIVE faiss 1.7.3 (python3-faiss, IDSelectorBitmap in
 * SearchParametersIVF), on the same split, the same seeded labels and the same filtered exact truth.
 *
 * The base, the first `--queries` queries, each label's bitmap and its filtered top-K are written
 * once as .npy; native faiss builds 'IVF{nlist},PQ{m}np' once (bench/peers/faiss_filtered.py) and we
 * build ivfpq once. Each run goes over every (nprobe, selectivity) and times ours then native back to
 * back (A B A B ...), one query per call on one thread; the runs repeat the sweep. Printed per
 * setting: recall@10 against the filtered truth, ids returned per query, the median QPS of each and
 * the median of the per-run ratios ours/native with its min–max.
 *
 * Run: node --import tsx bench/filtered.ts [--data glove-100:limit=100000] [--queries 500] [--nlist 256]
 *      [--m 50] [--nprobe 16,64] [--filter 0.01,0.1,0.5,0.99] [--runs 3]
 * Writes results/bench/filtered.json.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeFileAtomic } from '../src/core/atomic.js';
import { table } from '../src/core/format.js';
import { Matrix } from '../src/core/matrix.js';
import { parseSelectivities } from '../src/data/labels.js';
import { writeNpy } from '../src/data/npy.js';
import { measureSearch, recallAtK } from '../src/eval/ann.js';
import { createIndex } from '../src/index/registry.js';
import { filterCases } from '../src/run/filtered.js';
import { openIndexData, wholeBase } from '../src/run/index-data.js';
import { encodeInt32Npy, formatRatio, pairedRatios, parseNprobeList, spread } from './native-faiss-lib.js';
import { FAISS_PEER, PYTHON, PeerSession, nativeFaissUnavailable } from './peer-session.js';

const argv = yargs(hideBin(process.argv))
  .option('data', { type: 'string', default: 'glove-100:limit=100000' })
  .option('queries', { type: 'number', default: 500 })
  .option('nlist', { type: 'number', default: 256 })
  .option('m', { type: 'number', default: 50 })
  .option('nprobe', { type: 'string', default: '16,64' })
  .option('filter', { type: 'string', default: '0.01,0.1,0.5,0.99' })
  .option('runs', { type: 'number', default: 3 })
  .option('warmup', { type: 'number', default: 50 })
  .option('seed', { type: 'number', default: 1234 })
  .option('out', { type: 'string', default: 'results/bench/filtered.json' })
  .strict()
  .parseSync();

const K = 10;
const load = () => Math.round(loadavg()[0] * 100) / 100;

async function main(): Promise<void> {
  const why = nativeFaissUnavailable();
  if (why) throw new Error(`native faiss is needed: ${why}`);
  const nprobes = parseNprobeList(argv.nprobe), selectivities = parseSelectivities(argv.filter, '--filter');
  const data = await openIndexData(argv.data, K, { queries: argv.queries, seed: argv.seed });
  const base = wholeBase(data.base), queries = data.queries;
  const cases = await filterCases(data, selectivities, K, argv.seed);
  const dir = mkdtempSync(join(tmpdir(), 'vqbench-filtered-'));
  let peer: PeerSession | null = null;
  try {
    writeNpy(join(dir, 'base.npy'), base);
    writeNpy(join(dir, 'queries.npy'), queries);
    const filterArgs = cases.flatMap((c, i) => {
      writeNpy(join(dir, `bits${i}.npy`), new Matrix(Float32Array.from(c.filter.allowed), c.filter.allowed.length, 1));
      writeFileSync(join(dir, `gt${i}.npy`), encodeInt32Npy(c.truth.ids, queries.rows, c.truth.k));
      return ['--filter', `${join(dir, `bits${i}.npy`)}:${join(dir, `gt${i}.npy`)}`];
    });
    const factory = `IVF${argv.nlist},PQ${argv.m}np`;
    console.log(`dataset ${argv.data} (${base.rows} rows, ${queries.rows} queries, k = ${K}); ours ivfpq nlist=${argv.nlist} m=${argv.m} vs native faiss '${factory}' with IDSelectorBitmap; ` +
      `${argv.runs} interleaved runs; one query per call, one thread; ${cpus().length} cores`);
    peer = new PeerSession(`native faiss ${factory}`, PYTHON, [FAISS_PEER.replace('faiss_index.py', 'faiss_filtered.py'), '--base', join(dir, 'base.npy'), '--queries', join(dir, 'queries.npy'),
      '--factory', factory, '--seed', String(argv.seed), '--warmup', String(argv.warmup), ...filterArgs]);
    const nativeBuild = await peer.built();
    const ours = createIndex('ivfpq', { nlist: argv.nlist, m: argv.m });
    const oursBuild = await ours.build(base, { seed: argv.seed });
    process.stderr.write(`[bench] built: native ${(nativeBuild.buildSeconds as number).toFixed(1)} s, ours ${oursBuild.seconds.toFixed(1)} s\n`);
    type Side = { qps: number; recall10: number; returned: number };
    const results = new Map<string, { ours: Side[]; native: Side[] }>();
    const loads: number[][] = [];
    for (let r = 0; r < argv.runs; r++) {
      const before = load();
      for (const np of nprobes) {
        for (const [i, c] of cases.entries()) {
          const m = await measureSearch(ours, queries, K, { nprobe: np }, { warmupQueries: argv.warmup, search: { filter: c.filter } });
          const o = await peer.search({ nprobe: np, filter: i });
          const key = `${np}/${i}`;
          const slot = results.get(key) ?? { ours: [], native: [] };
          slot.ours.push({ qps: m.qps, recall10: recallAtK(m.ids, c.truth.ids, queries.rows, K, c.truth.k, K), returned: Array.from(m.ids).filter((x) => x >= 0).length / queries.rows });
          slot.native.push({ qps: o.qps as number, recall10: o.recall10 as number, returned: o.returnedPerQuery as number });
          results.set(key, slot);
        }
      }
      loads.push([before, load()]);
      process.stderr.write(`[bench] run ${r + 1}/${argv.runs} done (load ${before} → ${load()})\n`);
    }
    await peer.close();
    peer = null;
    await ours.close?.();
    const rows: (string | number)[][] = [];
    const summary = [];
    for (const np of nprobes) {
      for (const [i, c] of cases.entries()) {
        const s = results.get(`${np}/${i}`)!;
        const ratio = spread(pairedRatios(s.ours.map((x) => x.qps), s.native.map((x) => x.qps)));
        const row = {
          nprobe: np, selectivity: c.selectivity, label: c.filter.predicate.label, rows: c.filter.count,
          recall10: { ours: s.ours[0].recall10, native: s.native[0].recall10 }, returnedPerQuery: { ours: s.ours[0].returned, native: s.native[0].returned },
          qps: { ours: spread(s.ours.map((x) => x.qps)), native: spread(s.native.map((x) => x.qps)) }, ratioOursNative: ratio,
        };
        summary.push(row);
        rows.push([np, c.filter.predicate.label, c.filter.count, row.recall10.ours.toFixed(4), row.recall10.native.toFixed(4), row.returnedPerQuery.ours.toFixed(2),
          row.returnedPerQuery.native.toFixed(2), Math.round(row.qps.ours.median), Math.round(row.qps.native.median), formatRatio(ratio)]);
      }
    }
    console.log('\n' + table(['nprobe', 'label', 'rows', 'R@10 ours', 'R@10 native', 'ret/q ours', 'ret/q native', 'QPS ours', 'QPS native', 'ours/native'], rows));
    console.log(`load (1 min) per run: ${loads.map(([a, b]) => `${a}→${b}`).join(', ')}`);
    writeFileAtomic(argv.out, JSON.stringify({ data: argv.data, checksum: data.checksum, queries: queries.rows, k: K, nlist: argv.nlist, m: argv.m, factory, nativeBuild, oursBuildSeconds: oursBuild.seconds, loads, summary }, null, 2) + '\n');
    console.log(`wrote ${argv.out}`);
  } finally {
    peer?.kill();
    data.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
