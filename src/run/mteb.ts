/**
 * The `vqbench mteb` job: embed each task's texts once (cached), score them as they are, then score
 * the same embeddings after each quantizer's encode → decode, MTEB's way. The quantizers are trained
 * once, on a text corpus embedded by the same model (not on the tasks' own texts), so every task
 * sees the same codebooks, as a deployed quantized index would.
 */
import { InputError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { Rng } from '../core/rng.js';
import type { ProgressFn } from '../core/progress.js';
import { loadTextCorpus, loadTextTask, resolveTaskSpecs, textsOf } from '../data/text/registry.js';
import type { TaskType } from '../data/text/types.js';
import { embedWithCache } from '../embed/cache.js';
import { createEmbedder, type EmbedderOptions } from '../embed/registry.js';
import type { EmbedRole } from '../embed/types.js';
import { encodeParallel } from '../quant/encode-parallel.js';
import type { CodebookQuantizer } from '../quant/codebook-quantizer.js';
import { createQuantizer, quantizerLabel, resolveQuantizerParams, type QuantizerGiven } from '../quant/registry.js';
import type { TrainerKind } from '../quant/types.js';
import { captureEnvironment, type RunEnvironment } from './env.js';
import { fileSafe } from './quantize.js';
import { quantizationLoss } from '../eval/quantization.js';
import { evaluateTask, type ItemizedScore, type ItemSeries, type TaskScores } from '../eval/mteb/evaluate.js';
import { deltaInterval, mainScoreInterval, type DeltaInterval, type ScoreInterval } from '../eval/mteb/intervals.js';
import { writePerItem } from '../eval/per-item-files.js';
import { VqbenchError } from '../core/errors.js';
import path from 'node:path';

export interface MtebQuantizerSpec {
  /** Quantizer id (src/quant/registry.ts); `parseQuantizerSpec` turns `pq:m=12,nbits=8` into id and params. */
  method: string;
  /** Its parameters, canonical names or aliases; unset ones take the descriptor's defaults. */
  params?: QuantizerGiven;
  trainer?: TrainerKind;
}

export interface MtebJob extends EmbedderOptions {
  /** Embedder id: use-lite, glove-avg, bge-large, precomputed, or a transformers.js model id. */
  model: string;
  /** Prepared dataset names, task types (all prepared tasks of that type) or task folders. */
  tasks: string[];
  /** Quantizers scored beside the original embeddings; none = original only. */
  quantizers?: MtebQuantizerSpec[];
  /** Text corpus the quantizers are trained on (embedded by the same model). */
  trainCorpus?: string;
  /** Rows of that corpus used for training, a seeded sample. Default 10,000. */
  trainSize?: number;
  seed?: number;
  onProgress?: ProgressFn;
  /** Called once per task with a one-line status (the CLI prints it). */
  onTask?: (line: string) => void;
  /** Write each variant's per-item values (src/eval/per-item-files.ts) under this folder: `<task>/<variant>.<series>.npy`; paths in the result are relative to it. */
  raw?: string;
}

/** A per-item file beside the result: its path (relative to the raw folder, or to the run folder in a cell's result) and what one value is. */
export interface PerItemFile {
  path: string;
  what: string;
}

/** The per-item values behind a variant's main score. */
export interface MtebPerItem extends PerItemFile {
  /** How the main score follows from them: 'mean' of this file, or a statistic of it and `gold` ('spearman', 'pearson', 'ap', 'weighted f1'). */
  statistic: ItemizedScore['statistic'];
  over: ItemizedScore['over'];
  /** The gold scores or labels the statistic compares against (STS, PairClassification). */
  gold?: PerItemFile;
}

export interface MtebVariantScores extends Omit<TaskScores, 'itemized'> {
  /** 'original' or the quantizer's canonical label (e.g. 'wrvq:books=4,size=256,weights=paper'). */
  variant: string;
  method: string | null;
  bitsPerVector: number;
  /** main_score − the original's main_score (0 for the original). */
  delta: number;
  evaluationSeconds: number;
  /** 95% bootstrap interval of main_score (null: the score does not resample, e.g. one clustering set; `intervalNote` says why). */
  mainScoreCI: ScoreInterval | null;
  /** Quantized variants: the paired 95% bootstrap interval of `delta` (the same resampled items for both). */
  deltaCI?: DeltaInterval | null;
  /** Why an interval is missing or rough (too few or too uniform items, few experiments). */
  intervalNote?: string;
  /** Where the per-item values of main_score were written (only when the job was given a raw folder). */
  perItem?: MtebPerItem;
  /** More per-item values written beside them (MRR and MAP of each query, each experiment's accuracy, ...). */
  perItemExtra?: PerItemFile[];
}

export interface MtebTaskResult {
  task: string;
  type: TaskType;
  mainScore: string;
  split: string;
  source: string;
  licence: string;
  derived: boolean;
  checksum: string | null;
  /** The task's languages (ISO 639-1 codes as the task states them), null when it states none. */
  languages: string[] | null;
  texts: number;
  variants: MtebVariantScores[];
}

export interface MtebQuantizerReport {
  variant: string;
  method: string;
  bitsPerVector: number;
  trainSeconds: number;
  /** Loss (paper eq. 5) on the training corpus rows, and relative to mean ||x||². */
  trainLoss: number;
  trainRelativeLoss: number;
}

export interface MtebRunResult {
  model: string;
  embedderId: string;
  /** The embedder's version: bumped when its vectors change (the MTEB results' model revision). */
  embedderVersion: string;
  dim: number;
  /** 32 bits per float32 component: the original's bits per vector. */
  originalBitsPerVector: number;
  trainCorpus: string | null;
  trainRows: number;
  quantizers: MtebQuantizerReport[];
  tasks: MtebTaskResult[];
  embedSeconds: number;
  wallSeconds: number;
  seed: number;
  definitions: Record<string, string>;
  env: RunEnvironment;
}

export const MTEB_DEFINITIONS: Record<string, string> = {
  main_score: "the task type's MTEB main metric (Classification accuracy, Clustering v_measure, STS cos_sim_spearman, PairClassification cos_sim_ap, BitextMining f1, Reranking map, Retrieval ndcg_at_10)",
  delta: 'quantized main_score minus the original main_score on the same embeddings',
  bitsPerVector: 'every stored bit: code indices plus WRVQ fp16 weights; the original stores 32 bits per dimension',
  mainScoreCI: "95% percentile bootstrap interval {lo, hi} of main_score, 1000 resamples seeded by the job's seed; `over` names what was resampled: queries (Retrieval nDCG, Reranking MAP: per-query values), test examples (Classification accuracy), pairs (STS Spearman, PairClassification AP, BitextMining F1: recomputed on each resample of the pairs) or experiments (Clustering sets)",
  deltaCI: 'paired 95% percentile bootstrap interval of delta: both variants scored on the same resampled items; significant when it excludes 0',
  perItem: 'per-item .npy file (float64, 1-d) behind main_score, path relative to the run folder: per-query nDCG@10, per-test-example correctness, per-pair similarity (with `gold`: the gold scores or labels); `statistic` says how main_score follows from it',
  perItemExtra: 'further per-item .npy files (MRR@10 and MAP@10 of each query, the accuracy of each classification experiment, ...)',
};

/** Writes the per-item series of a variant under `raw`; returns the references the result carries. */
function writeVariantItems(raw: string, task: string, variant: string, it: ItemizedScore): { perItem: MtebPerItem; perItemExtra?: PerItemFile[] } {
  const write = (s: ItemSeries): PerItemFile => {
    const relative = `${fileSafe(task)}/${fileSafe(variant)}.${fileSafe(s.name)}.npy`;
    writePerItem(path.join(raw, relative), s.values);
    return { path: relative, what: s.what };
  };
  const [main, gold] = it.series.map(write);
  const extra = (it.extra ?? []).map(write);
  return {
    perItem: { ...main, statistic: it.statistic, over: it.over, ...(gold && { gold }) },
    ...(extra.length && { perItemExtra: extra }),
  };
}

/** An interval, or null and the sentence saying why there is none (a VqbenchError: too few or too uniform items). */
function tryInterval<T>(compute: () => T): { ci: T | null; note?: string } {
  try {
    return { ci: compute() };
  } catch (e) {
    if (!(e instanceof VqbenchError)) throw e;
    return { ci: null, note: e.message };
  }
}

type VariantIntervals = Pick<MtebVariantScores, 'mainScoreCI' | 'deltaCI' | 'intervalNote' | 'perItem' | 'perItemExtra'>;

/** Rewrites every per-item file path of a result (perItem, its gold file, perItemExtra) with `to`: relative to the run folder, or as the user can open it. */
export function rebasePerItemPaths(r: MtebRunResult, to: (path: string) => string): void {
  const move = (f: { path: string }) => { f.path = to(f.path); };
  for (const t of r.tasks) {
    for (const v of t.variants) {
      if (v.perItem) {
        move(v.perItem);
        if (v.perItem.gold) move(v.perItem.gold);
      }
      v.perItemExtra?.forEach(move);
    }
  }
}

/**
 * A variant's interval and where its per-item values went (when a raw folder is given); a quantized
 * variant (`original` given, with the original's items) adds the paired interval of its delta.
 */
function variantIntervals(
  at: { task: string; type: string; variant: string; seed: number; raw: string | undefined },
  it: ItemizedScore | undefined, original?: { items: ItemizedScore | undefined },
): VariantIntervals {
  if (!it) return { mainScoreCI: null, ...(original && { deltaCI: null }), intervalNote: `this ${at.type} main score has no per-item values to resample (one experiment, or a metric that does not decompose).` };
  const main = tryInterval(() => mainScoreInterval(it, at.seed));
  const against = original?.items;
  const delta = original && (against ? tryInterval(() => deltaInterval(it, against, at.seed)) : { ci: null, note: 'the original has no per-item values to pair with.' });
  // a percentile bootstrap over a handful of experiments runs narrow: say so beside it
  const few = it.over === 'experiments' && it.n < 10 ? `only ${it.n} experiments to resample: the interval is rough (too narrow at this count).` : undefined;
  const note = main.note ?? delta?.note ?? few;
  return {
    mainScoreCI: main.ci, ...(delta && { deltaCI: delta.ci }), ...(note && { intervalNote: note }),
    ...(at.raw !== undefined && writeVariantItems(at.raw, at.task, at.variant, it)),
  };
}

async function roundTrip(q: CodebookQuantizer, x: Matrix): Promise<Matrix> {
  return q.decode(await encodeParallel(q, x));
}

export async function runMteb(job: MtebJob): Promise<MtebRunResult> {
  const t0 = performance.now();
  const seed = job.seed ?? 1234;
  if (job.tasks.length === 0) throw new InputError('--tasks: name at least one task, task type or folder.');
  const specs = resolveTaskSpecs(job.tasks);
  const quantizerSpecs = job.quantizers ?? [];
  const resolved = quantizerSpecs.map((s) => ({ ...s, params: resolveQuantizerParams(s.method, s.params, '--quantizer') }));

  const embedder = await createEmbedder(job.model, job);
  let embedSeconds = 0;
  // through the embedding cache (on disk): texts are embedded once, later calls for the same texts read them back
  const encode = async (texts: string[], role: EmbedRole): Promise<Matrix> => {
    const t = performance.now();
    const m = await embedWithCache(embedder, texts, role, { onProgress: job.onProgress });
    embedSeconds += (performance.now() - t) / 1000;
    return m;
  };

  // Train each quantizer once on the training corpus, embedded by the same model.
  const quantizers: { q: CodebookQuantizer; report: MtebQuantizerReport }[] = [];
  let trainRows = 0;
  const trainCorpus = resolved.length ? (job.trainCorpus ?? 'wordnet-glosses-50k') : null;
  if (trainCorpus) {
    const corpus = await loadTextCorpus(trainCorpus);
    const trainSize = job.trainSize ?? 10_000;
    const texts = corpus.texts.length > trainSize ? Array.from(new Rng(seed).sample(corpus.texts.length, trainSize), (i) => corpus.texts[i]) : corpus.texts;
    job.onTask?.(`embedding ${texts.length} texts of ${corpus.name} to train ${resolved.length} quantizer(s)`);
    const x = await encode(texts, 'document');
    trainRows = x.rows;
    for (const spec of resolved) {
      const q = createQuantizer(spec.method, spec.params);
      const label = quantizerLabel(spec.method, spec.params);
      if (q.minTrainRows > x.rows) throw new InputError(`--quantizer ${label} needs at least ${q.minTrainRows} training rows, more than the ${x.rows} of ${trainCorpus}.`);
      const rep = await q.train(x, { seed, trainer: spec.trainer ?? 'kmeans', onProgress: job.onProgress });
      const { loss, relativeLoss } = quantizationLoss(x, await roundTrip(q, x));
      quantizers.push({ q, report: { variant: label, method: spec.method, bitsPerVector: q.bitsPerVector, trainSeconds: rep.seconds, trainLoss: loss, trainRelativeLoss: relativeLoss } });
      job.onTask?.(`trained ${label} (${q.bitsPerVector} bits/vector) in ${rep.seconds.toFixed(1)} s, relative loss ${relativeLoss.toFixed(4)}`);
    }
  }

  const tasks: MtebTaskResult[] = [];
  for (const spec of specs) {
    const task = await loadTextTask(spec);
    const variants: MtebVariantScores[] = [];
    const intervals = (variant: string, it: ItemizedScore | undefined, original?: { items: ItemizedScore | undefined }) =>
      variantIntervals({ task: task.meta.name, type: task.meta.type, variant, seed, raw: job.raw }, it, original);
    let t = performance.now();
    const { itemized: originalItems, ...original } = await evaluateTask(task, encode, { seed });
    variants.push({
      ...original, variant: 'original', method: null, bitsPerVector: 32 * embedder.dim, delta: 0, evaluationSeconds: (performance.now() - t) / 1000,
      ...intervals('original', originalItems),
    });
    for (const { q, report } of quantizers) {
      // Same embeddings (from the cache), passed through encode → decode.
      const quantized = async (texts: string[], role: EmbedRole) => roundTrip(q, await encode(texts, role));
      t = performance.now();
      const { itemized, ...s } = await evaluateTask(task, quantized, { seed });
      variants.push({
        ...s, variant: report.variant, method: report.method, bitsPerVector: report.bitsPerVector, delta: s.main_score - original.main_score, evaluationSeconds: (performance.now() - t) / 1000,
        ...intervals(report.variant, itemized, { items: originalItems }),
      });
    }
    const texts = new Set<string>();
    for (const group of textsOf(task)) for (const s of group.texts) texts.add(s);
    tasks.push({
      task: task.meta.name, type: task.meta.type, mainScore: task.meta.mainScore, split: task.meta.split,
      source: task.meta.source, licence: task.meta.licence, derived: task.meta.derived ?? false,
      checksum: task.meta.checksum ?? null, languages: task.meta.languages ?? null, texts: texts.size, variants,
    });
    job.onTask?.(`${task.meta.name} (${task.meta.type}): ${variants.map((v) => `${v.variant} ${v.main_score.toFixed(4)}`).join(', ')}`);
  }
  await embedder.dispose?.();
  return {
    model: job.model, embedderId: embedder.id, embedderVersion: embedder.version, dim: embedder.dim, originalBitsPerVector: 32 * embedder.dim,
    trainCorpus, trainRows, quantizers: quantizers.map((x) => x.report), tasks,
    embedSeconds, wallSeconds: (performance.now() - t0) / 1000, seed, definitions: MTEB_DEFINITIONS, env: captureEnvironment(),
  };
}
