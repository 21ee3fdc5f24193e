/**
 * Quantizer benchmark (issue: foundation, §7). On one dataset (default glove-100: 50,000 training
 * rows sampled with the seed, loss on 10,000 held-out query rows), in ONE run:
 *  1. ours against faiss (Debian's python3-faiss, same rows, same machine, same threads):
 *     PQ 4×8, RQ 4×8 (beam 5), LSQ 4×8 (our AVQ), PQ 8×8, RQ 8×8 — loss, train time, ratios;
 *  2. the equal-bits table: WRVQ 4×256 (both weight rules, both trainers) at its honest bits
 *     against PQ and RVQ with as many one-byte codes as fit in the same bits;
 *  3. loss against number of codebooks 1..16 for PQ, RVQ and WRVQ with the (L) trainer (Fig. 4);
 *  4. the compression ladder (bench/compression-ladder.ts): every method (sq, binary, RaBitQ, PQ,
 *     OPQ, ScaNN, RVQ, WRVQ with fp16 / 8-bit / 4-bit weights, AVQ) at the shared bit budgets, at
 *     its real bits, with bootstrap intervals, faiss's loss where faiss has the method, flat-scan
 *     recall@10 on the codes and a paired-bootstrap verdict per budget (not in the default parts).
 * Run: node --import tsx bench/quantizers.ts [--parts 1,2,3,4] [--train-size N] [--data name]
 * Results go to results/bench/quantizers.json (atomic write) and the tables to stdout.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { InputError } from '../src/core/errors.js';
import { writeFileAtomic } from '../src/core/atomic.js';
import { table } from '../src/core/format.js';
import { Matrix } from '../src/core/matrix.js';
import { getThreads, shutdownWorkers } from '../src/core/parallel.js';
import { Rng } from '../src/core/rng.js';
import { progressBar } from '../src/core/progress.js';
import { loadDataset } from '../src/data/load.js';
import { writeNpy } from '../src/data/npy.js';
import { quantizationLoss } from '../src/eval/quantization.js';
import type { CodebookQuantizer } from '../src/quant/codebook-quantizer.js';
import { encodeParallel } from '../src/quant/encode-parallel.js';
import { createQuantizer, pickQuantizerParams, quantizerFromJSON, type QuantizerGiven } from '../src/quant/registry.js';
import type { TrainOptions } from '../src/quant/types.js';
import { compressionLadder } from './compression-ladder.js';
import { captureEnvironment } from '../src/run/env.js';
import { blasInfo } from '../src/core/blas.js';
import { displayPath } from '../src/core/paths.js';

const argv = yargs(hideBin(process.argv))
  .option('data', { type: 'string', default: 'glove-100' })
  .option('train-size', { type: 'number', default: 50_000 })
  .option('eval-size', { type: 'number', default: 10_000 })
  .option('parts', { type: 'string', default: '1,2,3' })
  .option('only', { type: 'string', describe: "part 1: only these faiss configs, e.g. 'lsq:4x8,rq:8x8'" })
  .option('max-books', { type: 'number', default: 16, describe: 'last point of the loss-vs-books curve' })
  .option('seed', { type: 'number', default: 1234 })
  .option('ladder-max-books', { type: 'number', default: 16, describe: 'part 4: most books trained for RVQ and WRVQ (more: listed as not run)' })
  .option('ladder-avq-books', { type: 'number', default: 12, describe: 'part 4: most books trained for AVQ (its encoder is slow; more: listed as not run)' })
  .option('ladder-max-m', { type: 'number', default: 1e9, describe: 'part 4: most sub-spaces trained for OPQ and ScaNN (more: listed as not run)' })
  .option('ladder-faiss', { type: 'string', default: 'sq,binary,pq,opq,rq,lsq', describe: 'part 4: the faiss methods compared (faiss OPQ and RQ train slowly)' })
  .option('ladder-budgets', { type: 'string', describe: 'part 4: only these budgets in bits per vector, e.g. 96,512 (default: all)' })
  .option('ladder-methods', { type: 'string', describe: "part 4: only these methods, as the table names them, e.g. 'avq,rvq,opq' (default: all)" })
  .option('recall-queries', { type: 'number', default: 200, describe: 'part 4: queries (held-out rows) of the flat-scan recall; 0 skips it' })
  .strict()
  .parseSync();

const parts = new Set(argv.parts.split(',').map(Number));
const seed = argv.seed;

interface Measure { loss: number; relativeLoss: number; bits: number; trainSeconds: number; encodeSeconds: number; label: string }

async function measure(q: CodebookQuantizer, train: Matrix, evalSet: Matrix, opts: TrainOptions = {}): Promise<Measure> {
  const bar = progressBar(q.label, 'step');
  const rep = await q.train(train, { seed, onProgress: bar.update, ...opts });
  bar.finish();
  return evaluate(q, evalSet, rep.seconds);
}

async function evaluate(q: CodebookQuantizer, evalSet: Matrix, trainSeconds: number): Promise<Measure> {
  const t0 = performance.now();
  const codes = await encodeParallel(q, evalSet);
  const encodeSeconds = (performance.now() - t0) / 1000;
  const { loss, relativeLoss } = quantizationLoss(evalSet, q.decode(codes));
  return { loss, relativeLoss, bits: q.bitsPerVector, trainSeconds, encodeSeconds, label: q.label };
}

/** The first n books of a residual quantizer (RVQ, WRVQ): its training is progressive, so a prefix is an n-book model. */
function prefix(q: CodebookQuantizer, n: number): CodebookQuantizer {
  const s = q.toJSON();
  return quantizerFromJSON({
    ...s,
    params: { ...s.params, books: n },
    codebooks: s.codebooks.slice(0, n),
    extra: { subOffset: q.subOffset.slice(0, n), subDim: q.subDim.slice(0, n) },
  });
}

async function main(): Promise<void> {
  const ds = await loadDataset(argv.data, { seed });
  const train = ds.train.rows > argv['train-size'] ? ds.train.selectRows(new Rng(seed).sample(ds.train.rows, argv['train-size'])) : ds.train;
  const evalSet = heldOut(ds.queries, ds.train, train, argv['eval-size']);
  const env = captureEnvironment();
  const blas = blasInfo();
  console.log(`dataset ${ds.name} (d = ${ds.dim}): ${train.rows} training rows, loss on ${evalSet.rows} held-out rows; ` +
    `loss = mean ||x − x̂||²; ${getThreads()} threads; ${env.cpu}; BLAS (faiss) ${blas}`);
  const out: Record<string, unknown> = { dataset: displayPath(ds.name), checksum: ds.checksum, trainRows: train.rows, evalRows: evalSet.rows, seed, env, blas };

  // the faiss peer reads the same rows from .npy files (parts 1 and 4)
  const dir = mkdtempSync(join(tmpdir(), 'vqbench-'));
  writeNpy(join(dir, 'train.npy'), train);
  writeNpy(join(dir, 'eval.npy'), evalSet);
  try {
    await runParts(train, evalSet, dir, out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // parts run separately accumulate: an earlier file of the same dataset, rows and seed keeps the parts not re-run
  const path = 'results/bench/quantizers.json';
  const same = (o: Record<string, unknown>) => o.checksum === out.checksum && o.trainRows === out.trainRows && o.evalRows === out.evalRows && o.seed === out.seed;
  const earlier = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : null;
  writeFileAtomic(path, JSON.stringify(earlier && same(earlier) ? { ...earlier, ...out } : out, null, 2) + '\n');
  console.log('\nwrote results/bench/quantizers.json');
}

/**
 * The held-out rows the loss is measured on: the first evalSize queries; when a file's held-out
 * queries are fewer (a .npy keeps 10% of its rows), the training rows left out of the training
 * sample make up the rest (never a row the quantizers were trained on).
 */
function heldOut(queries: Matrix, all: Matrix, train: Matrix, evalSize: number): Matrix {
  if (queries.rows >= evalSize) return queries.sliceRows(0, evalSize);
  if (train === all) return queries;
  const used = new Set(new Rng(seed).sample(all.rows, train.rows));
  const spare: number[] = [];
  for (let i = 0; i < all.rows && queries.rows + spare.length < evalSize; i++) if (!used.has(i)) spare.push(i);
  const extra = all.selectRows(spare);
  const m = Matrix.zeros(queries.rows + extra.rows, queries.dim);
  m.data.set(queries.data.subarray(0, queries.rows * queries.dim));
  m.data.set(extra.data.subarray(0, extra.rows * extra.dim), queries.rows * queries.dim);
  console.log(`held-out rows: the ${queries.rows} queries and ${extra.rows} training rows outside the training sample`);
  return m;
}

async function runParts(train: Matrix, evalSet: Matrix, dir: string, out: Record<string, unknown>): Promise<void> {
  if (parts.has(1)) {
    {
      const configs: { ours: string; params: QuantizerGiven; faiss: string }[] = [
        { ours: 'pq', params: { books: 4, size: 256 }, faiss: 'pq:4x8' },
        { ours: 'rvq', params: { books: 4, size: 256, beam: 5 }, faiss: 'rq:4x8' },
        { ours: 'avq', params: { books: 4, size: 256 }, faiss: 'lsq:4x8' },
        { ours: 'pq', params: { books: 8, size: 256 }, faiss: 'pq:8x8' },
        { ours: 'rvq', params: { books: 8, size: 256, beam: 5 }, faiss: 'rq:8x8' },
      ];
      const rows: (string | number)[][] = [];
      const records: unknown[] = [];
      const only = argv.only?.split(',').map((x) => x.trim());
      for (const c of configs.filter((x) => !only || only.includes(x.faiss))) {
        const ours = await measure(createQuantizer(c.ours, c.params), train, evalSet);
        console.error(`faiss ${c.faiss} ...`);
        const faissOut = execFileSync('/usr/bin/python3', [
          'bench/peers/faiss_quantizers.py', '--train', join(dir, 'train.npy'), '--eval', join(dir, 'eval.npy'),
          '--configs', c.faiss, '--beam', '5', '--threads', String(getThreads()), '--seed', String(seed),
        ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
        const f = JSON.parse(faissOut.trim().split('\n').pop()!) as { loss: number; trainSeconds: number; encodeSeconds: number; notes?: string };
        const lossRatio = ours.loss / f.loss, timeRatio = ours.trainSeconds / f.trainSeconds;
        rows.push([`${c.faiss} (${ours.label})`, ours.loss, f.loss, lossRatio, ours.trainSeconds, f.trainSeconds, timeRatio,
          lossRatio <= 1.03 && timeRatio <= 2 ? 'yes' : 'no']);
        records.push({ config: c, ours, faiss: f, lossRatio, timeRatio });
        console.log(table(['config', 'loss ours', 'loss faiss', 'ratio', 'train s ours', 'train s faiss', 'ratio', 'target met'], rows.slice(-1)));
      }
      console.log('\n1. ours vs faiss (targets: loss ratio ≤ 1.03, train-time ratio ≤ 2)\n' +
        table(['config', 'loss ours', 'loss faiss', 'ratio', 'train s ours', 'train s faiss', 'ratio', 'target met'], rows));
      out.vsFaiss = records;
    }
  }

  if (parts.has(2)) {
    const rows: (string | number)[][] = [];
    const records: unknown[] = [];
    for (const trainer of ['kmeans', 'adam'] as const) {
      for (const weights of ['paper', 'gain'] as const) {
        const m = await measure(createQuantizer('wrvq', { books: 4, size: 256, weights }), train, evalSet, { trainer });
        rows.push([m.label, trainer, m.bits, m.loss, m.relativeLoss, m.trainSeconds]);
        records.push({ trainer, ...m });
      }
    }
    const bits = rows[0][2] as number;
    const books = Math.floor(bits / 8);
    for (const [id, p] of [['pq', { books, size: 256 }], ['rvq', { books, size: 256, beam: 5 }]] as const) {
      const m = await measure(createQuantizer(id, p), train, evalSet);
      rows.push([m.label, 'kmeans', m.bits, m.loss, m.relativeLoss, m.trainSeconds]);
      records.push({ trainer: 'kmeans', ...m });
    }
    console.log(`\n2. equal bits: WRVQ 4×256 stores 4 codes + 4 fp16 weights = ${bits} bits; PQ and RVQ get ${books} one-byte codes\n` +
      table(['quantizer', 'trainer', 'bits/vector', 'loss', 'relative loss', 'train s'], rows));
    out.equalBits = records;
  }

  if (parts.has(3)) {
    const maxBooks = argv['max-books'];
    const curve: Record<string, { books: number; loss: number; bits: number }[]> = { pq: [], rvq: [], 'wrvq-paper': [], 'wrvq-gain': [] };
    const residual = [['rvq', 'rvq', 'paper'], ['wrvq-paper', 'wrvq', 'paper'], ['wrvq-gain', 'wrvq', 'gain']] as const;
    for (const [key, id, weights] of residual) {
      const q = createQuantizer(id, pickQuantizerParams(id, { books: maxBooks, size: 256, beam: 5, weights }));
      const bar = progressBar(`${q.label} (curve)`, 'step');
      await q.train(train, { seed, onProgress: bar.update });
      bar.finish();
      for (let n = 1; n <= maxBooks; n++) {
        const m = await evaluate(prefix(q, n), evalSet, 0);
        curve[key].push({ books: n, loss: m.loss, bits: m.bits });
      }
    }
    for (let n = 1; n <= maxBooks; n++) {
      const m = await measure(createQuantizer('pq', { books: n, size: 256 }), train, evalSet);
      curve.pq.push({ books: n, loss: m.loss, bits: m.bits });
    }
    console.log('\n3. loss vs number of codebooks of 256 (Fig. 4; L trainer; WRVQ with both weight rules)\n' +
      table(['books', 'PQ loss', 'RVQ loss', 'WRVQ paper', 'WRVQ gain', 'PQ/RVQ bits', 'WRVQ bits'],
        curve.pq.map((p, i) => [p.books, p.loss, curve.rvq[i].loss, curve['wrvq-paper'][i].loss, curve['wrvq-gain'][i].loss, p.bits, curve['wrvq-paper'][i].bits])));
    out.lossVsBooks = curve;
  }

  if (parts.has(4)) {
    out.compressionLadder = await compressionLadder({
      train, evalSet, seed, maxBooks: argv['ladder-max-books'], avqBooks: argv['ladder-avq-books'], maxSubspaces: argv['ladder-max-m'],
      recallQueries: argv['recall-queries'], faissDir: dir, faissMethods: argv['ladder-faiss'].split(',').map((x) => x.trim()),
      budgets: argv['ladder-budgets']?.split(',').map(Number), methods: argv['ladder-methods']?.split(',').map((x) => x.trim()),
    });
  }
}

main().then(shutdownWorkers, (e) => {
  // bad flags are one sentence; anything else is a bug and keeps its stack
  console.error(e instanceof InputError ? `bench/quantizers.ts: ${e.message}` : e);
  process.exit(e instanceof InputError ? 2 : 1);
});
