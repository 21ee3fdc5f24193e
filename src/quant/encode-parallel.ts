/**
 * Encoding on all threads: the rows are split into chunks, each worker rebuilds the quantizer from
 * its JSON state (a few ms) and encodes its chunk into shared code arrays. Quantizers keep a
 * synchronous `encode`; training loops and jobs that encode many rows call this instead.
 */
import { Matrix } from '../core/matrix.js';
import { parallelRows, shared } from '../core/parallel.js';
import type { CodebookQuantizer } from './codebook-quantizer.js';
import type { Codes } from './types.js';

/**
 * The workers' entry point lives in encode-task.ts, which needs the registry (to rebuild any
 * quantizer from its state); this module must not import it, since the quantizers import this one.
 */
const TASK_MODULE = new URL(import.meta.url.endsWith('.ts') ? './encode-task.ts' : './encode-task.js', import.meta.url).href;

/** `init`: starting codes for a local-search encoder (see CodebookQuantizer.encode). */
export async function encodeParallel(q: CodebookQuantizer, x: Matrix, init?: Uint16Array): Promise<Codes> {
  const { books } = q;
  const flops = 2 * x.rows * books * q.size * x.dim;
  if (flops < 2e8) return q.encode(x, init);
  const codes = new Uint16Array(new SharedArrayBuffer(x.rows * books * 2));
  const weights = q.storesWeights ? new Uint16Array(new SharedArrayBuffer(x.rows * books * 2)) : undefined;
  const xs = shared(x.data);
  const start = init && shareCodes(init);
  const local = (s: number, e: number) => writeChunk(q, new Matrix(xs, x.rows, x.dim), s, e, codes, weights, start);
  await parallelRows(
    { module: TASK_MODULE, fn: 'encodeTask', args: { state: q.toJSON(), x: xs, rows: x.rows, dim: x.dim, codes, weights, init: start } },
    x.rows, flops, local,
  );
  return { n: x.rows, books, codes, weights };
}

/** Encodes rows [s, e) of x into the shared code (and weight) arrays. */
export function writeChunk(q: CodebookQuantizer, x: Matrix, s: number, e: number, codes: Uint16Array, weights?: Uint16Array, init?: Uint16Array): void {
  const c = q.encode(x.sliceRows(s, e), init?.subarray(s * q.books, e * q.books));
  codes.set(c.codes, s * q.books);
  if (weights && c.weights) weights.set(c.weights, s * q.books);
}

function shareCodes(a: Uint16Array): Uint16Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const s = new Uint16Array(new SharedArrayBuffer(a.byteLength));
  s.set(a);
  return s;
}
