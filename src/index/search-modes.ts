/**
 * Batch and concurrent search, the workloads of ann-benchmarks' `--batch` and VectorDBBench's
 * concurrency levels, dispatched by what the index offers:
 *  - `searchBatch` (faiss: search(nq) on OpenMP threads; flat: k-NN tiles on the kernel threads);
 *  - `snapshot` (own indexes, hnswlib): worker threads each restore a copy once (batch: one
 *    contiguous share of the queries per thread, searched in blocks of 64, the main thread taking
 *    the last share; concurrency: one worker per client, one query at a time);
 *  - asyncSearch (LanceDB, pgvector): a pool of async clients in this thread, each awaiting one
 *    query at a time (the database does the parallel work).
 * An index with none of these cannot run either mode (its descriptor says `batch: false`).
 */
import { randomUUID } from 'node:crypto';
import { InputError, UnavailableError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { getThreads, runJobOnWorker, type KernelJob } from '../core/parallel.js';
import { Rng } from '../core/rng.js';
import { violations, type SearchFilter } from './filter.js';
import { sharedCopy } from './snapshot.js';
import type { IndexSnapshot, SearchOptions, SearchParams, SearchResult, VectorIndex } from './types.js';
import { GO, RANGE_BLOCK, READY, searchRange, sharedClock, type SharedFilter } from './worker-search.js';

const WORKER_MODULE = new URL(import.meta.url.endsWith('.ts') ? './worker-search.ts' : './worker-search.js', import.meta.url).href;

/** One snapshot per index and size (taken once, reused by every run and level). */
const snapshots = new WeakMap<VectorIndex, { size: number; token: string; snap: IndexSnapshot }>();

async function snapshotOf(index: VectorIndex): Promise<{ token: string; snap: IndexSnapshot }> {
  const held = snapshots.get(index);
  if (held && held.size === index.size) return held;
  const snap = await index.snapshot!();
  const entry = { size: index.size, token: randomUUID(), snap };
  snapshots.set(index, entry);
  return entry;
}

/** Each filter's bitmap in a SharedArrayBuffer with a token: one copy per filter, which every worker job reads in place (workers keep it by token). */
const sharedFilters = new WeakMap<SearchFilter, SharedFilter>();

function sharedFilter(f: SearchFilter | undefined): SharedFilter | null {
  if (!f) return null;
  let held = sharedFilters.get(f);
  if (!held) {
    held = { token: randomUUID(), filter: { ...f, allowed: sharedCopy(f.allowed) } };
    sharedFilters.set(f, held);
  }
  return held;
}

/** How an index runs a batch: a sentence for the record's note. */
export function batchHow(index: VectorIndex, threads: number): string {
  if (index.searchBatch) return index.name === 'faiss' ? `faiss search(nq) in one call on ${threads} OpenMP threads` : `one search call of all queries on ${threads} threads`;
  if (index.snapshot) return `the queries split over ${threads} threads (${threads - 1} worker threads with a restored copy, and this one), searched in blocks of ${RANGE_BLOCK}`;
  if (index.capabilities.asyncSearch) return `${threads} concurrent async clients from one pool, one query at a time each (the database runs them in parallel)`;
  return 'not supported';
}

function unsupported(index: VectorIndex, mode: string): never {
  throw new UnavailableError(`${index.name} cannot run ${mode}: it has no batch search, no snapshot for worker threads and no async search.`);
}

/**
 * All queries, on `threads` threads (default: the kernels' thread count, --threads / VQBENCH_THREADS).
 * With a filter (`opts.filter`), an index's own searchBatch (which takes none) is passed over for its
 * snapshot's worker threads or its async clients, each search given the filter.
 */
export async function searchBatch(
  index: VectorIndex, q: Matrix, k: number, params: SearchParams = {}, threads = getThreads(), opts: SearchOptions = {},
): Promise<SearchResult> {
  if (opts.filter) checkFilterable(index, 'in batch mode');
  else if (index.searchBatch) return index.searchBatch(q, k, params, threads);
  const nq = q.rows;
  if (index.snapshot) {
    const ids = new Int32Array(new SharedArrayBuffer(nq * k * 4)), dists = new Float32Array(new SharedArrayBuffer(nq * k * 4));
    const t = Math.max(1, Math.min(threads, nq));
    const chunk = Math.ceil(nq / t);
    const pending: Promise<void>[] = [];
    if (t > 1) {
      const { token, snap } = await snapshotOf(index);
      const job: KernelJob = { module: WORKER_MODULE, fn: 'searchRangeTask', args: { token, snapshot: snap, queries: sharedCopy(q.data), dim: q.dim, k, params, ids, dists, filter: sharedFilter(opts.filter) } };
      for (let w = 0; w < t - 1; w++) pending.push(runJobOnWorker(w, job, w * chunk, Math.min(nq, (w + 1) * chunk)));
    }
    await searchRange(index, q.data, q.dim, k, params, Math.min(nq, (t - 1) * chunk), nq, ids, dists, RANGE_BLOCK, opts);
    await Promise.all(pending);
    return { nq, k, ids: new Int32Array(ids), dists: new Float32Array(dists) };
  }
  if (index.capabilities.asyncSearch) {
    const ids = new Int32Array(nq * k), dists = new Float32Array(nq * k);
    let next = 0;
    const client = async () => {
      for (let i = next++; i < nq; i = next++) await searchRange(index, q.data, q.dim, k, params, i, i + 1, ids, dists, 1, opts);
    };
    await Promise.all(Array.from({ length: Math.max(1, threads) }, client));
    return { nq, k, ids, dists };
  }
  return unsupported(index, 'batch mode');
}

/** Refuses a filter the index cannot apply in `mode` (a searchBatch of its own only, no worker snapshot or async search): an InputError naming --filter. */
export function checkFilterable(index: VectorIndex, mode: 'in batch mode' | 'for concurrent clients'): void {
  if (!index.capabilities.filter) throw new InputError(`--filter: ${index.name} cannot filter its search, neither one query at a time nor ${mode}.`);
  if (!index.snapshot && !index.capabilities.asyncSearch) throw new InputError(`--filter: ${index.name} cannot filter ${mode} (its own batch search takes no filter and it has no snapshot for worker threads).`);
}

export interface ClientsRun {
  clients: number;
  /** Queries completed by all clients. */
  queries: number;
  /** Wall seconds from the synced start until the last client stopped. */
  seconds: number;
  /** Latencies in ms of every client's queries (up to a cap per client). */
  latenciesMs: Float64Array;
  /** How the clients ran (worker threads / async pool). */
  how: string;
  /** With a filter: returned ids (of every query done) that do not pass it (0 for a correct filter); else null. */
  violations: number | null;
}

/** Latencies kept per client (at most): the percentiles of a longer run come from its first ones. */
export const LATENCY_CAP = 1 << 20;

/**
 * `clients` concurrent clients, each searching one query at a time from its own seeded random offset
 * until `seconds` after a synced start (VectorDBBench's mp_runner); untimed warm-up first.
 */
export async function runClients(
  index: VectorIndex, q: Matrix, k: number, params: SearchParams,
  o: { clients: number; seconds: number; seed: number; warmup?: number; filter?: SearchFilter },
): Promise<ClientsRun> {
  if (o.filter) checkFilterable(index, 'for concurrent clients');
  const opts: SearchOptions = o.filter ? { filter: o.filter } : {};
  const nq = q.rows, rng = new Rng(o.seed);
  const offsets = Array.from({ length: o.clients }, () => rng.int(nq));
  const warmup = Math.min(o.warmup ?? 20, nq);
  const ms = o.seconds * 1000;
  if (index.snapshot) {
    const { token, snap } = await snapshotOf(index);
    const cap = Math.min(LATENCY_CAP, Math.max(4096, Math.ceil(ms * 1000))); // up to 1M QPS per client, 4 MB of latencies at most
    const sync = new Int32Array(new SharedArrayBuffer(8)), deadline = new Float64Array(new SharedArrayBuffer(8));
    const counts = new Float64Array(new SharedArrayBuffer(8 * o.clients)), violatedPerClient = new Float64Array(new SharedArrayBuffer(8 * o.clients)), latencies = new Float32Array(new SharedArrayBuffer(4 * o.clients * cap));
    const queries = sharedCopy(q.data);
    const jobs = offsets.map((offset, c) => runJobOnWorker(c, {
      module: WORKER_MODULE, fn: 'clientTask',
      args: { token, snapshot: snap, queries, dim: q.dim, nq, k, params, offset, warmup, sync, deadline, counts, latencies, cap, filter: sharedFilter(o.filter), violations: violatedPerClient },
    }, c, c + 1));
    let ended = false;
    const all = Promise.all(jobs).finally(() => (ended = true));
    try {
      await Promise.race([all, allReady(sync, o.clients, () => ended)]);
    } catch (e) {
      // a client failed before the start: release the others from the barrier (deadline passed) before going on
      Atomics.store(sync, GO, 1);
      Atomics.notify(sync, GO);
      await Promise.allSettled(jobs);
      throw e;
    }
    const start = sharedClock();
    deadline[0] = start + ms;
    Atomics.store(sync, GO, 1);
    Atomics.notify(sync, GO);
    await all;
    const seconds = (sharedClock() - start) / 1000;
    const kept: number[] = [];
    let queriesDone = 0, violated = 0;
    for (let c = 0; c < o.clients; c++) {
      queriesDone += counts[c];
      violated += violatedPerClient[c];
      for (let i = 0, n = Math.min(cap, counts[c]); i < n; i++) kept.push(latencies[c * cap + i]);
    }
    return { clients: o.clients, queries: queriesDone, seconds, latenciesMs: Float64Array.from(kept), how: `${o.clients} worker threads, each with a restored copy of the index`, violations: o.filter ? violated : null };
  }
  if (index.capabilities.asyncSearch) {
    const rows = Array.from({ length: nq }, (_, i) => q.sliceRows(i, i + 1));
    for (let w = 0; w < warmup; w++) await index.search(rows[w], k, params, opts);
    const lat: number[] = [];
    let done = 0, violated = 0;
    const start = sharedClock(), end = start + ms;
    const client = async (offset: number) => {
      for (let i = offset; sharedClock() < end; i = (i + 1) % nq) {
        const t0 = performance.now();
        const r = await index.search(rows[i], k, params, opts);
        lat.push(performance.now() - t0);
        done++;
        if (o.filter) violated += violations(o.filter, r.ids);
      }
    };
    await Promise.all(offsets.map(client));
    return { clients: o.clients, queries: done, seconds: (sharedClock() - start) / 1000, latenciesMs: Float64Array.from(lat), how: `${o.clients} concurrent async clients in one pool`, violations: o.filter ? violated : null };
  }
  return unsupported(index, 'concurrent clients');
}

/** Resolves once `n` clients have reached the barrier, or `stopped()` says the clients ended (an error). */
async function allReady(sync: Int32Array, n: number, stopped: () => boolean): Promise<void> {
  while (Atomics.load(sync, READY) < n && !stopped()) await new Promise((r) => setTimeout(r, 1));
}
