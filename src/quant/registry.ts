/**
 * The quantizer registry: a frozen map from id to its description, its parameters and a factory.
 * Adding a quantizer is one file plus one entry here. An unknown id gets a "did you mean" answer.
 */
import { InputError } from '../core/errors.js';
import { didYouMean } from '../core/names.js';
import { frozenRegistry } from '../core/registry.js';
import { AdditiveQuantizer } from './avq.js';
import type { CodebookQuantizer } from './codebook-quantizer.js';
import { ProductQuantizer } from './pq.js';
import { ResidualQuantizer } from './rvq.js';
import type { QuantizerState } from './types.js';
import { WeightedResidualQuantizer, type WeightRule } from './wrvq.js';

export interface QuantizerParams {
  /** Codebooks (PQ: sub-spaces). Default 4, the paper's setting. */
  books?: number;
  /** Codewords per codebook. Default 256, the paper's setting. */
  size?: number;
  /** Beam width of RVQ encoding (default 5, faiss's) and of AVQ's initial encoding (default 1). */
  beam?: number;
  /** WRVQ weight rule: 'paper' (residual length, eq. 8) or 'gain' (projection). Default 'paper'. */
  weights?: WeightRule;
}

export interface QuantizerEntry {
  id: string;
  describe: string;
  /** Names of the parameters this quantizer reads. */
  params: readonly (keyof QuantizerParams)[];
  create(p: QuantizerParams): CodebookQuantizer;
  fromJSON(s: QuantizerState): CodebookQuantizer;
}

const entries: QuantizerEntry[] = [
  {
    id: 'pq', describe: 'product quantization: one k-means codebook per sub-space',
    params: ['books', 'size'],
    create: (p) => new ProductQuantizer(p.books ?? 4, p.size ?? 256),
    fromJSON: (s) => ProductQuantizer.fromJSON(s),
  },
  {
    id: 'rvq', describe: 'residual vector quantization, beam-search encoding',
    params: ['books', 'size', 'beam'],
    create: (p) => new ResidualQuantizer(p.books ?? 4, p.size ?? 256, p.beam ?? 5),
    fromJSON: (s) => ResidualQuantizer.fromJSON(s),
  },
  {
    id: 'avq', describe: 'additive quantization (LSQ++-style ICM encoding, least-squares codebooks)',
    params: ['books', 'size', 'beam'],
    create: (p) => new AdditiveQuantizer(p.books ?? 4, p.size ?? 256, { beam: p.beam ?? 1 }),
    fromJSON: (s) => AdditiveQuantizer.fromJSON(s),
  },
  {
    id: 'wrvq', describe: 'weight residual vector quantization (paper eq. 8), fp16 weights',
    params: ['books', 'size', 'weights'],
    create: (p) => new WeightedResidualQuantizer(p.books ?? 4, p.size ?? 256, p.weights ?? 'paper'),
    fromJSON: (s) => WeightedResidualQuantizer.fromJSON(s),
  },
];

export const QUANTIZERS = frozenRegistry('quantizer', entries, (e) => e.id);
export const QUANTIZER_IDS = Object.keys(QUANTIZERS);

export function quantizerEntry(id: string, flag = '--method'): QuantizerEntry {
  const e = Object.hasOwn(QUANTIZERS, id) ? QUANTIZERS[id] : undefined;
  if (!e) throw new InputError(`${flag}: unknown quantizer '${id}'${didYouMean(id, QUANTIZER_IDS)}; known: ${QUANTIZER_IDS.join(', ')}.`);
  return e;
}

export function createQuantizer(id: string, p: QuantizerParams = {}): CodebookQuantizer {
  return quantizerEntry(id).create(p);
}

export function quantizerFromJSON(s: QuantizerState): CodebookQuantizer {
  return quantizerEntry(s.kind, 'state.kind').fromJSON(s);
}
