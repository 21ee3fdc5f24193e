/**
 * Per-item values beside a cell's result (`raw/<cell>/…`): one float64 1-d `.npy` file per series
 * (the squared error of each evaluation row, the score of each query or test example), readable by
 * numpy as is. What a bootstrap interval or a paired difference resamples, so that `vqbench report`
 * and `vqbench compare` can recompute them from the run folder alone.
 */
import { writeFileAtomic } from '../core/atomic.js';
import { InputError } from '../core/errors.js';
import { parseNpyHeader } from '../data/npy.js';
import { readInput } from '../data/files.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** The bytes of a float64 v1.0 1-d .npy file. */
export function encodePerItem(values: ArrayLike<number>): Uint8Array {
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${values.length},), }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + values.length * 8);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const data = new Float64Array(out.buffer, total, values.length);
  for (let i = 0; i < values.length; i++) data[i] = values[i];
  return out;
}

/** Writes per-item values as a float64 .npy file, atomically (folders created). */
export function writePerItem(path: string, values: ArrayLike<number>): void {
  writeFileAtomic(path, encodePerItem(values));
}

/** Reads a 1-d float64 (or float32) .npy file of per-item values; a malformed or truncated file is an InputError naming it. */
export function readPerItem(path: string): Float64Array {
  const buf = readInput(path);
  const h = parseNpyHeader(buf, path);
  if (h.descr !== '<f8' && h.descr !== '<f4') throw new InputError(`${path} holds dtype '${h.descr}', not the float64 per-item values vqbench writes.`);
  if (h.shape.length !== 1) throw new InputError(`${path} holds an array of shape (${h.shape.join(', ')}), not a 1-d list of per-item values.`);
  const size = h.descr === '<f8' ? 8 : 4;
  const n = h.shape[0];
  const have = buf.length - h.dataOffset;
  if (have !== n * size) throw new InputError(`${path} is ${have < n * size ? 'truncated' : 'corrupt'}: its header promises ${n} values (${n * size} bytes) but ${have} bytes follow.`);
  const view = new DataView(buf.buffer, buf.byteOffset + h.dataOffset, n * size);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = size === 8 ? view.getFloat64(8 * i, true) : view.getFloat32(4 * i, true);
  return out;
}
