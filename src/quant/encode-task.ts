/** Worker entry point of encodeParallel (src/quant/encode-parallel.ts): rebuild the quantizer, encode a chunk. */
import { Matrix } from '../core/matrix.js';
import { writeChunk } from './encode-parallel.js';
import { quantizerFromJSON } from './registry.js';
import type { QuantizerState } from './types.js';

export function encodeTask(a: Record<string, any>, start: number, end: number): void {
  const q = quantizerFromJSON(a.state as QuantizerState);
  writeChunk(q, new Matrix(a.x, a.rows, a.dim), start, end, a.codes, a.weights, a.init);
}
