/**
 * The `vqbench stream` job, big-ann-benchmarks' streaming track: one index configuration runs a
 * runbook (src/data/runbook.ts) step by step: `insert [a, b)` adds base rows a..b−1 (the first
 * insert builds the index on its rows: training included), `delete [a, b)` removes them
 * (`remove`), `search` runs the dataset's queries one at a time on one thread. Per step: seconds,
 * rows live, the index's size and bytes after it; per search step recall@k against the exact
 * neighbours among the rows live at that step (src/data/stream-truth.ts, incremental and cached)
 * and QPS; the score is big-ann's, the mean recall over the search steps.
 *
 * Everything a user can get wrong is checked before any work: the runbook's structure, an index
 * that cannot delete given a delete step, then (once the dataset's size is known) the dry run of
 * the live set. The index sees its own ids (0, 1, 2, ... in insertion order, so `build` needs no
 * ids); they are translated to row numbers here, and a search that returns a row not live fails the run.
 */
import { InputError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { displayPath } from '../core/paths.js';
import type { ProgressFn } from '../core/progress.js';
import { peakRssBytes } from '../core/memory.js';
import { loadDataset } from '../data/load.js';
import { planRunbook, readRunbook, runbookFrom, type Runbook, type RunbookStep } from '../data/runbook.js';
import { streamTruth } from '../data/stream-truth.js';
import type { GroundTruth } from '../data/types.js';
import { measureSearch } from '../eval/ann.js';
import { annDistanceName, writeStreamResult } from '../eval/raw-results.js';
import { recallAtK } from '../eval/ann.js';
import { checkBuildParams, createIndex, givenParams, indexEntry, type IndexParams } from '../index/registry.js';
import type { IndexDescriptor } from '../index/descriptor.js';
import type { VectorIndex } from '../index/types.js';
import { captureEnvironment, type RunEnvironment } from './env.js';
import { loadWarning, machineFingerprint, oneMinuteLoad, underLoad, type LoadAverage, type LoadReading, type MachineFingerprint } from './fingerprint.js';

export const STREAM_RECALL_DEFINITION =
  "recall@k = |approx top-k ∩ exact top-k| / k averaged over queries, the exact top-k taken among the rows live at the step (big-ann-benchmarks' streaming track, without its distance-tie extension); meanRecall = its mean over the search steps (the track's score)";

/** Untimed queries before each search step's timed loop (the house default of `vqbench index`). */
const SEARCH_WARMUP = 100;

export interface StreamJob {
  data: string;
  index: string;
  build?: IndexParams;
  search?: IndexParams;
  /** The runbook file (YAML or JSON, big-ann-benchmarks' streaming format); with runbookDoc, only its name in messages. */
  runbook: string;
  /** The runbook's parsed document (a task cell's configuration holds it), read instead of the file. */
  runbookDoc?: unknown;
  /** Neighbours scored; at least 10 are searched. Default 10. */
  k?: number;
  /** Use only the first N queries. Default: all. */
  queries?: number;
  seed?: number;
  loadAverage?: LoadAverage;
  onProgress?: ProgressFn;
  /** Also write the answers of every search step here, in big-ann-benchmarks' streaming results layout (HDF5). */
  raw?: string;
}

export interface StreamStepRecord {
  step: number;
  operation: RunbookStep['operation'];
  /** The row range of an insert or delete; null for a search. */
  start: number | null;
  end: number | null;
  /** Wall seconds of the step (insert: add, or the build of the first insert; delete: remove; search: every query one at a time, after 100 untimed ones). */
  seconds: number;
  /** Rows live after the step (the runbook's dry run) and the index's own count. */
  live: number;
  indexSize: number;
  /** The index's own bytes after the step. */
  indexBytes: number;
  /** Search steps: recall@k against the exact neighbours among the live rows, and queries per second; null otherwise. */
  recall: number | null;
  qps: number | null;
}

export interface StreamResult {
  index: string;
  label: string;
  params: { build: IndexParams; search: IndexParams };
  dataset: string;
  datasetChecksum: string;
  runbook: { file: string; dataset: string; hash: string; maxPts: number; steps: number };
  k: number;
  queries: number;
  steps: StreamStepRecord[];
  /** Mean recall@k over the search steps (big-ann-benchmarks' streaming score). */
  meanRecall: number;
  /** The exact neighbours came from the cache (else they were computed and cached). */
  truthCached: boolean;
  recallDefinition: string;
  memoryIsExact: boolean;
  bitsPerVector: number;
  peakRssBytes: number;
  seed: number;
  notes: string[];
  env: RunEnvironment;
  fingerprint: MachineFingerprint;
  /** The 1-minute load average right before the first step and right after the last. */
  load: LoadReading;
  loadWarning: string | null;
}

/** The sentence why `entry` with `build` cannot run a runbook that deletes, or null. */
export function deleteUnsupported(entry: IndexDescriptor, build: IndexParams, rb: Runbook): string | null {
  const del = rb.steps.find((s) => s.operation === 'delete');
  if (!del) return null;
  const why = !entry.capabilities.remove ? `${entry.id} cannot remove vectors`
    : entry.removeUnsupported?.(build as never) ?? null;
  return why === null ? null : `--runbook ${rb.file}: step ${del.step} deletes rows, but --index ${entry.id} does not support deletes (${why.replace(/\.$/, '')}).`;
}

/** Names the runbook's top key may have for this dataset spec: the spec itself, its name before ':' and the loaded name. */
function datasetNames(data: string): string[] {
  const base = data.split(':')[0];
  const file = base.split(/[\\/]/).pop()!.replace(/\.[^.]+$/, '');
  return [...new Set([data, base, file])];
}

export async function runStreamJob(job: StreamJob): Promise<StreamResult> {
  const entry = indexEntry(job.index);
  const k = job.k ?? 10;
  if (!Number.isInteger(k) || k < 1) throw new InputError(`--k must be a positive integer, got ${k}.`);
  const kSearched = Math.max(k, 10);
  const seed = job.seed ?? 1234;
  const build = checkBuildParams(entry.id, job.build ?? {});
  const search = givenParams(entry.id, 'search', job.search ?? {});
  if (job.queries !== undefined && (!Number.isInteger(job.queries) || job.queries < 1)) throw new InputError(`--queries must be a positive integer, got ${job.queries}.`);
  // before any work: the runbook's structure and the index's deletes, then its dry run over the base
  const rb = job.runbookDoc === undefined ? readRunbook(job.runbook, datasetNames(job.data)) : runbookFrom(job.runbookDoc, job.runbook, datasetNames(job.data));
  const noDelete = deleteUnsupported(entry, build, rb);
  if (noDelete) throw new InputError(noDelete);
  const ds = await loadDataset(job.data, { seed });
  const plan = planRunbook(rb, ds.base.rows, kSearched);
  const queries = ds.queries.sliceRows(0, Math.min(ds.queries.rows, job.queries ?? ds.queries.rows));
  const metric = ds.metric === 'ip' ? 'ip' : 'l2';
  const { truth, cached } = await streamTruth(ds, rb, queries, kSearched, metric, { onProgress: job.onProgress });

  const index = createIndex(entry.id, build);
  const env = captureEnvironment();
  const fingerprint = machineFingerprint();
  const notes: string[] = [];
  // a task cell picked the runbook by its dataset's name itself; the command takes a single-key runbook for any data
  if (job.runbookDoc === undefined && rb.dataset !== ds.name && !datasetNames(job.data).includes(rb.dataset)) notes.push(`the runbook's steps for ${rb.dataset} were run on ${displayPath(ds.name)}`);
  try {
    const answers: { step: number; neighbors: Int32Array }[] = [];
    const run = () => runSteps(index, rb, plan.liveAfter, ds.base, queries, { kSearched, k, seed }, search, truth, job.onProgress, answers);
    const { value: steps, load } = await underLoad(run, fingerprint.cores, job.loadAverage ?? oneMinuteLoad);
    if (job.raw !== undefined) {
      await writeStreamResult(job.raw, {
        nq: queries.rows, k: kSearched, steps: answers,
        attrs: { algo: entry.id, name: index.label, dataset: displayPath(ds.name), count: kSearched, distance: annDistanceName(ds.metric), runbook: displayPath(rb.file), runbook_hash: rb.hash, neighbors_are: 'base row numbers (the runbook\'s ids), −1 padding' },
      });
    }
    const recalls = steps.filter((s) => s.recall !== null).map((s) => s.recall!);
    const first = rb.steps.find((s) => s.operation === 'insert')!;
    notes.push(`the first insert (step ${first.step}) builds the index on its ${first.operation === 'insert' ? first.end - first.start : 0} rows (training included)`);
    return {
      index: entry.id, label: index.label, params: { build, search }, dataset: displayPath(ds.name), datasetChecksum: ds.checksum,
      runbook: { file: displayPath(rb.file), dataset: rb.dataset, hash: rb.hash, maxPts: rb.maxPts, steps: rb.steps.length },
      k, queries: queries.rows, steps, meanRecall: recalls.reduce((a, b) => a + b, 0) / recalls.length, truthCached: cached,
      recallDefinition: STREAM_RECALL_DEFINITION, memoryIsExact: index.capabilities.exactMemory, bitsPerVector: index.bitsPerVector,
      peakRssBytes: peakRssBytes(), seed, notes, env, fingerprint, load, loadWarning: loadWarning(load),
    };
  } finally {
    await index.close?.();
  }
}

/** Runs the steps; the index's ids are its insertion order, translated to row numbers both ways. */
async function runSteps(
  index: VectorIndex, rb: Runbook, liveAfter: number[], base: Matrix, queries: Matrix, o: { kSearched: number; k: number; seed: number },
  search: IndexParams, truth: Map<number, GroundTruth>, onProgress?: ProgressFn, answers?: { step: number; neighbors: Int32Array }[],
): Promise<StreamStepRecord[]> {
  const { kSearched, k, seed } = o;
  const own = new Int32Array(base.rows).fill(-1); // row → the index's id
  const rowOf: number[] = []; // the index's id → row
  const live = new Uint8Array(base.rows);
  let built = false;
  const out: StreamStepRecord[] = [];
  const nq = queries.rows;
  for (const [i, s] of rb.steps.entries()) {
    let seconds = 0, recall: number | null = null, qps: number | null = null;
    if (s.operation === 'insert') {
      const ids = new Uint32Array(s.end - s.start);
      for (let r = s.start; r < s.end; r++) {
        own[r] = rowOf.length;
        ids[r - s.start] = rowOf.length;
        rowOf.push(r);
        live[r] = 1;
      }
      const x = base.sliceRows(s.start, s.end);
      const t0 = performance.now();
      if (built) await index.add(x, ids);
      else await index.build(x, { seed }); // ids 0..n−1: the first ones handed out above
      seconds = (performance.now() - t0) / 1000;
      built = true;
    } else if (s.operation === 'delete') {
      const ids = new Uint32Array(s.end - s.start);
      for (let r = s.start; r < s.end; r++) {
        ids[r - s.start] = own[r];
        live[r] = 0;
      }
      const t0 = performance.now();
      const removed = await index.remove!(ids);
      seconds = (performance.now() - t0) / 1000;
      if (removed !== ids.length) throw new Error(`${index.name}: remove() removed ${removed} of the ${ids.length} rows of step ${s.step}`);
    } else {
      const m = await measureSearch(index, queries, kSearched, search as Record<string, number | string | boolean | null>, { warmupQueries: SEARCH_WARMUP });
      seconds = m.seconds;
      qps = m.qps;
      const rows = new Int32Array(m.ids.length);
      for (let j = 0; j < m.ids.length; j++) {
        const id = m.ids[j];
        const row = id >= 0 && id < rowOf.length ? rowOf[id] : -1;
        if (id >= 0 && (row < 0 || !live[row])) {
          throw new Error(`${index.name}: search at step ${s.step} returned ${row < 0 ? `id ${id}, never inserted` : `row ${row}, deleted`}`);
        }
        rows[j] = row;
      }
      const t = truth.get(s.step)!;
      recall = recallAtK(rows, t.ids, nq, kSearched, t.k, k);
      answers?.push({ step: s.step, neighbors: rows });
    }
    out.push({
      step: s.step, operation: s.operation, start: s.operation === 'search' ? null : s.start, end: s.operation === 'search' ? null : s.end,
      seconds, live: liveAfter[i], indexSize: index.size, indexBytes: index.memoryBytes(), recall, qps,
    });
    onProgress?.(i + 1, rb.steps.length, `step ${s.step} ${s.operation}`);
  }
  return out;
}
