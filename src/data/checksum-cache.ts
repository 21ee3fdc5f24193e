/**
 * Dataset checksums of large files, computed once. The checksum of a streamed file is the same
 * sha256 as the whole-file loader's (its float32 rows, then the split), so both share ground-truth
 * caches; hashing 3.8 GB takes a while, so the result is kept under datasets/cache/checksums/,
 * keyed by each file's real path, size and modification time and by the recipe (limit, seed). A
 * file rewritten in place gets a new mtime and is hashed again. (Hashing sampled blocks instead
 * would be instant but would let two files that differ outside the samples share a ground truth.)
 */
import { realpathSync, statSync } from 'node:fs';
import { readCacheEntry, writeCacheEntry } from '../core/cache-entry.js';
import { cacheDir } from './cache.js';
import { checksum } from './checksum.js';

/** What identifies the files' contents without reading them: real path, size and mtime of each. */
export function filesIdentity(paths: string[]): string {
  return paths.map((p) => {
    const st = statSync(p);
    return `${realpathSync(p)}:${st.size}:${st.mtimeMs}`;
  }).join('|');
}

/** The checksum cached for (files, recipe), else `compute()`, cached. */
export function cachedChecksum(paths: string[], recipe: string, compute: () => string): string {
  const identity = filesIdentity(paths);
  const entry = cacheDir('checksums', `${checksum(identity, '\n', recipe)}.json`);
  const cached = readCacheEntry(entry);
  if (cached) {
    try {
      const v = JSON.parse(cached.data.toString('utf8')) as { identity?: string; recipe?: string; checksum?: string };
      if (v.identity === identity && v.recipe === recipe && typeof v.checksum === 'string') return v.checksum;
    } catch {
      // unreadable: computed again
    }
  }
  const value = compute();
  writeCacheEntry(entry, JSON.stringify({ identity, recipe, checksum: value }) + '\n');
  return value;
}
