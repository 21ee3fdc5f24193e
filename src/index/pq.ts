/**
 * The paper's "pqindex" (faiss IndexPQ): every base vector as `m` product-quantization codes, every
 * query scanned against all of them with ADC — one books × size lookup table per query, one lookup
 * per sub-space per vector. The index holds a ProductQuantizer (src/quant/pq.ts) and never encodes
 * by itself. With `opq=true` (faiss `OPQm,PQm`) base and queries are rotated by OPQ's learned
 * rotation first (src/index/opq-transform.ts) and the PQ is OPQ's own, trained on the rotated rows.
 */
import { Matrix } from '../core/matrix.js';
import { TopK } from '../core/topk.js';
import { InputError } from '../core/errors.js';
import { ProductQuantizer } from '../quant/pq.js';
import { buildInSteps } from './train-sample.js';
import { encodeParallel } from '../quant/encode-parallel.js';
import { wasmKernelsEnabled } from '../core/wasm/loader.js';
import {
  AdcFrame, WasmArray, adcBooksBytes, codewordNormsSq, dotTables, freeAdcBooks, l2Tables, packCodes, residentBooks, scanSum,
  type AdcBooks, type CodeArray,
} from './adc.js';
import { RATES, kmeansFlops } from '../core/cost.js';
import { resolveParams, SIZE_AS_NBITS, type ParamSpecs, type Resolved } from '../core/params.js';
import { specLabel } from '../core/spec.js';
import { addSeconds, checkDim, checkK, resolveIds } from './checks.js';
import { keepMask, keepRows, replaceResident } from './remove.js';
import { residentFilter, sparseFilter } from './adc.js';
import { defineIndex, type PaperMatch } from './descriptor.js';
import { codeBytes, codebookBytes } from './memory-budget.js';
import { OPQ_OPTION, OpqRotation, opqCost } from './opq-transform.js';
import { indexSnapshot, revive } from './snapshot.js';
import type { QuantizerState } from '../quant/types.js';
import {
  memoryBreakdown, type BuildOptions, type BuildReport, type IndexCapabilities, type IndexMetric,
  type ChunkedBuild, type MemoryBreakdown, type IndexSnapshot, type SearchOptions, type SearchParams, type SearchResult, type VectorIndex,
} from './types.js';

export const PQ_BUILD_PARAMS = {
  m: { default: 8, min: 1, aliases: ['books'], describe: 'Sub-spaces (codes per vector). Default 8; more = finer codes, more bytes and slower scans.' },
  nbits: { default: 8, min: 1, max: 16, aliases: [SIZE_AS_NBITS], describe: 'Bits per code: 2^nbits codewords per sub-space. Default 8 (one byte per code).' },
  metric: { default: 'l2', choices: ['l2', 'ip'], describe: "'l2' or 'ip'. Default l2." },
  opq: OPQ_OPTION,
} as const satisfies ParamSpecs;

export const PQ_SEARCH_PARAMS = {} as const;

export type PqBuildParams = Partial<Resolved<typeof PQ_BUILD_PARAMS>>;

/**
 * Tables for a block of queries are computed together; encoding runs on all threads. batch: worker
 * threads restore a snapshot (codes, codebooks) and split the queries (src/index/search-modes.ts).
 */
export const PQ_CAPABILITIES: IndexCapabilities = Object.freeze<IndexCapabilities>({
  add: true, remove: true, filter: true, batch: true, threads: true, metrics: ['l2', 'ip'], asyncSearch: false, exactMemory: true, chunkedBuild: true,
});

/** Default rows used to train the codebooks (faiss caps each k-means at 256 points per centroid). */
export const PQ_DEFAULT_TRAIN_ROWS = 65536;

/** Queries whose lookup tables are computed together (one innerProducts tile per sub-space). */
export const QUERY_BLOCK = 64;

export class PqIndex implements VectorIndex, ChunkedBuild {
  readonly name = 'pq';
  readonly metric: IndexMetric;
  readonly capabilities: IndexCapabilities = PQ_CAPABILITIES;
  readonly pq: ProductQuantizer;
  private readonly params: Resolved<typeof PQ_BUILD_PARAMS>;
  private dim = 0;
  /** Codes and ids in wasm memory (where the wasm scan reads them in place) when the kernels load. */
  private codes: WasmArray<CodeArray> = WasmArray.empty(Uint8Array);
  private ids: WasmArray<Int32Array> = WasmArray.empty(Int32Array);
  private cNorms: Float32Array = new Float32Array(0);
  /** The codebooks in wasm memory, for the table kernel. */
  private books: AdcBooks | null = null;
  /** opq=true: the rotation applied to base and queries; null otherwise. */
  private rotation: OpqRotation | null = null;

  constructor(params: PqBuildParams = {}) {
    const p = resolveParams(PQ_BUILD_PARAMS, params, 'pq build parameter');
    this.params = p;
    this.metric = p.metric as IndexMetric;
    this.pq = new ProductQuantizer(p.m, 2 ** p.nbits);
  }

  get nbits(): number {
    return Math.log2(this.pq.size);
  }

  get label(): string {
    return specLabel('pq', [[PQ_BUILD_PARAMS, this.params]]);
  }

  get bitsPerVector(): number {
    return this.pq.bitsPerVector;
  }

  get size(): number {
    return this.ids.length;
  }

  async build(x: Matrix, opts: BuildOptions = {}): Promise<BuildReport> {
    if (this.pq.books > x.dim) throw new InputError(`--m: pq needs m ≤ the dimension ${x.dim}, got ${this.pq.books}.`);
    return buildInSteps(this, x, opts);
  }

  defaultTrainRows(): number {
    return PQ_DEFAULT_TRAIN_ROWS;
  }

  /** Trains the codebooks (and OPQ's rotation) on `train`; the index is then empty. */
  async train(train: Matrix, opts: BuildOptions = {}): Promise<BuildReport> {
    const t0 = performance.now();
    const notes: string[] = [];
    if (this.pq.books > train.dim) throw new InputError(`--m: pq needs m ≤ the dimension ${train.dim}, got ${this.pq.books}.`);
    if (train.rows < this.pq.size) throw new InputError(`--nbits: pq needs at least 2^nbits = ${this.pq.size} training rows, got ${train.rows}.`);
    const trainOpts = { seed: opts.seed ?? 1234, onProgress: opts.onProgress };
    if (this.params.opq) {
      // OPQ's final PQ is trained on the rotated rows exactly as this index would train its own: adopt it
      const { rotation, opq, notes: n } = await OpqRotation.learn(train, this.pq.books, this.nbits, trainOpts);
      this.rotation = rotation;
      Object.assign(this.pq, { dim: opq.dim, subDim: opq.subDim, subOffset: opq.subOffset, codebooks: opq.codebooks });
      notes.push(...n);
    } else {
      this.rotation = null;
      const r = await this.pq.train(train, trainOpts);
      notes.push(...r.notes);
    }
    this.dim = train.dim;
    this.cNorms = codewordNormsSq(this.pq);
    freeAdcBooks(this.books);
    this.books = residentBooks(this.pq, this.cNorms);
    this.codes.free();
    this.ids.free();
    this.codes = WasmArray.empty(Uint8Array);
    this.ids = WasmArray.empty(Int32Array);
    return { seconds: (performance.now() - t0) / 1000, notes };
  }

  endBuild(): string[] {
    return [];
  }

  async add(x: Matrix, ids?: Uint32Array): Promise<void> {
    this.requireBuilt();
    checkDim(x.dim, this.dim, 'added vectors', 'pq');
    await this.append(x, resolveIds(x.rows, this.size, ids, 'pq'));
  }

  private async append(x: Matrix, ids: Int32Array): Promise<void> {
    const c = await encodeParallel(this.pq, this.rotation ? this.rotation.apply(x) : x);
    const fresh = packCodes(c.codes, this.pq.size);
    // rows keep their insertion order: old codes, then the new ones (one copy, no merge)
    const codes = concatArrays(this.codes.array, fresh);
    const all = concatArrays(this.ids.array, ids);
    this.codes.free();
    this.ids.free();
    this.codes = WasmArray.from(codes);
    this.ids = WasmArray.from(all);
  }

  search(q: Matrix, k: number, params: SearchParams = {}, opts: SearchOptions = {}): SearchResult {
    resolveParams(PQ_SEARCH_PARAMS, params, 'pq search parameter');
    this.requireBuilt();
    checkK(k, this.size, 'pq');
    checkDim(q.dim, this.dim, 'queries', 'pq');
    if (this.rotation) q = this.rotation.apply(q);
    const books = this.pq.books, ks = this.pq.size, tl = books * ks;
    const ip = this.metric === 'ip';
    const block = Math.min(QUERY_BLOCK, q.rows);
    // filtered: the wasm scan's filtering variant reads the bitmap in wasm memory; the JS scan's heap drops ids not allowed
    const bits = wasmKernelsEnabled() && opts.filter ? residentFilter(opts.filter.allowed) : null;
    if (wasmKernelsEnabled() && this.books && this.codes.resident && this.ids.resident && (!opts.filter || bits)) {
      // the same tables and scan in wasm: tables and heaps in the frame, codes read in place
      const f = new AdcFrame(block, q.dim, tl, k);
      f.allowed = bits;
      f.sparse = opts.filter !== undefined && sparseFilter(opts.filter.count, this.size);
      const outIds = new Int32Array(q.rows * k), outDists = new Float32Array(q.rows * k);
      for (let q0 = 0; q0 < q.rows; q0 += QUERY_BLOCK) {
        const nq = Math.min(QUERY_BLOCK, q.rows - q0);
        f.load(q.data, q0 * q.dim, nq);
        f.computeTables(this.books, nq, !ip);
        for (let i = 0; i < nq; i++) f.scan(this.codes, books, ks, 0, this.size, f.table(i), ip ? -1 : 1, 0, null, this.ids, i);
        f.finish(nq, ip, outIds, outDists, q0);
      }
      return { nq: q.rows, k, ids: outIds, dists: outDists };
    }
    const heap = new TopK(q.rows, k, opts.filter?.allowed ?? null);
    const lut = new Float32Array(block * tl);
    const scratch = new Float32Array(block * Math.max(...this.pq.subDim));
    const codes = this.codes.array, ids = this.ids.array;
    for (let q0 = 0; q0 < q.rows; q0 += QUERY_BLOCK) {
      const nq = Math.min(QUERY_BLOCK, q.rows - q0);
      if (ip) dotTables(q.data, q.dim, q0, nq, this.pq, lut, scratch);
      else l2Tables(q.data, q.dim, q0, nq, this.pq, this.cNorms, lut, scratch);
      // ip: −Σ q_m·c_m, so that smaller is better
      for (let i = 0; i < nq; i++) scanSum(codes, books, ks, 0, this.size, lut, i * tl, ip ? -1 : 1, 0, null, ids, heap, q0 + i);
    }
    return finishHeap(heap, ip);
  }

  /** Drops the codes and ids of these ids (the rest keep their order); memory shrinks with them. */
  async remove(ids: Uint32Array): Promise<number> {
    this.requireBuilt();
    const { keep, removed } = keepMask(this.ids.array, ids);
    if (removed === 0) return 0;
    const kept = this.size - removed;
    this.codes = replaceResident(this.codes, keepRows(this.codes.array, keep, this.pq.books, kept));
    this.ids = replaceResident(this.ids, keepRows(this.ids.array, keep, 1, kept));
    return removed;
  }

  async close(): Promise<void> {
    freeAdcBooks(this.books);
    this.books = null;
    this.rotation = null;
    this.codes.free();
    this.ids.free();
    this.codes = WasmArray.empty(Uint8Array);
    this.ids = WasmArray.empty(Int32Array);
    this.dim = 0;
  }

  /** For batch and concurrent search on worker threads: codebooks, rotation, codes and ids (shared). */
  snapshot(): IndexSnapshot {
    this.requireBuilt();
    return indexSnapshot(import.meta.url, 'PqIndex', {
      params: this.params, dim: this.dim, pq: this.pq.toJSON(), rotation: this.rotation ? { ...this.rotation } : null,
      codes: this.codes.array, ids: this.ids.array,
    });
  }

  static restore(s: Record<string, unknown>): PqIndex {
    const index = new PqIndex(s.params as PqBuildParams);
    const pq = ProductQuantizer.fromJSON(s.pq as QuantizerState);
    Object.assign(index.pq, { dim: pq.dim, subDim: pq.subDim, subOffset: pq.subOffset, codebooks: pq.codebooks });
    index.rotation = s.rotation ? revive(OpqRotation, s.rotation as Record<string, unknown>) : null;
    index.dim = s.dim as number;
    index.cNorms = codewordNormsSq(index.pq);
    index.books = residentBooks(index.pq, index.cNorms);
    index.codes = WasmArray.from(s.codes as CodeArray);
    index.ids = WasmArray.from(s.ids as Int32Array);
    return index;
  }

  memoryBytes(): number {
    return this.memoryBreakdown().total;
  }

  memoryBreakdown(): MemoryBreakdown {
    const cb = this.pq.codebooks.reduce((s, c) => s + c.byteLength, 0) + this.cNorms.byteLength + adcBooksBytes(this.books)
      + (this.rotation?.byteLength ?? 0);
    return memoryBreakdown({ codes: this.codes.byteLength, lists: this.ids.byteLength, codebooks: cb });
  }

  private requireBuilt(): void {
    if (!this.dim) throw new Error('pq: index used before build()');
  }
}

/** `a` followed by `b`, in a new array of b's type. */
export function concatArrays<T extends Uint8Array | Uint16Array | Int32Array | Float32Array>(a: T, b: T): T {
  if (a.length === 0) return b;
  const out = new (b.constructor as new (n: number) => T)(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Sorts the heaps and turns "smaller is better" scores back into inner products for 'ip'. */
export function finishHeap(heap: TopK, ip: boolean): SearchResult {
  const { ids, dists } = heap.sort();
  if (ip) for (let i = 0; i < dists.length; i++) dists[i] = -dists[i];
  return { nq: heap.n, k: heap.k, ids, dists };
}

/** The paper's quantized indexes use 4 codebooks × 256 codewords. */
export const PAPER_4X256 = '4 codebooks × 256 codewords';

export const descriptor = defineIndex({
  id: 'pq',
  describe: "product-quantization codes of the whole base scanned with ADC (the paper's pqindex)",
  buildParams: PQ_BUILD_PARAMS,
  searchParams: PQ_SEARCH_PARAMS,
  capabilities: PQ_CAPABILITIES,
  unavailable: () => null,
  create: (build) => new PqIndex(build),
  cost: (build, shape, rows) => {
    const d = shape.dim, train = Math.min(rows, 65_536), m = build.m, k = 2 ** build.nbits;
    const opq = build.opq ? opqCost(m, build.nbits, shape, train, rows) : { buildSeconds: 0, querySeconds: 0 };
    const buildSeconds = (m * kmeansFlops(train, k, d / m) + 2 * rows * k * d) / RATES.kernelFlops + opq.buildSeconds;
    return { buildSeconds, querySeconds: () => (rows * m) / RATES.lookups + (2 * k * d) / RATES.kernelFlops + opq.querySeconds, addSecondsPerRow: addSeconds(buildSeconds, rows) };
  },
  memory: (build, dim, rows) => {
    const ks = 2 ** build.nbits, perRow = build.m * codeBytes(ks) + 4; // codes + id
    const rotation = build.opq ? dim * dim * 4 : 0;
    // adds: the grown arrays on the JS heap, then their wasm copy beside the old block
    return { indexBytes: rows * perRow + codebookBytes(dim, build.m, ks) + rotation, addBytes: 2 * rows * perRow, trainCopies: build.opq ? 4 : 2, chunkCopies: build.opq ? 3 : 2 };
  },
  paperMatch: (build): PaperMatch => ({ method: 'pqindex(milvus)', sameSetting: build.m === 4 && build.nbits === 8, paperSetting: PAPER_4X256 }),
});
