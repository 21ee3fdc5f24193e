/**
 * Filtered search with pgvector (embedded PGlite, hnsw) beside the other filtering indexes (hnswlib,
 * our ivfpq, flat), on the same split, the same filters (seeded labels and VectorDBBench's int
 * filter) and the same filtered exact truth (src/run/filtered.ts). Every index is built once; each
 * run goes over every filter case (and the unfiltered search) and searches each index in turn
 * (A B C D A B C D ...), one query per call; the runs repeat the sweep. Printed per index and case:
 * recall@10 against the filtered truth, ids returned per query, the median QPS with its range, the
 * median of the per-run ratios to the index's own unfiltered QPS of the same run, and for pgvector
 * the per-run ratio to hnswlib's QPS. The load average is read around each run.
 *
 * pgvector filters after its hnsw scan (WHERE on a label column / id >= N): at most ef_search rows
 * are looked at, so at 1% kept few of the k come back, unless its iterative scan (pgvector 0.8,
 * `iterativeScan: relaxed_order`, the row 'pgvector hnsw iterative': the same index) goes on until k
 * pass; hnswlib asks its filter about each candidate.
 *
 * Run: node --import tsx bench/filtered-pgvector.ts [--data glove-100:limit=10000] [--queries 200]
 *      [--filter 0.01,0.1,0.5,0.99,int:0.01,0.99] [--ef-search 64] [--runs 3]
 * Writes results/bench/filtered-pgvector.json.
 */
import { cpus, loadavg } from 'node:os';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeFileAtomic } from '../src/core/atomic.js';
import { table } from '../src/core/format.js';
import { shutdownWorkers } from '../src/core/parallel.js';
import { parseFilterSpecs } from '../src/data/filter-spec.js';
import { measureSearch, recallAtK } from '../src/eval/ann.js';
import { closeEmbedded } from '../src/index/pg-session.js';
import { createIndex } from '../src/index/registry.js';
import type { SearchParams, VectorIndex } from '../src/index/types.js';
import { filterCases } from '../src/run/filtered.js';
import { openIndexData, wholeBase } from '../src/run/index-data.js';
import { formatRatio, pairedRatios, spread } from './native-faiss-lib.js';

const argv = yargs(hideBin(process.argv))
  .option('data', { type: 'string', default: 'glove-100:limit=10000' })
  .option('queries', { type: 'number', default: 200 })
  .option('filter', { type: 'string', default: '0.01,0.1,0.5,0.99,int:0.01,0.99' })
  .option('ef-search', { type: 'number', default: 64 })
  .option('nlist', { type: 'number', default: 64 })
  .option('nprobe', { type: 'number', default: 16 })
  .option('runs', { type: 'number', default: 3 })
  .option('warmup', { type: 'number', default: 20 })
  .option('seed', { type: 'number', default: 1234 })
  .option('out', { type: 'string', default: 'results/bench/filtered-pgvector.json' })
  .strict()
  .parseSync();

const K = 10;
const load = () => Math.round(loadavg()[0] * 100) / 100;

interface Contender { name: string; index: VectorIndex; search: SearchParams; buildSeconds: number }

async function main(): Promise<void> {
  const specs = parseFilterSpecs(argv.filter, '--filter');
  const data = await openIndexData(argv.data, K, { queries: argv.queries, seed: argv.seed });
  const base = wholeBase(data.base), queries = data.queries;
  const cases = await filterCases(data, specs, K, argv.seed);
  const ef = argv['ef-search'];
  const contenders: Contender[] = [];
  try {
    for (const [name, id, build, search] of [
      ['pgvector hnsw', 'pgvector', { type: 'hnsw', m: 16, efConstruction: 64 }, { efSearch: ef }],
      ['hnswlib', 'hnsw', { M: 16, efConstruction: 64 }, { efSearch: ef }],
      ['ivfpq', 'ivfpq', { nlist: argv.nlist, m: 50 }, { nprobe: argv.nprobe }],
      ['flat', 'flat', {}, {}],
    ] as const) {
      const index = createIndex(id, build);
      const t0 = performance.now();
      await index.build(base, { seed: argv.seed });
      const buildSeconds = (performance.now() - t0) / 1000;
      contenders.push({ name, index, search, buildSeconds });
      // the same pgvector index again with pgvector 0.8's iterative scan (the scan goes on until k rows pass the WHERE)
      if (id === 'pgvector') contenders.push({ name: 'pgvector hnsw iterative', index, search: { ...search, iterativeScan: 'relaxed_order' }, buildSeconds });
      process.stderr.write(`[bench] built ${name} in ${buildSeconds.toFixed(1)} s\n`);
    }
    console.log(`dataset ${argv.data} (${base.rows} rows, ${queries.rows} queries, k = ${K}); ef_search ${ef} (pgvector, hnswlib), ivfpq nlist ${argv.nlist} m 50 nprobe ${argv.nprobe}; ` +
      `${argv.runs} interleaved runs, one query per call; ${cpus().length} cores; pgvector embedded (PGlite, one WebAssembly Postgres)`);
    // slot 0 = unfiltered, then one per case; per contender the QPS, recall and ids returned of every run
    type Side = { qps: number; recall10: number; returned: number };
    const slots = [null, ...cases];
    const results = contenders.map(() => slots.map((): Side[] => []));
    const loads: [number, number][] = [];
    for (let r = 0; r < argv.runs; r++) {
      const before = load();
      for (const [s, c] of slots.entries()) {
        for (const [i, x] of contenders.entries()) {
          const m = await measureSearch(x.index, queries, K, x.search, { warmupQueries: argv.warmup, ...(c && { search: { filter: c.filter } }) });
          const truth = c ? c.truth : data.truth;
          results[i][s].push({ qps: m.qps, recall10: recallAtK(m.ids, truth.ids, queries.rows, K, truth.k, K), returned: Array.from(m.ids).filter((id) => id >= 0).length / queries.rows });
        }
      }
      loads.push([before, load()]);
      process.stderr.write(`[bench] run ${r + 1}/${argv.runs} done (load ${before} → ${load()})\n`);
    }
    const rows: (string | number)[][] = [];
    const summary = [];
    const hnswlib = contenders.findIndex((x) => x.name === 'hnswlib');
    for (const [s, c] of slots.entries()) {
      for (const [i, x] of contenders.entries()) {
        const runs = results[i][s];
        const qps = spread(runs.map((y) => y.qps));
        const vsUnfiltered = c ? spread(pairedRatios(runs.map((y) => y.qps), results[i][0].map((y) => y.qps))) : null;
        const vsHnswlib = x.name.startsWith('pgvector') ? spread(pairedRatios(runs.map((y) => y.qps), results[hnswlib][s].map((y) => y.qps))) : null;
        const row = {
          index: x.name, filter: c ? c.filter.predicate.label : 'none', kind: c?.kind ?? null, rows: c ? c.filter.count : base.rows,
          recall10: runs[0].recall10, returnedPerQuery: runs[0].returned, qps, vsUnfiltered, vsHnswlib,
        };
        summary.push(row);
        rows.push([row.filter, row.rows, x.name, row.recall10.toFixed(4), row.returnedPerQuery.toFixed(2), `${Math.round(qps.median)} (${Math.round(qps.min)}–${Math.round(qps.max)})`,
          vsUnfiltered ? formatRatio(vsUnfiltered) : '-', vsHnswlib ? formatRatio(vsHnswlib) : '-']);
      }
    }
    console.log('\n' + table(['filter', 'rows kept', 'index', 'R@10', 'ret/q', 'QPS med (range)', 'vs own unfiltered', 'pgvector/hnswlib'], rows));
    console.log(`build seconds: ${contenders.map((x) => `${x.name} ${x.buildSeconds.toFixed(1)}`).join(', ')}`);
    console.log(`load (1 min) per run: ${loads.map(([a, b]) => `${a}→${b}`).join(', ')}`);
    writeFileAtomic(argv.out, JSON.stringify({
      data: argv.data, checksum: data.checksum, queries: queries.rows, k: K, efSearch: ef, nlist: argv.nlist, nprobe: argv.nprobe, runs: argv.runs,
      builds: contenders.map((x) => ({ index: x.name, label: x.index.label, seconds: x.buildSeconds })), loads, summary,
    }, null, 2) + '\n');
    console.log(`wrote ${argv.out}`);
  } finally {
    for (const index of new Set(contenders.map((x) => x.index))) await index.close?.();
    await closeEmbedded();
    data.close();
    await shutdownWorkers();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
