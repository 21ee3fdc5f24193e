// Seeded test data: the project's own generators (src/data/synthetic.ts) under short names.
import { gaussianMatrix, gaussianMixture } from '../../src/data/synthetic.js';

export const mixture = gaussianMixture;
export const randomMatrix = gaussianMatrix;

export function bruteForceL2(a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += (a[ao + k] - b[bo + k]) ** 2;
  return s;
}
