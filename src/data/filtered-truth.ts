/**
 * The exact ground truth of a filtered search: for each query, the nearest neighbours among the base
 * rows a filter allows, by the shared exact k-NN kernel (`knn`) over those rows gathered into one
 * matrix, ids mapped back to base ids. Cached beside the unfiltered ground truth, keyed by the
 * dataset checksum, the label (its seed and selectivity) and the rows kept.
 */
import { readCacheEntry, writeCacheEntry } from '../core/cache-entry.js';
import { knn } from '../core/parallel.js';
import type { Matrix } from '../core/matrix.js';
import { cacheDir } from './cache.js';
import { encodeRows, GROUND_TRUTH_MIN_K } from './ground-truth.js';
import type { RowSource } from './row-source.js';
import type { GroundTruth } from './types.js';

export interface FilteredTruthKey {
  /** The dataset's checksum (the base the bitmap is over). */
  checksum: string;
  /** What names the bitmap: the label (with what else determines its rows) and the seed of its generator (null: not seeded). */
  label: string;
  seed: number | null;
}

/** Rows of `source` whose allowed[row] is 1, in order. */
function allowedRows(allowed: Uint8Array, rows: number): Uint32Array {
  let n = 0;
  for (let i = 0; i < rows; i++) n += allowed[i] === 1 ? 1 : 0;
  const out = new Uint32Array(n);
  for (let i = 0, j = 0; i < rows; i++) if (allowed[i] === 1) out[j++] = i;
  return out;
}

/**
 * Exact neighbours (K = max(k, 100) per query, −1 / ±Infinity padded when fewer rows pass) of every
 * query among the allowed rows of `base`; squared L2 ascending or inner product descending.
 */
export async function filteredGroundTruth(
  base: RowSource, queries: Matrix, allowed: Uint8Array, k: number, metric: 'l2' | 'ip', key: FilteredTruthKey | null,
): Promise<GroundTruth> {
  const K = Math.max(k, GROUND_TRUTH_MIN_K), nq = queries.rows;
  const rows = allowedRows(allowed, base.rows);
  const stem = key && cacheDir('ground-truth', `${key.checksum}-${metric}-${key.label}${key.seed === null ? '' : `-seed${key.seed}`}-rows${rows.length}-q${nq}-k${K}`);
  if (stem) {
    const cached = readCached(stem, nq, K);
    if (cached) return cached;
  }
  const ids = new Int32Array(nq * K).fill(-1);
  const dists = new Float32Array(nq * K).fill(metric === 'ip' ? -Infinity : Infinity);
  const kk = Math.min(K, rows.length);
  if (kk > 0) {
    const r = await knn(base.readRows(rows), queries, kk, metric);
    for (let q = 0; q < nq; q++) {
      for (let j = 0; j < kk; j++) {
        const local = r.ids[q * kk + j];
        ids[q * K + j] = local < 0 ? -1 : rows[local];
        dists[q * K + j] = r.dists[q * kk + j];
      }
    }
  }
  if (stem) {
    writeCacheEntry(`${stem}.ivecs`, encodeRows(nq, K, ids));
    writeCacheEntry(`${stem}.fvecs`, encodeRows(nq, K, dists));
  }
  return { k: K, ids, dists };
}

function readCached(stem: string, nq: number, K: number): GroundTruth | null {
  const a = readCacheEntry(`${stem}.ivecs`), b = a && readCacheEntry(`${stem}.fvecs`);
  if (!a || !b || a.data.byteLength !== nq * (K + 1) * 4 || b.data.byteLength !== nq * (K + 1) * 4) return null;
  const ids = new Int32Array(nq * K), dists = new Float32Array(nq * K);
  const va = new DataView(a.data.buffer, a.data.byteOffset, a.data.byteLength), vb = new DataView(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  for (let q = 0; q < nq; q++) {
    for (let j = 0; j < K; j++) {
      const at = (q * (K + 1) + 1 + j) * 4;
      ids[q * K + j] = va.getInt32(at, true);
      dists[q * K + j] = vb.getFloat32(at, true);
    }
  }
  return { k: K, ids, dists };
}
