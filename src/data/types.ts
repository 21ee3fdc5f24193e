import type { Matrix } from '../core/matrix.js';
import type { RowSource } from './row-source.js';

/** How neighbours are ranked. 'angular' data is stored L2-normalized, so L2 order = cosine order. */
export type DatasetMetric = 'l2' | 'angular' | 'ip';

/** Exact neighbours of each query: k ids and distances per row, ascending. */
export interface GroundTruth {
  k: number;
  ids: Int32Array;
  dists: Float32Array;
}

/**
 * A vector dataset in four parts (faiss contrib/datasets style): training rows, the base to index,
 * queries, and (optionally) exact ground truth of the queries against the base.
 */
export interface VectorDataset {
  /** Registry name or the file path it came from. */
  name: string;
  /** Where the vectors came from and under which licence (for result files and reports). */
  source: string;
  metric: DatasetMetric;
  dim: number;
  /** Rows to train quantizers on (may share rows with `base`, never with `queries`). */
  train: Matrix;
  base: Matrix;
  queries: Matrix;
  groundTruth?: GroundTruth;
  /** sha256 (hex, first 16 chars) of the data that was loaded, to name caches and results. */
  checksum: string;
}

/**
 * A dataset whose base is read on demand (src/data/streamed.ts): the same parts and checksum as the
 * `VectorDataset` of the same spec, but `base` and `train` are RowSources; only the queries are held.
 */
export interface StreamedDataset {
  name: string;
  source: string;
  metric: DatasetMetric;
  dim: number;
  train: RowSource;
  base: RowSource;
  queries: Matrix;
  groundTruth?: GroundTruth;
  checksum: string;
  /** Closes the files behind base and train. */
  close(): void;
}
