/**
 * A large embedding job in resumable chunks: the texts of each group (role) are cut into chunks of
 * `chunkRows` ([0, c), [c, 2c), …), each chunk is a cache entry of the embedding cache (./cache.ts,
 * the same key and files as every other embedding), and the output is assembled from the cached
 * chunks by streaming them into one .npy, atomically. Whoever computed a chunk (this process, an
 * earlier killed run, a `vqbench run` cell on another machine sharing the cache folder) does not
 * matter: a chunk that is cached is read, one that is not is computed.
 *
 * Memory: the texts, plus one chunk of vectors at a time; the whole matrix is never in memory.
 */
import { Matrix } from '../core/matrix.js';
import type { ProgressFn } from '../core/progress.js';
import { chunkRanges } from '../data/row-source.js';
import { computeChunk, embeddingCacheKey, readCachedChunk, textsSha256, writeKeyMeta } from './cache.js';
import { npyHeader, writeStreamAtomic } from './stream-write.js';
import type { TextGroup } from './text-groups.js';
import type { Embedder, EmbedRole } from './types.js';

export interface ChunkedOptions {
  /** Texts per chunk (the chunk files name their row range, so a different value recomputes). */
  chunkRows: number;
  /** Cache root (the folder holding `embeddings/`). Default: $VQBENCH_CACHE or datasets/cache. */
  cacheDir?: string;
  /** Progress over the texts still to embed, across all chunks and groups; label: how many were cached. */
  onProgress?: ProgressFn;
}

export interface ChunkedStats {
  rows: number;
  chunks: number;
  /** Chunks (and their rows) embedded now; the rest came from the cache. */
  computedChunks: number;
  computedRows: number;
  /** Seconds spent embedding (cache reads excluded). */
  embedSeconds: number;
}

type KeyOf = Pick<Embedder, 'id' | 'version'>;

/** The chunks of one group: its cache folder and its row ranges. */
function groupChunks(embedder: KeyOf, g: TextGroup, chunkRows: number, cacheDir?: string): { dir: string; sha: string; ranges: [number, number][] } {
  const { dir, textsSha256 } = embeddingCacheKey(embedder, g.texts, g.role, cacheDir);
  return { dir, sha: textsSha256, ranges: [...chunkRanges(g.texts.length, chunkRows)] };
}

function checkChunkRows(chunkRows: number): void {
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new RangeError(`chunkRows must be a positive integer, got ${chunkRows}`);
}

/**
 * Computes and caches every chunk of every group that is not cached yet, in order; a killed job
 * resumes at the first missing chunk. Progress: one bar over all the texts still to embed.
 */
export async function fillChunks(embedder: Embedder, groups: readonly TextGroup[], opts: ChunkedOptions): Promise<ChunkedStats> {
  checkChunkRows(opts.chunkRows);
  const todo: { g: TextGroup; dir: string; start: number; end: number }[] = [];
  let rows = 0, chunks = 0;
  for (const g of groups) {
    const { dir, sha, ranges } = groupChunks(embedder, g, opts.chunkRows, opts.cacheDir);
    rows += g.texts.length;
    chunks += ranges.length;
    let metaWritten = false;
    for (const [start, end] of ranges) {
      if (readCachedChunk(dir, start, end, embedder.dim)) continue;
      if (!metaWritten) { writeKeyMeta(dir, embedder, g.role, g.texts.length, sha, opts.chunkRows); metaWritten = true; }
      todo.push({ g, dir, start, end });
    }
  }
  const total = todo.reduce((s, c) => s + c.end - c.start, 0);
  const label = rows > total ? `(${rows - total} cached)` : undefined;
  let done = 0, embedSeconds = 0;
  if (total > 0) opts.onProgress?.(0, total, label);
  for (const c of todo) {
    const t0 = performance.now();
    await computeChunk(embedder, c.g.texts, c.g.role, c.dir, c.start, c.end, (d) => opts.onProgress?.(done + Math.min(d, c.end - c.start), total, label));
    embedSeconds += (performance.now() - t0) / 1000;
    done += c.end - c.start;
    opts.onProgress?.(done, total, label);
  }
  return { rows, chunks, computedChunks: todo.length, computedRows: total, embedSeconds };
}

/**
 * Computes one chunk [start, end) of one group unless it is cached (a cell of the `embed` kind).
 * The range must be one of the group's chunks at `chunkRows`.
 */
export async function fillOneChunk(embedder: Embedder, group: TextGroup, start: number, end: number, opts: ChunkedOptions): Promise<{ computed: boolean; embedSeconds: number }> {
  checkChunkRows(opts.chunkRows);
  const { dir, sha, ranges } = groupChunks(embedder, group, opts.chunkRows, opts.cacheDir);
  if (!ranges.some(([s, e]) => s === start && e === end)) throw new RangeError(`rows [${start}, ${end}) are not a chunk of ${group.texts.length} texts at ${opts.chunkRows} per chunk`);
  if (readCachedChunk(dir, start, end, embedder.dim)) return { computed: false, embedSeconds: 0 };
  writeKeyMeta(dir, embedder, group.role, group.texts.length, sha, opts.chunkRows);
  const t0 = performance.now();
  opts.onProgress?.(0, end - start);
  await computeChunk(embedder, group.texts, group.role, dir, start, end, opts.onProgress);
  return { computed: true, embedSeconds: (performance.now() - t0) / 1000 };
}

/**
 * Streams every group's cached chunks, in group order, into one float32 .npy at `out` (atomically).
 * Every chunk must be cached (fillChunks first); a chunk that went missing in between is an Error.
 */
export function assembleChunks(embedder: KeyOf & { dim: number }, groups: readonly TextGroup[], out: string, opts: Omit<ChunkedOptions, 'onProgress'>): void {
  checkChunkRows(opts.chunkRows);
  const rows = groups.reduce((s, g) => s + g.texts.length, 0);
  function* pieces(): Generator<Uint8Array> {
    yield npyHeader(rows, embedder.dim);
    for (const g of groups) {
      const { dir, ranges } = groupChunks(embedder, g, opts.chunkRows, opts.cacheDir);
      for (const [start, end] of ranges) {
        const m: Matrix | null = readCachedChunk(dir, start, end, embedder.dim);
        if (!m) throw new Error(`${embedder.id}: chunk [${start}, ${end}) of the ${g.role}s left the cache (${dir}) before assembly`);
        yield new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength);
      }
    }
  }
  writeStreamAtomic(out, pieces());
}

/** What one group's chunks are, for a task file: its role, row count, texts' checksum and chunk ranges. */
export function describeGroup(g: TextGroup): { role: EmbedRole; rows: number; textsSha256: string } {
  return { role: g.role, rows: g.texts.length, textsSha256: textsSha256(g.texts) };
}
