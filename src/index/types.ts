/**
 * The `VectorIndex` interface: every index (ours, hnswlib, faiss, LanceDB) is one file behind it.
 * Build options and search parameters are separate, named, defaulted objects (faiss's
 * SearchParameters, lancedb's options): a sweep builds once and varies only the search parameters.
 */
import type { Matrix } from '../core/matrix.js';
import type { ProgressFn } from '../core/progress.js';
import type { SearchFilter } from './filter.js';

/** How neighbours are ranked: squared L2 ascending, or inner product descending. */
export type IndexMetric = 'l2' | 'ip';

export interface BuildOptions {
  /** Seed of every random choice (training samples, k-means init, HNSW levels). Default 1234. */
  seed?: number;
  /** Rows used to train codebooks / coarse quantizers (a seeded sample of x). Default: index-specific. */
  trainRows?: number;
  onProgress?: ProgressFn;
}

export interface BuildReport {
  seconds: number;
  /** Free-form notes of what the build did (sample sizes, empty lists, fallbacks). */
  notes: string[];
}

/** Search-time settings; each index reads the fields it knows and rejects unknown ones. */
export type SearchParams = Record<string, number | string | boolean | null>;

/** Per-call search options beside the parameters. */
export interface SearchOptions {
  /** Only ids passing the filter are returned (capabilities.filter); fewer than k pad with −1. */
  filter?: SearchFilter;
}

/**
 * k ids and distances per query, row-major (nq × k), best first. Distances are squared L2 (ascending)
 * or inner products (descending) as the index's metric says. Rows with fewer than k hits are padded
 * with id −1 and distance ±Infinity.
 */
export interface SearchResult {
  nq: number;
  k: number;
  ids: Int32Array;
  dists: Float32Array;
}

/** Where an index's bytes go; absent parts are 0. `total` is what `memoryBytes()` returns. */
export interface MemoryBreakdown {
  /** Compressed codes (and per-vector weights / norms stored beside them). */
  codes: number;
  /** Inverted lists: ids and list offsets. */
  lists: number;
  /** Graph links (HNSW). */
  graph: number;
  /** Codebooks, coarse centroids, lookup tables fixed at build time. */
  codebooks: number;
  /** Raw float vectors kept by the index (flat, HNSW, re-rank). */
  vectors: number;
  total: number;
}

/** Optional abilities, declared rather than probed at run time. */
export interface IndexCapabilities {
  /** `add` after `build` is supported (incremental insert). */
  add: boolean;
  /** Vectors can be removed by id after `build` (streaming workloads). */
  remove: boolean;
  /** Search can be restricted to ids passing a filter (filtered search). */
  filter: boolean;
  /** Many queries in one call are faster than one at a time (batch mode). */
  batch: boolean;
  /** Build or search uses more than one thread when given them. */
  threads: boolean;
  /** Metrics the index ranks by. */
  metrics: readonly IndexMetric[];
  /** `search` returns a Promise (LanceDB): the evaluator awaits it. */
  asyncSearch: boolean;
  /** memoryBreakdown() is the index's exact own bytes (false: an estimate, e.g. a native library). */
  exactMemory: boolean;
  /**
   * Trains on a sample, then takes the base chunk by chunk (`ChunkedBuild`, src/index/chunked-build.ts):
   * only codes and index structures stay resident. Absent = false.
   */
  chunkedBuild?: boolean;
}

/**
 * A build in steps, for a base read chunk by chunk: `build(x)` is exactly `train(seeded sample of x)`,
 * `add(x)`, `endBuild()`, so a chunked build gives the same index as a whole one.
 */
export interface ChunkedBuild {
  /** Rows of the seeded training sample `build` draws when BuildOptions.trainRows is not given. */
  defaultTrainRows(): number;
  /** Trains on `sample` (already drawn by the caller) and leaves the index empty, ready for `add`. */
  train(sample: Matrix, opts?: BuildOptions): Promise<BuildReport>;
  /** Room for `rows` rows in all, when known before the adds (saves copying a growing array). */
  reserve?(rows: number): void;
  /** After the last add: freezes what the build derives from the whole base; returns the build's closing notes. */
  endBuild(): string[];
}

export interface VectorIndex {
  /** Registry id: 'flat', 'pq', 'ivfpq', 'wrvq', 'hnsw', 'faiss', 'lancedb'. */
  readonly name: string;
  /** Canonical configuration name, e.g. `ivfpq(nlist=1024,m=50,nbits=8)`: result paths, chart labels. */
  readonly label: string;
  readonly metric: IndexMetric;
  readonly capabilities: IndexCapabilities;
  /** Bits stored per vector by the index's codes (32·d for raw float32), for equal-bits comparisons. */
  readonly bitsPerVector: number;
  /** Number of vectors indexed. */
  readonly size: number;
  build(x: Matrix, opts?: BuildOptions): Promise<BuildReport>;
  /** Incremental insert; ids default to size, size+1, ... */
  add(x: Matrix, ids?: Uint32Array): Promise<void>;
  search(q: Matrix, k: number, params?: SearchParams, opts?: SearchOptions): SearchResult | Promise<SearchResult>;
  memoryBytes(): number;
  memoryBreakdown(): MemoryBreakdown;
  /**
   * Removes the vectors with these ids (streaming workloads); returns how many were removed (ids not
   * held are skipped). Present only when `capabilities.remove` is true; a later search never returns them.
   */
  remove?(ids: Uint32Array): Promise<number>;
  /** Releases native resources / temporary folders. */
  close?(): Promise<void>;
  /** A copy a worker thread can restore and search (batch and concurrent modes: src/index/worker-search.ts). */
  snapshot?(): IndexSnapshot | Promise<IndexSnapshot>;
  /** All queries in one call on `threads` threads, for an index that threads its own search (faiss's OpenMP, flat's k-NN tiles). */
  searchBatch?(q: Matrix, k: number, params: SearchParams | undefined, threads: number): Promise<SearchResult>;
}

/**
 * What a worker needs to rebuild a searchable copy of an index: the module and exported class whose
 * static `restore(state)` rebuilds it, and the state (typed arrays in SharedArrayBuffers, so a job
 * message passes them without copying; a file path for native indexes).
 */
export interface IndexSnapshot {
  module: string;
  exportName: string;
  state: Record<string, unknown>;
}

export function memoryBreakdown(parts: Partial<Omit<MemoryBreakdown, 'total'>>): MemoryBreakdown {
  const b = { codes: 0, lists: 0, graph: 0, codebooks: 0, vectors: 0, ...parts };
  return { ...b, total: b.codes + b.lists + b.graph + b.codebooks + b.vectors };
}
