/**
 * Exact ground truth over a base read in chunks (a StreamedDataset): for each chunk of base rows,
 * the shared `knn` kernel finds every query's K nearest rows in the chunk, merged into a running
 * top-K per query (src/core/topk.ts). Only one chunk and the nq × K running result are resident.
 *
 * Resumable: after a chunk (at most every `checkpointSeconds`), the running top-K and the next
 * chunk index are written atomically as a cache entry `<stem>.partial` (verified when read, like
 * every cache entry), so a killed computation continues from its last checkpoint. The result is
 * checked and cached under the same key as `groundTruth` (dataset checksum, metric, K), so an
 * in-memory run and a streamed run of the same data share it; the checkpoint is then removed.
 */
import { readCacheEntry, removeCacheEntry, writeCacheEntry } from '../core/cache-entry.js';
import { InputError } from '../core/errors.js';
import { knn } from '../core/parallel.js';
import type { ProgressFn } from '../core/progress.js';
import { TopK } from '../core/topk.js';
import {
  BruteForceNearest, assertGroundTruthFits, checkNeighbourLists, encodeRows, firstK, groundTruthRequest, readCachedGroundTruth,
} from './ground-truth.js';
import { chunkRanges } from './row-source.js';
import { chunkRowsFor } from './streamed.js';
import type { GroundTruth, StreamedDataset } from './types.js';

export interface StreamedGroundTruthOptions {
  onProgress?: ProgressFn;
  /** Base rows per chunk; default about 64 MiB of float32. */
  chunkRows?: number;
  /** Read and write the cache (default true); without it nothing is checkpointed either. */
  cache?: boolean;
  /** Least seconds between checkpoints (default 5; 0: after every chunk). */
  checkpointSeconds?: number;
  /**
   * Called after chunk `index` (0-based) is merged and checkpointed; tests throw here to stop a run
   * (VQBENCH_TEST_KILL_AFTER_CHUNK=j SIGKILLs the process there instead, for tests of a CLI).
   */
  afterChunk?: (index: number, chunks: number) => void;
}

/** What a checkpoint must match to be resumed. */
interface CheckpointKey {
  nb: number;
  nq: number;
  K: number;
  chunkRows: number;
  metric: 'l2' | 'ip';
}

interface Checkpoint {
  next: number;
  ids: Int32Array;
  dists: Float32Array;
  best: number[];
  bestNorm: number[];
}

function readCheckpoint(path: string, key: CheckpointKey): Checkpoint | null {
  const e = readCacheEntry(path);
  if (!e) return null;
  const x = e.extra as Partial<CheckpointKey> & { next?: number; best?: number[]; bestNorm?: number[] };
  const n = key.nq * key.K;
  if (x.nb !== key.nb || x.nq !== key.nq || x.K !== key.K || x.chunkRows !== key.chunkRows || x.metric !== key.metric) return null;
  if (typeof x.next !== 'number' || !Array.isArray(x.best) || !Array.isArray(x.bestNorm) || e.data.byteLength !== 8 * n) return null;
  const bytes = new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength).slice();
  // JSON has no Infinity: an unseen best is stored as null
  const num = (v: unknown, empty: number) => (typeof v === 'number' ? v : empty);
  const empty = key.metric === 'l2' ? Infinity : -Infinity;
  return { next: x.next, ids: new Int32Array(bytes.buffer, 0, n), dists: new Float32Array(bytes.buffer, 4 * n, n), best: x.best.map((v) => num(v, empty)), bestNorm: x.bestNorm.map((v) => num(v, 0)) };
}

function writeCheckpoint(path: string, key: CheckpointKey, next: number, top: TopK, nearest: BruteForceNearest): void {
  const n = top.ids.length;
  const bytes = new Uint8Array(8 * n);
  bytes.set(new Uint8Array(top.ids.buffer, top.ids.byteOffset, 4 * n), 0);
  bytes.set(new Uint8Array(top.dists.buffer, top.dists.byteOffset, 4 * n), 4 * n);
  writeCacheEntry(path, bytes, { ...key, next, best: nearest.best, bestNorm: nearest.bestNorm });
}

export async function groundTruthStreamed(ds: StreamedDataset, k: number, opts: StreamedGroundTruthOptions = {}): Promise<GroundTruth> {
  const nb = ds.base.rows, nq = ds.queries.rows;
  const req = groundTruthRequest(ds, k);
  if (req.given) return req.given;
  const { metric, K, stem } = req;
  const useCache = opts.cache ?? true;
  const chunkRows = opts.chunkRows ?? chunkRowsFor(ds.dim);
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new InputError(`the chunk size must be a positive integer (rows), got ${chunkRows}.`);
  const key: CheckpointKey = { nb, nq, K, chunkRows, metric };
  const partial = `${stem}.partial`;

  const top = new TopK(nq, K);
  const nearest = new BruteForceNearest(ds.queries, metric);
  // the heaps keep the smallest: inner products are offered negated
  const sign = metric === 'ip' ? -1 : 1;
  let next = 0;
  if (useCache) {
    const cached = readCachedGroundTruth(stem, nq, K);
    if (cached) return firstK(cached, nq, k);
    // the result, and a checkpoint written beside its previous one
    assertGroundTruthFits(stem, nq, K, ds.name, 2 * 8 * nq * K);
    const cp = readCheckpoint(partial, key);
    if (cp) {
      for (let i = 0; i < cp.ids.length; i++) if (cp.ids[i] >= 0) top.push(Math.floor(i / K), cp.dists[i], cp.ids[i]);
      nearest.best = cp.best;
      nearest.bestNorm = cp.bestNorm;
      next = cp.next;
    }
  }

  const queries = ds.queries.toShared();
  const ranges = [...chunkRanges(nb, chunkRows)];
  let lastCheckpoint = performance.now();
  // one shared chunk buffer for the whole pass: the workers read it without a copy
  const into = new Float32Array(new SharedArrayBuffer(4 * Math.min(nb, chunkRows) * ds.dim));
  for (let c = next; c < ranges.length; c++) {
    const [s, e] = ranges[c];
    const chunk = ds.base.read(s, e - s, { into });
    const kc = Math.min(K, e - s);
    const r = await knn(chunk, queries, kc, metric);
    for (let q = 0; q < nq; q++) {
      for (let j = 0; j < kc; j++) {
        const v = sign * r.dists[q * kc + j];
        // the chunk's list is sorted: once a candidate is no better than the kept K-th, the rest are not either
        if (v >= top.worst(q)) break;
        top.push(q, v, s + r.ids[q * kc + j]);
      }
    }
    nearest.scan(chunk);
    opts.onProgress?.(e, nb, 'exact search');
    const last = c === ranges.length - 1;
    if (useCache && !last && performance.now() - lastCheckpoint >= 1000 * (opts.checkpointSeconds ?? 5)) {
      writeCheckpoint(partial, key, c + 1, top, nearest);
      lastCheckpoint = performance.now();
    }
    opts.afterChunk?.(c, ranges.length);
    // a real kill for end-to-end tests of resumption (the checkpoint above is what survives it)
    if (process.env.VQBENCH_TEST_KILL_AFTER_CHUNK === String(c)) process.kill(process.pid, 'SIGKILL');
  }

  const { ids, dists } = top.sort();
  if (sign < 0) for (let i = 0; i < dists.length; i++) dists[i] = -dists[i];
  checkNeighbourLists(ds.name, nb, nq, K, metric, ids, dists);
  nearest.check(ds.name, dists, K);
  if (useCache) {
    writeCacheEntry(`${stem}.ivecs`, encodeRows(nq, K, ids));
    writeCacheEntry(`${stem}.fvecs`, encodeRows(nq, K, dists));
    removeCacheEntry(partial);
  }
  return firstK({ k: K, ids, dists }, nq, k);
}
