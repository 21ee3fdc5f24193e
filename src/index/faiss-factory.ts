/**
 * The one reader of faiss index_factory strings ('IVF1024,PQ50np', 'HNSW32', 'OPQ16_64,IVF256,PQ16',
 * 'PQ50x4', 'IVF4096_HNSW32,SQ8', ...): the string split into its components, and a summary of the
 * parts the harness needs (IVF lists, PQ sub-quantizers and bits, HNSW links, raw vectors, `np`).
 * faiss.ts (memory estimate, training checks), the faiss cost model and the paper matching all read
 * factories through it.
 */
import type { IndexMetric } from './types.js';

/** One comma-separated component of a factory string. */
export type FactoryComponent =
  | { kind: 'opq'; m: number; dOut: number | null }
  | { kind: 'pca'; dOut: number }
  | { kind: 'ivf'; nlist: number; hnswM: number | null }
  | { kind: 'hnsw'; M: number }
  | { kind: 'flat' }
  | { kind: 'pq'; m: number; nbits: number; np: boolean }
  | { kind: 'sq'; bits: number }
  | { kind: 'idmap' | 'l2norm' }
  | { kind: 'unknown'; text: string };

/** A factory string read once: its components and the parts the cost model and the paper matching use. */
export interface FactoryParts {
  factory: string;
  components: FactoryComponent[];
  /** IVF lists (0: not an IVF index). */
  nlist: number;
  /** HNSW links of an IVF coarse quantizer (IVFn_HNSWm), 0 when flat. */
  ivfHnswM: number;
  /** PQ sub-quantizers and bits per code (the last PQ component; OPQ is a rotation, not codes). */
  pq: { m: number; nbits: number } | null;
  /** The PQ component ends in `np`: no polysemous training. */
  np: boolean;
  /** HNSW links of an HNSW index (HNSWm), 0 when none. */
  hnswM: number;
  /** The index stores raw float32 vectors (Flat, HNSWm, IVFn,Flat). */
  flat: boolean;
  /** Bits per dimension of a scalar quantizer (SQ4/6/8/fp16 = 16), 0 when none. */
  sqBits: number;
  /** Every component was understood. */
  understood: boolean;
}

function component(t: string): FactoryComponent {
  let m: RegExpMatchArray | null;
  if ((m = t.match(/^OPQ(\d+)(?:_(\d+))?$/))) return { kind: 'opq', m: Number(m[1]), dOut: m[2] ? Number(m[2]) : null };
  if ((m = t.match(/^PCAW?R?(\d+)$/))) return { kind: 'pca', dOut: Number(m[1]) };
  if ((m = t.match(/^IVF(\d+)(?:_HNSW(\d+))?$/))) return { kind: 'ivf', nlist: Number(m[1]), hnswM: m[2] ? Number(m[2]) : null };
  if ((m = t.match(/^HNSW(\d+)(?:_Flat)?$/))) return { kind: 'hnsw', M: Number(m[1]) };
  if (t === 'Flat') return { kind: 'flat' };
  if ((m = t.match(/^PQ(\d+)(?:x(\d+))?(np)?$/))) return { kind: 'pq', m: Number(m[1]), nbits: m[2] ? Number(m[2]) : 8, np: m[3] === 'np' };
  if ((m = t.match(/^SQ(4|6|8|fp16)$/))) return { kind: 'sq', bits: m[1] === 'fp16' ? 16 : Number(m[1]) };
  if (t === 'IDMap' || t === 'IDMap2') return { kind: 'idmap' };
  if (t === 'L2norm') return { kind: 'l2norm' };
  return { kind: 'unknown', text: t };
}

/** Splits and reads a factory string; components it does not know make `understood` false. */
export function parseFactory(factory: string): FactoryParts {
  const components = factory.split(',').map((s) => component(s.trim()));
  const parts: FactoryParts = { factory, components, nlist: 0, ivfHnswM: 0, pq: null, np: false, hnswM: 0, flat: false, sqBits: 0, understood: true };
  for (const c of components) {
    switch (c.kind) {
      case 'ivf': parts.nlist = c.nlist; parts.ivfHnswM = c.hnswM ?? 0; break;
      case 'hnsw': parts.hnswM = c.M; parts.flat = true; break;
      case 'flat': parts.flat = true; break;
      case 'pq': parts.pq = { m: c.m, nbits: c.nbits }; parts.np = c.np; parts.flat = false; break;
      case 'sq': parts.sqBits = c.bits; parts.flat = false; break;
      case 'unknown': parts.understood = false; break;
      default: break;
    }
  }
  return parts;
}

/** What the memory estimate and the training check need of a factory on d-dimensional data. */
export interface FactoryLayout {
  /** Dimension after pre-transforms (PCA / OPQ output). */
  dOut: number;
  ivf: number;
  ivfHnswM: number;
  /** Bytes per vector of the stored codes (or raw vectors), and whether they are raw float32. */
  codeBytes: number;
  rawVectors: boolean;
  /** Bytes of codebooks, rotation matrices, precomputed tables (fixed). */
  fixedBytes: number;
  hnswM: number;
  /** Rows needed to train the largest k-means. */
  minTrainRows: number;
  /** False when some component is not understood (the estimate then uses the serialized size). */
  understood: boolean;
}

/** The layout of a factory's index on d-dimensional data: code bytes, fixed bytes, minimum training rows. */
export function factoryLayout(factory: string | FactoryParts, d: number, metric: IndexMetric = 'l2'): FactoryLayout {
  const parts = typeof factory === 'string' ? parseFactory(factory) : factory;
  const s: FactoryLayout = { dOut: d, ivf: 0, ivfHnswM: 0, codeBytes: 0, rawVectors: false, fixedBytes: 0, hnswM: 0, minTrainRows: 0, understood: parts.understood };
  for (const c of parts.components) {
    switch (c.kind) {
      case 'opq': {
        const dOut = c.dOut ?? s.dOut;
        s.fixedBytes += s.dOut * dOut * 4;
        s.dOut = dOut;
        s.minTrainRows = Math.max(s.minTrainRows, 256);
        break;
      }
      case 'pca':
        s.fixedBytes += s.dOut * c.dOut * 4 + s.dOut * 4;
        s.dOut = c.dOut;
        break;
      case 'ivf':
        s.ivf = c.nlist;
        s.ivfHnswM = c.hnswM ?? 0;
        s.fixedBytes += s.ivf * s.dOut * 4;
        s.minTrainRows = Math.max(s.minTrainRows, s.ivf);
        break;
      case 'hnsw':
        s.hnswM = c.M;
        s.rawVectors = true;
        s.codeBytes = s.dOut * 4;
        break;
      case 'flat':
        s.rawVectors = true;
        s.codeBytes = s.dOut * 4;
        break;
      case 'pq':
        s.codeBytes = Math.ceil((c.m * c.nbits) / 8);
        s.rawVectors = false;
        s.fixedBytes += s.dOut * (1 << c.nbits) * 4;
        // IVFPQ by residual with L2 precomputes nlist × m × 2^nbits float tables
        if (s.ivf && metric === 'l2') s.fixedBytes += s.ivf * c.m * (1 << c.nbits) * 4;
        s.minTrainRows = Math.max(s.minTrainRows, 1 << c.nbits);
        break;
      case 'sq':
        s.codeBytes = Math.ceil((s.dOut * c.bits) / 8);
        s.rawVectors = false;
        s.fixedBytes += s.dOut * 2 * 4;
        break;
      default:
        // IDMap: ids are counted with the lists; L2norm stores nothing; unknown: understood = false
        break;
    }
  }
  return s;
}

/** The factory's PQ components train polysemous codes (a PQ without `np`, 8 bits): slow. */
export function trainsPolysemous(parts: FactoryParts): boolean {
  return parts.components.some((c) => c.kind === 'pq' && !c.np && c.nbits === 8);
}
