/**
 * Streaming cells (`grid.streams`, big-ann-benchmarks' streaming track): one index configuration
 * runs a runbook's insert / delete / search steps (src/run/stream-job.ts); recall at each search
 * step among the live rows, seconds and bytes per step, mean recall over the search steps.
 * `runbook` is a file (YAML or JSON, relative to the working directory, else to the repository:
 * `runbooks/quickstart.yaml` works from anywhere) or the
 * runbook's object inline; either way the cell's configuration holds the steps themselves, so a
 * changed runbook is a new cell, never a reused result.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSeconds, RATES, type DataShape } from '../../core/cost.js';
import { cartesian } from '../../core/grid.js';
import { ConfigError, InputError } from '../../core/errors.js';
import type { ParamValue } from '../../core/params.js';
import { readRunbook, runbookFrom, type Runbook } from '../../data/runbook.js';
import { checkBuildParams, checkSearchParams, indexDescriptor, type IndexParams } from '../../index/registry.js';
import { dropUndefined, resolveRecord, type Grid, type Scaled } from '../grid-values.js';
import { FINGERPRINT_DEFINITIONS } from '../fingerprint.js';
import { deleteUnsupported, STREAM_RECALL_DEFINITION } from '../stream-job.js';
import { dataOf, isNumber, isObject, num, renameDataset, TIMING_DEFINITIONS } from './common.js';
import { checkIndexSpec, indexCosts, indexPieces, withIndexSpec } from './index.js';
import type { CellKindDef, DatasetCellConfig, FieldPath, Fail } from './types.js';

/** One entry of `grid.streams`. */
export interface StreamSpec {
  index: string;
  label?: string;
  build?: Record<string, Grid<ParamValue>>;
  search?: Record<string, Scaled<ParamValue>>;
  /** A runbook file, or big-ann's object inline ({ "<dataset>": { "max_pts": …, "1": {…}, … } }). */
  runbook: string | Record<string, unknown>;
  k?: number;
  queries?: number;
}

export interface StreamConfig extends DatasetCellConfig {
  kind: 'stream';
  index: string;
  label?: string;
  build: IndexParams;
  search: IndexParams;
  /** Where the runbook came from (for messages) and its dataset's steps, as big-ann writes them. */
  runbookFile: string;
  runbook: Record<string, unknown>;
  k?: number;
  queries?: number;
}

/** The name an inline runbook's messages carry (then dropped: the field names it). */
const INLINE = 'inline';

/** A job's sentence about its --runbook, said of the task file's field: the file's name kept, an inline one's dropped. */
function fieldMessage(msg: string): string {
  return msg.replace(`--runbook ${INLINE}: `, '').replace(/^--runbook /, '');
}

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A runbook file as given: from the working directory, else from the repository (the shipped `runbooks/`). */
function runbookPath(file: string): string {
  if (isAbsolute(file) || existsSync(file)) return file;
  const shipped = join(REPO_ROOT, file);
  return existsSync(shipped) ? shipped : file;
}

/** The runbook document of an entry: the file read, or the inline object; a problem is one sentence at `at`. */
function runbookDoc(r: StreamSpec['runbook'], at: FieldPath, fail: Fail, datasets: string[]): { file: string; rb: Runbook; doc: Record<string, unknown> } {
  try {
    const file = typeof r === 'string' ? r : INLINE;
    const rb = typeof r === 'string' ? readRunbook(runbookPath(r), datasets) : runbookFrom(r, file, datasets);
    const body: Record<string, unknown> = { max_pts: rb.maxPts };
    for (const s of rb.steps) body[String(s.step)] = s.operation === 'search' ? { operation: 'search' } : { operation: s.operation, start: s.start, end: s.end };
    return { file, rb, doc: { [rb.dataset]: body } };
  } catch (e) {
    if (e instanceof InputError) return fail([...at, 'runbook'], fieldMessage(e.message));
    throw e;
  }
}

function streamSeconds(c: StreamConfig, sh: DataShape): number {
  const steps = Object.values(Object.values(c.runbook)[0] as Record<string, unknown>).filter(isObject) as { operation: string; start?: number; end?: number }[];
  const q = Math.min(num(c.queries, sh.queries), sh.queries);
  const inserted = steps.reduce((t, s) => t + (s.operation === 'insert' ? (s.end ?? 0) - (s.start ?? 0) : 0), 0);
  const cost = indexCosts(c.index, c.build ?? {}, sh, Math.max(1, inserted));
  const search = checkSearchParams(c.index, c.search ?? {});
  const perSearch = q * cost.querySeconds(search);
  const truth = (2 * inserted * q * sh.dim) / RATES.kernelFlops;
  return RATES.startup + loadSeconds(sh) + cost.buildSeconds + truth + steps.filter((s) => s.operation === 'search').length * perSearch;
}

export const streamKind: CellKindDef<'stream', 'streams', StreamSpec[], StreamConfig> = {
  kind: 'stream',
  gridKey: 'streams',
  describe: "run a streaming runbook (big-ann-benchmarks' insert / delete / search steps) against an index: recall per search step among the live rows, seconds and bytes per step",
  perDataset: true,
  schema: { type: 'array', items: { $ref: '#/$defs/stream' } },
  definitions: {
    'steps[].seconds': 'wall seconds of the step (the first insert builds the index on its rows, training included; a search runs every query one at a time)',
    'steps[].live': 'rows live after the step, as the runbook says',
    'steps[].indexBytes': "the index's own bytes after the step",
    'steps[].recall': STREAM_RECALL_DEFINITION,
    'steps[].qps': 'queries per second of a search step (one query at a time, one thread)',
    meanRecall: "mean recall@k over the search steps (big-ann-benchmarks' streaming score)",
    ...FINGERPRINT_DEFINITIONS,
    ...TIMING_DEFINITIONS,
  },
  check(section, at, fail) {
    section.forEach((x, i) => {
      checkIndexSpec(x, [...at, i], fail, true);
      const { rb } = runbookDoc(x.runbook, [...at, i], fail, []);
      const s = withIndexSpec(x, [...at, i], fail);
      const d = indexDescriptor(s.index);
      for (const build of cartesian<ParamValue>(resolveRecord(s.build, 'small'))) {
        const why = deleteUnsupported(d, checkBuildParams(s.index, build), rb);
        if (why) fail([...at, i, 'index'], fieldMessage(why));
      }
    });
  },
  expand(section, ctx) {
    const ds = ctx.dataset!;
    return section.flatMap((entry, i) => {
      const at = ['grid', 'streams', i];
      const x = withIndexSpec(entry, at);
      const fail: Fail = (path, what) => {
        throw new ConfigError(`${path.join('.')} ${what}`);
      };
      const { file, doc } = runbookDoc(x.runbook, at, fail, [ds.name, ds.slug]);
      const search = Object.fromEntries(resolveRecord(x.search, ctx.scale));
      return cartesian<ParamValue>(resolveRecord(x.build, ctx.scale)).map((build) => ({
        at,
        pieces: ['stream', ds.slug, ...indexPieces(x, build, search)],
        config: dropUndefined<StreamConfig>({
          kind: 'stream', dataset: ds.name, subset: ds.subset, seed: ctx.seed, scale: ctx.scale, index: x.index, ...(x.label && { label: x.label }),
          build, search, runbookFile: file, runbook: doc, k: x.k, queries: x.queries,
        }),
      }));
    });
  },
  resultProblem(m) {
    if (!isObject(m)) return 'metrics must be a StreamResult object';
    if (!Array.isArray(m.steps)) return 'metrics.steps must be a list';
    for (const [i, s] of m.steps.entries()) if (!isObject(s) || !isNumber(s.step) || !isNumber(s.seconds) || !isNumber(s.live)) return `metrics.steps[${i}] needs step, seconds and live`;
    if (!isNumber(m.meanRecall)) return 'metrics.meanRecall must be a number';
    return null;
  },
  estimate: streamSeconds,
  async execute(c, ctx) {
    const { runStreamJob } = await import('../stream-job.js');
    const data = dataOf(ctx, 'stream');
    const r = await runStreamJob({
      data, index: c.index, build: c.build, search: c.search, runbook: c.runbookFile, runbookDoc: c.runbook, k: c.k, queries: c.queries, seed: c.seed, onProgress: ctx.onProgress,
    });
    return { metrics: renameDataset(r, data, ctx.datasetName), datasetChecksum: r.datasetChecksum };
  },
  usesFaiss: (c) => c.index === 'faiss',
};
