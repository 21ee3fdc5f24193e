/**
 * The flat RaBitQ index (Gao & Long 2024, §4 without the IVF): every vector's RaBitQ code
 * (src/quant/rabitq.ts) is scanned with the unbiased estimator, and its error bound decides which
 * vectors are re-ranked with exact distances against the float vectors the index keeps:
 *
 * 1. per query, the estimated distance and its lower bound (estimate − bound, ε0 = `epsilon0`) of
 *    every vector; the code levels are held as B bit planes of bytes and each plane's partial inner
 *    product is read from a 256-entry table per byte of the rotated query (B·⌈D/8⌉ lookups a vector);
 * 2. the k best estimates are re-ranked exactly, giving the current k-th exact distance τ;
 * 3. every other vector whose lower bound is below τ is re-ranked too (τ tightening as it goes).
 *
 * IVF-RaBitQ (the paper's index): with `nlist` > 1 a k-means coarse quantizer (faiss's cells) splits
 * the vectors, each is encoded against its cell's centroid (the quantizer's own centroid is then 0),
 * and a query scans its `nprobe` nearest cells only (its table rebuilt per cell, v = q − c_cell for
 * l2). nlist = 1 (default) is the flat form: one cell, the training mean.
 *
 * With `reranking=none` the top k by estimate are returned with the estimated distances (codes only:
 * the equal-bits comparison with `binary`). Stats of the last search (`lastStats`): vectors
 * re-ranked per query. bitsPerVector is the code's (D·B + 64); the float vectors kept for
 * re-ranking are counted in memory (`vectors`), as faiss counts IndexRefine's.
 */
import { InputError } from '../core/errors.js';
import { kmeans } from '../core/kmeans.js';
import { Matrix } from '../core/matrix.js';
import { nearest } from '../core/parallel.js';
import { TopK } from '../core/topk.js';
import { RATES, kmeansFlops } from '../core/cost.js';
import { resolveParams, type ParamSpecs } from '../core/params.js';
import { specLabel } from '../core/spec.js';
import { encodeParallel } from '../quant/encode-parallel.js';
import { RABITQ_EPSILON0, RabitqQuantizer, descriptor as rabitqQuantizer, readScalars } from '../quant/rabitq.js';
import { addSeconds, checkDim, checkK, resolveIds } from './checks.js';
import { defineIndex } from './descriptor.js';
import { trainSample } from './train-sample.js';
import { indexSnapshot } from './snapshot.js';
import type { QuantizerState } from '../quant/types.js';
import {
  memoryBreakdown, type BuildOptions, type BuildReport, type IndexCapabilities, type IndexMetric,
  type IndexSnapshot, type MemoryBreakdown, type SearchParams, type SearchResult, type VectorIndex,
} from './types.js';

export const RABITQ_INDEX_BUILD_PARAMS = {
  ...rabitqQuantizer.params,
  nlist: { default: 1, min: 1, max: 65536, describe: 'IVF cells (k-means centroids each vector is encoded against). Default 1: the flat form (one cell, the training mean)' },
  metric: { default: 'l2', choices: ['l2', 'ip'], describe: "'l2' (squared L2, ascending) or 'ip' (inner product, descending). Default l2." },
} as const satisfies ParamSpecs;

export const RABITQ_INDEX_SEARCH_PARAMS = {
  nprobe: { default: 1, min: 1, describe: 'IVF cells scanned per query (at most nlist). Default 1' },
  epsilon0: {
    default: RABITQ_EPSILON0, min: 0, max: 100, integer: false,
    describe: 'ε0 of the error bound (the paper: 1.9, a bound holding with probability ≈ 0.94): larger re-ranks more vectors and misses fewer',
  },
  reranking: {
    default: 'bound', choices: ['bound', 'none'],
    describe: "'bound' (default): re-rank exactly every vector whose lower bound beats the current k-th exact distance; 'none': the top k by estimate, estimated distances (codes only)",
  },
} as const satisfies ParamSpecs;

// batch: worker threads restore a snapshot and split the queries (src/index/search-modes.ts)
export const RABITQ_CAPABILITIES: IndexCapabilities = Object.freeze<IndexCapabilities>({
  add: true, remove: false, filter: false, batch: true, threads: true, metrics: ['l2', 'ip'], asyncSearch: false, exactMemory: true,
});

/** Default rows the centroid is taken over (a seeded sample of the base). */
export const RABITQ_TRAIN_ROWS = 65536;

export class RabitqIndex implements VectorIndex {
  readonly name = 'rabitq';
  readonly metric: IndexMetric;
  readonly capabilities = RABITQ_CAPABILITIES;
  readonly quantizer: RabitqQuantizer;
  private dim = 0;
  private n = 0;
  /** B bit planes of ⌈D/8⌉ bytes per vector (vector-major): bit j of plane b is bit b of level x_u,j. */
  private planes = new Uint8Array(0);
  /** Per vector: ‖r‖, ⟨ō, o⟩ (stored) and ‖g‖ (derived from the levels, kept to save the scan a pass). */
  private norms = new Float32Array(0);
  private ipfs = new Float32Array(0);
  private gnorms = new Float32Array(0);
  /** The float vectors, for exact re-ranking. */
  private vectors: Float32Array = new Float32Array(0);
  private ids: Int32Array = new Int32Array(0);
  readonly nlist: number;
  /** The cells: centroids C (nlist × D; zero when nlist = 1), E = C + the quantizer's centroid and R·E. */
  private cells: Float32Array = new Float32Array(0);
  private effective: Float32Array = new Float32Array(0);
  private rotatedCells: Float32Array = new Float32Array(0);
  /** Positions of each cell's vectors. */
  private lists: Int32Array[] = [];
  /** Vectors re-ranked per query in the last search (mean), and the index size then. */
  lastStats = { reranked: 0, size: 0 };

  constructor(private readonly params: Record<string, string | number>) {
    this.metric = params.metric as IndexMetric;
    this.quantizer = new RabitqQuantizer(params.bits as number);
    this.nlist = params.nlist as number;
  }

  get label(): string {
    return specLabel('rabitq', [[RABITQ_INDEX_BUILD_PARAMS, this.params]]);
  }

  get bitsPerVector(): number {
    return this.dim ? this.quantizer.bitsPerVector : 0;
  }

  get size(): number {
    return this.n;
  }

  private get groups(): number {
    return Math.ceil(this.dim / 8);
  }

  async build(x: Matrix, opts: BuildOptions = {}): Promise<BuildReport> {
    const t0 = performance.now();
    const notes: string[] = [];
    const train = trainSample(x, opts.trainRows ?? RABITQ_TRAIN_ROWS, opts.seed ?? 1234, notes);
    if (this.nlist > train.rows) throw new InputError(`--nlist: rabitq needs at least nlist = ${this.nlist} training rows, got ${train.rows}.`);
    const r = await this.quantizer.train(train, { seed: opts.seed ?? 1234 });
    notes.push(...r.notes);
    const d = x.dim;
    if (this.nlist > 1) {
      const km = await kmeans(train, { k: this.nlist, seed: opts.seed ?? 1234, onProgress: (i, n) => opts.onProgress?.(i, n, 'coarse k-means') });
      if (km.splits) notes.push(`coarse k-means: ${km.splits} empty clusters split`);
      this.cells = km.centroids.data.slice();
      this.quantizer.centre = new Float32Array(d); // residuals to the cells are encoded as they are
      notes.push(`IVF: ${this.nlist} cells; each vector encoded against its cell's centroid`);
    } else {
      this.cells = new Float32Array(d);
    }
    this.effective = this.cells.slice();
    for (let l = 0; l < this.nlist; l++) for (let j = 0; j < d; j++) this.effective[l * d + j] += this.quantizer.centre![j];
    this.rotatedCells = this.quantizer.rotate(this.effective, this.nlist);
    this.lists = Array.from({ length: this.nlist }, () => new Int32Array(0));
    this.dim = x.dim;
    this.n = 0;
    this.planes = new Uint8Array(0);
    this.norms = new Float32Array(0);
    this.ipfs = new Float32Array(0);
    this.gnorms = new Float32Array(0);
    this.vectors = new Float32Array(0);
    this.ids = new Int32Array(0);
    await this.append(x, resolveIds(x.rows, 0, undefined, this.name));
    return { seconds: (performance.now() - t0) / 1000, notes };
  }

  async add(x: Matrix, ids?: Uint32Array): Promise<void> {
    this.requireBuilt();
    checkDim(x.dim, this.dim, 'added vectors', this.name);
    await this.append(x, resolveIds(x.rows, this.n, ids, this.name));
  }

  private async append(x: Matrix, ids: Int32Array): Promise<void> {
    const d = this.dim, B = this.quantizer.bits, G = this.groups, m = x.rows, w = d + 4;
    // the cell of each vector, and its residual to the cell's centroid (the quantizer subtracts its own, 0 then)
    let cellOf: Int32Array = new Int32Array(m), residuals = x;
    if (this.nlist > 1) {
      cellOf = (await nearest(x, new Matrix(this.cells, this.nlist, d), 'l2')).ids;
      residuals = Matrix.zeros(m, d);
      for (let t = 0; t < m; t++) for (let j = 0; j < d; j++) residuals.data[t * d + j] = x.data[t * d + j] - this.cells[cellOf[t] * d + j];
    }
    const c = await encodeParallel(this.quantizer, residuals);
    const count = new Int32Array(this.nlist);
    for (let t = 0; t < m; t++) count[cellOf[t]]++;
    const added = Array.from(count, (k) => new Int32Array(k));
    count.fill(0);
    for (let t = 0; t < m; t++) added[cellOf[t]][count[cellOf[t]]++] = this.n + t;
    this.lists = this.lists.map((l, i) => concat(l, added[i]));
    const planes = new Uint8Array(m * B * G), norms = new Float32Array(m), ipfs = new Float32Array(m), gnorms = new Float32Array(m);
    const g = new Float64Array(d);
    for (let t = 0; t < m; t++) {
      for (let j = 0; j < d; j++) {
        const v = c.codes[t * w + j];
        for (let b = 0; b < B; b++) if ((v >>> b) & 1) planes[(t * B + b) * G + (j >>> 3)] |= 1 << (j & 7);
      }
      [norms[t], ipfs[t]] = readScalars(c.codes, t, d);
      gnorms[t] = this.quantizer.gridPoint(c, t, g);
    }
    this.planes = concat(this.planes, planes);
    this.norms = concat(this.norms, norms);
    this.ipfs = concat(this.ipfs, ipfs);
    this.gnorms = concat(this.gnorms, gnorms);
    this.vectors = concat(this.vectors, x.data);
    this.ids = concat(this.ids, ids);
    this.n += m;
  }

  search(q: Matrix, k: number, params: SearchParams = {}): SearchResult {
    const p = resolveParams(RABITQ_INDEX_SEARCH_PARAMS, params, 'rabitq search parameter');
    this.requireBuilt();
    checkK(k, this.n, this.name);
    checkDim(q.dim, this.dim, 'queries', this.name);
    const d = this.dim, n = this.n, nq = q.rows, ip = this.metric === 'ip', B = this.quantizer.bits, G = this.groups;
    const nprobe = p.nprobe as number;
    if (nprobe > this.nlist) throw new InputError(`--nprobe: rabitq has nlist = ${this.nlist} cells, so nprobe must be ≤ ${this.nlist}, got ${nprobe}.`);
    const qr = this.quantizer.rotate(q.data, nq);
    const E = this.effective, RE = this.rotatedCells, half = this.quantizer.half;
    const scale = (p.epsilon0 as number) / Math.sqrt(Math.max(1, d - 1));
    const exact = p.reranking === 'bound';
    const lut = new Float32Array(G * 256), vr = new Float32Array(d);
    let est = new Float32Array(0), lower = new Float32Array(0), cand = new Int32Array(0);
    const out = new TopK(nq, k), picked = new Uint8Array(n);
    const cellDist = new Float64Array(this.nlist), order = Array.from({ length: this.nlist }, (_, l) => l);
    let reranked = 0;
    for (let i = 0; i < nq; i++) {
      const qo = i * d;
      // the cells to scan: the nprobe nearest centroids (by the metric)
      for (let l = 0; l < this.nlist; l++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += ip ? -q.data[qo + j] * this.cells[l * d + j] : (q.data[qo + j] - this.cells[l * d + j]) ** 2;
        cellDist[l] = s;
      }
      if (nprobe < this.nlist) order.sort((a, b) => cellDist[a] - cellDist[b] || a - b);
      let total = 0;
      for (let pi = 0; pi < nprobe; pi++) total += this.lists[order[pi]].length;
      if (est.length < total) { est = new Float32Array(total); lower = new Float32Array(total); cand = new Int32Array(total); }
      const estHeap = new TopK(1, Math.min(k, total));
      let m = 0, tableOf = -1;
      for (let pi = 0; pi < nprobe; pi++) {
        const l = order[pi], list = this.lists[l];
        if (!list.length) continue;
        // v = q − E_l (l2) or q (ip), rotated: R q − R E_l or R q
        let sumV = 0, vn = 0, cq = 0;
        for (let j = 0; j < d; j++) {
          vr[j] = ip ? qr[qo + j] : qr[qo + j] - RE[l * d + j];
          sumV += vr[j];
          const vj = ip ? q.data[qo + j] : q.data[qo + j] - E[l * d + j];
          vn += vj * vj;
          if (ip) cq += E[l * d + j] * q.data[qo + j];
        }
        // the byte tables of the rotated v: lut[g·256 + byte] = Σ of vr over the set bits (once for ip)
        if (!ip || tableOf < 0) {
          for (let gi = 0; gi < G; gi++) {
            const o = gi * 256;
            lut[o] = 0;
            for (let byte = 1; byte < 256; byte++) {
              const low = 31 - Math.clz32(byte & -byte), j = gi * 8 + low;
              lut[o + byte] = lut[o + (byte & (byte - 1))] + (j < d ? vr[j] : 0);
            }
          }
          tableOf = l;
        }
        const vNorm = Math.sqrt(vn), shift = half * sumV;
        for (let li = 0; li < list.length; li++) {
          const t = list[li];
          let dot = 0;
          for (let b = 0, po = t * B * G; b < B; b++, po += G) {
            let s = 0;
            for (let gi = 0; gi < G; gi++) s += lut[gi * 256 + this.planes[po + gi]];
            dot += s * (1 << b);
          }
          const norm = this.norms[t], ipf = this.ipfs[t], gn = this.gnorms[t];
          // ⟨o_t − E, v⟩ ≈ ‖r‖⟨ō, v⟩/⟨ō, o⟩, ⟨ō, v⟩ = ⟨g, R v⟩/‖g‖ and ⟨g, R v⟩ = ⟨x_u, R v⟩ − half·Σ R v
          const a = gn > 0 ? (norm * (dot - shift)) / (gn * ipf) : 0;
          const err = norm * vNorm * (Math.sqrt(Math.max(0, 1 - ipf * ipf)) / ipf) * scale;
          const s = ip ? -(a + cq) : norm * norm + vn - 2 * a;
          est[m] = s;
          lower[m] = s - (ip ? err : 2 * err);
          cand[m] = t;
          estHeap.push(0, s, m);
          m++;
        }
      }
      const best = estHeap.sort().ids, kk = best.length;
      if (!exact) {
        for (let j = 0; j < kk; j++) out.push(i, est[best[j]], cand[best[j]]);
        continue;
      }
      const dist = (t: number) => {
        let s = 0;
        if (ip) for (let j = 0, o = t * d; j < d; j++) s -= q.data[qo + j] * this.vectors[o + j];
        else for (let j = 0, o = t * d; j < d; j++) { const e = q.data[qo + j] - this.vectors[o + j]; s += e * e; }
        return s;
      };
      for (let j = 0; j < kk; j++) { picked[best[j]] = 1; out.push(i, dist(cand[best[j]]), cand[best[j]]); }
      reranked += kk;
      let tau = out.worst(i);
      for (let c = 0; c < m; c++) {
        if (picked[c] || lower[c] >= tau) continue;
        out.push(i, dist(cand[c]), cand[c]);
        tau = out.worst(i);
        reranked++;
      }
      for (let j = 0; j < kk; j++) picked[best[j]] = 0;
    }
    this.lastStats = { reranked: exact ? reranked / nq : 0, size: n };
    const s = out.sort();
    const ids = new Int32Array(nq * k), dists = new Float32Array(nq * k);
    for (let j = 0; j < nq * k; j++) {
      const pos = s.ids[j];
      ids[j] = pos < 0 ? -1 : this.ids[pos];
      dists[j] = pos < 0 ? (ip ? -Infinity : Infinity) : ip ? -s.dists[j] : Math.max(0, s.dists[j]);
    }
    return { nq, k, ids, dists };
  }

  memoryBytes(): number {
    return this.memoryBreakdown().total;
  }

  memoryBreakdown(): MemoryBreakdown {
    const d = this.dim;
    return memoryBreakdown({
      codes: this.planes.byteLength + this.norms.byteLength + this.ipfs.byteLength + this.gnorms.byteLength,
      lists: this.ids.byteLength + this.lists.reduce((s, l) => s + l.byteLength, 0),
      vectors: this.vectors.byteLength,
      // the rotation in float64, float32 and transposed float32, the centroid; the cells (C, E and R·E)
      codebooks: d ? (8 + 4 + 4) * d * d + 4 * d + this.cells.byteLength + this.effective.byteLength + this.rotatedCells.byteLength : 0,
    });
  }

  /** For batch and concurrent search on worker threads: the quantizer and every array the search reads (shared). */
  snapshot(): IndexSnapshot {
    if (!this.dim) throw new Error('rabitq: snapshot() before build()');
    const { dim, n, planes, norms, ipfs, gnorms, vectors, ids, cells, effective, rotatedCells, lists } = this;
    return indexSnapshot(import.meta.url, 'RabitqIndex', {
      params: this.params, quantizer: this.quantizer.toJSON(), fields: { dim, n, planes, norms, ipfs, gnorms, vectors, ids, cells, effective, rotatedCells, lists },
    });
  }

  static restore(s: Record<string, unknown>): RabitqIndex {
    const index = new RabitqIndex(s.params as Record<string, string | number>);
    Object.assign(index.quantizer, RabitqQuantizer.fromJSON(s.quantizer as QuantizerState));
    Object.assign(index, s.fields);
    return index;
  }

  async close(): Promise<void> {
    this.planes = new Uint8Array(0);
    this.vectors = new Float32Array(0);
    this.n = 0;
    this.dim = 0;
  }

  private requireBuilt(): void {
    if (!this.dim) throw new Error(`${this.name}: index used before build()`);
  }
}

function concat<T extends Uint8Array | Float32Array | Int32Array>(a: T, b: T): T {
  const out = new (a.constructor as new (n: number) => T)(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export const descriptor = defineIndex({
  id: 'rabitq',
  describe: 'RaBitQ codes (1 to 8 bits per dimension + 2 float32) scanned flat with the unbiased estimator; vectors whose error-bound lower limit beats the k-th exact distance re-ranked against the kept float vectors (Gao & Long 2024)',
  buildParams: RABITQ_INDEX_BUILD_PARAMS,
  searchParams: RABITQ_INDEX_SEARCH_PARAMS,
  capabilities: RABITQ_CAPABILITIES,
  unavailable: () => null,
  create: (build) => new RabitqIndex(build as Record<string, string | number>),
  cost: (build, shape, rows) => {
    const d = shape.dim, G = Math.ceil(d / 8), bits = build.bits as number, nlist = build.nlist as number;
    const trainRows = Math.min(rows, RABITQ_TRAIN_ROWS);
    const train = rabitqQuantizer.cost({ bits }, { shape, trainRows, evalRows: rows, trainer: 'kmeans' })
      + (nlist > 1 ? kmeansFlops(trainRows, nlist, d) / RATES.kernelFlops : 0);
    return {
      buildSeconds: train,
      // the query rotated (2·d²) and against the cells, the byte tables (256 per byte, per probed cell),
      // B·⌈D/8⌉ lookups per scanned vector, and a few percent of them re-ranked exactly (2·d each)
      querySeconds: (s) => {
        const probes = Math.min(nlist, typeof s.nprobe === 'number' ? s.nprobe : 1), scanned = (rows * probes) / nlist;
        return (2 * d * d + 2 * nlist * d + probes * 256 * G) / RATES.kernelFlops + (scanned * (bits * G + 8)) / RATES.lookups
          + (s.reranking === 'none' ? 0 : (0.05 * scanned * 2 * d) / RATES.graphFlops);
      },
      addSecondsPerRow: addSeconds(train, rows, 1),
    };
  },
});
