/**
 * Throughput of exact ground truth in chunks (src/data/ground-truth-streamed.ts) against faiss
 * (python3-faiss IndexFlatL2, BLAS) on the same rows: a seeded 1M × 96 float32 .npy (written once,
 * in chunks, under the cache), 1,000 queries drawn from it, k = 100, the same thread count. Ours
 * streams the whole file from disk (reads included, nothing cached); faiss searches one chunk that
 * fits (--faiss-rows), so its rate is base rows per second of search alone. Runs are interleaved
 * (ours, faiss, ours, ...) so a busy machine slows both alike; printed: the ratio of the medians and
 * the median of the paired per-run ratios with their range, and the load average before the runs.
 * Each run also times the kernel alone: our `knn` (src/core/parallel.ts) on the very rows faiss
 * searches, in memory (no reads, merge or checks), right after faiss: a second paired ratio.
 * Ours runs the native k-NN kernel (OpenBLAS, src/core/native/) when it is built, else the wasm one
 * (--kernel picks); with the native kernel, each run also times the wasm kernel alone on faiss's rows,
 * for a third paired ratio (native / wasm).
 *
 *   node --import tsx bench/gt-throughput.ts [--rows 1000000] [--dim 96] [--queries 1000] [--runs 3] [--kernel native|wasm]
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeFileAtomic } from '../src/core/atomic.js';
import { blasInfo } from '../src/core/blas.js';
import { knnKernelDescription, nativeKnnAvailable, nativeKnnUnavailable, setNativeKnnEnabled } from '../src/core/native/knn-native.js';
import { getThreads, knn, setThreads, shutdownWorkers } from '../src/core/parallel.js';
import { progressBar } from '../src/core/progress.js';
import { Rng } from '../src/core/rng.js';
import { cacheDir } from '../src/data/cache.js';
import { groundTruthStreamed } from '../src/data/ground-truth-streamed.js';
import { writeNpy } from '../src/data/npy.js';
import { openRowFile } from '../src/data/row-files.js';
import { writeMixtureNpy } from '../src/data/synthetic-file.js';

const argv = yargs(hideBin(process.argv))
  .option('rows', { type: 'number', default: 1_000_000, describe: 'base rows of the generated file' })
  .option('dim', { type: 'number', default: 96 })
  .option('queries', { type: 'number', default: 1000 })
  .option('k', { type: 'number', default: 100 })
  .option('faiss-rows', { type: 'number', default: 200_000, describe: 'rows of the chunk faiss searches (it must fit in memory)' })
  .option('runs', { type: 'number', default: 3, describe: 'interleaved runs of each' })
  .option('seed', { type: 'number', default: 1234 })
  .option('threads', { type: 'number', describe: 'threads of both sides (default: every core); faiss gets OMP_NUM_THREADS and OPENBLAS_NUM_THREADS' })
  .option('kernel', { choices: ['native', 'wasm'] as const, describe: 'our exact k-NN kernel (default: native when built, else wasm)' })
  .strict()
  .parseSync();

if (argv.kernel === 'native' && !nativeKnnAvailable()) {
  console.error(`--kernel native: the native k-NN kernel is not available (${nativeKnnUnavailable()}).`);
  process.exit(2);
}
if (argv.kernel === 'wasm') setNativeKnnEnabled(false);
const kernel = knnKernelDescription();
const compareWasm = kernel.startsWith('native');
/** Times `knn` on the in-memory rows with the native kernel on or off (the workers follow), in base rows per second. */
async function kernelAlone(native: boolean): Promise<number> {
  const was = setNativeKnnEnabled(native);
  try {
    const t = performance.now();
    await knn(memRows, queries, argv.k);
    return memRows.rows / ((performance.now() - t) / 1000);
  } finally {
    setNativeKnnEnabled(was);
  }
}

const PEER = fileURLToPath(new URL('./peers/faiss_flat_gt.py', import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const path = cacheDir('bench', `mixture-${argv.rows}x${argv.dim}-s${argv.seed}.npy`);
const gen = progressBar('writing the base', 'rows');
if (writeMixtureNpy(path, { rows: argv.rows, dim: argv.dim, seed: argv.seed, onProgress: gen.update })) gen.finish();
const base = openRowFile(path);
const queries = base.readRows(Uint32Array.from(new Rng(argv.seed + 1).sample(base.rows, argv.queries)).sort());
const queriesPath = cacheDir('bench', `queries-${process.pid}.npy`);
writeNpy(queriesPath, queries);
if (argv.threads !== undefined) setThreads(argv.threads);
const threads = getThreads();
const peerEnv = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
const ds = { name: path, source: 'bench', metric: 'l2' as const, dim: base.dim, base, train: base, queries, checksum: 'bench', close: () => base.close() };

const load = loadavg();
const ours: number[] = [], faiss: number[] = [], oursMem: number[] = [], wasmMem: number[] = [];
const memRows = base.read(0, Math.min(argv['faiss-rows'], base.rows));
// warm-up, untimed: the kernels' first call in each thread grows the wasm memory and starts the workers
{
  const warm = memRows.sliceRows(0, Math.min(memRows.rows, 20_000));
  for (const native of compareWasm ? [true, false] : [compareWasm]) {
    const was = setNativeKnnEnabled(native);
    await knn(warm, queries, argv.k);
    setNativeKnnEnabled(was);
  }
}
try {
  for (let run = 0; run < argv.runs; run++) {
    const t = performance.now();
    await groundTruthStreamed(ds, argv.k, { cache: false });
    ours.push(base.rows / ((performance.now() - t) / 1000));
    const r = spawnSync('/usr/bin/python3', [PEER, path, String(argv['faiss-rows']), queriesPath, String(argv.k), String(threads), '1'], { encoding: 'utf8', env: peerEnv });
    if (r.status !== 0) throw new Error(`faiss peer failed: ${r.stderr.trim().split('\n').pop()}`);
    const out = JSON.parse(r.stdout) as { rows: number; seconds: number[] };
    faiss.push(out.rows / out.seconds[0]);
    oursMem.push(await kernelAlone(compareWasm));
    if (compareWasm) wasmMem.push(await kernelAlone(false));
    process.stderr.write(`run ${run + 1}: ours ${(ours[run] / 1e3).toFixed(0)}k rows/s, faiss ${(faiss[run] / 1e3).toFixed(0)}k rows/s, ours in memory ${(oursMem[run] / 1e3).toFixed(0)}k rows/s` +
      (compareWasm ? `, wasm kernel in memory ${(wasmMem[run] / 1e3).toFixed(0)}k rows/s` : '') + '\n');
  }
} finally {
  rmSync(queriesPath, { force: true });
  base.close();
  await shutdownWorkers();
}
const o = median(ours), f = median(faiss);
const paired = ours.map((x, i) => x / faiss[i]);
const pairedMem = oursMem.map((x, i) => x / faiss[i]);
const pairedWasm = wasmMem.map((x, i) => x / faiss[i]);
const nativeOverWasm = wasmMem.map((x, i) => oursMem[i] / x);
const span = (xs: number[]) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
const blas = blasInfo();
writeFileAtomic(join('results', 'bench', `gt-throughput-t${threads}.json`), JSON.stringify({ rows: base.rows, dim: base.dim, queries: argv.queries, k: argv.k, threads, faissRows: argv['faiss-rows'], blas, knnKernel: kernel, oursRowsPerSecond: ours, faissRowsPerSecond: faiss, ratio: o / f, pairedRatios: paired, oursInMemoryRowsPerSecond: oursMem, pairedRatiosInMemory: pairedMem, wasmInMemoryRowsPerSecond: wasmMem, pairedRatiosWasmInMemory: pairedWasm, nativeOverWasm, loadAverage: load }, null, 2) + '\n');
console.log(
  `exact ground truth, ${argv.queries} queries, k = ${argv.k}, ${threads} threads, base ${base.rows} × ${base.dim} float32; faiss BLAS ${blas}; our k-NN kernel ${kernel}:\n` +
  `  ours (streamed from disk, chunks of 64 MiB): ${(o / 1e3).toFixed(0)}k base rows/s (median of ${ours.length})\n` +
  `  faiss IndexFlatL2 on ${argv['faiss-rows']} rows in memory: ${(f / 1e3).toFixed(0)}k base rows/s\n` +
  `  ratio ours / faiss: ${(o / f).toFixed(2)} of the medians; paired per run ${median(paired).toFixed(2)} (${Math.min(...paired).toFixed(2)}–${Math.max(...paired).toFixed(2)})\n` +
  `  the kernel alone, ours knn on the same ${memRows.rows} rows in memory / faiss: paired per run ${span(pairedMem)}\n` +
  (compareWasm ? `  the wasm kernel alone / faiss: paired per run ${span(pairedWasm)}; native / wasm kernel: ${span(nativeOverWasm)}\n` : '') +
  `  load average before the runs: ${load.map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores`,
);
