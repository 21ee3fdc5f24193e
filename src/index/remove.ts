/**
 * What every own index's `remove(ids)` shares: which stored rows go (a keep mask over positions,
 * from the stored ids and the ids asked for), and the stored arrays compacted to the rows kept, in
 * their order (sorted layouts stay sorted, CSR lists stay grouped). One pass over the rows, no
 * per-row allocation.
 */
import { WasmArray } from '../core/wasm/memory.js';

/** keep[p] = 0 for the stored rows whose id is in `remove`, 1 otherwise; `removed` = how many went. */
export function keepMask(stored: ArrayLike<number>, remove: Uint32Array): { keep: Uint8Array; removed: number } {
  const gone = new Set<number>();
  for (let i = 0; i < remove.length; i++) gone.add(remove[i]);
  const n = stored.length, keep = new Uint8Array(n);
  let removed = 0;
  for (let p = 0; p < n; p++) {
    if (gone.has(stored[p])) removed++;
    else keep[p] = 1;
  }
  return { keep, removed };
}

type Rows = Uint8Array | Uint16Array | Int32Array | Uint32Array | Float32Array;

/** The rows (`stride` values each) of `a` whose keep flag is set, in order, in a new array of a's type. */
export function keepRows<T extends Rows>(a: T, keep: Uint8Array, stride: number, kept: number): T {
  const out = new (a.constructor as new (n: number) => T)(kept * stride);
  let o = 0;
  for (let p = 0; p < keep.length; p++) {
    if (!keep[p]) continue;
    if (stride === 1) out[o++] = a[p];
    else {
      out.set(a.subarray(p * stride, (p + 1) * stride), o);
      o += stride;
    }
  }
  return out;
}

/** CSR offsets (`starts`, one list after another) after dropping the rows whose keep flag is 0. */
export function keptStarts(starts: Uint32Array, keep: Uint8Array): Uint32Array {
  const nlist = starts.length - 1, out = new Uint32Array(nlist + 1);
  for (let l = 0; l < nlist; l++) {
    let n = 0;
    for (let p = starts[l]; p < starts[l + 1]; p++) n += keep[p];
    out[l + 1] = out[l] + n;
  }
  return out;
}

/** `next` in wasm memory (when the kernels load) in place of `old`, which is freed: a compacted or grown resident array. */
export function replaceResident<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float32Array>(old: WasmArray<T>, next: T): WasmArray<T> {
  old.free();
  return WasmArray.from(next);
}
