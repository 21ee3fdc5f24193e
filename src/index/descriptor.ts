/**
 * An index's descriptor: everything the harness knows about an index, declared in the index's own
 * file and listed once in src/index/registry.ts. CLI flags, task-file checks, help text, spec labels
 * (`ivfpq:nlist=1024,m=50`), the report's paper matching and the run estimator are generated from it;
 * a backend that cannot run on this machine says why from its own `unavailable()`.
 */
import type { DataShape } from '../core/cost.js';
import type { ParamSpecs, Resolved } from '../core/params.js';
import type { IndexCapabilities, VectorIndex } from './types.js';

/** Expected costs of one configuration, for the run estimator. */
export interface IndexCost {
  /** Seconds to build (train + add) over `rows` rows. */
  buildSeconds: number;
  /** Seconds per query, one thread, for resolved search parameters. */
  querySeconds(search: Record<string, unknown>): number;
  /** Seconds per row of a later `add` (incremental insert). */
  addSecondsPerRow: number;
}

/**
 * The memory model of one configuration: what the built index holds and what building it holds on
 * top, for the peak-RSS budget printed before a build (src/index/memory-budget.ts).
 */
export interface IndexMemoryModel {
  /** Bytes memoryBytes() reports once built over the rows (an estimate where counts depend on the data). */
  indexBytes: number;
  /** Extra bytes at the peak of an add: copies made while merging new codes into the stored ones. */
  addBytes: number;
  /** Float copies of the training sample alive while training (the sample itself counts 1). */
  trainCopies: number;
  /** Float copies of a chunk alive while it is added (the chunk itself counts 1). */
  chunkCopies: number;
}

/** The paper's row (Tables 2–4) an index configuration corresponds to. */
export interface PaperMatch {
  /** The paper's method name. */
  method: string;
  /** Our setting equals the paper's. */
  sameSetting: boolean;
  paperSetting: string;
}

export interface IndexDescriptor<B extends ParamSpecs = ParamSpecs, S extends ParamSpecs = ParamSpecs> {
  /** Registry id and the spec's first word: 'flat', 'ivfpq', 'hnsw', ... */
  readonly id: string;
  readonly describe: string;
  /** Build parameters (fixed per built index) and search parameters (swept on one build). */
  readonly buildParams: B;
  readonly searchParams: S;
  readonly capabilities: IndexCapabilities;
  /** Null when the backend can run here, else the one-sentence reason it is reported "not run". */
  unavailable(): string | null;
  /**
   * When `capabilities.remove` holds for some configurations only (faiss: by factory): the sentence
   * why this one cannot remove, else null. Absent: `capabilities.remove` says it for all.
   */
  removeUnsupported?(build: Resolved<B>): string | null;
  /** A new, unbuilt index (build params already resolved against `buildParams`). */
  create(build: Resolved<B>): VectorIndex;
  /** The cost model: build, per-query and per-inserted-row seconds over `rows` rows of `shape`. */
  cost(build: Resolved<B>, shape: DataShape, rows: number): IndexCost;
  /** The memory model over `rows` rows of dimension `dim`; absent: the budget says it is unknown. */
  memory?(build: Resolved<B>, dim: number, rows: number): IndexMemoryModel;
  /** The paper's row this configuration reproduces, if any. */
  paperMatch?(build: Resolved<B>): PaperMatch | null;
}

/** Identity, for type inference of a descriptor literal in the index's file. */
export function defineIndex<B extends ParamSpecs, S extends ParamSpecs>(d: IndexDescriptor<B, S>): IndexDescriptor<B, S> {
  return d;
}
