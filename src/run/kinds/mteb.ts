/**
 * MTEB cells (`grid.mteb`): one embedding model, its text tasks scored on the original embeddings
 * or after one quantizer's encode → decode (src/run/mteb.ts). They run on text tasks, not on the
 * task's vector datasets. Quantizer entries are checked and expanded by the quantize kind.
 */
import { rmSync } from 'node:fs';
import { VqbenchError } from '../../core/errors.js';
import { atScale, dropUndefined, idPiece, type Grid } from '../grid-values.js';
import { RATES } from '../../core/cost.js';
import { listTextDatasets, resolveTaskSpecs } from '../../data/text/registry.js';
import { embedderEntry } from '../../embed/registry.js';
import { oneSentence, TIMING_DEFINITIONS, isObject } from './common.js';
import { checkQuantizer, expandQuantizers, quantizeSeconds, quantizerParams, quantizerPieces, type QuantizerChoice, type QuantizerSpec } from './quantize.js';
import type { CellConfig, CellKindDef } from './types.js';

/** One entry of `grid.mteb`. */
export interface MtebSpec {
  models: string[];
  tasks: string[];
  quantizers?: QuantizerSpec[];
  original?: boolean;
  trainCorpus?: string;
  trainSize?: Grid<number>;
}

export interface MtebConfig extends CellConfig {
  kind: 'mteb';
  model: string;
  tasks: string[];
  trainCorpus?: string;
  trainSize?: number;
  /** null: the original embeddings. */
  quantizer: QuantizerChoice | null;
  label?: string;
}

/** Texts a task embeds, from its counts (datasets/manifest.json or the prepared copy): pairs count twice, labels and qrels not at all. */
function textsOfCounts(counts: Record<string, number>): number {
  let n = 0;
  for (const [k, v] of Object.entries(counts)) {
    if (k === 'pairs') n += 2 * v;
    else if (['train', 'test', 'texts', 'queries', 'candidates', 'corpus'].includes(k)) n += v;
  }
  return n;
}

/** The number of tasks the names resolve to and their texts (a task folder of unknown size counts 5,000 texts; names that do not resolve count one task each). */
function taskWork(tasks: readonly string[]): { tasks: number; texts: number } {
  let names: string[];
  try {
    names = resolveTaskSpecs(tasks);
  } catch {
    return { tasks: tasks.length, texts: 5_000 * tasks.length };
  }
  const counts = new Map(listTextDatasets().map((d) => [d.name, d.counts]));
  return { tasks: names.length, texts: names.reduce((n, t) => n + (counts.has(t) ? textsOfCounts(counts.get(t)!) : 5_000), 0) };
}

/**
 * The cost model of an mteb cell: the model's load, embedding the tasks' texts at the model's
 * measured rate (src/embed/registry.ts), training the quantizer on the corpus sample (its
 * descriptor's cost), and the evaluators (~1 s per task). Embeddings are cached per (model, texts):
 * the original cell, first in file order, pays for the tasks' texts; a quantized cell pays for its
 * training corpus sample (once per model and size) and a tenth of the tasks' (cache reads).
 */
function mtebSeconds(c: MtebConfig): number {
  const e = embedderEntry(c.model);
  const rate = e?.textsPerSecond ?? 8, load = e?.loadSeconds ?? 10, dim = e?.dim ?? 768;
  const work = taskWork(c.tasks);
  const tasks = work.texts, evalSeconds = work.tasks; // ~1 s of evaluation per task
  const trainRows = c.trainSize ?? 10_000;
  if (!c.quantizer) return RATES.startup + load + tasks / rate + evalSeconds;
  const train = quantizeSeconds(c.quantizer, { base: trainRows, queries: tasks, dim }, { trainSize: trainRows, evalSize: tasks });
  return RATES.startup + load + trainRows / rate + (0.1 * tasks) / rate + train + evalSeconds;
}

/** runMteb, loaded when an mteb cell runs (it pulls in the embedders), so a failure to load it fails only those cells. */
async function loadRunMteb(): Promise<typeof import('../mteb.js').runMteb> {
  try {
    return (await import('../mteb.js')).runMteb;
  } catch (e) {
    throw new VqbenchError(`runMteb could not be loaded (${oneSentence((e as Error).message).replace(/\.$/, '')}).`);
  }
}

export const mtebKind: CellKindDef<'mteb', 'mteb', MtebSpec[], MtebConfig> = {
  kind: 'mteb',
  gridKey: 'mteb',
  describe: "MTEB text tasks scored on a model's embeddings, original and after a quantizer's encode → decode",
  perDataset: false,
  schema: { type: 'array', items: { $ref: '#/$defs/mteb' } },
  definitions: {
    main_score: "the task type's MTEB main metric",
    delta: 'quantized main_score minus the original main_score',
    mainScoreCI: 'per variant: 95% percentile bootstrap interval of main_score (1000 resamples, the cell\'s seed) over the queries, test examples, pairs or experiments `over` names',
    deltaCI: 'per quantized variant: paired 95% bootstrap interval of delta over the same resampled items',
    perItem: 'per variant: the per-item .npy file behind main_score (raw/<cell>/<task>/<variant>.<series>.npy, relative to the run folder)',
    ...TIMING_DEFINITIONS,
  },
  check(section, at, fail) {
    section.forEach((m, i) => (m.quantizers ?? []).forEach((q, j) => checkQuantizer(q, [...at, i, 'quantizers', j], fail)));
  },
  expand(section, ctx) {
    return section.flatMap((m, i) => {
      const at = ['grid', 'mteb', i];
      const listed = m.trainSize !== undefined && Array.isArray(atScale(m.trainSize, ctx.scale));
      const trainSizes = m.trainSize === undefined ? [undefined] : ([] as (number | undefined)[]).concat(atScale(m.trainSize, ctx.scale));
      return m.models.flatMap((model) => trainSizes.flatMap((ts) => {
        const common = { kind: 'mteb' as const, model, tasks: m.tasks, trainCorpus: m.trainCorpus, trainSize: ts, seed: ctx.seed, scale: ctx.scale };
        const tsPiece = listed ? [idPiece('trainSize', ts)] : [];
        const original = (m.original ?? true) ? [{ at, pieces: ['mteb', model, 'original', ...tsPiece], config: dropUndefined<MtebConfig>({ ...common, quantizer: null }) }] : [];
        const quantized = (m.quantizers ?? []).flatMap((q) => expandQuantizers(q, ctx.scale).map((c) => ({
          at, pieces: ['mteb', model, ...quantizerPieces(c, q.label), ...tsPiece],
          config: dropUndefined<MtebConfig>({ ...common, quantizer: c, ...(q.label && { label: q.label }) }),
        })));
        return [...original, ...quantized];
      }));
    });
  },
  resultProblem(m) {
  if (!isObject(m)) return 'metrics must be an object';
  if (!Array.isArray(m.tasks)) return 'metrics.tasks must be a list';
  return null;
  },
  estimate: (c) => mtebSeconds(c),
  async execute(c, ctx) {
    const runMteb = await loadRunMteb();
    // a re-run's raw folder holds this run's files only
    if (ctx.raw) rmSync(ctx.raw.dir, { recursive: true, force: true });
    const r = await runMteb({
      model: c.model, tasks: c.tasks, seed: c.seed, onProgress: ctx.onProgress,
      ...(ctx.raw && { raw: ctx.raw.dir }),
      ...(c.trainCorpus !== undefined && { trainCorpus: c.trainCorpus }),
      ...(c.trainSize !== undefined && { trainSize: c.trainSize }),
      ...(c.quantizer ? { quantizers: [{ method: c.quantizer.method, params: quantizerParams(c.quantizer), ...(c.quantizer.trainer && { trainer: c.quantizer.trainer }) }] } : {}),
    });
    // per-item paths relative to the run folder, as index cells' raw files
    if (ctx.raw) (await import('../mteb.js')).rebasePerItemPaths(r, (p) => `${ctx.raw!.relative}/${p}`);
    return { metrics: r, datasetChecksum: null, definitions: r.definitions };
  },
};
