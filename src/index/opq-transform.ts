/**
 * The `opq` option of the `pq` and `ivfpq` indexes (faiss `OPQm,PQm` and `OPQm,IVFn,PQm`, an
 * IndexPreTransform): the orthogonal d × d rotation R of OPQ (src/quant/opq.ts, learned on the
 * index's training sample with the index's m and nbits) applied to the base and to every query
 * before anything else, the coarse quantizer included. R is orthogonal, so L2 distances and inner
 * products of rotated vectors are those of the originals: the index answers in the original units.
 * R is stored once as float32 (d·d·4 bytes, counted under `codebooks`).
 */
import { Matrix } from '../core/matrix.js';
import type { DataShape } from '../core/cost.js';
import { RATES } from '../core/cost.js';
import { OptimizedProductQuantizer, descriptor as opqQuantizer } from '../quant/opq.js';
import { rotateRows } from '../quant/rotation.js';
import type { TrainOptions } from '../quant/types.js';

export const OPQ_OPTION = {
  default: false,
  describe: "rotate base and queries by OPQ's learned rotation first (faiss OPQm,… before the index; the coarse quantizer too): true or false. Default false",
} as const;

export class OpqRotation {
  private constructor(readonly dim: number, private readonly r: Float32Array) {}

  /**
   * Learns R by OPQ on `train` (m sub-spaces, 2^nbits codewords). The trained quantizer is returned
   * too: its final PQ is trained on the rotated rows, as a `pq` index would train its own.
   */
  static async learn(train: Matrix, m: number, nbits: number, opts: TrainOptions): Promise<{ rotation: OpqRotation; opq: OptimizedProductQuantizer; notes: string[] }> {
    const opq = new OptimizedProductQuantizer(m, 2 ** nbits);
    const r = await opq.train(train, opts);
    return { rotation: new OpqRotation(train.dim, Float32Array.from(opq.rotation!)), opq, notes: r.notes };
  }

  /** The rows of x rotated, y = R x (a new matrix). */
  apply(x: Matrix): Matrix {
    return new Matrix(rotateRows(x.data, x.rows, this.dim, this.r), x.rows, this.dim);
  }

  /** Bytes of R (float32). */
  get byteLength(): number {
    return this.r.byteLength;
  }
}

/** Seconds OPQ adds to a build over `rows` rows (learning R, rotating the base) and per query (one d × d product). */
export function opqCost(m: number, nbits: number, shape: DataShape, trainRows: number, rows: number): { buildSeconds: number; querySeconds: number } {
  const d = shape.dim;
  return {
    buildSeconds: opqQuantizer.cost({ m, nbits, iterations: 50 }, { shape, trainRows, evalRows: rows, trainer: 'kmeans' }),
    querySeconds: (2 * d * d) / RATES.kernelFlops,
  };
}
