/**
 * Additive quantization (Babenko & Lempitsky 2014), trained and encoded as LSQ++ (Martinez et al.
 * 2018) and faiss's LocalSearchQuantizer do it: every codebook spans the whole space and
 * x̂ = Σ_m C_m[k_m]. Encoding new rows starts from a beam search (as RVQ) and improves the codes by
 * iterated conditional modes (ICM) with iterated local search: `ilsIters` rounds, each perturbing
 * `nperts` books at random and running `icmIters` ICM sweeps, a vector keeping the new codes only
 * when its error fell (16 rounds when encoding, 8 inside training: faiss's encode_ils_iters /
 * train_ils_iters). ICM uses the unary terms ||c||² − 2x·c and the pairwise terms 2 c·c' (one Gram
 * matrix per encode call), so a sweep costs books × size × (books − 1) additions per vector.
 * Training (L), as faiss LSQ: random codes to start, then `trainIters` rounds of least-squares
 * codebook update (block Gauss–Seidel, `lsSweeps` sweeps), SR-D noise on the codebooks cooling to
 * none, and local search going on from the previous round's codes; a last least-squares update.
 *
 * Why (issue 13, 2026-12-02): the earlier start from greedy residual k-means gave nested codebooks
 * (book 1 coarse, the others small residual ones) that ICM could not leave, and each round
 * re-encoded from scratch; avq 4×256 lost 1.03–1.05× of faiss LSQ 4×8 on glove-100 and 1.07× at
 * 8×16 on the GloVe sample. Measured (results/reference/2026-12-02-avq-vs-lsq.txt; glove-100,
 * 10,000 held-out queries): 50,000 training rows, ours/faiss LSQ 4×8 1.023 (seed 1234), 1.022 (seed 7);
 * at 20,000 training rows, seed 1234, 1.072 before, 1.015 now;
 * training CPU 0.85× of before (no k-means start); GloVe sample 8×16: 0.997 (test/quant/avq.test.ts).
 */
import { RATES } from '../core/cost.js';
import { Matrix } from '../core/matrix.js';
import { kmeans } from '../core/kmeans.js';
import { innerProducts, rowNormsSq } from '../core/distance.js';
import { Rng } from '../core/rng.js';
import { CodebookQuantizer, bookMatrix } from './codebook-quantizer.js';
import { beamEncode, beamInit, beamResiduals, beamStep } from './beam.js';
import { refineBook } from './refine.js';
import { runTrainer } from './trainers/run.js';
import { encodeParallel } from './encode-parallel.js';
import type { Codes, QuantizerState, TrainOptions, TrainReport } from './types.js';
import { defineQuantizer } from './descriptor.js';
import { BOOKS, SIZE } from './shared-params.js';

export interface AvqParams {
  /** Beam width of the initial encoding. Default 1 (greedy); ICM does the rest. */
  beam?: number;
  /** ICM sweeps per local-search round. Default 4 (faiss LSQ icm_iters). */
  icmIters?: number;
  /** Local-search rounds when encoding. Default 16 (faiss LSQ encode_ils_iters). */
  ilsIters?: number;
  /** Local-search rounds of the encodings inside training. Default 8 (faiss LSQ train_ils_iters). */
  trainIlsIters?: number;
  /** Books perturbed per round. Default 4 (faiss LSQ nperts), capped at books. */
  nperts?: number;
  /** Encode + least-squares rounds in training. Default 10. */
  trainIters?: number;
  /** Gauss–Seidel sweeps per least-squares update. Default 3. */
  lsSweeps?: number;
  /**
   * Scale of the codebook noise between training rounds (LSQ++'s SR-D: Gaussian, per-dimension
   * std of the data / books, times (1 − t/T)^0.5, so the last round has none). Default 1; 0 = off.
   */
  codebookNoise?: number;
  /**
   * Training start: 'random' codes (default, as faiss LSQ) or 'rvq' (greedy residual k-means, the
   * start before 2026-12-02: its nested codebooks trap the search, 7% worse at 8×16 on GloVe).
   */
  start?: 'rvq' | 'random';
}

export class AdditiveQuantizer extends CodebookQuantizer {
  readonly name = 'avq';
  readonly params: Required<AvqParams>;
  encodeSeed = 4321;

  constructor(books = 4, size = 256, params: AvqParams = {}) {
    super(books, size, false);
    this.params = {
      beam: params.beam ?? 1,
      icmIters: params.icmIters ?? 4,
      ilsIters: params.ilsIters ?? 16,
      trainIlsIters: params.trainIlsIters ?? 8,
      nperts: Math.min(books, params.nperts ?? 4),
      trainIters: params.trainIters ?? 10,
      lsSweeps: params.lsSweeps ?? 3,
      codebookNoise: params.codebookNoise ?? 1,
      start: params.start ?? 'random',
    };
  }

  get label(): string {
    return `avq(books=${this.books},size=${this.size},ils=${this.params.ilsIters},icm=${this.params.icmIters})`;
  }

  train(x: Matrix, opts: TrainOptions = {}): Promise<TrainReport> {
    return runTrainer(this, x, opts, async (notes) => {
      this.dim = x.dim;
      this.subOffset = new Array(this.books).fill(0);
      this.subDim = new Array(this.books).fill(x.dim);
      this.codebooks = [];
      this.encodeSeed = (opts.seed ?? 1234) ^ 0x5eed;
      const iters = opts.kmeansIters ?? 25;
      const startSteps = this.params.start === 'rvq' ? this.books * iters : 0;
      const total = startSteps + this.params.trainIters;
      const std = columnStd(x), noise = new Rng((opts.seed ?? 1234) ^ 0x5d5d);
      let codes: Codes | undefined;
      if (this.params.start === 'random') {
        for (let m = 0; m < this.books; m++) this.codebooks.push(new Float32Array(this.size * x.dim));
        const c = new Uint16Array(x.rows * this.books);
        for (let i = 0; i < c.length; i++) c[i] = noise.int(this.size);
        codes = { n: x.rows, books: this.books, codes: c };
      } else {
        // start: greedy residual k-means, stage by stage
        let state = beamInit(x);
        for (let m = 0; m < this.books; m++) {
          const r = await kmeans(beamResiduals(state), {
            k: this.size, iters, seed: (opts.seed ?? 1234) + m,
            onProgress: (i) => opts.onProgress?.(m * iters + i, total, `k-means stage ${m + 1}/${this.books}`),
          });
          this.codebooks.push(r.centroids.data);
          if (m + 1 < this.books) state = await beamStep(state, r.centroids, 1);
        }
      }
      // the encodings inside training run trainIlsIters rounds (the params travel to the workers in toJSON)
      const encodeIls = this.params.ilsIters, baseSeed = this.encodeSeed;
      this.params.ilsIters = this.params.trainIlsIters;
      try {
        for (let t = 0; t < this.params.trainIters; t++) {
          if (codes) {
            // least squares, then SR-D noise that cools to none
            this.refine(x, codes);
            const temperature = this.params.codebookNoise * Math.sqrt(1 - t / this.params.trainIters);
            if (temperature > 0) this.perturbCodebooks(temperature, std, noise);
          }
          // each round searches on from the last round's codes, with fresh perturbations
          this.encodeSeed = (baseSeed ^ Math.imul(t + 1, 0x9e3779b9)) >>> 0;
          codes = await encodeParallel(this, x, codes?.codes);
          opts.onProgress?.(startSteps + t + 1, total, `encode + least squares ${t + 1}/${this.params.trainIters}`);
          await new Promise((r) => setImmediate(r));
        }
        if (codes) this.refine(x, codes);
      } finally {
        this.params.ilsIters = encodeIls;
        this.encodeSeed = baseSeed;
      }
      notes.push(`avq: ${this.params.start} start, ${this.params.trainIters} rounds of least squares (${this.params.lsSweeps} Gauss–Seidel sweeps) + SR-D noise + ICM local search`);
    });
  }

  refine(x: Matrix, codes: Codes): void {
    for (let s = 0; s < this.params.lsSweeps; s++) for (let m = 0; m < this.books; m++) refineBook(this, x, codes, m, false);
  }

  /** Stochastic relaxation (SR-D): moves every codeword a little so the next encoding can leave its local minimum. */
  private perturbCodebooks(temperature: number, std: Float64Array, rng: Rng): void {
    const d = this.dim, scale = temperature / this.books;
    for (const cb of this.codebooks) {
      for (let i = 0; i < cb.length; i++) cb[i] += scale * std[i % d] * rng.normal();
    }
  }

  encode(x: Matrix, init?: Uint16Array): Codes {
    this.assertTrained();
    const { books: M, size: K } = this;
    const d = this.dim, MK = M * K;
    const all = new Float32Array(MK * d);
    for (let m = 0; m < M; m++) all.set(this.codebooks[m], m * K * d);
    const gram = new Float32Array(MK * MK);
    innerProducts(all, 0, MK, all, 0, MK, d, gram);
    const norms = rowNormsSq(all, MK, d);
    // a warm start (the training rounds) is improved on; else the search starts from the greedy encoding
    const codes = init ? Uint16Array.from(init) : beamEncode(x, Array.from({ length: M }, (_, m) => bookMatrix(this, m)), this.params.beam);
    const chunk = 1024;
    const unary = new Float32Array(chunk * MK);
    const cost = new Float64Array(K);
    const trial = new Uint16Array(M);
    for (let i0 = 0; i0 < x.rows; i0 += chunk) {
      const ni = Math.min(chunk, x.rows - i0);
      innerProducts(x.data, i0 * d, ni, all, 0, MK, d, unary, MK);
      for (let i = 0; i < ni; i++) {
        const u = unary.subarray(i * MK, (i + 1) * MK);
        for (let j = 0; j < MK; j++) u[j] = norms[j] - 2 * u[j];
        const cur = codes.subarray((i0 + i) * M, (i0 + i + 1) * M);
        // perturbations seeded by the row's own bits: the same codes whatever the chunking or threads
        const rng = new Rng(this.encodeSeed ^ hashRow(x.data, (i0 + i) * d, d));
        icm(cur, u, gram, M, K, this.params.icmIters, cost);
        let best = energy(cur, u, gram, M, K);
        for (let r = 0; r < this.params.ilsIters; r++) {
          trial.set(cur);
          for (let p = 0; p < this.params.nperts; p++) trial[rng.int(M)] = rng.int(K);
          icm(trial, u, gram, M, K, this.params.icmIters, cost);
          const e = energy(trial, u, gram, M, K);
          if (e < best) { best = e; cur.set(trial); }
        }
      }
    }
    return { n: x.rows, books: M, codes };
  }

  override get config(): Record<string, unknown> {
    return { ...super.config, ...this.params, encodeSeed: this.encodeSeed };
  }

  static fromJSON(s: QuantizerState): AdditiveQuantizer {
    const q = new AdditiveQuantizer(s.params.books as number, s.params.size as number, s.params as AvqParams).restoreState(s);
    q.encodeSeed = (s.params.encodeSeed as number) ?? q.encodeSeed;
    return q;
  }
}

/** Per-column standard deviation of x. */
function columnStd(x: Matrix): Float64Array {
  const d = x.dim, mean = new Float64Array(d), sq = new Float64Array(d);
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < d; j++) {
      const v = x.data[i * d + j];
      mean[j] += v;
      sq[j] += v * v;
    }
  }
  for (let j = 0; j < d; j++) {
    const m = mean[j] / x.rows;
    sq[j] = Math.sqrt(Math.max(0, sq[j] / x.rows - m * m));
  }
  return sq;
}

/** FNV-1a over the float32 bit patterns of a row. */
const bits = new Uint32Array(1), bitsF = new Float32Array(bits.buffer);
function hashRow(x: Float32Array, o: number, d: number): number {
  let h = 0x811c9dc5;
  for (let j = 0; j < d; j++) {
    bitsF[0] = x[o + j];
    h = Math.imul(h ^ bits[0], 0x01000193);
  }
  return h >>> 0;
}

/** ||x − x̂||² − ||x||² for codes k: Σ_m unary[m,k_m] + Σ_{m<m'} 2 c_{m,k_m}·c_{m',k_m'}. */
function energy(k: Uint16Array, unary: Float32Array, gram: Float32Array, M: number, K: number): number {
  const MK = M * K;
  let e = 0;
  for (let m = 0; m < M; m++) {
    const a = m * K + k[m];
    e += unary[a];
    for (let m2 = m + 1; m2 < M; m2++) e += 2 * gram[a * MK + m2 * K + k[m2]];
  }
  return e;
}

/** ICM sweeps: each book in turn takes its best codeword given all the others. */
function icm(k: Uint16Array, unary: Float32Array, gram: Float32Array, M: number, K: number, sweeps: number, cost: Float64Array): void {
  const MK = M * K;
  for (let s = 0; s < sweeps; s++) {
    for (let m = 0; m < M; m++) {
      const base = m * K;
      for (let c = 0; c < K; c++) cost[c] = unary[base + c];
      for (let m2 = 0; m2 < M; m2++) {
        if (m2 === m) continue;
        // the Gram matrix is symmetric: row (m2, k_m2) read along book m's columns is contiguous
        const row = (m2 * K + k[m2]) * MK + base;
        for (let c = 0; c < K; c++) cost[c] += 2 * gram[row + c];
      }
      let best = 0, bv = cost[0];
      for (let c = 1; c < K; c++) if (cost[c] < bv) { bv = cost[c]; best = c; }
      k[m] = best;
    }
  }
}

export const descriptor = defineQuantizer({
  id: 'avq',
  describe: 'additive quantization, the LSQ family (the paper\'s "AVQ"; not the anisotropic VQ of the ScaNN literature, which is `scann` here): LSQ++-style ICM encoding, least-squares codebooks; books from 1 to 64, size from 2 to 65536, beam from 1 to 64',
  params: {
    books: BOOKS,
    size: SIZE,
    beam: {
      default: 1, min: 1, max: 64,
      describe: 'beam width of the initial encoding before ICM. Default 1 (greedy; ICM does the rest); wider = a better start, slower',
    },
  },
  create: (p) => new AdditiveQuantizer(p.books, p.size, { beam: p.beam }),
  fromJSON: (s) => AdditiveQuantizer.fromJSON(s),
  cost: (p, w) => {
    // per encoded row: the unary terms (2·b·s·d) and the ICM sweeps (b·s·(b − 1) each: 1 + 8·4 in
    // each of the 10 training rounds, 1 + 16·4 when encoding the evaluation rows)
    const { books: b, size: s, beam } = p, d = w.shape.dim, n = w.trainRows;
    const row = (sweeps: number) => 2 * b * s * d + sweeps * b * s * (b - 1);
    const flops = 10 * n * row(33) + w.evalRows * (row(65) + 2 * s * d * b * beam);
    return (w.trainer === 'adam' ? 6 : 1) * flops / RATES.kernelFlops;
  },
});
