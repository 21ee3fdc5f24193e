/**
 * The index registry: a frozen map from id to its description, its build and search parameters
 * (each with default and description, see params.ts), its declared capabilities and a factory.
 * Adding an index is one file plus one entry here. Duplicate ids throw at load; an unknown id gets
 * "did you mean"; unknown or ill-typed parameters are InputErrors naming the flag.
 */
import { InputError } from '../core/errors.js';
import { didYouMean } from '../core/names.js';
import { frozenRegistry } from '../core/registry.js';
import { FLAT_BUILD_PARAMS, FLAT_SEARCH_PARAMS, FlatIndex } from './flat.js';
import { IVFPQ_BUILD_PARAMS, IVFPQ_SEARCH_PARAMS, IvfPqIndex } from './ivfpq.js';
import { resolveParams, type ParamSpecs, type ParamValue } from '../core/params.js';
import { PQ_BUILD_PARAMS, PQ_SEARCH_PARAMS, PqIndex } from './pq.js';
import type { IndexCapabilities, VectorIndex } from './types.js';
import { WRVQ_BUILD_PARAMS, WRVQ_SEARCH_PARAMS, WrvqIndex } from './wrvq.js';
import { HNSW_BUILD_PARAMS, HNSW_SEARCH_PARAMS, HnswIndex } from './hnsw.js';
import { FAISS_BUILD_PARAMS, FAISS_SEARCH_PARAMS, FaissIndex } from './faiss.js';
import { LANCEDB_BUILD_PARAMS, LANCEDB_SEARCH_PARAMS, LanceDbIndex } from './lancedb.js';

export type IndexParams = Record<string, ParamValue | null>;

export interface IndexEntry {
  id: string;
  describe: string;
  buildParams: ParamSpecs;
  searchParams: ParamSpecs;
  capabilities: IndexCapabilities;
  /** A new, unbuilt index; throws InputError for unknown or invalid build parameters. */
  create(buildParams?: IndexParams): VectorIndex;
}

const ours: IndexCapabilities = { add: true, asyncSearch: false, exactMemory: true };

const entries: IndexEntry[] = [
  {
    id: 'flat', describe: 'exact search over float32 vectors (ground truth, faiss IndexFlat)',
    buildParams: FLAT_BUILD_PARAMS, searchParams: FLAT_SEARCH_PARAMS,
    capabilities: { add: true, asyncSearch: true, exactMemory: true },
    create: (p = {}) => new FlatIndex(p as never),
  },
  {
    id: 'pq', describe: "product-quantization codes of the whole base scanned with ADC (the paper's pqindex)",
    buildParams: PQ_BUILD_PARAMS, searchParams: PQ_SEARCH_PARAMS, capabilities: ours,
    create: (p = {}) => new PqIndex(p as never),
  },
  {
    id: 'ivfpq', describe: 'IVF coarse quantizer + PQ on residuals, ADC scan of nprobe lists (faiss IndexIVFPQ)',
    buildParams: IVFPQ_BUILD_PARAMS, searchParams: IVFPQ_SEARCH_PARAMS, capabilities: ours,
    create: (p = {}) => new IvfPqIndex(p as never),
  },
  {
    id: 'wrvq', describe: "the WRVQ paper's three-layer index: exact (C1 cells), fuzzy (sub-cells), ADC search (eq. 14)",
    buildParams: WRVQ_BUILD_PARAMS, searchParams: WRVQ_SEARCH_PARAMS, capabilities: ours,
    create: (p = {}) => new WrvqIndex(p as never),
  },
  // peers: native libraries, their memory is the adapter's estimate (capabilities equal the instances', checked by test/index/flat.test.ts)
  {
    id: 'hnsw', describe: 'HNSW graph over float32 vectors (hnswlib-node, the ann-benchmarks hnswlib entry)',
    buildParams: HNSW_BUILD_PARAMS, searchParams: HNSW_SEARCH_PARAMS,
    capabilities: { add: true, asyncSearch: false, exactMemory: false },
    create: (p = {}) => new HnswIndex(p as never),
  },
  {
    id: 'faiss', describe: 'any faiss index_factory string (faiss-node built against Debian libfaiss), e.g. IVF1024,PQ50 or HNSW32',
    buildParams: FAISS_BUILD_PARAMS, searchParams: FAISS_SEARCH_PARAMS,
    capabilities: { add: true, asyncSearch: false, exactMemory: false },
    create: (p = {}) => new FaissIndex(p as never),
  },
  {
    id: 'lancedb', describe: 'LanceDB embedded vector database with its IVF_PQ index (the vector-database baseline; Chroma cannot run here)',
    buildParams: LANCEDB_BUILD_PARAMS, searchParams: LANCEDB_SEARCH_PARAMS,
    capabilities: { add: true, asyncSearch: true, exactMemory: false },
    create: (p = {}) => new LanceDbIndex(p as never),
  },
];

/** The frozen id → entry map; a duplicate id is a bug and throws at load. */
export function buildRegistry(list: IndexEntry[]): Readonly<Record<string, IndexEntry>> {
  return frozenRegistry('index', list, (e) => e.id);
}

export const INDEXES = buildRegistry(entries);
export const INDEX_IDS: readonly string[] = Object.freeze(Object.keys(INDEXES));

export function indexEntry(id: string, flag = '--index'): IndexEntry {
  const e = Object.prototype.hasOwnProperty.call(INDEXES, id) ? INDEXES[id] : undefined;
  if (!e) throw new InputError(`${flag}: unknown index '${id}'${didYouMean(id, INDEX_IDS)}; known: ${INDEX_IDS.join(', ')}.`);
  return e;
}

export function createIndex(id: string, buildParams: IndexParams = {}): VectorIndex {
  return indexEntry(id).create(buildParams);
}

/** Checks search parameters against an index's table without building it (task validation, sweeps). */
export function checkSearchParams(id: string, params: IndexParams = {}): Record<string, ParamValue | null> {
  return resolveParams(indexEntry(id).searchParams, params, `${id} search parameter`);
}

/** Checks build parameters and fills their defaults (what `create` will use). */
export function checkBuildParams(id: string, params: IndexParams = {}): Record<string, ParamValue | null> {
  return resolveParams(indexEntry(id).buildParams, params, `${id} build parameter`);
}
