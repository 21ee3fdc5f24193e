/**
 * A run's raw results read back: each index configuration's ann-benchmarks result file and the
 * ground truth of its cell (`raw/<cell>/truth.hdf5`), scored with the metric registry
 * (src/eval/metric-registry.ts). The report and `vqbench compare` take their quality numbers from
 * here, so that a cell's JSON summaries are only a cache of this computation.
 */
import { InputError } from '../core/errors.js';
import { METRIC_IDS, METRICS, type MetricOptions, type MetricTruth } from '../eval/metric-registry.js';
import { rawPath, readAnnResult, readAnnTruth, type AnnResult } from '../eval/raw-results.js';

/** One configuration's raw results and the truth of its queries. */
export interface RawScored {
  run: AnnResult;
  truth: MetricTruth;
  /** Every registry metric: id → value (null = not defined). */
  values: Record<string, number | null>;
  /** The per-query values of the metrics that are means over queries (k-nn, epsilon, largeepsilon, recall, nnRecall). */
  perQuery: Record<string, Float64Array>;
}

/** Every registry metric of one raw run and its per-query values where the metric decomposes. */
export function scoreRaw(run: AnnResult, truth: MetricTruth, opts?: MetricOptions): Pick<RawScored, 'values' | 'perQuery'> {
  const values: Record<string, number | null> = {};
  const perQuery: Record<string, Float64Array> = {};
  for (const id of METRIC_IDS) {
    const m = METRICS[id];
    const v = m.compute(run, truth, opts);
    values[id] = v !== null && Number.isFinite(v) ? v : null;
    if (m.perQuery && values[id] !== null) perQuery[id] = m.perQuery(run, truth, opts);
  }
  return { values, perQuery };
}

/**
 * Reads raw files of one run folder, each truth file once. Paths are the records' `raw` and
 * `rawTruth` fields (relative to the run folder). A missing or truncated file is an InputError
 * naming it.
 */
export class RawReader {
  private readonly truths = new Map<string, Promise<MetricTruth>>();

  constructor(readonly runDir: string) {}

  truth(relative: string): Promise<MetricTruth> {
    let t = this.truths.get(relative);
    if (!t) {
      t = readAnnTruth(rawPath(this.runDir, relative)).then(({ nq, k, ids, dists }) => ({ nq, k, ids, dists }));
      this.truths.set(relative, t);
    }
    return t;
  }

  /** The scored raw results of one index record, or null when it has none (a run made before raw files, or `raw` not asked). */
  async record(rec: { raw?: string; rawTruth?: string; k?: number }, opts?: MetricOptions): Promise<RawScored | null> {
    if (rec.raw === undefined || rec.rawTruth === undefined) return null;
    const run = await readAnnResult(rawPath(this.runDir, rec.raw));
    const truth = await this.truth(rec.rawTruth);
    if (truth.nq < run.nq) throw new InputError(`${rawPath(this.runDir, rec.raw)} holds ${run.nq} queries but its truth ${rawPath(this.runDir, rec.rawTruth)} only ${truth.nq}.`);
    return { run, truth, ...scoreRaw(run, truth, opts) };
  }
}
