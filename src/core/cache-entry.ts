/**
 * Cache entries that are never silently trusted. A cache entry is a file written only after its
 * computation succeeded, followed by a completion marker `<file>.done.json` holding its size and
 * sha256 (and any facts the caller wants kept with it). Reading verifies the file against the
 * marker: a missing marker (an interrupted write, or a file from before markers), a size or checksum
 * mismatch (truncated, a flipped byte) makes the entry absent, so the caller recomputes it; a
 * corrupt entry is removed, with one warning line on stderr.
 *
 * Entries whose digests live elsewhere (a folder whose meta.json, written last, lists the digest of
 * each file) use `digestOf` when writing and `readVerified` when reading.
 *
 * Users: exact ground truth (src/data/ground-truth.ts), the parsed GloVe matrices (src/data/glove.ts,
 * src/data/glove-words.ts), the small-scale subset folders (src/run/datasets.ts) and the embedding
 * chunks (src/embed/cache.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureDir, writeFileAtomic } from './atomic.js';
import { fsInputError } from './fs-errors.js';

export interface Digest {
  bytes: number;
  sha256: string;
}

/** Size and sha256 of bytes (a string counts as its UTF-8). */
export function digestOf(data: Uint8Array | string): Digest {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return { bytes: buf.byteLength, sha256: createHash('sha256').update(buf).digest('hex') };
}

/** The completion marker of a cache file. */
export function markerPath(path: string): string {
  return `${path}.done.json`;
}

function warn(path: string, why: string): void {
  process.stderr.write(`warning: cache entry ${path} ${why}; it is recomputed.\n`);
}

/**
 * The bytes of `path` when they match `expected`, else null. A mismatch (corrupt file) warns and
 * removes the file; a missing file is just null.
 */
export function readVerified(path: string, expected: Digest): Buffer | null {
  if (!existsSync(path)) return null;
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return null;
  }
  const d = digestOf(buf);
  if (d.bytes !== expected.bytes || d.sha256 !== expected.sha256) {
    warn(path, d.bytes !== expected.bytes ? `has ${d.bytes} bytes, its marker says ${expected.bytes}` : 'does not match its checksum');
    rmSync(path, { force: true });
    return null;
  }
  return buf;
}

/**
 * Writes a cache entry once its computation succeeded: the file (atomically), then its completion
 * marker with size, sha256 and `extra` (facts kept with the entry). The old marker goes first, so
 * a crash in between leaves an entry without a marker, which is never read.
 */
export function writeCacheEntry(path: string, data: Uint8Array | string, extra: Record<string, unknown> = {}): void {
  const marker = markerPath(path);
  ensureDir(dirname(path), path); // a failure names the entry, not its marker
  try {
    rmSync(marker, { force: true });
  } catch (e) {
    throw fsInputError(e, path, 'write') ?? e;
  }
  writeFileAtomic(path, data);
  writeFileAtomic(marker, JSON.stringify({ ...extra, complete: true, ...digestOf(data) }) + '\n');
}

export interface CacheEntry {
  data: Buffer;
  /** What the writer kept in the marker (besides the digest). */
  extra: Record<string, unknown>;
}

/**
 * A complete and intact cache entry, or null: missing, without a completion marker (interrupted, or
 * written before markers existed), or corrupt (then removed, with a warning).
 */
export function readCacheEntry(path: string): CacheEntry | null {
  const marker = markerPath(path);
  if (!existsSync(path) || !existsSync(marker)) return null;
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(readFileSync(marker, 'utf8')) as Record<string, unknown>;
  } catch {
    m = {};
  }
  if (m.complete !== true || typeof m.bytes !== 'number' || typeof m.sha256 !== 'string') {
    warn(path, 'has an unreadable completion marker');
    removeCacheEntry(path);
    return null;
  }
  const data = readVerified(path, { bytes: m.bytes, sha256: m.sha256 });
  if (!data) {
    rmSync(marker, { force: true });
    return null;
  }
  const { complete: _c, bytes: _b, sha256: _s, ...extra } = m;
  return { data, extra };
}

/** Removes a cache entry and its marker. */
export function removeCacheEntry(path: string): void {
  rmSync(markerPath(path), { force: true });
  rmSync(path, { force: true });
}
