// A small but real run folder for the report tests: the real jobs (runQuantize, runIndexJob,
// runInsertJob, gaussianRateDistortion) on `synthetic-gmm` at small sizes, each wrapped in a
// CellResult as the task runner writes them, plus a failed cell (a real InputError), a timeout, a
// not-run cell, a planned cell with no file and an MTEB-shaped cell (the MTEB runner is still being
// written: its numbers are fixed placeholders, the one part of this run that is not measured).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VqbenchError } from '../../src/core/errors.js';
import { loadDataset } from '../../src/data/load.js';
import { gaussianRateDistortion } from '../../src/eval/rate-distortion.js';
import { captureEnvironment } from '../../src/run/env.js';
import { runIndexJob, runInsertJob, type IndexJob } from '../../src/run/index-job.js';
import { runQuantize, type QuantizeJob } from '../../src/run/quantize.js';
import { RESULT_SCHEMA, type CellKind, type CellResult, type CellStatus } from '../../src/run/result.js';
import { blasInfo } from '../../src/core/blas.js';
import { sharedPerRunner } from '../helpers/shared-fixture.js';

export const FIXTURE_RUN = 'fixture-small';
const DATA = 'synthetic-gmm';

interface Wrapped { cell: string; kind: CellKind; config: Record<string, unknown>; status: CellStatus; error: string | null; metrics: unknown; wall: number; cpu: number }

function wrap(w: Wrapped, blas: string | null): CellResult {
  return {
    schema: RESULT_SCHEMA, run: FIXTURE_RUN, task: 'report-fixture', cell: w.cell, kind: w.kind, config: w.config, scale: 'small', seed: 1234,
    status: w.status, error: w.error, dataset: { name: DATA, checksum: null }, env: { ...captureEnvironment(), blas },
    timing: { startedAt: new Date().toISOString(), wallSeconds: w.wall, cpuSeconds: w.cpu, peakRssBytes: process.resourceUsage().maxRSS * 1024 },
    definitions: { loss: 'mean ||x − x̂||² over held-out rows (paper eq. 5)', recall: 'recall@k = |approx top-k ∩ exact top-k| / k' },
    metrics: w.metrics as never,
  };
}

async function timed(cell: string, kind: CellKind, config: Record<string, unknown>, job: () => Promise<unknown>): Promise<Wrapped> {
  const t0 = performance.now(), c0 = process.cpuUsage();
  try {
    const metrics = await job();
    return { cell, kind, config, status: 'ok', error: null, metrics, wall: (performance.now() - t0) / 1000, cpu: cpuSeconds(c0) };
  } catch (e) {
    if (!(e instanceof VqbenchError)) throw e;
    return { cell, kind, config, status: 'failed', error: e.message, metrics: null, wall: (performance.now() - t0) / 1000, cpu: cpuSeconds(c0) };
  }
}

function cpuSeconds(c0: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

/** Builds the run folder `<root>/results/fixture-small/` and returns its path (~8 s on 2 idle cores). */
export async function buildFixtureRun(root: string): Promise<string> {
  const dir = join(root, 'results', FIXTURE_RUN);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let blas: string | null = null;
  try {
    blas = blasInfo();
  } catch {
    blas = null;
  }
  const cells: Wrapped[] = [];
  const quant = (cell: string, job: Omit<QuantizeJob, 'data'>) =>
    timed(cell, 'quantize', { dataset: DATA, method: job.method, ...job.params }, () => runQuantize({ data: DATA, trainSize: 1000, evalSize: 200, ...job }));
  // Fig. 4 (loss vs codebooks) and the equal-bits view: pq / rvq / wrvq at 1 and 2 books of 16
  for (const method of ['pq', 'rvq', 'wrvq']) {
    for (const books of [1, 2]) cells.push(await quant(`quantize-${method}-b${books}-s16`, { method, params: { books, size: 16, beam: method === 'rvq' ? 2 : undefined } }));
  }
  // Fig. 5b (loss vs codebook size): 2 books of 8 and 32 (16 is above)
  for (const method of ['pq', 'wrvq']) {
    for (const size of [8, 32]) cells.push(await quant(`quantize-${method}-b2-s${size}`, { method, params: { books: 2, size } }));
  }
  const index = (cell: string, job: Omit<IndexJob, 'data'>) =>
    timed(cell, 'index', { dataset: DATA, ...job }, () => runIndexJob({ data: DATA, queries: 100, warmup: 5, ...job }));
  // nprobe = 32 > nlist = 16: a configuration the index rejects inside a finished cell
  cells.push(await index('index-ivfpq', { index: 'ivfpq', build: { nlist: 16, m: 8, nbits: 6 }, sweep: { nprobe: [1, 4, 32] } }));
  cells.push(await index('index-wrvq', { index: 'wrvq', build: { books: 2, size: 16 }, sweep: { nprobe: [1, 4], fuzzyK: [4, 0] } }));
  cells.push(await index('index-hnsw', { index: 'hnsw', build: { M: 8, efConstruction: 32 }, sweep: { efSearch: [10, 20, 40] } }));
  cells.push(await index('index-ivfpq-bad', { index: 'ivfpq', build: { nlist: 0 } })); // a real InputError: the cell fails
  cells.push(await timed('insert-wrvq', 'insert', { dataset: DATA, index: 'wrvq', batches: [500, 1000, 2000] }, () =>
    runInsertJob({ data: DATA, index: 'wrvq', build: { books: 2, size: 16 }, search: { nprobe: 2 }, batches: [500, 1000, 2000], queries: 50 })));
  // the Gaussian rate–distortion bound of the data (src/eval/rate-distortion.ts), at the quantizers' bits
  const ds = await loadDataset(DATA);
  const bits = [...new Set(cells.filter((c) => c.kind === 'quantize' && c.status === 'ok').map((c) => (c.metrics as { bitsPerVector: number }).bitsPerVector))];
  cells.push(await timed('rd-bound', 'rd-bound', { dataset: DATA, rows: 5000 }, async () => gaussianRateDistortion(ds.train.sliceRows(0, 5000), bits)));
  cells.push({ cell: 'mteb-fixture', kind: 'mteb', config: { model: 'fixture-model', tasks: ['STS12', 'Banking77Classification'] }, status: 'ok', error: null, wall: 1, cpu: 1,
    metrics: { model: 'fixture-model', tasks: [
      { task: 'STS12', type: 'STS', original: { main_score: 0.71, scores: { cosine_spearman: 0.71 }, evaluation_time: 1.5 },
        quantized: [{ method: 'wrvq(books=4,size=256)', bitsPerVector: 96, main_score: 0.69, scores: { cosine_spearman: 0.69 } }, { method: 'pq(books=12,size=256)', bitsPerVector: 96, main_score: 0.66, scores: { cosine_spearman: 0.66 } }] },
      { task: 'Banking77Classification', type: 'Classification', original: { main_score: 0.81, scores: { accuracy: 0.81, f1: 0.8 } },
        quantized: { method: 'wrvq(books=4,size=256)', bitsPerVector: 96, main_score: 0.8, scores: { accuracy: 0.8, f1: 0.79 } } },
    ] } });
  cells.push({ cell: 'index-chroma', kind: 'index', config: { dataset: DATA, index: 'chroma' }, status: 'not-run', error: "Chroma's server needs glibc 2.38 and this machine has 2.36.", metrics: null, wall: 0, cpu: 0 });
  cells.push({ cell: 'quantize-avq-b4-s256', kind: 'quantize', config: { dataset: DATA, method: 'avq', books: 4, size: 256 }, status: 'timeout', error: 'exceeded the cell time limit of 600 s.', metrics: null, wall: 600, cpu: 1190 });
  for (const c of cells) writeFileSync(join(dir, `${c.cell}.json`), JSON.stringify(wrap(c, blas), null, 2) + '\n');
  writeFileSync(join(dir, 'run.json'), JSON.stringify({
    run: FIXTURE_RUN, task: 'report-fixture', scale: 'small', createdAt: new Date().toISOString(),
    cells: [...cells.map((c) => c.cell), 'index-lancedb'],
  }, null, 2) + '\n');
  return dir;
}

/**
 * The fixture run, built once per test-runner process and shared by the test files it runs (each
 * file is a child of the runner, so they share `process.ppid`): `<tmp>/vqbench-report-fixture-<ppid>/`.
 * Folders left by runners that have exited are removed first.
 */
export async function sharedFixtureRun(): Promise<string> {
  const root = await sharedPerRunner('vqbench-report-fixture-', join('results', FIXTURE_RUN, 'run.json'), buildFixtureRun);
  return join(root, 'results', FIXTURE_RUN);
}

