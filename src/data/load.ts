/** The one entry point of the dataset layer (see registry.ts). */
export { loadDataset, DATASETS, DATASET_NAMES, type LoadOptions } from './registry.js';
export { groundTruth } from './ground-truth.js';
export type { VectorDataset, GroundTruth, DatasetMetric } from './types.js';
export { parseDataSpec, dataSpecLabel, type DataSpec } from './data-spec.js';
export { openStreamedDataset, chunkRowsFor, type StreamOptions } from './streamed.js';
export { groundTruthStreamed, type StreamedGroundTruthOptions } from './ground-truth-streamed.js';
export { openRowSource, openRowFile, openIdRows } from './row-files.js';
export type { RowSource } from './row-source.js';
export type { StreamedDataset } from './types.js';
