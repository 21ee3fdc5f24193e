/**
 * Beam search over the stages of an additive quantizer (RVQ, and AVQ's initial encoding), as
 * faiss's ResidualQuantizer does: each vector keeps its `beam` best partial encodings; a stage
 * expands each of them by every codeword of the next codebook and keeps the best `beam` of the
 * beam × size candidates, ranked by the exact squared error ||r − c||² = ||r||² + ||c||² − 2 r·c.
 * Beam 1 is greedy RVQ encoding.
 */
import { Matrix } from '../core/matrix.js';
import { innerProducts, rowNormsSq } from '../core/distance.js';
import { TopK } from '../core/topk.js';
import { getThreads, parallelRows, shared } from '../core/parallel.js';

export interface BeamState {
  n: number;
  beam: number;
  stages: number;
  dim: number;
  /** n × beam × stages code indices. */
  codes: Uint16Array;
  /** n × beam × dim residuals. */
  residuals: Float32Array;
  /** n × beam squared errors (||residual||²), ascending within each vector. */
  errors: Float32Array;
}

export function beamInit(x: Matrix): BeamState {
  return {
    n: x.rows, beam: 1, stages: 0, dim: x.dim,
    codes: new Uint16Array(0),
    residuals: x.data.slice(),
    errors: rowNormsSq(x.data, x.rows, x.dim),
  };
}

/** The residuals of every kept partial encoding, as a (n·beam) × dim matrix (no copy). */
export function beamResiduals(s: BeamState): Matrix {
  return new Matrix(s.residuals, s.n * s.beam, s.dim);
}

const CHUNK = 256;

function sharedArray<T extends Float32Array | Uint16Array>(ctor: new (b: SharedArrayBuffer) => T, n: number, bytes: number): T {
  return new ctor(new SharedArrayBuffer(n * bytes));
}

/**
 * Extends every encoding by one stage with codebook c (size × dim), keeping at most maxBeam per
 * vector. Vectors are independent, so large steps are split over the worker threads.
 */
export async function beamStep(s: BeamState, c: Matrix, maxBeam: number): Promise<BeamState> {
  const { n, beam, stages, dim: d } = s;
  const K = c.rows;
  const nb = Math.min(maxBeam, beam * K);
  const flops = 2 * n * beam * K * d;
  const par = flops >= 2e8 && getThreads() > 1;
  const out: BeamState = {
    n, beam: nb, stages: stages + 1, dim: d,
    codes: par ? sharedArray(Uint16Array, n * nb * (stages + 1), 2) : new Uint16Array(n * nb * (stages + 1)),
    residuals: par ? sharedArray(Float32Array, n * nb * d, 4) : new Float32Array(n * nb * d),
    errors: par ? sharedArray(Float32Array, n * nb, 4) : new Float32Array(n * nb),
  };
  const input: BeamState = par
    ? { ...s, residuals: shared(s.residuals), errors: shared(s.errors), codes: sharedCodes(s.codes) }
    : s;
  await parallelRows(
    { module: import.meta.url, fn: 'beamStepTask', args: { s: input, c: c.data, K, out } },
    n, par ? flops : 0, (a, b) => beamStepRange(input, c.data, K, out, a, b),
  );
  return out;
}

function sharedCodes(a: Uint16Array): Uint16Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const b = sharedArray(Uint16Array, a.length, 2);
  b.set(a);
  return b;
}

/** Worker entry point. */
export function beamStepTask(a: Record<string, any>, start: number, end: number): void {
  beamStepRange(a.s, a.c, a.K, a.out, start, end);
}

/** beamStep for vectors [start, end): reads state s, writes state out (already sized). */
function beamStepRange(s: BeamState, cd: Float32Array, K: number, out: BeamState, start: number, end: number): void {
  const { beam, stages, dim: d } = s;
  const nb = out.beam;
  const cNorms = rowNormsSq(cd, K, d);
  const tile = new Float32Array(CHUNK * beam * K);
  for (let i0 = start; i0 < end; i0 += CHUNK) {
    const ni = Math.min(CHUNK, end - i0);
    innerProducts(s.residuals, i0 * beam * d, ni * beam, cd, 0, K, d, tile, K);
    const heap = new TopK(ni, nb);
    for (let i = 0; i < ni; i++) {
      for (let b = 0; b < beam; b++) {
        const row = i * beam + b;
        const e = s.errors[(i0 + i) * beam + b];
        if (e === Infinity) continue; // unfilled slot
        let worst = heap.worst(i);
        const o = row * K;
        for (let k = 0; k < K; k++) {
          const v = e + cNorms[k] - 2 * tile[o + k];
          if (v < worst) {
            heap.push(i, v, b * K + k);
            worst = heap.worst(i);
          }
        }
      }
    }
    const { ids, dists } = heap.sort();
    for (let i = 0; i < ni; i++) {
      const gi = i0 + i;
      for (let j = 0; j < nb; j++) {
        const cand = ids[i * nb + j];
        const dst = gi * nb + j;
        if (cand < 0) { out.errors[dst] = Infinity; continue; }
        const b = Math.floor(cand / K), k = cand - b * K;
        const src = gi * beam + b;
        out.errors[dst] = Math.max(0, dists[i * nb + j]);
        out.codes.set(s.codes.subarray(src * stages, (src + 1) * stages), dst * (stages + 1));
        out.codes[dst * (stages + 1) + stages] = k;
        const ro = dst * d, so = src * d, co = k * d;
        for (let t = 0; t < d; t++) out.residuals[ro + t] = s.residuals[so + t] - cd[co + t];
      }
    }
  }
}

/** Encodes x with codebooks used as successive stages, keeping `beam` candidates; returns n × stages codes. */
export function beamEncode(x: Matrix, codebooks: Matrix[], beam: number): Uint16Array {
  const M = codebooks.length;
  const codes = new Uint16Array(x.rows * M);
  const chunk = 4096;
  for (let i0 = 0; i0 < x.rows; i0 += chunk) {
    const part = x.sliceRows(i0, Math.min(x.rows, i0 + chunk));
    let s = beamInit(part);
    for (const c of codebooks) s = beamStepSync(s, c, beam);
    // the best encoding is the first of each vector's sorted beam
    for (let i = 0; i < part.rows; i++) codes.set(s.codes.subarray(i * s.beam * M, i * s.beam * M + M), (i0 + i) * M);
  }
  return codes;
}

/** Single-threaded beamStep, for synchronous encoders. */
export function beamStepSync(s: BeamState, c: Matrix, maxBeam: number): BeamState {
  const nb = Math.min(maxBeam, s.beam * c.rows);
  const out: BeamState = {
    n: s.n, beam: nb, stages: s.stages + 1, dim: s.dim,
    codes: new Uint16Array(s.n * nb * (s.stages + 1)),
    residuals: new Float32Array(s.n * nb * s.dim),
    errors: new Float32Array(s.n * nb),
  };
  beamStepRange(s, c.data, c.rows, out, 0, s.n);
  return out;
}
