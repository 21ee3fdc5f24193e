/**
 * Index snapshots for worker threads (batch and concurrent modes): the wasm kernels' memory is per
 * thread, so a worker cannot read the main thread's resident codes; it restores its own copy once
 * from a snapshot (cached by token in src/index/worker-search.ts). Typed arrays go into
 * SharedArrayBuffers: every job message then carries handles, not copies.
 */
import type { IndexSnapshot } from './types.js';

type Typed = Float32Array | Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array | Int8Array | Int16Array;

/** The array itself when it already lives in a SharedArrayBuffer, else a shared copy. */
export function sharedCopy<T extends Typed>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const C = a.constructor as new (b: SharedArrayBuffer) => T;
  const out = new C(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

/** Plain number arrays at least this long (a codebook in a quantizer's JSON) travel as shared Float64Arrays. */
const LONG_NUMBERS = 256;

/** Typed arrays (also inside plain arrays and objects) replaced by shared copies; long number arrays too (exact in float64). */
function share(v: unknown): unknown {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return sharedCopy(v as Typed);
  if (Array.isArray(v) && v.length >= LONG_NUMBERS && v.every((x) => typeof x === 'number')) return sharedCopy(Float64Array.from(v));
  if (Array.isArray(v)) return v.map(share);
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, share(x)]));
  }
  return v;
}

/** A snapshot of state restored by `exportName.restore(state)` of `module` (the index file's import.meta.url). */
export function indexSnapshot(module: string, exportName: string, state: Record<string, unknown>): IndexSnapshot {
  return { module, exportName, state: share(state) as Record<string, unknown> };
}

/** An instance of class C holding `fields` (for small value classes without a public constructor: OPQ's rotation). */
export function revive<T extends object>(C: { prototype: T }, fields: Record<string, unknown>): T {
  return Object.assign(Object.create(C.prototype) as T, fields);
}
