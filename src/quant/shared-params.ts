/**
 * The two parameters RVQ, AVQ and WRVQ share (PQ counts the same things as faiss does, `m` and
 * `nbits`, in src/quant/pq.ts): `books` codebooks of `size` codewords. The defaults are the paper's
 * 4 × 256 and are written here only.
 */
import { NBITS_AS_SIZE, type ParamSpec } from '../core/params.js';

export const BOOKS = {
  default: 4, min: 1, max: 64, aliases: ['m'],
  describe: "codebooks (stages), one code each. Default 4, the paper's setting; more = lower loss, more bits, slower encoding",
} as const satisfies ParamSpec;

export const SIZE = {
  default: 256, min: 2, max: 65536, aliases: [NBITS_AS_SIZE],
  describe: 'codewords per codebook. Default 256 (8-bit codes); larger = lower loss, k-means and encoding cost grow linearly',
} as const satisfies ParamSpec;
