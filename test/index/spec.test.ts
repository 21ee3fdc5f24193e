// The spec grammar over the index registry: every registered index's canonical label reads back to
// the same configuration; aliases resolve to canonical names; unknown names list the index's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/errors.js';
import { INDEXES, INDEX_IDS, checkBuildParams, indexDescriptor, indexLabel, parseIndexSpec, splitIndexSpec } from '../../src/index/registry.js';

/** A non-default configuration of each index (build and search), to round-trip beside the defaults. */
const NON_DEFAULT: Record<string, { build: Record<string, unknown>; search: Record<string, unknown> }> = {
  flat: { build: { metric: 'ip' }, search: {} },
  pq: { build: { m: 12, nbits: 6, opq: true }, search: {} },
  ivfpq: { build: { nlist: 1024, m: 50, nbits: 8, tables: 'norms', opq: true }, search: { nprobe: 16 } },
  wrvq: { build: { books: 4, size: 64, weights: 'gain', trainer: 'adam', fuzzyBooks: 2, rerank: true }, search: { nprobe: 4, fuzzyK: 0, rerankK: 50 } },
  hnsw: { build: { M: 32, efConstruction: 100 }, search: { efSearch: 256 } },
  faiss: { build: { factory: 'OPQ16_64,IVF1024,PQ16x8np', metric: 'ip' }, search: { nprobe: 16, k_factor: 1.5 } },
  lancedb: { build: { numPartitions: 64, numSubVectors: 8 }, search: { nprobes: 10, refineFactor: 2 } },
  chroma: { build: {}, search: {} },
  pgvector: { build: { type: 'ivfflat', lists: 64, metric: 'ip', pgUrl: 'postgres://bench@db.example:5433/vectors' }, search: { probes: 8 } },
  sq: { build: { type: 'int4', calibration: 'percentile', percentile: 99.5, metric: 'ip' }, search: { query: 'codes', rescore: 4 } },
  binary: { build: { rotation: 'itq', itqIters: 20 }, search: { rescore: 2.5 } },
  rabitq: { build: { bits: 4, nlist: 16, metric: 'ip' }, search: { nprobe: 4, epsilon0: 3, reranking: 'none' } },
  scann: { build: { m: 25, nbits: 4, threshold: 0.3, iterations: 4 }, search: { rescore: 10 } },
};

test('every registered index is in the table above (a new index adds its round-trip case)', () => {
  assert.deepEqual([...INDEX_IDS].sort(), Object.keys(NON_DEFAULT).sort());
});

for (const id of INDEX_IDS) {
  test(`${id}: parseIndexSpec(indexLabel(x)) equals x, with defaults and with other values`, () => {
    const d = indexDescriptor(id);
    for (const given of [{ build: {}, search: {} }, NON_DEFAULT[id]]) {
      const x = parseIndexSpec(indexLabel(id, given.build, given.search));
      // resolving `given` directly gives the same configuration
      assert.deepEqual(x.build, checkBuildParams(id, given.build));
      assert.equal(x.id, id);
      assert.deepEqual(parseIndexSpec(indexLabel(x.id, x.build, x.search)), x);
      // search parameters are optional in a spec: the label of the build alone reads back with search defaults
      const buildOnly = parseIndexSpec(indexLabel(x.id, x.build));
      assert.deepEqual(buildOnly.build, x.build);
      for (const [name, spec] of Object.entries(d.searchParams)) assert.equal(buildOnly.search[name], spec.default, name);
    }
  });
}

test('labels: canonical names in declaration order; a factory string needs no quotes', () => {
  assert.equal(indexLabel('ivfpq', checkBuildParams('ivfpq', { nlist: 1024, m: 50 })), 'ivfpq:nlist=1024,m=50,nbits=8,metric=l2,tables=table,opq=false');
  const f = parseIndexSpec('faiss:factory=IVF1024,PQ50np,nprobe=16');
  assert.equal(f.build.factory, 'IVF1024,PQ50np');
  assert.equal(f.search.nprobe, 16);
  assert.equal(indexLabel('faiss', f.build), 'faiss:factory=IVF1024,PQ50np,metric=l2,searchThreads=1,buildThreads=1');
  assert.equal(indexLabel('chroma', {}), 'chroma');
  // the earlier parenthesised form reads too
  assert.deepEqual(parseIndexSpec('ivfpq(nlist=64,m=8)').build, parseIndexSpec('ivfpq:nlist=64,m=8').build);
  // every index's VectorIndex label is the registry's label of its resolved build parameters
  for (const id of ['flat', 'pq', 'ivfpq', 'wrvq']) {
    const b = checkBuildParams(id, NON_DEFAULT[id].build);
    assert.equal(INDEXES[id].create(b).label, indexLabel(id, b), id);
  }
});

test('aliases resolve to canonical names: hnsw m → M, pq/ivfpq books → m and size → nbits, wrvq m/nbits → books/size, faiss nprobes, lancedb nprobe', () => {
  assert.equal(parseIndexSpec('hnsw:m=32').build.M, 32);
  assert.equal(parseIndexSpec('hnsw:ef-search=100').search.efSearch, 100, 'kebab-case names too');
  assert.deepEqual(parseIndexSpec('pq:books=4,size=16').build, { m: 4, nbits: 4, metric: 'l2', opq: false });
  assert.deepEqual(parseIndexSpec('ivfpq:books=12,size=256').build, parseIndexSpec('ivfpq:m=12,nbits=8').build);
  assert.deepEqual(parseIndexSpec('wrvq:m=4,nbits=6').build, parseIndexSpec('wrvq:books=4,size=64').build);
  assert.equal(parseIndexSpec('faiss:factory=IVF64,Flat,nprobes=8').search.nprobe, 8);
  assert.equal(parseIndexSpec('lancedb:nprobe=8').search.nprobes, 8);
  // an alias whose value does not convert, and a name given twice under two names, are one sentence each
  assert.throws(() => parseIndexSpec('pq:size=100'), (e: Error) => e instanceof InputError && /size = 2\^nbits/.test(e.message));
  assert.throws(() => parseIndexSpec('hnsw:m=16,M=32'), (e: Error) => e instanceof InputError && /given twice/.test(e.message));
});

test('unknown names, ids and values: one InputError naming the flag, listing the index\'s own parameters', () => {
  assert.throws(() => parseIndexSpec('ivfpq:nlsit=64'), (e: Error) => e instanceof InputError && /^--index: ivfpq has no parameter 'nlsit'; its parameters: nlist, m, nbits, metric, tables, opq, nprobe\.$/.test(e.message));
  assert.throws(() => parseIndexSpec('hnsw:nlist=4', 'indexes[0]'), (e: Error) => e instanceof InputError && /^indexes\[0\]: hnsw has no parameter 'nlist'; its parameters: M, efConstruction, metric, efSearch\.$/.test(e.message));
  assert.throws(() => parseIndexSpec('chroma:nprobe=1'), (e: Error) => e instanceof InputError && /its parameters: \(none\)/.test(e.message));
  assert.throws(() => parseIndexSpec('ivfqp:nlist=64'), (e: Error) => e instanceof InputError && /unknown index 'ivfqp'; did you mean 'ivfpq'/.test(e.message));
  assert.throws(() => parseIndexSpec('ivfpq:nprobe=0'), (e: Error) => e instanceof InputError && /nprobe/.test(e.message) && /positive integer/.test(e.message));
  assert.throws(() => parseIndexSpec('ivfpq:nlist='), (e: Error) => e instanceof InputError && /nlist has no value/.test(e.message));
});

test('splitIndexSpec: the given names, split into build and search, nothing defaulted', () => {
  assert.deepEqual(splitIndexSpec('ivfpq:nlist=256,m=12,nprobe=4'), { id: 'ivfpq', build: { nlist: '256', m: '12' }, search: { nprobe: '4' } });
  assert.deepEqual(splitIndexSpec('hnsw:m=8,ef-search=20'), { id: 'hnsw', build: { m: '8' }, search: { 'ef-search': '20' } });
  assert.deepEqual(splitIndexSpec('faiss:factory=IVF64,PQ8np'), { id: 'faiss', build: { factory: 'IVF64,PQ8np' }, search: {} });
});

test('descriptors: capabilities declared in full; unavailable() is null or a sentence; chroma cannot be created', () => {
  for (const id of INDEX_IDS) {
    const d = INDEXES[id];
    for (const k of ['add', 'remove', 'filter', 'batch', 'threads', 'asyncSearch', 'exactMemory'] as const) assert.equal(typeof d.capabilities[k], 'boolean', `${id}.${k}`);
    assert.ok(Array.isArray(d.capabilities.metrics), id);
    const why = d.unavailable();
    assert.ok(why === null || (typeof why === 'string' && why.length > 0), id);
  }
  assert.match(INDEXES.chroma.unavailable() ?? '', /glibc/);
  assert.throws(() => INDEXES.chroma.create({}), (e: Error) => e.name === 'UnavailableError' && /glibc/.test(e.message));
});
