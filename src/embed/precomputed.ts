/**
 * `precomputed`: vectors someone else computed, read from a `.npy` (float32/64/16, 2-D) or `.fvecs`
 * file whose row i is the vector of text i, in the dataset's order. The texts themselves are not
 * looked at, so the only check is the count: a file with another number of rows is refused in one
 * sentence naming the file and both counts. The vectors are returned as stored (normalize: false)
 * unless `normalize` is set. The embedding cache passes these through without copying them.
 */
import { basename, extname, resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import { assertFinite, Matrix, normalizeRows } from '../core/matrix.js';
import type { ProgressFn } from '../core/progress.js';
import { checksum, floatBytes } from '../data/checksum.js';
import { readVecs } from '../data/fvecs.js';
import { readNpy } from '../data/npy.js';
import type { Embedder, EmbedRole } from './types.js';

export interface PrecomputedOptions {
  /** The .npy or .fvecs file. */
  vectors?: string;
  /** L2-normalize the rows. Default false: as stored. */
  normalize?: boolean;
}

/** Reads a .npy or .fvecs file of vectors; anything else is an InputError. */
export function readVectorFile(path: string): Matrix {
  const ext = extname(path).toLowerCase();
  if (ext === '.npy') return readNpy(path);
  if (ext === '.fvecs') return readVecs(path, 'fvecs');
  throw new InputError(`--vectors ${path}: expected a .npy or .fvecs file of vectors, one row per text.`);
}

export class PrecomputedEmbedder implements Embedder {
  readonly id: string;
  readonly version: string;
  readonly dim: number;
  readonly file: string;
  readonly rows: number;
  private readonly m: Matrix;

  constructor(opts: PrecomputedOptions) {
    if (!opts.vectors) throw new InputError('embedder precomputed needs --vectors <file.npy|file.fvecs>, one row per text in the dataset\'s order.');
    this.file = resolve(opts.vectors);
    const m = readVectorFile(opts.vectors);
    assertFinite(m, opts.vectors);
    if (opts.normalize) normalizeRows(m);
    this.m = m;
    this.rows = m.rows;
    this.dim = m.dim;
    this.id = `precomputed:${basename(this.file)}${opts.normalize ? ':normalized' : ''}`;
    this.version = checksum(floatBytes(m.data), `${m.rows}x${m.dim}`);
  }

  async embed(texts: string[], _role: EmbedRole, onProgress?: ProgressFn): Promise<Matrix> {
    if (texts.length !== this.rows) {
      throw new InputError(`${this.file} holds ${this.rows} vectors but ${texts.length} texts were given; row i must be the vector of text i, in the dataset's order.`);
    }
    onProgress?.(texts.length, texts.length);
    return this.m.clone();
  }
}

export function createPrecomputedEmbedder(opts: PrecomputedOptions): PrecomputedEmbedder {
  return new PrecomputedEmbedder(opts);
}
