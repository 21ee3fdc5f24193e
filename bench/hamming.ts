/**
 * The binary index's Hamming scan, wasm (i64.popcnt over 64-bit words, kernels.c hamming_scan)
 * against JS (SWAR popcount over 32-bit words): the same seeded packed codes and queries, the
 * top-k of every query by each kernel, timed interleaved (wasm, JS, wasm, JS, ...) so each ratio
 * pairs two runs taken back to back; the median ratio and its min–max over the runs are printed.
 * The two answers are checked equal (ids and distances) before timing.
 * Run: node --import tsx bench/hamming.ts [--rows 100000] [--bits 128,384,1024] [--queries 200] [--k 10] [--runs 7]
 * Writes results/bench/hamming.json.
 */
import assert from 'node:assert/strict';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeFileAtomic } from '../src/core/atomic.js';
import { table } from '../src/core/format.js';
import { hammingTopKJs } from '../src/core/hamming.js';
import { Rng } from '../src/core/rng.js';
import { hammingTopKWasm } from '../src/core/wasm/hamming-kernels.js';
import { kernelDescription, wasmKernelsAvailable } from '../src/core/wasm/loader.js';
import { WasmArray } from '../src/core/wasm/memory.js';
import { captureEnvironment } from '../src/run/env.js';
import { formatRatio, interleavedSchedule, ratioSpread, spread } from './native-faiss-lib.js';

const argv = yargs(hideBin(process.argv))
  .option('rows', { type: 'number', default: 100_000, describe: 'code rows scanned' })
  .option('bits', { type: 'string', default: '128,384,1024', describe: 'code widths (bits per row), comma-separated' })
  .option('queries', { type: 'number', default: 200 })
  .option('k', { type: 'number', default: 10 })
  .option('runs', { type: 'number', default: 7, describe: 'interleaved runs per kernel' })
  .option('seed', { type: 'number', default: 1234 })
  .strict()
  .parseSync();

function randomWords(n: number, seed: number): Uint32Array {
  const rng = new Rng(seed), out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.nextU32();
  return out;
}

function main(): void {
  if (!wasmKernelsAvailable()) throw new Error(`the wasm kernels did not load: ${kernelDescription()}`);
  const { rows: n, queries: nq, k, runs } = argv;
  const widths = argv.bits.split(',').map((s) => Number(s.trim()));
  const env = captureEnvironment();
  console.log(`Hamming top-${k} of ${nq} queries over ${n} seeded code rows; ${env.cpu}, Node ${env.node}; ${runs} interleaved runs per kernel`);
  const out: (string | number)[][] = [];
  const records: unknown[] = [];
  for (const bits of widths) {
    const w = Math.ceil(bits / 32);
    const codes = randomWords(n * w, argv.seed + bits), q = randomWords(nq * w, argv.seed + 7 * bits);
    const resident = WasmArray.from(codes);
    const ids = new Int32Array(nq * k), dists = new Float32Array(nq * k);
    const wasm = () => { if (!hammingTopKWasm(resident, n, w, q, nq, k, ids, dists)) throw new Error('wasm path refused'); };
    const js = () => hammingTopKJs(codes, n, w, q, nq, k);
    wasm();
    const ref = js();
    assert.deepEqual(ids, ref.ids, `${bits} bits: ids differ`);
    assert.deepEqual(dists, ref.dists, `${bits} bits: distances differ`);
    const seconds: Record<string, number[]> = { wasm: [], js: [] };
    for (const step of interleavedSchedule([bits], ['wasm', 'js'], runs)) {
      const t0 = performance.now();
      if (step.side === 'wasm') wasm(); else js();
      seconds[step.side].push((performance.now() - t0) / 1000);
    }
    resident.free();
    const speedup = ratioSpread(seconds.js, seconds.wasm);
    const qps = (s: number[]) => nq / spread(s).median;
    out.push([bits, n, qps(seconds.js), qps(seconds.wasm), formatRatio(speedup)]);
    records.push({ bits, rows: n, queries: nq, k, runs, secondsJs: seconds.js, secondsWasm: seconds.wasm, speedup });
  }
  console.log(table(['bits', 'rows', 'JS q/s (median)', 'wasm q/s (median)', 'wasm speed-up: median (min–max) of paired runs'], out));
  writeFileAtomic('results/bench/hamming.json', JSON.stringify({ env, results: records }, null, 2) + '\n');
  console.log('wrote results/bench/hamming.json');
}

main();
