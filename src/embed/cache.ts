/**
 * The embedding cache: embedding a corpus is the slow step of every text run, so its vectors are
 * kept on disk and an interrupted run resumes where it stopped.
 *
 * Key: (embedder.id, embedder.version, role, sha256 of the texts in order). Layout:
 *
 *   <cache root>/embeddings/<safe id>/<role>-<key hash>/
 *     meta.json                          what the key is made of (for people; never trusted)
 *     chunk-000000000-000001024.npy      rows [0, 1024), float32, each written atomically
 *     chunk-000000000-000001024.npy.done.json   its completion marker (bytes, sha256)
 *     chunk-000001024-000002048.npy      …
 *     all.npy (+ .done.json)             only with `writeFull`: every row in one file
 *
 * Texts are embedded `chunkSize` at a time (default 1024), and each chunk is written as soon as it
 * is done, so a run killed at any moment resumes at the first missing chunk. Each chunk (and all.npy)
 * is a cache entry with a completion marker `<file>.done.json` holding its size and sha256
 * (src/core/cache-entry.ts), written after the file: a chunk without its marker (interrupted), one
 * that does not match it (truncated, a flipped byte), does not parse, has the wrong shape or holds a
 * NaN/∞ is recomputed, never trusted. Chunk files name their row range, so a different chunk size
 * never misreads an old chunk (it recomputes).
 *
 * Progress is reported over the texts that still need embedding (label: how many came from the
 * cache), so the rate and ETA of progressBar are those of the embedder, not of the disk; a fully
 * cached call reports nothing.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { readCacheEntry, removeCacheEntry, writeCacheEntry } from '../core/cache-entry.js';
import { assertFinite, Matrix } from '../core/matrix.js';
import { progressBar, type ProgressFn } from '../core/progress.js';
import { cacheDir as defaultCacheRoot } from '../data/cache.js';
import { encodeNpy, parseNpy } from '../data/npy.js';
import { PrecomputedEmbedder } from './precomputed.js';
import type { Embedder, EmbedRole } from './types.js';

export const DEFAULT_CHUNK_SIZE = 1024;

export interface EmbedCacheOptions {
  /** Cache root (the folder that holds `embeddings/`). Default: datasets/cache or $VQBENCH_CACHE. */
  cacheDir?: string;
  /** Texts per chunk file. Default 1024. */
  chunkSize?: number;
  /** Progress over the texts still to embed. Default: a progress bar on stderr (drawn on a TTY only). */
  onProgress?: ProgressFn;
  /** Also write all rows as one all.npy (and remove the chunks) once complete. Default false. */
  writeFull?: boolean;
}

export interface EmbedCacheKey {
  /** The folder of this key's chunks. */
  dir: string;
  /** sha256 (hex) of the texts in order. */
  textsSha256: string;
}

/** sha256 of the texts in order; each text is length-prefixed so that no two lists collide. */
export function textsSha256(texts: readonly string[]): string {
  const h = createHash('sha256');
  const len = Buffer.alloc(8);
  h.update(`${texts.length}\n`);
  for (const t of texts) {
    const b = Buffer.from(t, 'utf8');
    len.writeBigUInt64LE(BigInt(b.length));
    h.update(len);
    h.update(b);
  }
  return h.digest('hex');
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120) || '_';

/** Where the vectors of (embedder, texts, role) live. */
export function embeddingCacheKey(embedder: Pick<Embedder, 'id' | 'version'>, texts: readonly string[], role: EmbedRole, root?: string): EmbedCacheKey {
  const sha = textsSha256(texts);
  const key = createHash('sha256').update(JSON.stringify([embedder.id, embedder.version, role, sha])).digest('hex').slice(0, 20);
  const base = root !== undefined ? join(root, 'embeddings') : defaultCacheRoot('embeddings');
  return { dir: join(base, safeName(embedder.id), `${role}-${key}`), textsSha256: sha };
}

const pad = (n: number) => String(n).padStart(9, '0');
export const chunkFileName = (start: number, end: number) => `chunk-${pad(start)}-${pad(end)}.npy`;

/** A cached matrix of exactly rows × dim finite values, or null (missing, incomplete, corrupt, unreadable, wrong shape, NaN). */
export function readTrusted(path: string, rows: number, dim: number): Matrix | null {
  const entry = readCacheEntry(path);
  if (!entry) return null;
  try {
    const m = parseNpy(entry.data, path);
    if (m.rows !== rows || m.dim !== dim) return null;
    assertFinite(m, path);
    return m;
  } catch {
    return null;
  }
}

/** The cached rows [start, end) of a key's folder, or null when that chunk is not (validly) cached. */
export function readCachedChunk(dir: string, start: number, end: number, dim: number): Matrix | null {
  return readTrusted(join(dir, chunkFileName(start, end)), end - start, dim);
}

/** Records what a key's folder holds (for people; never trusted). */
export function writeKeyMeta(dir: string, embedder: Embedder, role: EmbedRole, texts: number, sha: string, chunkSize: number): void {
  writeFileAtomic(join(dir, 'meta.json'), JSON.stringify({
    embedder: embedder.id, version: embedder.version, role, texts, dim: embedder.dim, textsSha256: sha, chunkSize,
  }, null, 2) + '\n');
}

/**
 * Embeds texts [start, end) and stores them as the chunk file of that range, with its completion
 * marker (which also records the device and batch size it was computed with: chunks of one matrix
 * may come from different workers). Checks the shape and that every value is finite first.
 */
export async function computeChunk(embedder: Embedder, texts: readonly string[], role: EmbedRole, dir: string, start: number, end: number, onProgress?: ProgressFn): Promise<Matrix> {
  const dim = embedder.dim;
  const t0 = performance.now();
  const m = await embedder.embed(texts.slice(start, end), role, onProgress);
  if (m.rows !== end - start || m.dim !== dim) {
    throw new Error(`${embedder.id}: embed returned ${m.rows} × ${m.dim} for ${end - start} texts, expected ${end - start} × ${dim}`);
  }
  for (let i = 0; i < m.data.length; i++) {
    if (m.data[i] - m.data[i] !== 0) throw new Error(`${embedder.id}: embed returned a NaN or infinite value for text ${start + Math.floor(i / dim)}`);
  }
  writeCacheEntry(join(dir, chunkFileName(start, end)), encodeNpy(m), {
    device: embedder.device ?? 'cpu', ...(embedder.batchSize !== undefined && { batchSize: embedder.batchSize }), seconds: (performance.now() - t0) / 1000,
  });
  return m;
}

/**
 * The embeddings of `texts` (one row each, in order): from the cache when present, else computed
 * chunk by chunk with `embedder.embed` and stored. Resumes an interrupted run at the first missing chunk.
 */
export async function embedWithCache(embedder: Embedder, texts: string[], role: EmbedRole, opts: EmbedCacheOptions = {}): Promise<Matrix> {
  const n = texts.length;
  const dim = embedder.dim;
  if (n === 0) return Matrix.zeros(0, dim);
  // vectors that already live in a file are not copied into the cache
  if (embedder instanceof PrecomputedEmbedder) return embedder.embed(texts, role, opts.onProgress);

  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`embedWithCache: chunkSize must be a positive integer, got ${chunkSize}`);
  const { dir, textsSha256: sha } = embeddingCacheKey(embedder, texts, role, opts.cacheDir);
  const fullPath = join(dir, 'all.npy');
  const full = readTrusted(fullPath, n, dim);
  if (full) return full;

  const out = Matrix.zeros(n, dim);
  const missing: { start: number; end: number }[] = [];
  for (let start = 0; start < n; start += chunkSize) {
    const end = Math.min(n, start + chunkSize);
    const m = readTrusted(join(dir, chunkFileName(start, end)), end - start, dim);
    if (m) out.data.set(m.data, start * dim);
    else missing.push({ start, end });
  }

  if (missing.length) {
    writeKeyMeta(dir, embedder, role, n, sha, chunkSize);
    const todo = missing.reduce((s, c) => s + c.end - c.start, 0);
    const cached = n - todo;
    const label = cached ? `(${cached} cached)` : undefined;
    const bar = opts.onProgress ? undefined : progressBar(`embed ${role}s ${embedder.id}`, 'text');
    const report: ProgressFn = opts.onProgress ?? bar!.update;
    let done = 0;
    try {
      report(0, todo, label);
      for (const { start, end } of missing) {
        const m = await computeChunk(embedder, texts, role, dir, start, end, (d) => report(done + Math.min(d, end - start), todo, label));
        out.data.set(m.data, start * dim);
        done += end - start;
        report(done, todo, label);
      }
    } finally {
      bar?.finish();
    }
  }

  if (opts.writeFull) {
    writeCacheEntry(fullPath, encodeNpy(out));
    for (let start = 0; start < n; start += chunkSize) removeCacheEntry(join(dir, chunkFileName(start, Math.min(n, start + chunkSize))));
  }
  return out;
}
