/**
 * Allocator of the wasm kernels' linear memory (one per thread): the resident blocks (data read by
 * many calls: `residentRows`, `WasmArray`, and through them the ADC codebooks), their release, and
 * the bump layout of each call's scratch.
 *
 * Layout: above `__heap_base` come the resident blocks (a first-fit allocator, freed blocks
 * reused), then the scratch of the call in progress (no scratch survives a call, except an
 * `AdcFrame` until the next call). Operands of the one-shot kernels are copied in, results out:
 * O(n·d) copies against O(n·m·d) arithmetic. The memory only grows, up to the resident blocks plus
 * the largest tile seen (bounded by the scratch budget per operand chunk, larger calls are split).
 */
import { PANEL, kernelExports as ex, wasmKernelsEnabled } from './loader.js';
import type { ScanMetric } from './kernels.js';

/** Scratch budget (in floats; 64 MB) for one call's operands; larger calls are split into chunks. */
let SCRATCH_FLOATS = 16 * 1024 * 1024;
const PAGE = 65536;
export const align64 = (bytes: number) => (bytes + 63) & ~63;
export const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** The current scratch budget in floats (the kernels split larger operands into chunks). */
export function scratchFloats(): number {
  return SCRATCH_FLOATS;
}

/** Sets the scratch budget in floats (tests use a tiny one to exercise the chunked paths). */
export function setWasmScratchFloats(n: number): number {
  const prev = SCRATCH_FLOATS;
  SCRATCH_FLOATS = Math.max(1024, Math.floor(n));
  return prev;
}

const heapBase = ex ? (ex.__heap_base.value + 63) & ~63 : 0;
/**
 * Float32 / Int32 views of the whole wasm memory (index = byte offset >> 2). Live bindings: they
 * are replaced when the memory grows, so read them after the last allocation or `commit`.
 */
export let f32 = new Float32Array(0);
export let i32 = new Int32Array(0);

/** Makes [heapBase, heapBase + bytes) addressable; refreshes the typed views after a grow. */
function reserve(bytes: number): void {
  const e = ex!;
  const need = heapBase + bytes;
  if (need > 0xffff0000) throw new RangeError(`wasm kernels: ${need} bytes exceed the 4 GB wasm32 memory`);
  const have = e.memory.buffer.byteLength;
  if (need > have) e.memory.grow(Math.ceil((need - have) / PAGE));
  if (f32.buffer !== e.memory.buffer) {
    f32 = new Float32Array(e.memory.buffer);
    i32 = new Int32Array(e.memory.buffer);
  }
}

/**
 * Resident blocks (packed centroids, an index's codes and tables: data the kernels read in place on
 * every call) live in [heapBase, residentTop), handed out first-fit from a free list; each call's
 * scratch starts above them. Freed space is reused (and the top given back); the wasm memory
 * itself never shrinks.
 */
let residentTop = heapBase;
/** Free spans below residentTop, sorted by offset, never adjacent (coalesced). */
const freeSpans: { at: number; bytes: number }[] = [];
/** Live blocks: offset → bytes (a double free is ignored). */
const liveBlocks = new Map<number, number>();
/** Bumped whenever a call lays out scratch: an AdcFrame is only valid while it is the latest. */
let scratchEpoch = 0;

/** The scratch layout's generation: changes whenever a call (or a new resident block) takes the scratch. */
export function currentScratchEpoch(): number {
  return scratchEpoch;
}

/** A 64-byte aligned block of `bytes` in wasm memory, or −1 when it does not fit (4 GB wasm32). */
function residentAlloc(bytes: number): number {
  const size = align64(Math.max(bytes, 1));
  for (let i = 0; i < freeSpans.length; i++) {
    const f = freeSpans[i];
    if (f.bytes < size) continue;
    const at = f.at;
    if (f.bytes === size) freeSpans.splice(i, 1);
    else { f.at += size; f.bytes -= size; }
    liveBlocks.set(at, size);
    return at;
  }
  const at = residentTop;
  if (at + size > 0xffff0000) return -1;
  try {
    reserve(at + size - heapBase);
  } catch {
    return -1; // the engine refused to grow the memory: the caller keeps its data on the JS heap
  }
  residentTop = at + size;
  scratchEpoch++; // the block takes the bottom of the scratch area: a live AdcFrame is void
  liveBlocks.set(at, size);
  return at;
}

function residentFree(at: number): void {
  const size = liveBlocks.get(at);
  if (size === undefined) return;
  liveBlocks.delete(at);
  let i = 0;
  while (i < freeSpans.length && freeSpans[i].at < at) i++;
  freeSpans.splice(i, 0, { at, bytes: size });
  // coalesce with the next, then with the previous span
  if (i + 1 < freeSpans.length && freeSpans[i].at + freeSpans[i].bytes === freeSpans[i + 1].at) {
    freeSpans[i].bytes += freeSpans[i + 1].bytes;
    freeSpans.splice(i + 1, 1);
  }
  if (i > 0 && freeSpans[i - 1].at + freeSpans[i - 1].bytes === freeSpans[i].at) {
    freeSpans[i - 1].bytes += freeSpans[i].bytes;
    freeSpans.splice(i, 1);
    i--;
  }
  // a free span ending at the top gives the top back
  const last = freeSpans[freeSpans.length - 1];
  if (last && last.at + last.bytes === residentTop) {
    residentTop = last.at;
    freeSpans.pop();
  }
}

/** Frees the block of a WasmArray / ResidentRows that was dropped without being freed. */
const reclaim = new FinalizationRegistry<number>((at) => residentFree(at));

/** Bytes held by live resident blocks in this thread (tests, memory reports). */
export function residentBytes(): number {
  let b = 0;
  for (const v of liveBlocks.values()) b += v;
  return b;
}

/** Bump layout of one call's scratch: byte offsets, 64-byte aligned. */
export class Layout {
  private top = residentTop;
  constructor() {
    scratchEpoch++;
  }
  take(floats: number): number {
    const at = this.top;
    this.top += (floats * 4 + 63) & ~63;
    return at;
  }
  commit(): void {
    reserve(this.top - heapBase);
  }
}

/** Copies rows [0, n) of `src` starting at `so` (dimension d) into wasm memory at byte offset `at`. */
export function copyIn(src: Float32Array, so: number, n: number, d: number, at: number): void {
  f32.set(src.subarray(so, so + n * d), at >> 2);
}

// ---- rows packed for the dense scans ------------------------------------------------------------

/** Rows packed into this thread's wasm memory once, for `knnResident` (kernels.ts). */
export interface ResidentRows {
  readonly n: number;
  readonly d: number;
  readonly metric: ScanMetric;
  /** Byte offsets in wasm memory: packed panels, then the squared norms (0 for 'ip'), padded with +Infinity. */
  readonly packed: number;
  readonly norms: number;
  readonly start: number;
  readonly end: number;
}

/**
 * Packs n rows of y into this thread's wasm memory (until `releaseResident`), so that
 * single-query scans (a flat index searched one query at a time, an IVF's coarse quantizer) stop
 * copying and packing the whole operand on every call. Null when the wasm kernels are off.
 */
export function residentRows(y: Float32Array, n: number, d: number, metric: ScanMetric): ResidentRows | null {
  if (!wasmKernelsEnabled() || n <= 0 || d <= 0) return null;
  const np = roundUp(n, PANEL);
  const bytes = align64(np * d * 4) + align64(np * 4);
  const start = residentAlloc(bytes);
  if (start < 0) return null;
  const packed = start, norms = packed + align64(np * d * 4), end = start + bytes;
  const L = new Layout(); // the raw copy is scratch above the resident blocks
  const raw = L.take(n * d);
  L.commit();
  copyIn(y, 0, n, d, raw);
  ex!.pack_panels(raw, n, d, d, packed);
  const nI = norms >> 2;
  if (metric === 'l2') ex!.row_norms(raw, n, d, d, norms);
  else f32.fill(0, nI, nI + n);
  f32.fill(Infinity, nI + n, nI + np);
  const r = { n, d, metric, packed, norms, start, end };
  reclaim.register(r, start, r);
  return r;
}

/**
 * Gives the block back (its space is reused by later resident blocks); a second release is a no-op.
 * A block whose ResidentRows is garbage-collected unreleased is given back then.
 */
export function releaseResident(r: ResidentRows): void {
  reclaim.unregister(r);
  residentFree(r.start);
}

// ---- arrays kept in wasm memory -------------------------------------------------------------------

type Typed = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float32Array;
type TypedCtor<T extends Typed> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; new (length: number): T; BYTES_PER_ELEMENT: number };


/**
 * A typed array stored in this thread's wasm memory, so that the kernels read it in place (an
 * index's codes, ids, precomputed tables): ONE copy, not a JS array plus a wasm copy. When the
 * module did not load (or the 4 GB wasm32 memory is full) it stays an ordinary JS array (`at` −1)
 * and only the JS kernels can use it. Its block is freed by `free()`, or when the WasmArray is
 * garbage-collected.
 *
 * `array` is a view, valid until the wasm memory next grows (any later kernel call or allocation
 * may grow it): take it again after such calls, never keep it.
 */
export class WasmArray<T extends Typed> {
  /** Byte offset in wasm memory, or −1 when the values are on the JS heap. */
  readonly at: number;
  readonly length: number;
  private readonly js: T | null;
  private readonly ctor: TypedCtor<T>;
  private freed = false;

  private constructor(ctor: TypedCtor<T>, length: number, at: number, js: T | null) {
    this.ctor = ctor;
    this.length = length;
    this.at = at;
    this.js = js;
    if (at >= 0) reclaim.register(this, at, this);
  }

  /** A copy of `src` (in wasm memory when possible). */
  static from<T extends Typed>(src: T): WasmArray<T> {
    const ctor = src.constructor as TypedCtor<T>;
    const at = ex && src.length > 0 ? residentAlloc(src.byteLength) : -1;
    if (at < 0) return new WasmArray(ctor, src.length, -1, src.slice() as T);
    const a = new WasmArray(ctor, src.length, at, null);
    a.array.set(src as never);
    return a;
  }

  /** An empty array. */
  static empty<T extends Typed>(ctor: TypedCtor<T>): WasmArray<T> {
    return new WasmArray(ctor, 0, -1, new ctor(0));
  }

  /** True when the values are in wasm memory (the wasm kernels can read them). */
  get resident(): boolean {
    return this.at >= 0 && !this.freed;
  }

  get bytesPerElement(): number {
    return this.ctor.BYTES_PER_ELEMENT;
  }

  get byteLength(): number {
    return this.length * this.ctor.BYTES_PER_ELEMENT;
  }

  /** The values: a view on wasm memory (see the class note) or the JS array. */
  get array(): T {
    if (this.js) return this.js;
    if (this.freed) throw new Error('WasmArray used after free()');
    return new this.ctor(ex!.memory.buffer, this.at, this.length);
  }

  /** Gives the wasm block back now (the array must not be used afterwards). */
  free(): void {
    if (this.at < 0 || this.freed) return;
    this.freed = true;
    reclaim.unregister(this);
    residentFree(this.at);
  }
}
