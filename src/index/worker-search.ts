/**
 * Worker side of batch and concurrent search (src/index/search-modes.ts runs these as kernel jobs
 * of src/core/parallel.ts). A worker restores its own copy of an index from a snapshot once and
 * keeps it by token (the two latest; an older one is closed), since the wasm memory is per thread.
 */
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compiledTwin } from '../core/compiled.js';
import { Matrix } from '../core/matrix.js';
import { violations, type SearchFilter } from './filter.js';
import type { IndexSnapshot, SearchOptions, SearchParams, SearchResult, VectorIndex } from './types.js';

const KEEP = 2;
const restoredByToken = new Map<string, Promise<VectorIndex>>();

/** A module URL this thread can import: a compiled worker loads a source module's compiled twin. */
function importable(module: string): string {
  if (!module.endsWith('.ts') || import.meta.url.endsWith('.ts')) return module;
  const twin = compiledTwin(module, './' + basename(new URL(module).pathname).replace(/\.ts$/, '.js'));
  if (!twin) throw new Error(`no compiled twin of ${module}: run npm run build`);
  return pathToFileURL(twin).href;
}

/** This thread's copy of the snapshot's index (restored on first use). */
export function restoredIndex(token: string, snap: IndexSnapshot): Promise<VectorIndex> {
  let p = restoredByToken.get(token);
  if (!p) {
    p = import(importable(snap.module)).then((m: Record<string, { restore(s: Record<string, unknown>): VectorIndex }>) => {
      const C = m[snap.exportName];
      if (!C || typeof C.restore !== 'function') throw new Error(`${snap.module} exports no ${snap.exportName}.restore`);
      return C.restore(snap.state);
    });
    restoredByToken.set(token, p);
    while (restoredByToken.size > KEEP) {
      const [old, q] = restoredByToken.entries().next().value as [string, Promise<VectorIndex>];
      restoredByToken.delete(old);
      void q.then((ix) => ix.close?.(), () => undefined);
    }
  }
  return p;
}

/** A search filter whose bitmap is in a SharedArrayBuffer (read in place by every worker), and the token workers keep it by. */
export interface SharedFilter {
  token: string;
  filter: SearchFilter;
}

const filtersByToken = new Map<string, SearchFilter>();

/**
 * This thread's object of a shared filter, the same one for every job of the token: the indexes
 * cache what they derive from a filter (a wasm copy of the bitmap, its ids) by identity.
 */
function filterOptions(f: SharedFilter | null | undefined): SearchOptions {
  if (!f) return {};
  let filter = filtersByToken.get(f.token);
  if (!filter) {
    filter = f.filter;
    filtersByToken.set(f.token, filter);
    while (filtersByToken.size > 8) filtersByToken.delete(filtersByToken.keys().next().value as string);
  }
  return { filter };
}

interface SearchArgs {
  token: string;
  snapshot: IndexSnapshot;
  queries: Float32Array;
  dim: number;
  k: number;
  params: SearchParams;
  /** A filtered search's filter (its bitmap shared, not copied), or null. */
  filter?: SharedFilter | null;
}

/** Batch: the queries [start, end) searched in blocks (as the index's own search of many does) into the shared outputs. */
export async function searchRangeTask(a: SearchArgs & { ids: Int32Array; dists: Float32Array }, start: number, end: number): Promise<void> {
  const index = await restoredIndex(a.token, a.snapshot);
  await searchRange(index, a.queries, a.dim, a.k, a.params, start, end, a.ids, a.dists, RANGE_BLOCK, filterOptions(a.filter));
}

/**
 * Queries per search call of a batch share: the index's block paths (tables of several queries
 * computed together) give the same answers as one query at a time (test/run/batch-mode.test.ts).
 */
export const RANGE_BLOCK = 64;

/** Queries [start, end) into ids / dists (row-major, k per query), `block` queries per search call: batch mode's per-thread loop. */
export async function searchRange(
  index: VectorIndex, queries: Float32Array, dim: number, k: number, params: SearchParams,
  start: number, end: number, ids: Int32Array, dists: Float32Array, block = RANGE_BLOCK, opts: SearchOptions = {},
): Promise<void> {
  const isAsync = index.capabilities.asyncSearch;
  for (let i = start; i < end; i += block) {
    const e = Math.min(end, i + block);
    const q = new Matrix(queries.subarray(i * dim, e * dim), e - i, dim);
    let r = index.search(q, k, params, opts);
    if (isAsync) r = await r;
    const res = r as SearchResult;
    ids.set(res.ids, i * k);
    dists.set(res.dists, i * k);
  }
}

/** The clock every thread shares (ms): performance.now() is relative to each thread's own start. */
export const sharedClock = (): number => performance.timeOrigin + performance.now();

/** Slots of the start barrier: clients ready, go flag; the deadline (shared clock, ms) is in `deadline[0]`. */
export const READY = 0, GO = 1;

/**
 * One concurrent client: restore, warm up, wait at the barrier, then search one query at a time
 * from its own offset until the deadline, writing its count and (up to `cap`) its latencies in ms.
 */
export async function clientTask(
  a: SearchArgs & { nq: number; offset: number; warmup: number; sync: Int32Array; deadline: Float64Array; counts: Float64Array; latencies: Float32Array; cap: number; violations?: Float64Array },
  client: number,
): Promise<void> {
  const index = await restoredIndex(a.token, a.snapshot);
  const opts = filterOptions(a.filter), filter = opts.filter ?? null;
  const rows = Array.from({ length: a.nq }, (_, i) => new Matrix(a.queries.subarray(i * a.dim, (i + 1) * a.dim), 1, a.dim));
  const isAsync = index.capabilities.asyncSearch;
  for (let w = 0; w < a.warmup; w++) {
    const r = index.search(rows[(a.offset + w) % a.nq], a.k, a.params, opts);
    if (isAsync) await r;
  }
  Atomics.add(a.sync, READY, 1);
  Atomics.notify(a.sync, READY);
  Atomics.wait(a.sync, GO, 0); // a worker may block: the barrier of a synced start
  const deadline = a.deadline[0], lat = a.latencies, base = client * a.cap;
  let n = 0, violated = 0;
  for (let i = a.offset; sharedClock() < deadline; i = (i + 1) % a.nq) {
    const t0 = performance.now();
    let r = index.search(rows[i], a.k, a.params, opts);
    if (isAsync) r = await r;
    if (n < a.cap) lat[base + n] = performance.now() - t0;
    n++;
    if (filter) violated += violations(filter, (r as SearchResult).ids); // after the clock: not part of the latency
  }
  a.counts[client] = n;
  if (a.violations) a.violations[client] = violated;
}
