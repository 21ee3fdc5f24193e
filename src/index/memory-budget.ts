/**
 * The peak-RSS budget of an index run, from the index descriptor's memory model (`memory`): the
 * process's fixed cost (Node, the wasm kernels, the worker threads, their scratch), the built index, the copies an
 * add makes while merging, the training sample and one chunk (with the copies each holds while in
 * use), the queries and their ground truth, and, when the base is loaded whole, the base. Printed
 * before a build ("peak RSS budget ≈ …") and recorded beside the measured peak in the index record.
 * A sum of the parts: the training and adding phases do not overlap, so it errs high.
 */
import { getThreads } from '../core/parallel.js';
import type { IndexDescriptor, IndexMemoryModel } from './descriptor.js';

/**
 * The process's own resident bytes before any data: Node with the modules loaded, the wasm kernels
 * and the worker threads started (`vqbench index` on a 5 MB dataset peaked at 234 MiB; rounded up).
 */
export const RUNTIME_BYTES = 256 * 2 ** 20;

/**
 * Wasm scratch of the kernels per thread (the main one and each worker): operands are copied in up
 * to src/core/wasm/memory.ts's 64 MiB budget, and a wasm memory never shrinks.
 */
export const KERNEL_SCRATCH_BYTES = 64 * 2 ** 20;

/** Bytes of PQ-style codebooks over `subDims` floats per codeword summed over books (d for PQ, books·d for RVQ), their norms and the wasm copy the ADC tables read. */
export function codebookBytes(subDims: number, books: number, ks: number): number {
  return 2 * subDims * ks * 4 + 2 * books * ks * 4 + 2 * books * 4;
}

/** Bytes of one code: one byte up to 256 codewords, else two. */
export function codeBytes(ks: number): number {
  return ks <= 256 ? 1 : 2;
}

export interface BudgetShape {
  rows: number;
  dim: number;
  /** Rows of the training sample (0: none). */
  trainRows: number;
  /** Rows read and added at a time; the whole base when it is loaded whole. */
  chunkRows: number;
  queries: number;
  /** Neighbours kept per query in the ground truth. */
  k: number;
  /** The base is loaded whole (no chunked build): it is resident throughout. */
  wholeBase: boolean;
}

export interface BudgetPart {
  name: string;
  bytes: number;
}

export interface RssBudget {
  /** The sum of the parts; null when the index has no memory model. */
  bytes: number | null;
  parts: BudgetPart[];
  /** The model's own figures (null without one). */
  model: IndexMemoryModel | null;
}

/** The budget of building `d` with resolved `build` parameters over a base of `shape`. */
export function rssBudget(d: IndexDescriptor, build: Record<string, unknown>, shape: BudgetShape): RssBudget {
  const model = d.memory ? d.memory(build as never, shape.dim, shape.rows) : null;
  const rowBytes = shape.dim * 4;
  const parts: BudgetPart[] = [];
  if (model) {
    parts.push({ name: 'index', bytes: model.indexBytes });
    if (model.addBytes > 0) parts.push({ name: 'merge copies', bytes: model.addBytes });
    if (shape.trainRows > 0) parts.push({ name: 'train sample', bytes: shape.trainRows * rowBytes * model.trainCopies });
    if (!shape.wholeBase) parts.push({ name: 'chunk', bytes: shape.chunkRows * rowBytes * model.chunkCopies });
  }
  if (shape.wholeBase) parts.push({ name: 'base', bytes: shape.rows * rowBytes });
  parts.push({ name: 'queries', bytes: shape.queries * rowBytes });
  parts.push({ name: 'ground truth', bytes: shape.queries * shape.k * 8 });
  parts.push({ name: 'runtime', bytes: RUNTIME_BYTES });
  parts.push({ name: 'kernel scratch', bytes: (getThreads() + 1) * KERNEL_SCRATCH_BYTES });
  return { bytes: model ? parts.reduce((s, p) => s + p.bytes, 0) : null, parts, model };
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(b < 10 * 2 ** 20 ? 1 : 0)} MiB`;

/** "peak RSS budget ≈ 1.2 GiB (index 300 MiB + train sample 25 MiB + chunk 64 MiB + …)". */
export function formatBudget(b: RssBudget, index: string): string {
  const parts = b.parts.map((p) => `${p.name} ${mib(p.bytes)}`).join(' + ');
  if (b.bytes === null) return `peak RSS budget: unknown (${index} has no memory model; known parts: ${parts})`;
  const total = b.bytes >= 2 ** 30 ? `${(b.bytes / 2 ** 30).toFixed(2)} GiB` : mib(b.bytes);
  return `peak RSS budget ≈ ${total} (${parts})`;
}
