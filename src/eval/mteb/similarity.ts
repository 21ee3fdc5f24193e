/**
 * Similarities between embeddings as MTEB computes them: paired cosine / dot / Euclidean /
 * Manhattan over two aligned matrices (sklearn's paired_* functions), and exact cosine top-k
 * search. Scores are float64 computed from the float32 rows; a zero row has cosine 0 with
 * everything (sklearn's normalize leaves it zero).
 */
import { Matrix, normalizeRows } from '../../core/matrix.js';
import { getThreads, knn } from '../../core/parallel.js';

/** ||row i|| in float64. */
export function rowNorms(m: Matrix): Float64Array {
  const out = new Float64Array(m.rows);
  const { data, dim } = m;
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let j = i * dim, e = j + dim; j < e; j++) s += data[j] * data[j];
    out[i] = Math.sqrt(s);
  }
  return out;
}

/** a_i · b_j in float64. */
function dot64(a: Matrix, i: number, b: Matrix, j: number): number {
  const d = a.dim, ad = a.data, bd = b.data;
  let s = 0;
  for (let k = 0, ao = i * d, bo = j * d; k < d; k++) s += ad[ao + k] * bd[bo + k];
  return s;
}

/** Cosine of a_i and b_j given their norms. */
export function cosine(a: Matrix, i: number, aNorm: number, b: Matrix, j: number, bNorm: number): number {
  return aNorm > 0 && bNorm > 0 ? dot64(a, i, b, j) / (aNorm * bNorm) : 0;
}

export interface PairedScores {
  cosine: Float64Array;
  dot: Float64Array;
  /** Distances (not negated). */
  euclidean: Float64Array;
  manhattan: Float64Array;
}

/** Row-by-row similarities of two aligned matrices. */
export function pairedScores(a: Matrix, b: Matrix): PairedScores {
  if (a.rows !== b.rows || a.dim !== b.dim) throw new RangeError(`pairedScores: ${a.rows}×${a.dim} and ${b.rows}×${b.dim}`);
  const n = a.rows, d = a.dim;
  const na = rowNorms(a), nb = rowNorms(b);
  const out: PairedScores = { cosine: new Float64Array(n), dot: new Float64Array(n), euclidean: new Float64Array(n), manhattan: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let l2 = 0, l1 = 0;
    for (let k = 0; k < d; k++) {
      const t = a.data[o + k] - b.data[o + k];
      l2 += t * t;
      l1 += Math.abs(t);
    }
    out.dot[i] = dot64(a, i, b, i);
    out.cosine[i] = cosine(a, i, na[i], b, i, nb[i]);
    out.euclidean[i] = Math.sqrt(l2);
    out.manhattan[i] = l1;
  }
  return out;
}

/** A copy with unit rows (zero rows stay zero), in shared memory when kernels may use worker threads. */
export function normalizedCopy(m: Matrix): Matrix {
  const out = Matrix.zeros(m.rows, m.dim, getThreads() > 1);
  out.data.set(m.data);
  return normalizeRows(out);
}

/**
 * Exact cosine search over a fixed corpus. For each query row, the k corpus rows of highest
 * cosine, best first, with float64 cosines: the candidates come from the float32 inner-product
 * search of core (knn over unit rows), a few more than k, and are then rescored exactly and
 * re-sorted (ties by lower row), so the order does not depend on float32 rounding.
 * `exclude(q, c)` drops pairs (MTEB's ignore_identical_ids).
 */
export class CosineSearch {
  private readonly unit: Matrix;
  private readonly norms: Float64Array;

  constructor(readonly corpus: Matrix) {
    this.unit = normalizedCopy(corpus);
    this.norms = rowNorms(corpus);
  }

  async topK(queries: Matrix, k: number, exclude?: (q: number, c: number) => boolean): Promise<{ ids: Int32Array[]; scores: Float64Array[] }> {
    const { corpus, norms } = this;
    const nb = corpus.rows;
    const kk = Math.min(nb, k + (exclude ? 1 : 0));
    const fetchK = Math.min(nb, kk + Math.max(3, Math.ceil(kk / 100)));
    const { ids } = await knn(this.unit, normalizedCopy(queries), fetchK, 'ip');
    const qn = rowNorms(queries);
    const outIds: Int32Array[] = [], outScores: Float64Array[] = [];
    const cand: { id: number; s: number }[] = [];
    for (let q = 0; q < queries.rows; q++) {
      cand.length = 0;
      for (let j = 0; j < fetchK; j++) {
        const c = ids[q * fetchK + j];
        if (c < 0 || (exclude && exclude(q, c))) continue;
        cand.push({ id: c, s: cosine(queries, q, qn[q], corpus, c, norms[c]) });
      }
      cand.sort((x, y) => y.s - x.s || x.id - y.id);
      const m = Math.min(k, cand.length);
      const qi = new Int32Array(m), qs = new Float64Array(m);
      for (let j = 0; j < m; j++) {
        qi[j] = cand[j].id;
        qs[j] = cand[j].s;
      }
      outIds.push(qi);
      outScores.push(qs);
    }
    return { ids: outIds, scores: outScores };
  }
}

/** One-off `CosineSearch`. */
export function cosineTopK(queries: Matrix, corpus: Matrix, k: number, exclude?: (q: number, c: number) => boolean): Promise<{ ids: Int32Array[]; scores: Float64Array[] }> {
  return new CosineSearch(corpus).topK(queries, k, exclude);
}
