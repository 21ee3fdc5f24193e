/**
 * The shared part of the streamed file readers (src/data/row-files.ts, src/data/hdf5-rows.ts):
 * bounds, a reused byte buffer, `readRows` by runs of nearby rows, positioned reads that must be
 * whole, and the NaN / Inf check of every chunk naming the file and the row.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { requireExistingFile } from './files.js';
import { readTarget, type ReadOptions, type RowSource } from './row-source.js';

export interface OpenOptions {
  /** Only the first `limit` rows of the file are visible (the spec grammar's `:limit=N`). */
  limit?: number;
  /** Which dataset of an ann-benchmarks .hdf5 file: 'train' (the base, default) or 'test' (the queries). */
  hdf5Dataset?: 'train' | 'test';
}

export function limited(rows: number, limit: number | undefined, path: string): number {
  if (limit === undefined) return rows;
  if (!Number.isInteger(limit) || limit < 1) throw new InputError(`the limit of ${path} must be a positive integer, got ${limit}.`);
  return Math.min(rows, limit);
}

/** Throws one sentence naming the file and row when m (rows `rowOf(i)` of the file) holds NaN or Inf. */
function assertFiniteRows(m: Matrix, source: string, rowOf: (i: number) => number): void {
  const d = m.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v - v !== 0) {
      throw new InputError(`${source}: row ${rowOf(Math.floor(i / m.dim))} contains ${Number.isNaN(v) ? 'NaN' : 'an infinite value'} (column ${i % m.dim}).`);
    }
  }
}

/** The shared part of the file readers: bounds, reused buffers, readRows by runs, finiteness. */
export abstract class FileRows implements RowSource {
  abstract readonly rows: number;
  abstract readonly dim: number;
  private scratch: Buffer = Buffer.alloc(0);

  constructor(readonly name: string) {}

  /** Writes rows [start, start + count) as float32 into out[at...). */
  protected abstract fill(start: number, count: number, out: Float32Array, at: number): void;
  abstract close(): void;

  /** A byte buffer of at least n bytes, reused across reads. */
  protected buffer(n: number): Buffer {
    if (this.scratch.length < n) this.scratch = Buffer.allocUnsafe(Math.max(n, Math.min(2 * this.scratch.length, 1 << 28)));
    return this.scratch;
  }

  read(start: number, count: number, opts: ReadOptions = {}): Matrix {
    if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 && start + count <= this.rows)) {
      throw new RangeError(`${this.name}: rows [${start}, ${start + count}) are outside [0, ${this.rows})`);
    }
    const out = readTarget(count, this.dim, opts);
    this.fill(start, count, out.data, 0);
    assertFiniteRows(out, this.name, (i) => start + i);
    return out;
  }

  readRows(indices: ArrayLike<number>): Matrix {
    const n = indices.length, d = this.dim;
    const out = readTarget(n, d, {});
    for (let i = 0; i < n; i++) {
      const r = indices[i];
      if (!(Number.isInteger(r) && r >= 0 && r < this.rows)) throw new RangeError(`${this.name}: row ${r} is outside [0, ${this.rows})`);
    }
    // ascending order, then runs of nearby rows read with one call each (gaps of a few rows are read and skipped)
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => indices[a] - indices[b]);
    const MAX_GAP = 4, MAX_RUN = 4096;
    let scratch = new Float32Array(0);
    for (let s = 0; s < n; ) {
      let e = s + 1;
      while (e < n && indices[order[e]] - indices[order[e - 1]] <= MAX_GAP && indices[order[e]] - indices[order[s]] < MAX_RUN) e++;
      const first = indices[order[s]], span = indices[order[e - 1]] - first + 1;
      if (scratch.length < span * d) scratch = new Float32Array(span * d);
      this.fill(first, span, scratch, 0);
      for (let j = s; j < e; j++) out.data.set(scratch.subarray((indices[order[j]] - first) * d, (indices[order[j]] - first + 1) * d), order[j] * d);
      s = e;
    }
    assertFiniteRows(out, this.name, (i) => indices[i]);
    return out;
  }
}

/** Reads exactly `length` bytes at `position` of fd into buf[0...); a short read means the file shrank. */
export function readFully(fd: number, buf: Uint8Array, length: number, position: number, path: string): void {
  let done = 0;
  while (done < length) {
    // readSync reads at most 2 GiB per call
    const got = readSync(fd, buf, done, Math.min(length - done, 1 << 30), position + done);
    if (got === 0) throw new InputError(`${path} is truncated: it ended at byte ${position + done} while ${length - done} more bytes were expected (was it changed while being read?).`);
    done += got;
  }
}

/** Opens a file the user named, or one sentence saying why not. */
export function openInput(path: string): { fd: number; size: number } {
  requireExistingFile(path);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new InputError(`${path} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
  return { fd, size: fstatSync(fd).size };
}

