/**
 * Large seeded vector files for scale benchmarks: a Gaussian mixture written as a float32 .npy
 * chunk by chunk (never whole in memory), to a temporary sibling renamed into place at the end,
 * after a free-space check. The rows depend only on (rows, dim, clusters, seed), not on the chunk
 * size; an existing file of the expected size is kept (written once).
 */
import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureDir, tempSibling } from '../core/atomic.js';
import { assertFreeSpace } from '../core/disk-space.js';
import { fsInputError } from '../core/fs-errors.js';
import type { ProgressFn } from '../core/progress.js';
import { Rng } from '../core/rng.js';
import { npyHeader } from './npy.js';

export interface SyntheticFileOptions {
  rows: number;
  dim: number;
  clusters?: number;
  seed?: number;
  /** Spread of the points around their centre (centres ~ N(0, I)). Default 0.5. */
  spread?: number;
  chunkRows?: number;
  onProgress?: ProgressFn;
}

/** Writes (or keeps) the seeded mixture at `path`; returns whether it was written now. */
export function writeMixtureNpy(path: string, o: SyntheticFileOptions): boolean {
  const { rows, dim } = o;
  const head = npyHeader(rows, dim);
  const bytes = head.length + rows * dim * 4;
  if (existsSync(path) && statSync(path).size === bytes) return false;
  ensureDir(dirname(path), path);
  assertFreeSpace(dirname(path), bytes, `the generated ${rows} × ${dim} file ${path}`);
  const rng = new Rng(o.seed ?? 1234);
  const clusters = o.clusters ?? 64, spread = o.spread ?? 0.5;
  const centres = new Float32Array(clusters * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = rng.normal();
  const chunkRows = o.chunkRows ?? 65_536;
  const chunk = new Float32Array(chunkRows * dim);
  const tmp = tempSibling(path);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w');
    writeSync(fd, head);
    for (let s = 0; s < rows; s += chunkRows) {
      const n = Math.min(chunkRows, rows - s);
      for (let i = 0; i < n; i++) {
        const c = rng.int(clusters) * dim;
        for (let j = 0; j < dim; j++) chunk[i * dim + j] = centres[c + j] + spread * rng.normal();
      }
      writeSync(fd, new Uint8Array(chunk.buffer, 0, n * dim * 4));
      o.onProgress?.(s + n, rows, 'rows written');
    }
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw fsInputError(e, path, 'write') ?? e;
  }
  return true;
}
