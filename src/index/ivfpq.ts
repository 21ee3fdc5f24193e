/**
 * IVF-PQ (Jégou et al. 2011; faiss IndexIVFPQ): a k-means coarse quantizer of `nlist` cells, and a
 * ProductQuantizer (src/quant/pq.ts) on the residuals x − c of each vector to its cell centroid.
 * A query visits its `nprobe` nearest cells and scans their codes with ADC.
 *
 * Lists are stored CSR-style: all codes sorted by cell in one contiguous array (Uint8Array when
 * 2^nbits ≤ 256), `starts[l]..starts[l+1]` the rows of cell l, `ids` beside them. Codes, ids and
 * the precomputed tables are held in wasm memory (WasmArray: one copy, counted once), where the
 * wasm kernels of adc.ts read them in place: per query the coarse top-nprobe (resident packed
 * centroids), the query's table, per list the table sum and the scan into a wasm heap, with no
 * copy of anything but the query in and the k results out. With the wasm kernels off the same
 * loop runs in JS (adc.ts), with the same results.
 *
 * Distance tables (L2), ||q − c − r||² = ||q − c||² + (||r||² + 2 c·r) − 2 q·r, three ways (the
 * `tables` build parameter):
 *  - 'table' (default; faiss use_precomputed_table = 1, equal code size to faiss): the middle term
 *    per (cell, sub-space, codeword) stored at build time (nlist × m × 2^nbits floats, counted
 *    under `codebooks`); per probed list it is combined with the query's −2 q·r table: summed
 *    first for a list of at least LIST_SUM_MIN_ROWS rows, else read beside it (two lookups per code).
 *  - 'norms': the middle term summed per vector, ||r||² + 2 c·r, stored as one float32 beside the
 *    codes (+32 bits per vector, counted in bitsPerVector and `codes`); the scan then needs only
 *    the query's table, which stays in cache across every probed list: no per-list work at all.
 *    Same ranking as 'table' up to float rounding; a trade made for the JS kernels (a 51 KB table
 *    pass per list cost ~15–20 µs in JS, as much as scanning 200 codes), much smaller in wasm.
 *  - 'none' (faiss use_precomputed_table = −1): the residual q − c formed per probed list and its
 *    own L2 table computed (m × 2^nbits × d/m multiply-adds per list).
 * Inner product: q·(c + r) = q·c + Σ_m q_m·r_m, one table per query and no per-list work.
 *
 * `opq=true` (faiss `OPQm,IVFn,PQm`, an IndexPreTransform): OPQ's rotation, learned on the training
 * sample (src/index/opq-transform.ts), is applied to base and queries before the coarse quantizer;
 * everything below runs on the rotated vectors, and distances are unchanged.
 *
 * Measured (bench/indexes.ts, glove-100, 10k queries one at a time, one thread, QPS relative to faiss
 * IVF1024,PQ50np; results/reference/2026-11-26-bench-ivfpq.txt, three runs on a shared machine)
 * at nprobe 1 / 4 / 16 / 64, 'table' with the wasm kernels: 1.4–5.4 / 1.4–3.4 / 0.8–2.0 / 0.8–1.7
 * (median latency below faiss's at every nprobe), recall@10 within 0.002 of faiss; the JS loop
 * alone measured 0.45 / 0.42 / 0.40 / 0.25. CPU time per query, the three modes built in one
 * process, wasm: 'norms' 1.3–1.9× faster than 'table' (no per-list work), 'none' 1.03–1.4× faster
 * (its per-list table is computed in cache; 'table' streams the list's 51 KB from memory); in JS
 * 'none' was ~4× slower than 'table'.
 * Where a single query's time goes (node --cpu-prof, nprobe 16 and 64, glove-100, PQ50, lists of
 * ~324 rows): the ADC scan ~56%, the per-list table sum (table_axpy: the list's 51 KB precomputed
 * term read from memory) ~31%, short lists' pair scans ~5%, the coarse top-nprobe ~3%, JS ~3%
 * (results/reference/2026-12-02-kernels-profile.txt).
 */
import { Matrix } from '../core/matrix.js';
import { kmeans } from '../core/kmeans.js';
import { nearest } from '../core/parallel.js';
import { dot, rowNormsSq } from '../core/distance.js';
import { knnRange } from '../core/search.js';
import { knnResident } from '../core/wasm/kernels.js';
import { wasmKernelsEnabled } from '../core/wasm/loader.js';
import { releaseResident, residentRows, type ResidentRows } from '../core/wasm/memory.js';
import { TopK } from '../core/topk.js';
import { InputError } from '../core/errors.js';
import { ProductQuantizer } from '../quant/pq.js';
import { encodeParallel } from '../quant/encode-parallel.js';
import {
  AdcFrame, WasmArray, adcBooksBytes, codewordNormsSq, dotTables, freeAdcBooks, l2Tables,
  packCodes, residentBooks, scanSum, scanSumPair, sumTables, type AdcBooks, type CodeArray,
} from './adc.js';
import { RATES, kmeansFlops } from '../core/cost.js';
import { resolveParams, SIZE_AS_NBITS, type ParamSpecs, type Resolved } from '../core/params.js';
import { specLabel } from '../core/spec.js';
import { addSeconds, checkDim, checkK, numberOr, resolveIds } from './checks.js';
import { keepMask, keepRows, keptStarts, replaceResident } from './remove.js';
import { residentFilter, sparseFilter } from './adc.js';
import { defineIndex } from './descriptor.js';
import { codeBytes, codebookBytes } from './memory-budget.js';
import { SharedRows } from './chunked-build.js';
import { PAPER_4X256, finishHeap } from './pq.js';
import { buildInSteps } from './train-sample.js';
import { OPQ_OPTION, OpqRotation, opqCost } from './opq-transform.js';
import { indexSnapshot, revive } from './snapshot.js';
import type { QuantizerState } from '../quant/types.js';
import {
  memoryBreakdown, type BuildOptions, type BuildReport, type IndexCapabilities, type IndexMetric,
  type ChunkedBuild, type MemoryBreakdown, type IndexSnapshot, type SearchOptions, type SearchParams, type SearchResult, type VectorIndex,
} from './types.js';

export const IVFPQ_BUILD_PARAMS = {
  nlist: { default: 1024, min: 1, describe: 'Coarse cells (k-means centroids). Default 1024; more cells = shorter lists to scan, more probes needed for the same recall.' },
  m: { default: 8, min: 1, aliases: ['books'], describe: 'PQ sub-spaces (codes per vector). Default 8; more = finer codes, more bytes, slower scans.' },
  nbits: { default: 8, min: 1, max: 16, aliases: [SIZE_AS_NBITS], describe: 'Bits per PQ code (2^nbits codewords per sub-space). Default 8.' },
  metric: { default: 'l2', choices: ['l2', 'ip'], describe: "'l2' or 'ip'. Default l2." },
  tables: {
    default: 'table', choices: ['table', 'norms', 'none'],
    describe: "L2 distance tables: 'table' = precomputed (cell, codeword) terms, nlist·m·2^nbits floats (faiss's default); 'norms' = one float32 per vector instead (+32 bits/vector, fastest); 'none' = a table per probed list (least memory, slowest). Default table.",
  },
  opq: OPQ_OPTION,
} as const satisfies ParamSpecs;

export const IVFPQ_SEARCH_PARAMS = {
  nprobe: { default: 1, min: 1, describe: 'Cells visited per query (faiss default 1). More = higher recall, slower; at most nlist.' },
} as const satisfies ParamSpecs;

export type IvfPqBuildParams = Partial<Resolved<typeof IVFPQ_BUILD_PARAMS>>;
export type IvfPqSearchParams = Partial<Resolved<typeof IVFPQ_SEARCH_PARAMS>>;

/**
 * Tables for a block of queries are computed together; k-means and encoding run on all threads.
 * batch: worker threads restore a snapshot (lists, tables) and split the queries (src/index/search-modes.ts).
 */
export const IVFPQ_CAPABILITIES: IndexCapabilities = Object.freeze<IndexCapabilities>({
  add: true, remove: true, filter: true, batch: true, threads: true, metrics: ['l2', 'ip'], asyncSearch: false, exactMemory: true, chunkedBuild: true,
});

/** Queries whose tables are computed together: small enough for the tables to stay in cache. */
const QUERY_BLOCK = 16;

/**
 * 'table' mode: lists of at least this many rows get the two tables summed before the scan (a
 * streaming pass over the list's 51 KB precomputed table), shorter ones read both tables per code
 * (random reads of it). Measured with the wasm kernels on glove-100 (IVF1024,PQ50, median list
 * 277 rows; CPU time per query): 64–128 best; always summing 1.5–2.5× slower at nprobe 1, never
 * summing 1.6–1.8× slower at nprobe 16 and 64.
 */
export const LIST_SUM_MIN_ROWS = 128;

export type IvfPqTables = 'table' | 'norms' | 'none';

/** faiss's precomputed_table_max_bytes: above it the per-list tables are used instead. */
export const PRECOMPUTED_MAX_BYTES = 2 * 1024 ** 3;

export class IvfPqIndex implements VectorIndex, ChunkedBuild {
  readonly name = 'ivfpq';
  readonly metric: IndexMetric;
  readonly capabilities: IndexCapabilities = IVFPQ_CAPABILITIES;
  readonly nlist: number;
  private readonly params: Resolved<typeof IVFPQ_BUILD_PARAMS>;
  readonly pq: ProductQuantizer;
  /** The L2 table mode asked for ('table' falls back to 'none' above PRECOMPUTED_MAX_BYTES). */
  readonly tables: IvfPqTables;
  private dim = 0;
  private centroids: Matrix | null = null;
  private centroidNorms: Float32Array = new Float32Array(0);
  private cNorms: Float32Array = new Float32Array(0);
  /** 'table': (cell, sub-space, codeword) → ||r||² + 2 c·r; empty otherwise. */
  private precomputed: WasmArray<Float32Array> = WasmArray.empty(Float32Array);
  /** The coarse centroids packed in wasm memory once (single queries do not re-pack them). */
  private residentCentroids: ResidentRows | null = null;
  /** The PQ codebooks in wasm memory, for the table kernel. */
  private books: AdcBooks | null = null;
  /** 'norms': ||r||² + 2 c·r per stored row (decoded residual r, cell centroid c); empty otherwise. */
  private rowTerms: WasmArray<Float32Array> = WasmArray.empty(Float32Array);
  /** Codes, ids (and the tables above) are kept in wasm memory, where the scan reads them in place. */
  private codes: WasmArray<CodeArray> = WasmArray.empty(Uint8Array);
  private ids: WasmArray<Int32Array> = WasmArray.empty(Int32Array);
  private starts: Uint32Array = new Uint32Array(1);
  /** opq=true: the rotation applied to base and queries before everything else; null otherwise. */
  private rotation: OpqRotation | null = null;
  /** Where residuals are written for encoding (one shared buffer, reused). */
  private residualScratch: SharedRows | null = null;

  constructor(params: IvfPqBuildParams = {}) {
    const p = resolveParams(IVFPQ_BUILD_PARAMS, params, 'ivfpq build parameter');
    this.params = p;
    this.metric = p.metric as IndexMetric;
    this.nlist = p.nlist;
    this.tables = p.tables as IvfPqTables;
    this.pq = new ProductQuantizer(p.m, 2 ** p.nbits);
  }

  get label(): string {
    return specLabel('ivfpq', [[IVFPQ_BUILD_PARAMS, this.params]]);
  }

  /** m·nbits, + 32 for the per-vector term of tables = 'norms'. */
  get bitsPerVector(): number {
    return this.pq.bitsPerVector + (this.usesRowTerms ? 32 : 0);
  }

  private get usesRowTerms(): boolean {
    return this.metric === 'l2' && this.tables === 'norms';
  }

  get size(): number {
    return this.ids.length;
  }

  /** Whether searches use the precomputed (cell, codeword) tables. */
  get usesPrecomputed(): boolean {
    return this.precomputed.length > 0;
  }

  /** The coarse centroids (nlist × d), null before build. */
  get coarseCentroids(): Matrix | null {
    return this.centroids;
  }

  /** Rows of each list (for reports and tests). */
  listSizes(): Uint32Array {
    const out = new Uint32Array(this.nlist);
    for (let l = 0; l < this.nlist; l++) out[l] = this.starts[l + 1] - this.starts[l];
    return out;
  }

  async build(x: Matrix, opts: BuildOptions = {}): Promise<BuildReport> {
    if (this.pq.books > x.dim) throw new InputError(`--m: ivfpq needs m ≤ the dimension ${x.dim}, got ${this.pq.books}.`);
    return buildInSteps(this, x, opts);
  }

  defaultTrainRows(): number {
    return Math.max(65536, 64 * this.nlist);
  }

  /** Trains OPQ's rotation (opq=true), the coarse quantizer and the residual PQ on `train`; the index is then empty. */
  async train(train: Matrix, opts: BuildOptions = {}): Promise<BuildReport> {
    const t0 = performance.now();
    const notes: string[] = [];
    const seed = opts.seed ?? 1234;
    const dim = train.dim;
    if (this.pq.books > dim) throw new InputError(`--m: ivfpq needs m ≤ the dimension ${dim}, got ${this.pq.books}.`);
    if (this.nlist > train.rows) throw new InputError(`--nlist: ivfpq needs at least nlist = ${this.nlist} training rows, got ${train.rows}.`);
    if (train.rows < this.pq.size) throw new InputError(`--nbits: ivfpq needs at least 2^nbits = ${this.pq.size} training rows, got ${train.rows}.`);
    if (train.rows < 39 * this.nlist) notes.push(`only ${(train.rows / this.nlist).toFixed(1)} training rows per cell (faiss warns below 39)`);
    this.rotation = null;
    if (this.params.opq) {
      const { rotation, notes: n } = await OpqRotation.learn(train, this.pq.books, Math.log2(this.pq.size), { seed, onProgress: opts.onProgress });
      this.rotation = rotation;
      notes.push(...n);
      train = rotation.apply(train);
    }

    const km = await kmeans(train, {
      k: this.nlist, seed,
      onProgress: (i, n) => opts.onProgress?.(i, n, 'coarse k-means'),
    });
    if (km.splits) notes.push(`coarse k-means: ${km.splits} empty clusters split`);
    this.centroids = km.centroids;
    if (this.residentCentroids) releaseResident(this.residentCentroids);
    this.residentCentroids = residentRows(km.centroids.data, this.nlist, dim, this.metric);
    this.centroidNorms = rowNormsSq(km.centroids.data, this.nlist, dim);
    this.dim = dim;

    const assign = (await nearest(train, km.centroids, this.metric)).ids;
    const res = this.residuals(train, assign);
    const r = await this.pq.train(res, { seed: seed + 1, onProgress: opts.onProgress });
    notes.push(...r.notes);
    this.cNorms = codewordNormsSq(this.pq);
    freeAdcBooks(this.books);
    this.books = residentBooks(this.pq, this.cNorms);

    this.precomputed.free();
    this.precomputed = WasmArray.empty(Float32Array);
    const books = this.pq.books, ks = this.pq.size;
    const tableBytes = this.nlist * books * ks * 4;
    if (this.metric === 'l2' && this.tables === 'table') {
      if (tableBytes > PRECOMPUTED_MAX_BYTES) {
        notes.push(`precomputed tables would take ${(tableBytes / 2 ** 20).toFixed(0)} MiB: per-list tables used instead`);
      } else {
        // c_l · r_mj for every cell and codeword, then ||r||² + 2 c·r
        const t = new Float32Array(this.nlist * books * ks);
        dotTables(km.centroids.data, dim, 0, this.nlist, this.pq, t, undefined, this.books);
        for (let l = 0; l < this.nlist; l++) {
          for (let u = 0, o = l * books * ks; u < books * ks; u++) t[o + u] = this.cNorms[u] + 2 * t[o + u];
        }
        this.precomputed = WasmArray.from(t);
      }
    }

    this.codes.free();
    this.ids.free();
    this.rowTerms.free();
    this.codes = WasmArray.empty(Uint8Array);
    this.ids = WasmArray.empty(Int32Array);
    this.rowTerms = WasmArray.empty(Float32Array);
    this.starts = new Uint32Array(this.nlist + 1);
    return { seconds: (performance.now() - t0) / 1000, notes };
  }

  endBuild(): string[] {
    let empty = 0;
    for (let l = 0; l < this.nlist; l++) if (this.starts[l + 1] === this.starts[l]) empty++;
    return empty ? [`${empty} of ${this.nlist} lists empty`] : [];
  }

  async add(x: Matrix, ids?: Uint32Array): Promise<void> {
    this.requireBuilt();
    checkDim(x.dim, this.dim, 'added vectors', 'ivfpq');
    await this.append(this.rotation ? this.rotation.apply(x) : x, resolveIds(x.rows, this.size, ids, 'ivfpq'));
  }

  /**
   * x − centroid(assign) for every row, in this index's one shared scratch (the encoding workers read
   * it without a copy; reused, see SharedRows): valid until the next call.
   */
  private residuals(x: Matrix, assign: Int32Array): Matrix {
    const c = this.centroids!.data, d = x.dim, xd = x.data;
    if (!this.residualScratch || this.residualScratch.dim !== d) this.residualScratch = new SharedRows(d);
    const out = this.residualScratch.take(x.rows);
    const o = out.data;
    for (let i = 0; i < x.rows; i++) {
      const co = assign[i] * d;
      for (let j = 0, xo = i * d; j < d; j++) o[xo + j] = xd[xo + j] - c[co + j];
    }
    return out;
  }

  /** Rows already rotated (opq=true). */
  private async append(x: Matrix, ids: Int32Array): Promise<void> {
    const assign = (await nearest(x, this.centroids!, this.metric)).ids;
    const c = await encodeParallel(this.pq, this.residuals(x, assign));
    const fresh = packCodes(c.codes, this.pq.size);
    const freshTerms = this.usesRowTerms ? this.rowTermsOf(c.codes, assign) : null;
    // each list: its old rows, then the new rows of that cell in batch order (block copies, one pass)
    const starts = mergedStarts(this.starts, assign, this.nlist);
    // merged on the JS heap (the views stay valid: nothing grows the wasm memory meanwhile), then moved in
    const codes = mergeLists(this.starts, starts, this.codes.array, fresh, assign, this.pq.books);
    const idsAll = mergeLists(this.starts, starts, this.ids.array, ids, assign, 1);
    const terms = freshTerms ? mergeLists(this.starts, starts, this.rowTerms.array, freshTerms, assign, 1) : null;
    this.codes.free();
    this.codes = WasmArray.from(codes);
    this.ids.free();
    this.ids = WasmArray.from(idsAll);
    if (terms) {
      this.rowTerms.free();
      this.rowTerms = WasmArray.from(terms);
    }
    this.starts = starts;
  }

  /** Drops these ids from their lists (codes, ids, row terms compacted; list offsets shrink); memory shrinks with them. */
  async remove(ids: Uint32Array): Promise<number> {
    this.requireBuilt();
    const { keep, removed } = keepMask(this.ids.array, ids);
    if (removed === 0) return 0;
    const kept = this.size - removed;
    this.starts = keptStarts(this.starts, keep);
    this.codes = replaceResident(this.codes, keepRows(this.codes.array, keep, this.pq.books, kept));
    this.ids = replaceResident(this.ids, keepRows(this.ids.array, keep, 1, kept));
    if (this.usesRowTerms) this.rowTerms = replaceResident(this.rowTerms, keepRows(this.rowTerms.array, keep, 1, kept));
    return removed;
  }

  /** ||r||² + 2 c·r of each encoded row: r its decoded residual, c its cell centroid. */
  private rowTermsOf(codes: Uint16Array, assign: Int32Array): Float32Array {
    const n = assign.length, B = this.pq.books, d = this.dim, cent = this.centroids!.data;
    const out = new Float32Array(n);
    for (let s = 0; s < n; s += 4096) {
      const e = Math.min(n, s + 4096);
      const r = this.pq.decode({ n: e - s, books: B, codes: codes.subarray(s * B, e * B) });
      for (let i = s; i < e; i++) {
        const ro = (i - s) * d;
        out[i] = dot(r.data, ro, r.data, ro, d) + 2 * dot(r.data, ro, cent, assign[i] * d, d);
      }
    }
    return out;
  }

  search(q: Matrix, k: number, params: SearchParams = {}, opts: SearchOptions = {}): SearchResult {
    const { nprobe } = resolveParams(IVFPQ_SEARCH_PARAMS, params, 'ivfpq search parameter');
    this.requireBuilt();
    if (nprobe > this.nlist) throw new InputError(`--nprobe: ivfpq has nlist = ${this.nlist} cells, so nprobe must be ≤ ${this.nlist}, got ${nprobe}.`);
    checkK(k, this.size, 'ivfpq');
    checkDim(q.dim, this.dim, 'queries', 'ivfpq');
    if (this.rotation) q = this.rotation.apply(q);
    const d = this.dim, nq = q.rows;
    const books = this.pq.books, ks = this.pq.size, tl = books * ks;
    const ip = this.metric === 'ip';
    const cent = this.centroids!;

    // exact layer: the nprobe nearest cells of every query (squared L2 ascending / ip descending)
    const probeIds = new Int32Array(nq * nprobe);
    const probeDist = new Float32Array(nq * nprobe);
    const wasm = wasmKernelsEnabled();
    if (wasm && this.residentCentroids) knnResident(this.residentCentroids, q.data, 0, nq, nprobe, probeIds, probeDist);
    else knnRange(cent.data, this.nlist, ip ? null : this.centroidNorms, q.data, 0, nq, d, nprobe, this.metric, probeIds, probeDist);
    // filtered: the wasm scans' filtering variants read the bitmap in wasm memory; the JS scans' heap drops ids not allowed
    const bits = wasm && opts.filter ? residentFilter(opts.filter.allowed) : null;
    if (wasm && this.wasmReady() && (!opts.filter || bits)) return this.searchWasm(q, k, nprobe, probeIds, probeDist, bits, opts.filter !== undefined && sparseFilter(opts.filter.count, this.size));

    const heap = new TopK(nq, k, opts.filter?.allowed ?? null);
    // sized for the block actually searched: a single query must not allocate (and zero) 16 tables
    const block = Math.min(QUERY_BLOCK, nq);
    const qTables = new Float32Array(block * tl);
    const lut = new Float32Array(tl);
    const scratch = new Float32Array(block * Math.max(...this.pq.subDim));
    const resid = new Float32Array(d);
    // views of the stored arrays, taken after the last call that could grow the wasm memory
    const pre = this.precomputed.array, usePre = pre.length > 0;
    const terms = this.usesRowTerms ? this.rowTerms.array : null;
    const perList = !ip && !usePre && !terms;
    const codes = this.codes.array, ids = this.ids.array, starts = this.starts;
    for (let q0 = 0; q0 < nq; q0 += QUERY_BLOCK) {
      const nb = Math.min(QUERY_BLOCK, nq - q0);
      if (!perList) dotTables(q.data, d, q0, nb, this.pq, qTables, scratch);
      for (let i = 0; i < nb; i++) {
        const qi = q0 + i;
        for (let p = 0; p < nprobe; p++) {
          const l = probeIds[qi * nprobe + p];
          if (l < 0) continue;
          const s = starts[l], e = starts[l + 1];
          if (s === e) continue;
          const cd = probeDist[qi * nprobe + p];
          if (ip) {
            // −(q·c + Σ q_m·r_m)
            scanSum(codes, books, ks, s, e, qTables, i * tl, -1, -cd, null, ids, heap, qi);
          } else if (terms) {
            // ||q − c||² + (||r||² + 2 c·r) − 2 Σ q_m·r_m
            scanSum(codes, books, ks, s, e, qTables, i * tl, -2, cd, terms, ids, heap, qi);
          } else if (usePre) {
            if (e - s >= LIST_SUM_MIN_ROWS) {
              sumTables(lut, pre, l * tl, qTables, i * tl, -2, tl);
              scanSum(codes, books, ks, s, e, lut, 0, 1, cd, null, ids, heap, qi);
            } else {
              scanSumPair(codes, books, ks, s, e, pre, l * tl, qTables, i * tl, -2, cd, ids, heap, qi);
            }
          } else {
            const c = cent.data, qd = q.data;
            for (let j = 0, co = l * d, qo = qi * d; j < d; j++) resid[j] = qd[qo + j] - c[co + j];
            l2Tables(resid, d, 0, 1, this.pq, this.cNorms, lut, scratch);
            scanSum(codes, books, ks, s, e, lut, 0, 1, 0, null, ids, heap, qi);
          }
        }
      }
    }
    return finishHeap(heap, ip);
  }

  /** Whether everything the wasm search reads is in wasm memory. */
  private wasmReady(): boolean {
    return this.books !== null && this.codes.resident && this.ids.resident
      && (this.precomputed.length === 0 || this.precomputed.resident) && (!this.usesRowTerms || this.rowTerms.resident);
  }

  /**
   * The search loop of `search` in wasm: the same cases, the same operations (adc.ts), with the
   * query tables, the summed list tables and the heaps in an AdcFrame and the codes read in place.
   */
  private searchWasm(q: Matrix, k: number, nprobe: number, probeIds: Int32Array, probeDist: Float32Array, allowed: WasmArray<Uint8Array> | null = null, sparse = false): SearchResult {
    const d = this.dim, nq = q.rows;
    const books = this.pq.books, ks = this.pq.size, tl = books * ks;
    const ip = this.metric === 'ip';
    const pre = this.precomputed, usePre = pre.length > 0;
    const terms = this.usesRowTerms ? this.rowTerms : null;
    const perList = !ip && !usePre && !terms;
    const { codes, ids, starts } = this;
    const B = this.books!;
    const cent = this.centroids!.data, qd = q.data;
    const resid = perList ? new Float32Array(d) : null;
    const outIds = new Int32Array(nq * k), outDists = new Float32Array(nq * k);
    const f = new AdcFrame(Math.min(QUERY_BLOCK, nq), d, tl, k);
    f.allowed = allowed;
    f.sparse = sparse;
    for (let q0 = 0; q0 < nq; q0 += QUERY_BLOCK) {
      const nb = Math.min(QUERY_BLOCK, nq - q0);
      f.load(qd, q0 * d, nb);
      if (!perList) f.computeTables(B, nb, false);
      for (let i = 0; i < nb; i++) {
        const qi = q0 + i, qt = f.table(i);
        for (let p = 0; p < nprobe; p++) {
          const l = probeIds[qi * nprobe + p];
          if (l < 0) continue;
          const s = starts[l], e = starts[l + 1];
          if (s === e) continue;
          const cd = probeDist[qi * nprobe + p];
          if (ip) {
            f.scan(codes, books, ks, s, e, qt, -1, -cd, null, ids, i);
          } else if (terms) {
            f.scan(codes, books, ks, s, e, qt, -2, cd, terms, ids, i);
          } else if (usePre) {
            const lt = pre.at + l * tl * 4;
            if (e - s >= LIST_SUM_MIN_ROWS) {
              f.axpy(lt, qt, -2, f.lut);
              f.scan(codes, books, ks, s, e, f.lut, 1, cd, null, ids, i);
            } else {
              f.scanPair(codes, books, ks, s, e, lt, qt, -2, cd, ids, i);
            }
          } else {
            for (let j = 0, co = l * d, qo = qi * d; j < d; j++) resid![j] = qd[qo + j] - cent[co + j];
            f.write(f.row, resid!, 0, d);
            f.computeTables(B, 1, true, f.row, f.lut);
            f.scan(codes, books, ks, s, e, f.lut, 1, 0, null, ids, i);
          }
        }
      }
      f.finish(nb, ip, outIds, outDists, q0);
    }
    return { nq, k, ids: outIds, dists: outDists };
  }

  async close(): Promise<void> {
    this.residualScratch = null;
    if (this.residentCentroids) releaseResident(this.residentCentroids);
    this.residentCentroids = null;
    freeAdcBooks(this.books);
    this.books = null;
    for (const a of [this.codes, this.ids, this.precomputed, this.rowTerms]) a.free();
    this.codes = WasmArray.empty(Uint8Array);
    this.ids = WasmArray.empty(Int32Array);
    this.precomputed = WasmArray.empty(Float32Array);
    this.rowTerms = WasmArray.empty(Float32Array);
    this.centroids = null;
    this.rotation = null;
  }

  /** For batch and concurrent search on worker threads: every array the search reads (shared). */
  snapshot(): IndexSnapshot {
    this.requireBuilt();
    const c = this.centroids!;
    return indexSnapshot(import.meta.url, 'IvfPqIndex', {
      params: this.params, dim: this.dim, pq: this.pq.toJSON(), rotation: this.rotation ? { ...this.rotation } : null,
      centroids: c.data, centroidNorms: this.centroidNorms, precomputed: this.precomputed.array, rowTerms: this.rowTerms.array,
      codes: this.codes.array, ids: this.ids.array, starts: this.starts,
    });
  }

  static restore(s: Record<string, unknown>): IvfPqIndex {
    const index = new IvfPqIndex(s.params as IvfPqBuildParams);
    const pq = ProductQuantizer.fromJSON(s.pq as QuantizerState);
    Object.assign(index.pq, { dim: pq.dim, subDim: pq.subDim, subOffset: pq.subOffset, codebooks: pq.codebooks });
    const dim = s.dim as number;
    index.dim = dim;
    index.rotation = s.rotation ? revive(OpqRotation, s.rotation as Record<string, unknown>) : null;
    index.centroids = new Matrix(s.centroids as Float32Array, index.nlist, dim);
    index.residentCentroids = residentRows(index.centroids.data, index.nlist, dim, index.metric);
    index.centroidNorms = s.centroidNorms as Float32Array;
    index.cNorms = codewordNormsSq(index.pq);
    index.books = residentBooks(index.pq, index.cNorms);
    index.precomputed = WasmArray.from(s.precomputed as Float32Array);
    index.rowTerms = WasmArray.from(s.rowTerms as Float32Array);
    index.codes = WasmArray.from(s.codes as CodeArray);
    index.ids = WasmArray.from(s.ids as Int32Array);
    index.starts = s.starts as Uint32Array;
    return index;
  }

  memoryBytes(): number {
    return this.memoryBreakdown().total;
  }

  memoryBreakdown(): MemoryBreakdown {
    const cb = this.pq.codebooks.reduce((s, c) => s + c.byteLength, 0) + this.cNorms.byteLength
      + (this.centroids?.data.byteLength ?? 0) + this.centroidNorms.byteLength + this.precomputed.byteLength
      // the wasm copies the kernels read: transposed codebooks, packed centroids
      + adcBooksBytes(this.books) + (this.residentCentroids ? this.residentCentroids.end - this.residentCentroids.start : 0)
      + (this.rotation?.byteLength ?? 0);
    return memoryBreakdown({ codes: this.codes.byteLength + this.rowTerms.byteLength, lists: this.ids.byteLength + this.starts.byteLength, codebooks: cb });
  }

  private requireBuilt(): void {
    if (!this.centroids) throw new Error('ivfpq: index used before build()');
  }
}

/** CSR offsets after adding rows assigned to `assign` to lists with offsets `starts`. */
export function mergedStarts(starts: Uint32Array, assign: Int32Array, nlist: number): Uint32Array {
  const out = new Uint32Array(nlist + 1);
  for (let i = 0; i < assign.length; i++) out[assign[i] + 1]++;
  for (let l = 0; l < nlist; l++) out[l + 1] += out[l] + (starts[l + 1] - starts[l]);
  return out;
}

/**
 * Rows (`stride` values each) of old lists (offsets `oldStarts`) and of a new batch (list `assign[i]`)
 * laid out by list at `newStarts`: each list's old rows, then its new rows in batch order (what
 * sorting by list, old before new and the batch stably, gives).
 */
export function mergeLists<T extends CodeArray | Int32Array | Float32Array>(
  oldStarts: Uint32Array, newStarts: Uint32Array, oldArr: T, fresh: T, assign: Int32Array, stride: number,
): T {
  const nlist = newStarts.length - 1;
  const out = new (fresh.constructor as new (n: number) => T)(newStarts[nlist] * stride);
  const cursor = new Uint32Array(nlist);
  for (let l = 0; l < nlist; l++) {
    const o0 = oldStarts[l], o1 = oldStarts[l + 1];
    if (o1 > o0) out.set(oldArr.subarray(o0 * stride, o1 * stride), newStarts[l] * stride);
    cursor[l] = newStarts[l] + (o1 - o0);
  }
  for (let i = 0; i < assign.length; i++) {
    const p = cursor[assign[i]]++;
    for (let t = 0, o = p * stride, f = i * stride; t < stride; t++) out[o + t] = fresh[f + t];
  }
  return out;
}

export const descriptor = defineIndex({
  id: 'ivfpq',
  describe: 'IVF coarse quantizer + PQ on residuals, ADC scan of nprobe lists (faiss IndexIVFPQ)',
  buildParams: IVFPQ_BUILD_PARAMS,
  searchParams: IVFPQ_SEARCH_PARAMS,
  capabilities: IVFPQ_CAPABILITIES,
  unavailable: () => null,
  create: (build) => new IvfPqIndex(build),
  memory: (build, dim, rows) => {
    const ks = 2 ** build.nbits, l2 = build.metric === 'l2';
    const perRow = build.m * codeBytes(ks) + 4 + (l2 && build.tables === 'norms' ? 4 : 0); // codes + id (+ row term)
    const table = build.nlist * build.m * ks * 4;
    const precomputed = l2 && build.tables === 'table' && table <= PRECOMPUTED_MAX_BYTES ? table : 0;
    // centroids on the JS heap and packed in wasm memory, their norms, list offsets
    const coarse = 2 * build.nlist * (dim + 1) * 4 + (build.nlist + 1) * 4;
    const rotation = build.opq ? dim * dim * 4 : 0;
    return {
      indexBytes: rows * perRow + codebookBytes(dim, build.m, ks) + precomputed + coarse + rotation,
      addBytes: 2 * rows * perRow, // the merged lists on the JS heap, then their wasm copy beside the old block
      trainCopies: build.opq ? 4 : 3, // sample, residuals, the k-means workers' shared copy (+ rotated rows)
      chunkCopies: build.opq ? 3 : 2, // chunk and residuals, both shared with the workers (+ rotated rows)
    };
  },
  cost: (build, shape, rows) => {
    const d = shape.dim, train = Math.min(rows, 65_536), { nlist, m } = build, k = 2 ** build.nbits;
    const opq = build.opq ? opqCost(m, build.nbits, shape, train, rows) : { buildSeconds: 0, querySeconds: 0 };
    const buildSeconds = (kmeansFlops(train, nlist, d) + m * kmeansFlops(train, k, d / m) + 2 * rows * (nlist + k) * d) / RATES.kernelFlops + opq.buildSeconds;
    return {
      buildSeconds,
      querySeconds: (s) => (2 * nlist * d) / RATES.kernelFlops + (Math.min(1, numberOr(s.nprobe, 1) / nlist) * rows * m) / RATES.lookups + opq.querySeconds,
      addSecondsPerRow: addSeconds(buildSeconds, rows),
    };
  },
  paperMatch: (build) => ({ method: 'ivfpqindex(milvus)', sameSetting: build.m === 4 && build.nbits === 8, paperSetting: `${PAPER_4X256} (nlist not stated)` }),
});
