import type { Matrix } from '../core/matrix.js';
import { Rng } from '../core/rng.js';

/**
 * A seeded base / query split of one matrix: `nq` query rows drawn by Rng(seed).sample (in that
 * order), the base = every other row in its original order.
 */
export function seededSplit(all: Matrix, nq: number, seed: number): { base: Matrix; queries: Matrix } {
  const qIds = new Rng(seed).sample(all.rows, nq);
  const isQuery = new Uint8Array(all.rows);
  for (const i of qIds) isQuery[i] = 1;
  const baseIds: number[] = [];
  for (let i = 0; i < all.rows; i++) if (!isQuery[i]) baseIds.push(i);
  return { base: all.selectRows(baseIds), queries: all.selectRows(qIds) };
}
