/**
 * The exact neighbours of a streaming runbook's search steps among the rows live at each: computed
 * incrementally (LiveTruth) and cached per (dataset checksum, runbook hash, metric, queries, K)
 * under datasets/cache/stream-truth/, one file per search step in big-ann-benchmarks' ground-truth
 * layout (`step{n}.gt{K}`: uint32 nq, uint32 K, then int32 ids nq×K, then float32 distances nq×K;
 * benchmark/streaming/compute_gt.py), each a verified cache entry (src/core/cache-entry.ts).
 *
 * Incremental: a running top-K per query over the live rows. An insert offers only the new rows
 * (the shared knn kernel over them, merged in); a delete invalidates only the queries whose top-K
 * holds a deleted row, and those are recomputed over the live rows with the same kernel.
 */
import { readCacheEntry, writeCacheEntry } from '../core/cache-entry.js';
import type { Matrix } from '../core/matrix.js';
import { knn } from '../core/parallel.js';
import type { ProgressFn } from '../core/progress.js';
import { TopK } from '../core/topk.js';
import { cacheDir } from './cache.js';
import type { Runbook } from './runbook.js';
import type { GroundTruth } from './types.js';
import { join } from 'node:path';

/** A running top-K of every query over a live subset of `base`'s rows (ids = row numbers). */
export class LiveTruth {
  readonly ids: Int32Array;
  readonly dists: Float32Array;
  private readonly live: Uint8Array;
  private liveCount = 0;

  constructor(private readonly base: Matrix, private readonly queries: Matrix, readonly K: number, private readonly metric: 'l2' | 'ip') {
    this.ids = new Int32Array(queries.rows * K).fill(-1);
    this.dists = new Float32Array(queries.rows * K).fill(metric === 'ip' ? -Infinity : Infinity);
    this.live = new Uint8Array(base.rows);
  }

  get size(): number {
    return this.liveCount;
  }

  /** Rows [start, end) become live: their exact top-K per query, merged into the running lists. */
  async insert(start: number, end: number): Promise<void> {
    for (let r = start; r < end; r++) this.live[r] = 1;
    this.liveCount += end - start;
    const kNew = Math.min(this.K, end - start);
    const fresh = await knn(this.base.sliceRows(start, end), this.queries, kNew, this.metric);
    this.merge(fresh.ids, fresh.dists, kNew, start);
  }

  /** Rows [start, end) leave: only the queries whose top-K held one of them are recomputed, over the live rows. */
  async remove(start: number, end: number): Promise<void> {
    for (let r = start; r < end; r++) this.live[r] = 0;
    this.liveCount -= end - start;
    const K = this.K, nq = this.queries.rows;
    const hit: number[] = [];
    for (let q = 0; q < nq; q++) {
      for (let j = 0; j < K; j++) {
        const id = this.ids[q * K + j];
        if (id >= start && id < end) {
          hit.push(q);
          break;
        }
      }
    }
    if (hit.length === 0) return;
    const rows = new Int32Array(this.liveCount);
    for (let r = 0, o = 0; r < this.base.rows; r++) if (this.live[r]) rows[o++] = r;
    const kLive = Math.min(K, rows.length);
    const r = await knn(this.base.selectRows(rows), this.queries.selectRows(hit), kLive, this.metric);
    const empty = this.metric === 'ip' ? -Infinity : Infinity;
    hit.forEach((q, i) => {
      for (let j = 0; j < K; j++) {
        const at = j < kLive ? r.ids[i * kLive + j] : -1;
        this.ids[q * K + j] = at < 0 ? -1 : rows[at];
        this.dists[q * K + j] = at < 0 ? empty : r.dists[i * kLive + j];
      }
    });
  }

  /** The current exact neighbours (a copy), K per query, padded with −1 while fewer than K rows are live. */
  snapshot(): GroundTruth {
    return { k: this.K, ids: this.ids.slice(), dists: this.dists.slice() };
  }

  /** Merges each query's `kNew` candidates (ids relative to `offset`) into its top-K. */
  private merge(ids: Int32Array, dists: Float32Array, kNew: number, offset: number): void {
    const K = this.K, nq = this.queries.rows, ip = this.metric === 'ip';
    const heap = new TopK(nq, K);
    for (let q = 0; q < nq; q++) {
      for (let j = 0; j < K; j++) {
        const id = this.ids[q * K + j];
        if (id >= 0) heap.push(q, ip ? -this.dists[q * K + j] : this.dists[q * K + j], id);
      }
      for (let j = 0; j < kNew; j++) {
        const id = ids[q * kNew + j];
        if (id >= 0) heap.push(q, ip ? -dists[q * kNew + j] : dists[q * kNew + j], id + offset);
      }
    }
    const s = heap.sort();
    for (let i = 0; i < s.ids.length; i++) {
      this.ids[i] = s.ids[i];
      this.dists[i] = s.ids[i] < 0 ? (ip ? -Infinity : Infinity) : ip ? -s.dists[i] : s.dists[i];
    }
  }
}

/** The cache folder of one runbook's truth. */
export function streamTruthDir(checksum: string, rb: Runbook, metric: 'l2' | 'ip', nq: number, K: number): string {
  return cacheDir('stream-truth', `${checksum}-${rb.hash}-${metric}-q${nq}-k${K}`);
}

/** The ground-truth file name of a search step, big-ann's `step{n}.gt{K}`. */
export function stepTruthFile(step: number, K: number): string {
  return `step${step}.gt${K}`;
}

/** A ground truth in big-ann-benchmarks' binary layout. */
export function encodeBigAnnTruth(nq: number, t: GroundTruth): Uint8Array {
  const out = new Uint8Array(8 + nq * t.k * 8);
  const v = new DataView(out.buffer);
  v.setUint32(0, nq, true);
  v.setUint32(4, t.k, true);
  new Int32Array(out.buffer, 8, nq * t.k).set(t.ids.subarray(0, nq * t.k));
  new Float32Array(out.buffer, 8 + nq * t.k * 4, nq * t.k).set(t.dists.subarray(0, nq * t.k));
  return out;
}

/** The ground truth of a big-ann layout file, or null when its header does not say nq × K. */
export function decodeBigAnnTruth(buf: Uint8Array, nq: number, K: number): GroundTruth | null {
  if (buf.byteLength !== 8 + nq * K * 8) return null;
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (v.getUint32(0, true) !== nq || v.getUint32(4, true) !== K) return null;
  const copy = new Uint8Array(buf); // aligned copy for the typed views
  return { k: K, ids: new Int32Array(copy.buffer, 8, nq * K).slice(), dists: new Float32Array(copy.buffer, 8 + nq * K * 4, nq * K).slice() };
}

/**
 * The exact neighbours (K per query) at every search step of the runbook, by step number: read
 * from the cache when every step's file is there and intact, else replayed incrementally over the
 * base and cached. The runbook must have been planned (planRunbook) first.
 */
export async function streamTruth(
  ds: { checksum: string; base: Matrix }, rb: Runbook, queries: Matrix, K: number, metric: 'l2' | 'ip',
  opts: { onProgress?: ProgressFn; cache?: boolean } = {},
): Promise<{ truth: Map<number, GroundTruth>; cached: boolean; dir: string }> {
  const nq = queries.rows;
  const dir = streamTruthDir(ds.checksum, rb, metric, nq, K);
  const searchSteps = rb.steps.filter((s) => s.operation === 'search').map((s) => s.step);
  const useCache = opts.cache ?? true;
  if (useCache) {
    const truth = new Map<number, GroundTruth>();
    for (const step of searchSteps) {
      const e = readCacheEntry(join(dir, stepTruthFile(step, K)));
      const t = e && decodeBigAnnTruth(e.data, nq, K);
      if (!t) break;
      truth.set(step, t);
    }
    if (truth.size === searchSteps.length) return { truth, cached: true, dir };
  }
  const live = new LiveTruth(ds.base, queries, K, metric);
  const truth = new Map<number, GroundTruth>();
  for (const [i, s] of rb.steps.entries()) {
    if (s.operation === 'insert') await live.insert(s.start, s.end);
    else if (s.operation === 'delete') await live.remove(s.start, s.end);
    else truth.set(s.step, live.snapshot());
    opts.onProgress?.(i + 1, rb.steps.length, 'exact neighbours per step');
  }
  if (useCache) for (const [step, t] of truth) writeCacheEntry(join(dir, stepTruthFile(step, K)), encodeBigAnnTruth(nq, t), { runbook: rb.file, step });
  return { truth, cached: false, dir };
}
