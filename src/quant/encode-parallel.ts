/**
 * Encoding on all threads: the rows are split into chunks, each worker rebuilds the quantizer from
 * its JSON state (a few ms) and encodes its chunk into shared code arrays. Quantizers keep a
 * synchronous `encode`; training loops and jobs that encode many rows call this instead.
 */
import { Matrix } from '../core/matrix.js';
import { parallelRows, shared } from '../core/parallel.js';
import type { CodebookQuantizer } from './codebook-quantizer.js';
import { quantizerFromJSON } from './registry.js';
import type { Codes, QuantizerState } from './types.js';

const THIS_MODULE = import.meta.url;

export async function encodeParallel(q: CodebookQuantizer, x: Matrix): Promise<Codes> {
  const { books } = q;
  const flops = 2 * x.rows * books * q.size * x.dim;
  if (flops < 2e8) return q.encode(x);
  const codes = new Uint16Array(new SharedArrayBuffer(x.rows * books * 2));
  const weights = q.storesWeights ? new Uint16Array(new SharedArrayBuffer(x.rows * books * 2)) : undefined;
  const xs = shared(x.data);
  const local = (s: number, e: number) => writeChunk(q, new Matrix(xs, x.rows, x.dim), s, e, codes, weights);
  await parallelRows(
    { module: THIS_MODULE, fn: 'encodeTask', args: { state: q.toJSON(), x: xs, rows: x.rows, dim: x.dim, codes, weights } },
    x.rows, flops, local,
  );
  return { n: x.rows, books, codes, weights };
}

function writeChunk(q: CodebookQuantizer, x: Matrix, s: number, e: number, codes: Uint16Array, weights?: Uint16Array): void {
  const c = q.encode(x.sliceRows(s, e));
  codes.set(c.codes, s * q.books);
  if (weights && c.weights) weights.set(c.weights, s * q.books);
}

/** Worker entry point. */
export function encodeTask(a: Record<string, any>, start: number, end: number): void {
  const q = quantizerFromJSON(a.state as QuantizerState);
  writeChunk(q, new Matrix(a.x, a.rows, a.dim), start, end, a.codes, a.weights);
}
