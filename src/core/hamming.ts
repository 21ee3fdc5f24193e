/**
 * Hamming top-k over packed sign bits (the binary index's scan, sentence-transformers' binary
 * search): rows of w 32-bit words, the distance of a row to a query the popcount of their XOR. One
 * JS kernel (SWAR popcount over 32-bit words) and the wasm one (src/core/wasm/hamming-kernels.ts,
 * i64.popcnt over 64-bit words), which offer the same candidates to the same heaps in the same
 * order, so their answers are identical; `hammingTopK` takes the wasm path when it can.
 */
import { TopK } from './topk.js';
import { hammingTopKWasm } from './wasm/hamming-kernels.js';
import type { WasmArray } from './wasm/memory.js';

/** Bits (one 0/1 code per dimension, n rows) packed little-endian into ceil(d/32) words per row. */
export function packBits(codes: Uint16Array, n: number, d: number): Uint32Array {
  const w = Math.ceil(d / 32), out = new Uint32Array(n * w);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) if (codes[i * d + j]) out[i * w + (j >>> 5)] |= 1 << (j & 31);
  return out;
}

/** Set bits of a 32-bit word (SWAR). */
export function popcount32(v: number): number {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

export interface HammingTopK {
  /** Positions of the code rows, nq × k, ascending by (distance, position); −1 past the rows. */
  ids: Int32Array;
  /** Hamming distances (Infinity past the rows). */
  dists: Float32Array;
}

/** The JS scan: every row against every query, pushed when strictly below the query's k-th distance. */
export function hammingTopKJs(codes: Uint32Array, n: number, w: number, qBits: Uint32Array, nq: number, k: number): HammingTopK {
  const heap = new TopK(nq, k);
  for (let i = 0; i < nq; i++) {
    let worst = heap.worst(i);
    const qo = i * w;
    for (let t = 0; t < n; t++) {
      let h = 0;
      for (let j = 0, o = t * w; j < w; j++) h += popcount32(qBits[qo + j] ^ codes[o + j]);
      if (h < worst) {
        heap.push(i, h, t);
        worst = heap.worst(i);
      }
    }
  }
  return heap.sort();
}

/** The k nearest code rows of each query by Hamming distance: the wasm kernel when the codes are resident and it is on, else the JS one. */
export function hammingTopK(codes: WasmArray<Uint32Array>, n: number, w: number, qBits: Uint32Array, nq: number, k: number): HammingTopK {
  const ids = new Int32Array(nq * k), dists = new Float32Array(nq * k);
  if (hammingTopKWasm(codes, n, w, qBits, nq, k, ids, dists)) return { ids, dists };
  return hammingTopKJs(codes.array, n, w, qBits, nq, k);
}
