/**
 * Building an index from rows read on demand (a RowSource, src/data/row-source.ts): the seeded
 * training sample is read with `readRows`, the index trains on it, then the base is read and added
 * chunk by chunk. Only the index's codes and structures stay resident, plus one chunk at a time:
 * a 10M-row base never sits in memory whole. For an index declaring `chunkedBuild` this gives the
 * same index as `build(x)` on the same rows (`build` is train on the same seeded sample + add +
 * endBuild; tests compare codes and results).
 */
import { Matrix } from '../core/matrix.js';
import type { ProgressFn } from '../core/progress.js';
import { chunkRanges, type RowSource } from '../data/row-source.js';
import { chunkRowsFor } from '../data/streamed.js';
import { trainSampleRows } from './train-sample.js';
import type { BuildReport, ChunkedBuild, VectorIndex } from './types.js';

export interface SourceBuildOptions {
  /** Rows of the seeded training sample; default the index's own (`defaultTrainRows()`; 0 there: no sample). */
  trainRows?: number;
  /** Rows read and added at a time; default chunkRowsFor(dim) (about 64 MiB of rows). */
  chunkRows?: number;
  seed?: number;
  onProgress?: ProgressFn;
}

export interface SourceBuildReport extends BuildReport {
  /** Seconds of training (sample read included) and of reading + adding the chunks. */
  trainSeconds: number;
  addSeconds: number;
  trainRows: number;
  chunkRows: number;
  chunks: number;
}

export type ChunkedIndex = VectorIndex & ChunkedBuild;

/** The index as a ChunkedIndex when it declares chunked builds, else null. */
export function asChunked(index: VectorIndex): ChunkedIndex | null {
  const c = index as Partial<ChunkedIndex>;
  return index.capabilities.chunkedBuild && typeof c.train === 'function' && typeof c.endBuild === 'function' ? (index as ChunkedIndex) : null;
}

/** Trains `index` on a seeded sample of `source`, then adds its rows chunk by chunk (ids 0..rows−1). */
export async function buildFromSource(index: VectorIndex, source: RowSource, opts: SourceBuildOptions = {}): Promise<SourceBuildReport> {
  const chunked = asChunked(index);
  if (!chunked) throw new Error(`${index.name}: no chunked build (capabilities.chunkedBuild is not set)`);
  const t0 = performance.now();
  const seed = opts.seed ?? 1234;
  const notes: string[] = [];
  const chunkRows = opts.chunkRows ?? chunkRowsFor(source.dim);
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new Error(`buildFromSource: chunkRows must be a positive integer, got ${chunkRows}`);
  // an index that learns nothing (defaultTrainRows 0: flat) reads no sample
  const wanted = chunked.defaultTrainRows() === 0 ? 0 : opts.trainRows ?? chunked.defaultTrainRows();
  let trainRows = 0;
  {
    // the sample goes out of scope before the first chunk is read
    let sample: Matrix;
    if (wanted === 0) sample = new Matrix(new Float32Array(0), 0, source.dim); // nothing to learn (flat)
    else {
      const picked = trainSampleRows(source.rows, wanted, seed, notes);
      sample = picked ? source.readRows(picked) : source.read(0, source.rows);
    }
    trainRows = sample.rows;
    notes.push(...(await chunked.train(sample, { seed, onProgress: opts.onProgress })).notes);
  }
  const t1 = performance.now();
  chunked.reserve?.(source.rows);
  let chunks = 0;
  // every chunk is read into one shared buffer (see SharedRows): the workers read it without a copy
  const into = new Float32Array(new SharedArrayBuffer(4 * Math.min(source.rows, chunkRows) * source.dim));
  for (const [s, e] of chunkRanges(source.rows, chunkRows)) {
    await chunked.add(source.read(s, e - s, { into }));
    chunks++;
    opts.onProgress?.(e, source.rows, 'adding chunks');
  }
  notes.push(...chunked.endBuild());
  const t2 = performance.now();
  if (chunks > 1) notes.push(`added in ${chunks} chunks of up to ${chunkRows} rows`);
  return { seconds: (t2 - t0) / 1000, trainSeconds: (t1 - t0) / 1000, addSeconds: (t2 - t1) / 1000, notes, trainRows, chunkRows, chunks };
}

/**
 * One shared buffer that rows are copied or written into, again and again (chunk reads use
 * RowSource's `into` the same way), for the worker threads to read without a copy of their own. A fresh SharedArrayBuffer per chunk would not do: one posted to a worker stays
 * resident until both threads happen to collect it, so a pass over a 10M-row file would keep
 * gigabytes of old chunks (measured: +64 MiB per 64 MiB chunk). The index must not keep the
 * matrix it is given (none of the chunked indexes does; flat copies the rows).
 */
export class SharedRows {
  private buf: Float32Array<ArrayBufferLike> = new Float32Array(0);
  constructor(readonly dim: number) {}

  /** `m`'s rows in the shared buffer (valid until the next call). */
  hold(m: Matrix): Matrix {
    const n = m.rows * this.dim;
    if (this.buf.length < n) this.buf = new Float32Array(new SharedArrayBuffer(n * 4));
    const view = this.buf.subarray(0, n);
    view.set(m.data.subarray(0, n));
    return new Matrix(view, m.rows, this.dim);
  }

  /** A shared matrix of `rows` rows (valid until the next call), contents undefined. */
  take(rows: number): Matrix {
    const n = rows * this.dim;
    if (this.buf.length < n) this.buf = new Float32Array(new SharedArrayBuffer(n * 4));
    return new Matrix(this.buf.subarray(0, n), rows, this.dim);
  }
}
