/**
 * `precomputed`: vectors someone else computed, read from a `.npy` (float32/64/16, 2-D) or `.fvecs`
 * file whose row i is the vector of text i, in the dataset's order: a file with another number of
 * rows is refused in one sentence naming the file and both counts. When the file came from
 * `vqbench embed`, its sidecar `<file>.texts.jsonl` names the (role, text) of every row; then each
 * text is looked up, so one file serves every group of a task (queries and documents, train and
 * test) in whatever order an evaluator asks. The vectors are returned as stored (normalize: false)
 * unless `normalize` is set. The embedding cache passes these through without copying them.
 */
import { existsSync, readFileSync } from 'node:fs';
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
  /** `${role}\t${text}` → row, from the sidecar written by `vqbench embed`. */
  private readonly rowOf: Map<string, number> | null;

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
    this.rowOf = readTextsSidecar(`${this.file}.texts.jsonl`, m.rows);
  }

  async embed(texts: string[], role: EmbedRole, onProgress?: ProgressFn): Promise<Matrix> {
    if (this.rowOf) {
      const out = Matrix.zeros(texts.length, this.dim);
      texts.forEach((t, i) => {
        const r = this.rowOf!.get(`${role}\t${t}`);
        if (r === undefined) throw new InputError(`${this.file}.texts.jsonl has no ${role} text ${JSON.stringify(t.slice(0, 60))}: embed this dataset with vqbench embed first.`);
        out.data.set(this.m.row(r), i * this.dim);
      });
      onProgress?.(texts.length, texts.length);
      return out;
    }
    if (texts.length !== this.rows) {
      throw new InputError(`${this.file} holds ${this.rows} vectors but ${texts.length} texts were given; row i must be the vector of text i, in the dataset's order.`);
    }
    onProgress?.(texts.length, texts.length);
    return this.m.clone();
  }
}

/** The sidecar `vqbench embed` writes: one JSON object {role, text} per row of the vectors file. */
export function readTextsSidecar(path: string, rows: number): Map<string, number> | null {
  if (!existsSync(path)) return null;
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  if (lines.length !== rows) throw new InputError(`${path} lists ${lines.length} texts but its vectors file holds ${rows} rows.`);
  const map = new Map<string, number>();
  lines.forEach((l, i) => {
    let o: { role?: unknown; text?: unknown };
    try { o = JSON.parse(l) as typeof o; } catch { throw new InputError(`${path}:${i + 1} is not valid JSON.`); }
    if (typeof o.text !== 'string' || (o.role !== 'query' && o.role !== 'document')) throw new InputError(`${path}:${i + 1} needs {"role": "query"|"document", "text": "..."}.`);
    map.set(`${o.role}\t${o.text}`, i);
  });
  return map;
}

export function createPrecomputedEmbedder(opts: PrecomputedOptions): PrecomputedEmbedder {
  return new PrecomputedEmbedder(opts);
}
