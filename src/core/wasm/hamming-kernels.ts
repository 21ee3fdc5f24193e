/**
 * The binary index's Hamming scan in wasm (kernels.c `hamming_scan`: popcount of the XOR, 64 bits
 * at a time, i64.popcnt): packed sign bits kept in wasm memory (a WasmArray, as the PQ indexes keep
 * their codes), each query's words and top-k heap laid out in the call's scratch, the heaps sorted
 * by `topk_finish`. Pushes are the JS scan's (src/core/hamming.ts), so the answers are the same.
 */
import { kernelExports as ex, wasmKernelsEnabled } from './loader.js';
import { Layout, type WasmArray, f32, i32, scratchFloats } from './memory.js';

/**
 * The k smallest Hamming distances of each of nq queries (w words each, qBits) to the n code rows
 * (w words each, resident in wasm memory), as positions 0..n−1, sorted by (distance, position) and
 * padded with (Infinity, −1), into outIds / outDists (nq·k each). False (nothing written) when the
 * wasm kernels are off or the codes are not resident.
 */
export function hammingTopKWasm(
  codes: WasmArray<Uint32Array>, n: number, w: number, qBits: Uint32Array, nq: number, k: number, outIds: Int32Array, outDists: Float32Array,
): boolean {
  if (!ex || !wasmKernelsEnabled() || !codes.resident || n <= 0) return false;
  // queries per block: their words and heaps within the scratch budget
  const block = Math.max(1, Math.min(nq, Math.floor(scratchFloats() / (w + 2 * k + 1))));
  for (let q0 = 0; q0 < nq; q0 += block) {
    const nb = Math.min(block, nq - q0);
    const L = new Layout();
    const qAt = L.take(nb * w), hd = L.take(nb * k), hi = L.take(nb * k), hn = L.take(nb);
    L.commit();
    // the words go in through the Int32 view (same bits)
    i32.set(new Int32Array(qBits.buffer, qBits.byteOffset + q0 * w * 4, nb * w), qAt >> 2);
    i32.fill(0, hn >> 2, (hn >> 2) + nb);
    for (let i = 0; i < nb; i++) ex.hamming_scan(codes.at, n, w, qAt + i * w * 4, 0, k, hd + i * k * 4, hi + i * k * 4, hn + i * 4);
    ex.topk_finish(nb, k, hd, hi, hn, 1);
    outIds.set(i32.subarray(hi >> 2, (hi >> 2) + nb * k), q0 * k);
    outDists.set(f32.subarray(hd >> 2, (hd >> 2) + nb * k), q0 * k);
  }
  return true;
}
