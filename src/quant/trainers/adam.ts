/**
 * The paper's (T) trainer: codebooks as parameters, reconstruction MSE as the loss, Adam steps on
 * minibatches with the codes held fixed, and every `refineEvery` iterations a residual fine-tuning
 * pass: re-encode the training set with the current codebooks, then one k-means style update per
 * book (`refine`). Starts from the k-means (L) codebooks. Works for any CodebookQuantizer because
 * its decoder is linear in the codewords: ∂/∂C_m[k] of ||x − x̂||² = −2 w_m (x − x̂) on book m's
 * coordinates, summed over the vectors that chose k.
 */
import type { Matrix } from '../../core/matrix.js';
import { Rng } from '../../core/rng.js';
import type { CodebookQuantizer } from '../codebook-quantizer.js';
import type { TrainOptions } from '../types.js';
import { encodeParallel } from '../encode-parallel.js';

const BETA1 = 0.9, BETA2 = 0.999, EPS = 1e-8;

export async function adamFineTune(q: CodebookQuantizer, x: Matrix, opts: TrainOptions, notes: string[]): Promise<void> {
  const iters = opts.adamIters ?? 1000;
  const lr = opts.adamLr ?? 0.001;
  const refineEvery = opts.adamRefineEvery ?? 100;
  const batch = Math.min(x.rows, opts.adamBatch === 0 ? x.rows : opts.adamBatch ?? 8192);
  const rng = new Rng((opts.seed ?? 1234) ^ 0xadad);
  const { books, size } = q;
  const d = x.dim;
  const mom = q.codebooks.map((c) => new Float32Array(c.length));
  const vel = q.codebooks.map((c) => new Float32Array(c.length));
  const grad = q.codebooks.map((c) => new Float64Array(c.length));
  const err = new Float64Array(d);
  let codes = await encodeParallel(q, x);
  let w = q.weightValues(codes);
  let order = rng.permutation(x.rows);
  let cursor = 0;
  for (let t = 1; t <= iters; t++) {
    for (const g of grad) g.fill(0);
    for (let b = 0; b < batch; b++) {
      if (cursor === x.rows) { order = rng.permutation(x.rows); cursor = 0; }
      const i = order[cursor++];
      // err = x_i − x̂_i
      for (let j = 0; j < d; j++) err[j] = x.data[i * d + j];
      for (let m = 0; m < books; m++) {
        const cb = q.codebooks[m], sd = q.subDim[m], off = q.subOffset[m];
        const src = codes.codes[i * books + m] * sd;
        const s = w ? w[i * books + m] : 1;
        for (let j = 0; j < sd; j++) err[off + j] -= s * cb[src + j];
      }
      for (let m = 0; m < books; m++) {
        const g = grad[m], sd = q.subDim[m], off = q.subOffset[m];
        const dst = codes.codes[i * books + m] * sd;
        const s = (-2 / batch) * (w ? w[i * books + m] : 1);
        for (let j = 0; j < sd; j++) g[dst + j] += s * err[off + j];
      }
    }
    const c1 = 1 - BETA1 ** t, c2 = 1 - BETA2 ** t;
    for (let m = 0; m < books; m++) {
      const p = q.codebooks[m], g = grad[m], mm = mom[m], vv = vel[m];
      for (let j = 0; j < p.length; j++) {
        const gj = g[j];
        mm[j] = BETA1 * mm[j] + (1 - BETA1) * gj;
        vv[j] = BETA2 * vv[j] + (1 - BETA2) * gj * gj;
        p[j] -= (lr * (mm[j] / c1)) / (Math.sqrt(vv[j] / c2) + EPS);
      }
    }
    q.project();
    if (t % refineEvery === 0 || t === iters) {
      codes = await encodeParallel(q, x);
      q.refine(x, codes);
      codes = await encodeParallel(q, x);
      w = q.weightValues(codes);
    }
    opts.onProgress?.(t, iters, 'adam');
    if (t % 50 === 0) await new Promise((r) => setImmediate(r)); // let progress output flush
  }
  notes.push(`adam: ${iters} iterations, lr ${lr}, batch ${batch}, k-means refinement every ${refineEvery} (size ${size})`);
}
