/**
 * What one cell does, by kind: build the job from the cell's configuration, call the existing job
 * (runQuantize, runIndexJob, runInsertJob, runMteb, the rate–distortion bound) and classify the
 * outcome. Runs inside the cell's child process (src/run/cell.ts); plain data in and out.
 */
import { UnavailableError, VqbenchError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { ProgressFn } from '../core/progress.js';
import { loadDataset } from '../data/load.js';
import { chromaUnavailable } from '../index/chroma.js';
import type { IndexParams } from '../index/registry.js';
import type { MtebQuantizerSpec } from './mteb.js';
import { gaussianRateDistortion, RD_DEFINITION } from '../eval/rate-distortion.js';
import type { TrainerKind } from '../quant/types.js';
import { RECALL_DEFINITION } from './index-job.js';
import type { CellKind, CellStatus } from './result.js';
import type { CellPlan } from './task.js';

export interface CellOutcome {
  status: Exclude<CellStatus, 'timeout'>;
  error: string | null;
  metrics: unknown;
  /** Checksum of the data the job loaded, when its output names it. */
  datasetChecksum: string | null;
  definitions: Record<string, string>;
}

const TIMING_DEFINITIONS: Record<string, string> = {
  'timing.wallSeconds': 'wall-clock seconds of the cell, from starting its process to its exit (process start and data loading included)',
  'timing.cpuSeconds': 'user + system CPU seconds of the cell process, all its threads',
  'timing.peakRssBytes': "peak resident set size of the cell process (VmHWM of its address space on Linux, see src/core/memory.ts; getrusage maxrss elsewhere): the whole process, dataset and runtime included, not the index's own bytes",
};

export const DEFINITIONS: Record<CellKind, Record<string, string>> = {
  quantize: {
    loss: 'mean ||x − x̂||² over the held-out rows (paper eq. 5)',
    relativeLoss: 'loss / mean ||x||² of the held-out rows (1 = no better than x̂ = 0)',
    bitsPerVector: 'every stored bit per vector: code indices and WRVQ fp16 weights (16 bits each)',
    paperRatio: "the paper's compression ratio (eqs. 6 and 9), in the paper's own units",
    honestRatio: '32·d / bitsPerVector: float32 bits over every stored bit',
    trainSeconds: 'wall seconds of codebook training',
    encodeSeconds: 'wall seconds to encode the held-out rows',
    ...TIMING_DEFINITIONS,
  },
  index: {
    recall: RECALL_DEFINITION,
    nnRecall: RECALL_DEFINITION,
    qps: 'queries per second, one query at a time on one thread, after warm-up',
    latencyMs: 'per-query latency percentiles (ms), one thread',
    buildSeconds: 'wall seconds to build (train + add) the index',
    indexBytes: "the index's own bytes (exact for ours; the adapter's estimate for native libraries, on-disk size for LanceDB)",
    peakRssBytes: 'process peak RSS when the configuration was measured (whole process, dataset included)',
    bitsPerVector: 'bits the index stores per vector',
    ...TIMING_DEFINITIONS,
  },
  insert: {
    seconds: 'wall seconds to add the batch',
    indexBytesDelta: "change of the index's own bytes over the batch",
    rssDeltaBytes: 'change of the process RSS over the batch (noisy: the garbage collector runs when it likes)',
    recall: `${RECALL_DEFINITION}; truth = the exact neighbours among the rows indexed so far`,
    ...TIMING_DEFINITIONS,
  },
  mteb: {
    main_score: "the task type's MTEB main metric",
    delta: 'quantized main_score minus the original main_score',
    ...TIMING_DEFINITIONS,
  },
  'rd-bound': {
    distortion: RD_DEFINITION,
    relativeDistortion: 'distortion / mean ||x||² (comparable with relativeLoss)',
    bits: 'bits per vector (rate R)',
    ...TIMING_DEFINITIONS,
  },
};

/** The first sentence of a message, ending with a period. */
export function oneSentence(msg: string): string {
  const line = msg.split('\n').map((s) => s.trim()).find((s) => s.length > 0) ?? 'unknown error';
  return /[.!?]$/.test(line) ? line : `${line}.`;
}

/** runMteb, loaded when an mteb cell runs (it pulls in the embedders), so a failure to load it fails only those cells. */
async function loadRunMteb(): Promise<typeof import('./mteb.js').runMteb> {
  try {
    return (await import('./mteb.js')).runMteb;
  } catch (e) {
    throw new VqbenchError(`runMteb could not be loaded (${oneSentence((e as Error).message).replace(/\.$/, '')}).`);
  }
}

/** Replaces the subset folder path a job reports as its dataset with the task's dataset name. */
function renameDataset<T>(m: T, data: string, name: string): T {
  if (data === name || typeof m !== 'object' || m === null) return m;
  const o = m as Record<string, unknown>;
  if (o.dataset === data) o.dataset = name;
  return m;
}

/** Runs the cell's job. Errors a user can cause come back as a failed (or not-run) outcome; bugs throw. */
export async function executeCell(cell: CellPlan, data: string | null, onProgress?: ProgressFn): Promise<CellOutcome> {
  const c = cell.config as Record<string, unknown> & { seed: number };
  const definitions = DEFINITIONS[cell.kind];
  const name = cell.dataset?.name ?? '';
  const ok = (metrics: unknown, datasetChecksum: string | null, defs = definitions): CellOutcome => ({ status: 'ok', error: null, metrics, datasetChecksum, definitions: defs });
  try {
    switch (cell.kind) {
      case 'quantize': {
        const { runQuantize } = await import('./quantize.js');
        const { pickQuantizerParams } = await import('../quant/registry.js');
        const r = await runQuantize({
          data: data!, method: c.method as string, params: pickQuantizerParams(c.method as string, c), trainer: c.trainer as TrainerKind | undefined,
          trainSize: c.trainSize as number | undefined, evalSize: c.evalSize as number | undefined,
          adamIters: c.adamIters as number | undefined, adamLr: c.adamLr as number | undefined, seed: c.seed, onProgress,
        });
        return ok(renameDataset(r, data!, name), r.datasetChecksum);
      }
      case 'index': {
        if (c.index === 'chroma') throw chromaUnavailable();
        const { runIndexJob } = await import('./index-job.js');
        const records = await runIndexJob({
          data: data!, index: c.index as string, build: c.build as IndexParams, search: c.search as IndexParams,
          sweep: c.sweep as Record<string, (number | string | boolean)[]>, k: c.k as number | undefined,
          queries: c.queries as number | undefined, warmup: c.warmup as number | undefined, seed: c.seed, onProgress,
        });
        for (const r of records) renameDataset(r, data!, name);
        const good = records.filter((r) => r.status === 'ok');
        if (good.length === 0) return { status: 'failed', error: records[0]?.error ?? 'no search configuration ran.', metrics: records, datasetChecksum: records[0]?.datasetChecksum ?? null, definitions };
        return ok(records, records[0].datasetChecksum);
      }
      case 'insert': {
        const { runInsertJob } = await import('./index-job.js');
        const r = await runInsertJob({
          data: data!, index: c.index as string, build: c.build as IndexParams, search: c.search as IndexParams,
          batches: c.batches as number[], k: c.k as number | undefined, queries: c.queries as number | undefined, seed: c.seed, onProgress,
        });
        return ok(renameDataset(r, data!, name), null);
      }
      case 'rd-bound': {
        const ds = await loadDataset(data!, { seed: c.seed });
        const rows = c.rows as number;
        const train = ds.train.rows > rows ? ds.train.selectRows(new Rng(c.seed).sample(ds.train.rows, rows)) : ds.train;
        onProgress?.(0, 1, 'covariance');
        const bound = gaussianRateDistortion(train, c.bits as number[], { curvePoints: c.curvePoints as number | undefined });
        onProgress?.(1, 1, 'covariance');
        return ok({ dataset: name, datasetChecksum: ds.checksum, trainRows: train.rows, seed: c.seed, ...bound }, ds.checksum);
      }
      case 'mteb': {
        const runMteb = await loadRunMteb();
        const qc = c.quantizer as (Record<string, unknown> & { method: string; trainer?: TrainerKind }) | null;
        const { pickQuantizerParams } = await import('../quant/registry.js');
        const q: MtebQuantizerSpec | null = qc && { method: qc.method, params: pickQuantizerParams(qc.method, qc), ...(qc.trainer !== undefined && { trainer: qc.trainer }) };
        const r = await runMteb({
          model: c.model as string, tasks: c.tasks as string[], seed: c.seed, onProgress,
          ...(c.trainCorpus !== undefined && { trainCorpus: c.trainCorpus as string }),
          ...(c.trainSize !== undefined && { trainSize: c.trainSize as number }),
          ...(q ? { quantizers: [q] } : {}),
        });
        return ok(r, null, { ...definitions, ...r.definitions });
      }
    }
  } catch (e) {
    if (e instanceof UnavailableError) return { status: 'not-run', error: oneSentence(e.message), metrics: null, datasetChecksum: null, definitions };
    if (e instanceof VqbenchError) return { status: 'failed', error: oneSentence(e.message), metrics: null, datasetChecksum: null, definitions };
    throw e;
  }
}
