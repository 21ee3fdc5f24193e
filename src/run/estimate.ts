/**
 * Expected seconds per cell, for the plan printed before a run and the ETA while it runs.
 *
 * In order of trust: (1) the wall time of the same cell (same id and configuration) in an earlier
 * run under the results folder; (2) a cell of the same id with another configuration (the other
 * scale, another task's sweep), times the ratio of the cost model at the two configurations; (3) the
 * cost model alone: floating-point work of the job's known
 * loops (k-means, encoding, scans, graph inserts) over rates measured on this project's reference
 * machine (2 cores; results/reference/). It is an estimate, printed with its source, never a result.
 */
import { existsSync, openSync, readFileSync, readSync, closeSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { CellPlan, Scale } from './task.js';

export interface Estimate {
  seconds: number;
  source: 'earlier run' | 'similar run' | 'model';
}

interface Shape { base: number; queries: number; dim: number }

const KNOWN: Record<string, Shape> = {
  'glove-100': { base: 331_479, queries: 10_000, dim: 100 },
  'synthetic-gmm': { base: 20_000, queries: 1_000, dim: 64 },
};

/** Rows and dimension of a dataset without loading it (headers only); a guess when unknown. */
function shapeOf(spec: string): Shape {
  if (KNOWN[spec]) return KNOWN[spec];
  try {
    if (spec.endsWith('.npy')) {
      const fd = openSync(spec, 'r');
      const buf = Buffer.alloc(512);
      readSync(fd, buf, 0, 512, 0);
      closeSync(fd);
      const m = /'shape':\s*\((\d+),\s*(\d+)\)/.exec(buf.toString('latin1'));
      if (m) {
        const rows = Number(m[1]);
        const q = Math.max(1, Math.min(10_000, Math.floor(rows / 10)));
        return { base: rows - q, queries: q, dim: Number(m[2]) };
      }
    }
    if (spec.endsWith('.fvecs') || spec.endsWith('.bvecs')) {
      const fd = openSync(spec, 'r');
      const b = Buffer.alloc(4);
      readSync(fd, b, 0, 4, 0);
      closeSync(fd);
      const dim = b.readInt32LE(0);
      const rows = Math.floor(statSync(spec).size / (4 + dim * (spec.endsWith('.fvecs') ? 4 : 1)));
      const q = Math.max(1, Math.min(10_000, Math.floor(rows / 10)));
      return { base: rows - q, queries: q, dim };
    }
  } catch {
    // fall through to the guess
  }
  return { base: 100_000, queries: 1_000, dim: 128 };
}

function cellShape(cell: CellPlan): Shape {
  const s = cell.dataset ? shapeOf(cell.dataset.spec) : { base: 0, queries: 0, dim: 0 };
  const sub = cell.dataset?.subset;
  return { base: Math.min(s.base, sub?.base ?? Infinity), queries: Math.min(s.queries, sub?.queries ?? Infinity), dim: s.dim };
}

// Rates on the reference machine (AMD EPYC, 2 threads, wasm SIMD kernels).
const KERNEL_FLOPS = 1.5e10; // dense distance tiles on all threads (k-means, encoding, exact search)
const LOOKUPS = 5e8; // ADC table lookups per second, one thread
const GRAPH_FLOPS = 2e9; // HNSW distance work, one thread (pointer chasing)
const KMEANS_ITERS = 10;
const STARTUP = 1.5; // process start, module load

const kmeans = (n: number, k: number, d: number) => 2 * Math.min(n, 256 * k) * k * d * KMEANS_ITERS;
const load = (sh: Shape) => 0.3 + (sh.base * sh.dim * 4) / 1e8;

function num(v: unknown, dflt: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : dflt;
}

function quantizeCost(c: Record<string, unknown>, sh: Shape, evalRows: number): number {
  const n = Math.min(num(c.trainSize, 50_000), sh.base);
  const b = num(c.books, 4), s = num(c.size, 256), d = sh.dim;
  const method = c.method as string;
  const beam = num(c.beam, method === 'rvq' ? 5 : 1);
  let flops: number;
  if (method === 'pq') flops = b * kmeans(n, s, d / b) + 2 * evalRows * s * d;
  else if (method === 'wrvq') flops = b * kmeans(n, s, d) + 2 * (n + evalRows) * s * d * b;
  else flops = b * (kmeans(n, s, d) + 2 * n * s * d * beam) + 2 * evalRows * s * d * b * beam;
  if (method === 'avq') flops *= 8;
  if (c.trainer === 'adam') flops *= 6;
  return flops / KERNEL_FLOPS;
}

function factoryShape(f: string): { ivf: number; pq: number; hnsw: number } {
  return { ivf: num(/IVF(\d+)/.exec(f)?.[1], 0), pq: num(/PQ(\d+)/.exec(f)?.[1], 0), hnsw: num(/HNSW(\d+)/.exec(f)?.[1], 0) };
}

/** Build seconds of an index over `rows` rows, and seconds per query for given search parameters. */
function indexCosts(index: string, build: Record<string, unknown>, sh: Shape, rows: number): { build: number; perQuery: (search: Record<string, unknown>) => number } {
  const d = sh.dim, train = Math.min(rows, 65_536);
  switch (index) {
    case 'flat':
      return { build: (rows * d * 4) / 1e9, perQuery: () => (2 * rows * d) / KERNEL_FLOPS };
    case 'pq': {
      const m = num(build.m, 8), k = 2 ** num(build.nbits, 8);
      return { build: (m * kmeans(train, k, d / m) + 2 * rows * k * d) / KERNEL_FLOPS, perQuery: () => (rows * m) / LOOKUPS + (2 * k * d) / KERNEL_FLOPS };
    }
    case 'ivfpq': {
      const nlist = num(build.nlist, 1024), m = num(build.m, 8), k = 2 ** num(build.nbits, 8);
      return {
        build: (kmeans(train, nlist, d) + m * kmeans(train, k, d / m) + 2 * rows * (nlist + k) * d) / KERNEL_FLOPS,
        perQuery: (s) => (2 * nlist * d) / KERNEL_FLOPS + (Math.min(1, num(s.nprobe, 1) / nlist) * rows * m) / LOOKUPS,
      };
    }
    case 'wrvq': {
      const books = num(build.books, 4), size = num(build.size, 256);
      const t = build.trainer === 'adam' ? 6 : 1;
      return {
        build: (t * books * kmeans(train, size, d) + 2 * rows * size * d * books) / KERNEL_FLOPS,
        perQuery: (s) => (2 * size * d * 2) / KERNEL_FLOPS + (Math.min(1, num(s.nprobe, 1) / size) * rows * books) / LOOKUPS,
      };
    }
    case 'hnsw': {
      const M = num(build.M, 16), efc = num(build.efConstruction, 200);
      return { build: (rows * efc * M * d * 4) / GRAPH_FLOPS, perQuery: (s) => (num(s.efSearch, 64) * M * d * 2) / GRAPH_FLOPS };
    }
    case 'faiss': {
      const f = factoryShape(String(build.factory ?? 'Flat'));
      if (f.hnsw) return { build: (0.6 * rows * 40 * f.hnsw * d * 4) / GRAPH_FLOPS, perQuery: (s) => (num(s.efSearch, 16) * f.hnsw * d * 2) / GRAPH_FLOPS };
      if (f.ivf) {
        const m = f.pq || d;
        return {
          build: (3 * (kmeans(train, f.ivf, d) + (f.pq ? f.pq * kmeans(train, 256, d / f.pq) : 0)) + 2 * rows * (f.ivf + 256) * d) / KERNEL_FLOPS,
          perQuery: (s) => (2 * f.ivf * d) / KERNEL_FLOPS + (0.5 * Math.min(1, num(s.nprobe, 1) / f.ivf) * rows * m) / LOOKUPS,
        };
      }
      if (f.pq) return { build: (3 * f.pq * kmeans(train, 256, d / f.pq)) / KERNEL_FLOPS, perQuery: () => (rows * f.pq) / (3 * LOOKUPS) };
      return { build: 1, perQuery: () => (2 * rows * d) / (KERNEL_FLOPS / 6) };
    }
    case 'lancedb':
      return { build: 5 + (90 * rows) / 331_479, perQuery: (s) => 0.002 + 0.0001 * num(s.nprobes, 20) };
    default:
      return { build: 0.1, perQuery: () => 0 };
  }
}

function sweepCombos(sweep: Record<string, unknown[]>, fixed: Record<string, unknown>): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{ ...fixed }];
  for (const [k, vs] of Object.entries(sweep)) out = out.flatMap((c) => vs.map((v) => ({ ...c, [k]: v })));
  return out;
}

/** The cost model: seconds for a cell, from its configuration and the dataset's size. */
export function modelSeconds(cell: CellPlan): number {
  const sh = cellShape(cell);
  const c = cell.config as Record<string, unknown>;
  switch (cell.kind) {
    case 'quantize':
      return STARTUP + load(sh) + quantizeCost(c, sh, Math.min(num(c.evalSize, 10_000), sh.queries));
    case 'index': {
      if (c.index === 'chroma') return STARTUP;
      const q = Math.min(num(c.queries, sh.queries), sh.queries);
      const truth = (2 * sh.base * sh.queries * sh.dim) / KERNEL_FLOPS; // cached after the first cell of a dataset
      const cost = indexCosts(c.index as string, (c.build ?? {}) as Record<string, unknown>, sh, sh.base);
      const combos = sweepCombos((c.sweep ?? {}) as Record<string, unknown[]>, (c.search ?? {}) as Record<string, unknown>);
      const search = combos.reduce((t, s) => t + (q + Math.min(q, num(c.warmup, 100))) * cost.perQuery(s), 0);
      return STARTUP + load(sh) + truth + cost.build + search;
    }
    case 'insert': {
      const batches = (c.batches ?? []) as number[];
      const total = batches.reduce((a, b) => a + b, 0);
      const q = Math.min(num(c.queries, 1000), sh.queries);
      const build = (c.build ?? {}) as Record<string, unknown>;
      const cost = indexCosts(c.index as string, build, sh, Math.max(1, sh.base - total));
      const perRow = cost.build / Math.max(1, sh.base - total);
      const perBatch = batches.reduce((t, b) => t + b * perRow * (c.index === 'hnsw' || c.index === 'faiss' ? 1 : 0.05) + (2 * sh.base * q * sh.dim) / KERNEL_FLOPS + q * cost.perQuery((c.search ?? {}) as Record<string, unknown>), 0);
      return STARTUP + load(sh) + cost.build + perBatch;
    }
    case 'rd-bound': {
      const n = Math.min(num(c.rows, 50_000), sh.base);
      return STARTUP + load(sh) + (n * sh.dim * sh.dim) / 5e8 + (20 * sh.dim ** 3) / 5e8;
    }
    case 'mteb':
      return 300; // dominated by embedding the texts (cached across cells), which the model cannot know
  }
}

interface Prior { seconds: number; config: Record<string, unknown>; scale: Scale; at: string }

/** Wall times of earlier ok results of a cell id, in every run folder under `resultsRoot`. */
function priors(resultsRoot: string, id: string): Prior[] {
  if (!existsSync(resultsRoot)) return [];
  const out: Prior[] = [];
  for (const run of readdirSync(resultsRoot)) {
    const p = join(resultsRoot, run, `${id}.json`);
    if (!existsSync(p)) continue;
    try {
      const r = JSON.parse(readFileSync(p, 'utf8')) as { status: string; scale: Scale; config: Record<string, unknown>; timing: { wallSeconds: number; startedAt: string } };
      if (r.status === 'ok' && r.timing?.wallSeconds > 0) out.push({ seconds: r.timing.wallSeconds, config: r.config, scale: r.scale, at: r.timing.startedAt });
    } catch {
      // not a result file
    }
  }
  return out.sort((a, b) => (a.at < b.at ? 1 : -1));
}

export function estimateCell(cell: CellPlan, scale: Scale, resultsRoot: string): Estimate {
  const model = modelSeconds(cell);
  const found = priors(resultsRoot, cell.id);
  const same = found.find((p) => isDeepStrictEqual(p.config, cell.config));
  if (same) return { seconds: same.seconds, source: 'earlier run' };
  // the same cell id with another configuration: another scale, or another task's sweep
  const other = found.find((p) => p.scale === scale) ?? found[0];
  if (other && cell.kind !== 'mteb') {
    const then = modelSeconds({ ...cell, config: other.config, dataset: cell.dataset && { ...cell.dataset, subset: (other.config.subset as { base?: number; queries?: number } | null) ?? null } });
    if (then > 0) return { seconds: Math.max(1, other.seconds * (model / then)), source: 'similar run' };
  }
  return { seconds: model, source: 'model' };
}

/** "1:05", "2h03m". */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  if (s < 59.5) return `${s < 9.95 ? s.toFixed(1) : Math.round(s)} s`;
  const t = Math.round(s), m = Math.floor(t / 60), sec = t % 60;
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}:${String(sec).padStart(2, '0')}`;
}
