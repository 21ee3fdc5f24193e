/**
 * Kernel benchmark (issue: foundation, §2): the hot paths against faiss in ONE run, same rows, same
 * machine, same thread counts. faiss is Debian's python3-faiss (BLAS sgemm for exact search), run
 * through /usr/bin/python3 bench/peers/faiss_quantizers.py; its BLAS is named in the output.
 *  1. exact k-NN (ground truth): our native (OpenBLAS, when built), wasm-SIMD and JS kernels vs faiss
 *     IndexFlatL2, 1 and all threads;
 *     ids checked against faiss's (agreement = |ours ∩ faiss| / k, float32 ties aside);
 *  2. k-means (the codebook trainer's inner loop): ours (assignment by the native kernel when built,
 *     and by the wasm kernel) vs faiss.Kmeans, same k, iterations, sample; --kmeans-runs runs
 *     interleaved (faiss, native, wasm; repeat), each run's time ratios paired, median (min–max).
 * Run: node --import tsx bench/kernels.ts [--data glove-100] [--base 100000] [--queries 2000] [--k 10]
 * Prints ratios (ours / faiss); results/bench/kernels.json gets every figure.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeFileAtomic } from '../src/core/atomic.js';
import { table } from '../src/core/format.js';
import { kmeans } from '../src/core/kmeans.js';
import { getThreads, knn, nearest, setThreads, shutdownWorkers } from '../src/core/parallel.js';
import { kernelDescription, setWasmKernelsEnabled } from '../src/core/wasm/loader.js';
import { nativeKnnAvailable, nativeKnnDescription, setNativeKnnEnabled } from '../src/core/native/knn-native.js';
import { loadDataset } from '../src/data/load.js';
import { parseNpyHeader, writeNpy } from '../src/data/npy.js';
import { captureEnvironment } from '../src/run/env.js';
import { blasInfo } from '../src/core/blas.js';
import { displayPath } from '../src/core/paths.js';

const argv = yargs(hideBin(process.argv))
  .option('data', { type: 'string', default: 'glove-100' })
  .option('base', { type: 'number', default: 100_000, describe: 'base rows searched' })
  .option('queries', { type: 'number', default: 2000 })
  .option('k', { type: 'number', default: 10 })
  .option('kmeans-rows', { type: 'number', default: 50_000 })
  .option('kmeans-k', { type: 'number', default: 256 })
  .option('kmeans-iters', { type: 'number', default: 25 })
  .option('kmeans-runs', { type: 'number', default: 3, describe: 'interleaved k-means runs per thread count (faiss, native, wasm)' })
  .option('knn', { type: 'boolean', default: true, describe: 'section 1 (exact k-NN); --no-knn runs k-means only' })
  .option('seed', { type: 'number', default: 1234 })
  .strict()
  .parseSync();

interface Peer { seconds: number; qps?: number; inertia?: number; threads: number; faissVersion: string }

function faiss(args: string[], threads: number): Peer {
  const out = execFileSync('/usr/bin/python3', ['bench/peers/faiss_quantizers.py', ...args, '--threads', String(threads), '--seed', String(argv.seed)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  return JSON.parse(out.trim().split('\n').pop()!) as Peer;
}

/** Median seconds of `repeats` runs after one warm-up. */
async function time(fn: () => Promise<unknown>, repeats = 3): Promise<number> {
  await fn();
  const t: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await fn();
    t.push((performance.now() - t0) / 1000);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
}

async function main(): Promise<void> {
  const ds = await loadDataset(argv.data, { seed: argv.seed });
  const base = ds.base.sliceRows(0, Math.min(argv.base, ds.base.rows));
  const queries = ds.queries.sliceRows(0, Math.min(argv.queries, ds.queries.rows));
  const k = argv.k;
  const maxThreads = getThreads();
  const env = captureEnvironment();
  const blas = blasInfo();
  console.log(`dataset ${ds.name}: exact ${k}-NN of ${queries.rows} queries in ${base.rows} × ${ds.dim}; ${env.cpu}; faiss BLAS ${blas}; kernels ${kernelDescription()}; exact k-NN ${nativeKnnDescription() ?? 'wasm'}`);
  const dir = mkdtempSync(join(tmpdir(), 'vqbench-kernels-'));
  const record: Record<string, unknown> = { dataset: displayPath(ds.name), base: base.rows, queries: queries.rows, dim: ds.dim, k, env, blas };
  try {
    writeNpy(join(dir, 'base.npy'), base);
    writeNpy(join(dir, 'queries.npy'), queries);
    // 1. exact k-NN
    if (argv.knn) {
      const rows: (string | number)[][] = [];
      const knnRecords: unknown[] = [];
      for (const threads of [...new Set([1, maxThreads])]) {
        const peer = faiss(['--knn', join(dir, 'base.npy'), join(dir, 'queries.npy'), String(k), '--repeats', '3', '--out-ids', join(dir, `ids${threads}.npy`)], threads);
        setThreads(threads);
        for (const kernel of [...(nativeKnnAvailable() ? ['native'] as const : []), 'wasm', 'js'] as const) {
          setNativeKnnEnabled(kernel === 'native');
          setWasmKernelsEnabled(kernel !== 'js');
          const secs = await time(() => knn(base, queries, k));
          const qps = queries.rows / secs;
          rows.push([`exact ${k}-NN`, kernel, threads, qps, peer.qps!, qps / peer.qps!]);
          knnRecords.push({ kernel, threads, seconds: secs, qps, faiss: peer });
          if (threads > 1 && kernel === 'js') break; // the JS kernel on all threads adds little information
        }
        setWasmKernelsEnabled(true);
        setNativeKnnEnabled(true);
      }
      setThreads(maxThreads);
      // agreement of our ids with faiss's (both float32; differences are near-ties)
      const ours = await knn(base, queries, k);
      const theirs = readInt64Npy(join(dir, `ids${maxThreads}.npy`));
      let inter = 0;
      for (let q = 0; q < queries.rows; q++) {
        const s = new Set(Array.from(theirs.subarray(q * k, (q + 1) * k)));
        for (let j = 0; j < k; j++) if (s.has(ours.ids[q * k + j])) inter++;
      }
      const agreement = inter / (queries.rows * k);
      console.log('\n1. exact k-NN (ground truth), queries/s; ratio = ours / faiss IndexFlatL2 at the same threads\n' +
        table(['search', 'our kernel', 'threads', 'ours q/s', 'faiss q/s', 'ratio'], rows) +
        `\nids agree with faiss's on ${(agreement * 100).toFixed(3)}% of the top-${k} (the rest are float32 near-ties)`);
      record.knn = knnRecords;
      record.knnAgreement = agreement;
    }

    // 2. k-means
    const kmRows = ds.train.sliceRows(0, Math.min(argv['kmeans-rows'], ds.train.rows));
    writeNpy(join(dir, 'km.npy'), kmRows);
    const kmK = argv['kmeans-k'], iters = argv['kmeans-iters'];
    const kmTable: (string | number)[][] = [];
    const kmRecords: unknown[] = [];
    const kernels = [...(nativeKnnAvailable() ? ['native'] as const : []), 'wasm'] as const;
    const runs = Math.max(1, argv['kmeans-runs']);
    const summary: string[] = [];
    for (const threads of [...new Set([1, maxThreads])]) {
      setThreads(threads);
      console.log(`\nk-means, ${threads} thread(s); load average before: ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
      for (const kernel of kernels) { // untimed warm-up: workers started, kernels loaded
        const was = setNativeKnnEnabled(kernel === 'native');
        await kmeans(kmRows, { k: kmK, iters: 2, seed: argv.seed }).finally(() => setNativeKnnEnabled(was));
      }
      const ratios: Record<string, number[]> = {};
      const push = (key: string, v: number) => (ratios[key] ??= []).push(v);
      for (let run = 1; run <= runs; run++) {
        const peer = faiss(['--kmeans', join(dir, 'km.npy'), String(kmK), String(iters)], threads);
        const secs: Record<string, number> = {};
        const cents: Record<string, Float32Array> = {};
        for (const kernel of kernels) {
          const was = setNativeKnnEnabled(kernel === 'native');
          try {
            const t0 = performance.now();
            const r = await kmeans(kmRows, { k: kmK, iters, seed: argv.seed });
            secs[kernel] = (performance.now() - t0) / 1000;
            cents[kernel] = r.centroids.data;
            if (run === 1) {
              // inertia over all rows, as the peer reports it
              const all = await nearest(kmRows, r.centroids);
              let inertia = 0;
              for (const v of all.dists) inertia += v;
              kmTable.push([threads, kernel, secs[kernel], peer.seconds, secs[kernel] / peer.seconds, inertia, peer.inertia!, inertia / peer.inertia!]);
            }
          } finally {
            setNativeKnnEnabled(was);
          }
          push(`${kernel} / faiss`, secs[kernel] / peer.seconds);
          kmRecords.push({ threads, run, kernel, seconds: secs[kernel], faiss: peer });
        }
        // the two kernels' assignments are equal bit for bit, so are the trained centroids
        const same = cents.native ? cents.native.every((v, i) => Object.is(v, cents.wasm[i])) : null;
        if (cents.native) push('native / wasm', secs.native / secs.wasm);
        console.log(`run ${run}: faiss ${peer.seconds.toFixed(2)} s, ` + kernels.map((k) => `ours ${k} ${secs[k].toFixed(2)} s`).join(', ') +
          (same === null ? '' : same ? ', centroids native = wasm bit for bit' : ', CENTROIDS DIFFER between native and wasm'));
      }
      for (const [key, v] of Object.entries(ratios)) {
        const sorted = [...v].sort((a, b) => a - b);
        summary.push(`${threads} thread(s), time ratio ${key}: ${sorted[Math.floor(sorted.length / 2)].toFixed(2)} (${sorted[0].toFixed(2)}–${sorted[sorted.length - 1].toFixed(2)}), ${v.length} paired runs`);
      }
      summary.push(`${threads} thread(s), load average after: ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
    }
    setThreads(maxThreads);
    console.log(`\n2. k-means: ${kmRows.rows} × ${ds.dim} rows, k = ${kmK}, ${iters} iterations, ≤ 256 points per centroid (both); first run\n` +
      table(['threads', 'our kernel', 'ours s', 'faiss s', 'time ratio', 'ours inertia', 'faiss inertia', 'inertia ratio'], kmTable) +
      '\npaired per run (time ratio < 1: ours faster), median (min–max):\n  ' + summary.join('\n  '));
    record.kmeans = kmRecords;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  writeFileAtomic('results/bench/kernels.json', JSON.stringify(record, null, 2) + '\n');
  console.log('\nwrote results/bench/kernels.json');
}

/** The int64 ids faiss saved (.npy '<i8', C order) as an Int32Array. */
function readInt64Npy(path: string): Int32Array {
  const bytes = readFileSync(path);
  const h = parseNpyHeader(bytes, path);
  const n = h.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset + h.dataOffset, n * 8);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(8 * i, true));
  return out;
}

main().then(shutdownWorkers, (e) => {
  console.error(e);
  process.exit(1);
});
