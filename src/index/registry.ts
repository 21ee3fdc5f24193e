/**
 * The index registry: the descriptors of src/index/*.ts (each declared in its index's own file:
 * parameters, capabilities, availability, factory, cost model, paper row), one line each, in a
 * frozen map. Adding an index is one file plus one line here. Duplicate ids throw at load; an
 * unknown id gets "did you mean"; unknown or ill-typed parameters are InputErrors naming the flag.
 *
 * A configured index is written and read in the one spec grammar of src/core/spec.ts:
 * `ivfpq:nlist=1024,m=50,nbits=8,metric=l2,tables=table,opq=false` (build parameters, then search parameters,
 * canonical names), `faiss:factory=IVF1024,PQ50np` (a factory string's commas need no quotes).
 */
import { InputError } from '../core/errors.js';
import { didYouMean } from '../core/names.js';
import { camel, canonicalName, resolveParams, type ParamValue } from '../core/params.js';
import { frozenRegistry } from '../core/registry.js';
import { resolveSpecGroups, specLabel, splitSpec } from '../core/spec.js';
import type { IndexDescriptor } from './descriptor.js';
import type { VectorIndex } from './types.js';
import { descriptor as flat } from './flat.js';
import { descriptor as pq } from './pq.js';
import { descriptor as ivfpq } from './ivfpq.js';
import { descriptor as wrvq } from './wrvq.js';
import { descriptor as hnsw } from './hnsw.js';
import { descriptor as faiss } from './faiss.js';
import { descriptor as lancedb } from './lancedb.js';
import { descriptor as chroma } from './chroma.js';
import { descriptor as pgvector } from './pgvector.js';
import { sqDescriptor as sq, binaryDescriptor as binary } from './flat-codes.js';
import { descriptor as rabitq } from './rabitq.js';
import { descriptor as scann } from './scann.js';

export type IndexParams = Record<string, ParamValue | null>;

/** One registered index (the descriptor, its parameter types widened). */
export type IndexEntry = IndexDescriptor;

const DESCRIPTORS: readonly IndexDescriptor[] = [
  flat,
  pq,
  ivfpq,
  wrvq,
  sq,
  binary,
  rabitq,
  scann,
  hnsw, // peers: native libraries, their memory is the adapter's estimate
  faiss,
  lancedb,
  pgvector, // PostgreSQL: embedded PGlite, or a server with --pg-url
  chroma, // not run here: unavailable() says why
];

/** The frozen id → descriptor map; a duplicate id is a bug and throws at load. */
export function buildRegistry(list: readonly IndexDescriptor[]): Readonly<Record<string, IndexDescriptor>> {
  return frozenRegistry('index', list, (e) => e.id);
}

export const INDEXES = buildRegistry(DESCRIPTORS);
export const INDEX_IDS: readonly string[] = Object.freeze(Object.keys(INDEXES));

/** The descriptor of `id`; an unknown id is an InputError naming `what` (the flag or field) with the nearest id. */
export function indexDescriptor(id: string, what = '--index'): IndexDescriptor {
  const e = Object.hasOwn(INDEXES, id) ? INDEXES[id] : undefined;
  if (!e) throw new InputError(`${what}: unknown index '${id}'${didYouMean(id, INDEX_IDS)}; known: ${INDEX_IDS.join(', ')}.`);
  return e;
}

/** The same function under its earlier name. */
export const indexEntry = indexDescriptor;

/** Checks build parameters and fills their defaults (what `create` will use). */
export function checkBuildParams(id: string, params: Record<string, unknown> = {}): IndexParams {
  return resolveParams(indexDescriptor(id).buildParams, params, `${id} build parameter`);
}

/** Checks search parameters against an index's table without building it (task validation, sweeps). */
export function checkSearchParams(id: string, params: Record<string, unknown> = {}): IndexParams {
  return resolveParams(indexDescriptor(id).searchParams, params, `${id} search parameter`);
}

/**
 * A new, unbuilt index; build parameters are checked and defaulted first (InputError naming the flag).
 * A null value is an optional parameter left unset (what checkBuildParams gives back), so not given.
 */
export function createIndex(id: string, given: Record<string, unknown> = {}): VectorIndex {
  const d = indexDescriptor(id);
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== null));
  return d.create(resolveParams(d.buildParams, set, `${id} build parameter`));
}

/**
 * Only the parameters given, checked, under their canonical names (an alias's value converted):
 * `{ nprobes: '4' }` of faiss → `{ nprobe: 4 }`. Records list what was asked for; defaults are the index's.
 */
export function givenParams(id: string, group: 'build' | 'search', given: Record<string, unknown> = {}): IndexParams {
  const d = indexDescriptor(id);
  const specs = group === 'build' ? d.buildParams : d.searchParams;
  const resolved = resolveParams(specs, given, `${id} ${group} parameter`);
  const out: IndexParams = {};
  for (const [name, v] of Object.entries(given)) {
    if (v === undefined) continue;
    const c = canonicalName(specs, name) ?? canonicalName(specs, camel(name));
    if (c) out[c.name] = resolved[c.name];
  }
  return out;
}

/**
 * The canonical label of a configuration: every build parameter, then (when given) every search
 * parameter, in declaration order, canonical names: `ivfpq:nlist=1024,m=50,nbits=8,metric=l2,tables=table,opq=false`.
 * `parseIndexSpec(indexLabel(id, build, search))` gives back the same configuration.
 */
export function indexLabel(id: string, build: Record<string, unknown>, search?: Record<string, unknown> | null): string {
  const d = indexDescriptor(id);
  return specLabel(d.id, [[d.buildParams, build], [d.searchParams, search ?? null]]);
}

/** A spec's id and the parameters it gives, as written but split into build and search (nothing defaulted). */
export interface IndexSpecGiven {
  id: string;
  build: Record<string, string>;
  search: Record<string, string>;
}

/** Splits a spec (`ivfpq:nlist=256,m=12,nprobe=4`) over the index's build and search parameters, unresolved. */
export function splitIndexSpec(text: string, what = '--index'): IndexSpecGiven {
  const raw = splitSpec(text, what);
  const d = indexDescriptor(raw.id, what);
  // resolving checks every name and value (unknown names list the index's own parameters)
  resolveSpecGroups(raw, [{ specs: d.buildParams, owner: `${d.id} build parameter` }, { specs: d.searchParams, owner: `${d.id} search parameter` }], what);
  const out: IndexSpecGiven = { id: d.id, build: {}, search: {} };
  for (const [name, value] of raw.params) {
    const inBuild = (canonicalName(d.buildParams, name) ?? canonicalName(d.buildParams, camel(name))) !== null;
    (inBuild ? out.build : out.search)[name] = value;
  }
  return out;
}

/** A configuration read from a spec: build and search parameters resolved (defaults filled, canonical names). */
export interface IndexSpec {
  id: string;
  build: IndexParams;
  search: IndexParams;
}

/** Reads a spec such as `ivfpq:nlist=1024,m=50,nprobe=16` or `faiss:factory=IVF1024,PQ50np`; `what` names the flag or field in errors. */
export function parseIndexSpec(text: string, what = '--index'): IndexSpec {
  const raw = splitSpec(text, what);
  const d = indexDescriptor(raw.id, what);
  const [build, search] = resolveSpecGroups(raw, [
    { specs: d.buildParams, owner: `${d.id} build parameter` },
    { specs: d.searchParams, owner: `${d.id} search parameter` },
  ], what);
  return { id: d.id, build, search };
}
