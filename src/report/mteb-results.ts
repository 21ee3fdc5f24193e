/**
 * MTEB's current results layout (mteb >= 1.11; experiments as MTEB v2 names them), the one
 * `mteb.ResultCache(...).load_results()` and `TaskResult.from_disk` read without conversion:
 *
 *   <folder>/<model name, '/' → '__'>/<revision>/<TaskName>.json                            the original
 *   <folder>/<model name, '/' → '__'>/<revision>/experiments/<experiment>/<TaskName>.json   a compressed variant
 *
 * with a `model_meta.json` beside each set of task files (MTEB's loader skips folders without one,
 * and takes the model's name, revision and experiment from it). A task file:
 *   { dataset_revision, task_name, mteb_version, evaluation_time, kg_co2_emissions,
 *     scores: { <split>: [ { hf_subset, languages, main_score, <metrics…> } ] } }
 *
 * Choices where vqbench has no MTEB value, each the honest one:
 * - model name: the `--model` given when it has an organisation ('Xenova/bge-large-en-v1.5'), else
 *   `vqbench/<model>` (vqbench's own embedders; MTEB requires 'organization/model_name').
 * - revision: the embedder's version (what changes its vectors) plus what its id adds to the model's
 *   name ('1+fp32' for bge-large in fp32, so q8 results do not overwrite them), else MTEB's
 *   "no_revision_available".
 * - dataset_revision: the task data's checksum, else MTEB's "dataset revision not available".
 * - mteb_version: null (the scores come from vqbench's evaluators, not from the mteb package).
 * - hf_subset "default"; languages as MTEB writes them (eng-Latn) where we know the code.
 * - metric names: `cos_sim_*` as `cosine_*` (MTEB's own rename since 1.11); the others as they are.
 * - experiment: MTEB's `experiment_kwargs`. sq and binary are MTEB v2's compression wrapper's
 *   `output_dtypes` (int8, float16, binary, …; percentile calibration as its `clipping_margin`), plus
 *   any parameter the wrapper has no name for and that is not at its default (binary's ITQ rotation:
 *   `rotation`). Quantizers MTEB has no name for are `{quantizer: <canonical spec>}`, e.g.
 *   `quantizer_wrvq_books=4,size=256,weights=paper,weightBits=16` (MTEB turns ':' into '_').
 *   The folder name and the label are MTEB's serialization of those kwargs (`experimentName`).
 */
import { createHash } from 'node:crypto';
import { parseQuantizerSpec, quantizerDescriptor, quantizerLabel, type QuantizerGiven } from '../quant/registry.js';

/** What one task file is made of: one task scored on one variant of one model. */
export interface MtebResultInput {
  /** The model as run (`--model`). */
  model: string;
  /** The embedder's version when known. */
  modelRevision: string | null;
  /** The embedder's id when known: what it adds to the model's name (a dtype, a pooling) goes into the revision. */
  embedderId?: string | null;
  dim: number | null;
  task: string;
  split: string;
  languages: string[] | null;
  datasetRevision: string | null;
  /** 'original' or the quantizer's canonical spec label. */
  variant: string;
  /** For the file's description only. */
  bitsPerVector?: number | null;
  scores: Record<string, number>;
  mainScore: number;
  evaluationSeconds: number | null;
}

export interface MtebResultFile {
  path: string;
  what: string;
  data: string;
}

export type ExperimentKwargs = Record<string, string | number | boolean | (string | number)[]>;

export const NO_REVISION = 'no_revision_available';
export const NO_DATASET_REVISION = 'dataset revision not available';
/** MTEB's folder of experiments inside a revision folder (mteb/cache/result_cache.py). */
export const EXPERIMENTS_FOLDER = 'experiments';

/** vqbench's sq types under the names of MTEB's `OutputDType`. */
const OUTPUT_DTYPES: Record<string, string> = { fp16: 'float16', bf16: 'bfloat16', int8: 'int8', uint8: 'uint8', int4: 'int4', uint4: 'uint4' };

/** ISO 639-1 codes our tasks use, as MTEB writes languages (ISO 639-3 + script). */
const LANGUAGE_SCRIPTS: Record<string, string> = {
  en: 'eng-Latn', es: 'spa-Latn', fr: 'fra-Latn', de: 'deu-Latn', ru: 'rus-Cyrl', zh: 'cmn-Hans', it: 'ita-Latn', pt: 'por-Latn', nl: 'nld-Latn', ja: 'jpn-Jpan',
};

/** Characters MTEB replaces in experiment values (mteb/models/model_meta.py). */
const INVALID = /[<>:"|?*\\/\0]/g;

/** The model's name as MTEB requires it ('organization/model_name'). */
export function mtebModelName(model: string): string {
  return model.includes('/') ? model : `vqbench/${model}`;
}

/** ModelMeta.model_name_as_path: '/' → '__', ' ' → '_'. */
export function modelNameAsPath(name: string): string {
  return name.replace(/\//g, '__').replace(/ /g, '_');
}

/** A folder-safe revision: the embedder's version and what its id adds to the model's name; MTEB's placeholder when unknown. */
export function mtebRevision(version: string | null | undefined, model?: string, embedderId?: string | null): string {
  if (!version) return NO_REVISION;
  const extra = !embedderId || embedderId === model ? '' : model && embedderId.startsWith(`${model}:`) ? embedderId.slice(model.length + 1) : embedderId;
  return [version, extra].filter(Boolean).join('+').replace(INVALID, '_').replace(/ /g, '_');
}

export function mtebLanguages(languages: readonly string[] | null | undefined): string[] {
  return (languages ?? []).map((l) => LANGUAGE_SCRIPTS[l.toLowerCase()] ?? l);
}

/** The experiment kwargs naming a variant (see the file comment); null for the original. */
export function experimentKwargs(variant: string): ExperimentKwargs | null {
  if (variant === 'original') return null;
  let id: string, params: Record<string, unknown>;
  try {
    ({ id, params } = parseQuantizerSpec(variant));
  } catch {
    return { quantizer: variant }; // a label that no longer parses (an older result): named as it is
  }
  const defaults = (name: string) => quantizerDescriptor(id).params[name]?.default;
  const rest = (skip: string[]): ExperimentKwargs =>
    Object.fromEntries(Object.entries(params).filter(([k, v]) => !skip.includes(k) && v !== defaults(k)) as [string, string | number | boolean][]);
  if (id === 'sq') {
    const out: ExperimentKwargs = { output_dtypes: OUTPUT_DTYPES[params.type as string] ?? String(params.type) };
    if (params.calibration === 'percentile') {
      const p = params.percentile as number;
      out.clipping_margin = [roundFloat((100 - p) / 100), roundFloat(p / 100)];
    }
    return { ...out, ...rest(['type', 'calibration', 'percentile']) };
  }
  if (id === 'binary') return { output_dtypes: 'binary', ...rest([]) };
  return { quantizer: quantizerLabel(id, params as QuantizerGiven) }; // canonical: every form of a spec names one experiment
}

/** The value as `output_dtypes` in model_meta.json (MTEB's OutputDType), null when the variant is no MTEB type. */
function outputDtypes(kwargs: ExperimentKwargs | null): string[] | null {
  return kwargs && typeof kwargs.output_dtypes === 'string' ? [kwargs.output_dtypes] : null;
}

/** Drops binary-fraction noise ((100 − 99) / 100 = 0.010000000000000009 → 0.01). */
function roundFloat(x: number): number {
  return Number(x.toPrecision(12));
}

/**
 * Python's str() of the number json.loads reads from our JSON: what JSON.stringify writes without a
 * dot or exponent (integers below 1e21) is an int, printed as is; the rest is a float, printed as
 * repr (exponent below 1e-4 and from 1e16, at least two digits).
 */
function pythonNumber(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e21) return String(x);
  const [mantissa, exp] = x.toExponential().split('e');
  const e = Number(exp);
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return String(x);
}

function serializeValue(v: unknown): string {
  if (typeof v === 'string') return v.replace(INVALID, '_');
  if (typeof v === 'number') return pythonNumber(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null) return 'None';
  if (Array.isArray(v)) return `[${v.map(serializeValue).join(',')}]`;
  throw new Error(`experiment kwargs: cannot name a ${typeof v}`);
}

/**
 * MTEB's `_serialize_experiment_kwargs_to_name`: `key_value` joined by `__`, keys sorted; longer
 * than 200 characters (or an invalid character in a key): `exp_` + 16 hex of its sha256. With
 * '=' and ', ' it is the label's form, `model (output_dtypes=int8)`.
 */
export function experimentName(kwargs: ExperimentKwargs | null, valueSeparator = '_', kwargsSeparator = '__'): string | null {
  if (!kwargs || Object.keys(kwargs).length === 0) return null;
  // Python sorts str keys by code point; so does a plain comparison
  const keys = Object.keys(kwargs).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const text = keys.map((k) => `${k}${valueSeparator}${serializeValue(kwargs[k])}`).join(kwargsSeparator);
  if (text.length > 200 || /[<>:"|?*\\/\0]/.test(text)) return `exp_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
  return text;
}

/** The run's label as MTEB v2 prints it: `vqbench/glove-avg (output_dtypes=int8)`. */
export function mtebModelLabel(model: string, variant: string): string {
  const exp = experimentName(experimentKwargs(variant), '=', ', ');
  return exp ? `${mtebModelName(model)} (${exp})` : mtebModelName(model);
}

/** The folder of a variant's task files, relative to the results folder. */
export function mtebResultDir(model: string, revision: string | null, variant: string, embedderId?: string | null): string {
  const base = `${modelNameAsPath(mtebModelName(model))}/${mtebRevision(revision, model, embedderId)}`;
  const exp = experimentName(experimentKwargs(variant));
  return exp ? `${base}/${EXPERIMENTS_FOLDER}/${exp}` : base;
}

/** `<model>/<revision>[/experiments/<experiment>]/<TaskName>.json`. */
export function mtebResultPath(model: string, revision: string | null, variant: string, task: string, embedderId?: string | null): string {
  return `${mtebResultDir(model, revision, variant, embedderId)}/${task.replace(INVALID, '_')}.json`;
}

/** MTEB's metric names since 1.11: the cosine scores are `cosine_*`, no longer `cos_sim_*`. */
function mtebScores(scores: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(scores).map(([k, v]) => [k.replace(/^cos_sim_/, 'cosine_'), v]));
}

/** One task's results file (TaskResult's fields, in its order). */
export function mtebTaskResult(r: MtebResultInput): Record<string, unknown> {
  const subset = { ...mtebScores(r.scores), main_score: r.mainScore, hf_subset: 'default', languages: mtebLanguages(r.languages) };
  return {
    dataset_revision: r.datasetRevision ?? NO_DATASET_REVISION,
    task_name: r.task,
    mteb_version: null,
    scores: { [r.split || 'test']: [subset] },
    evaluation_time: r.evaluationSeconds,
    kg_co2_emissions: null,
  };
}

/** model_meta.json: ModelMeta.to_dict()'s fields, unknown ones null, so ModelMeta validates it. */
export function mtebModelMeta(r: Pick<MtebResultInput, 'model' | 'modelRevision' | 'embedderId' | 'dim' | 'variant'>): Record<string, unknown> {
  const kwargs = experimentKwargs(r.variant);
  return {
    loader: null, loader_kwargs: {}, name: mtebModelName(r.model), revision: mtebRevision(r.modelRevision, r.model, r.embedderId), release_date: null,
    languages: null, n_parameters: null, n_active_parameters_override: null, n_embedding_parameters: null, memory_usage_mb: null, max_tokens: null,
    embed_dim: r.dim, license: null, open_weights: null, public_training_code: null, public_training_data: null, framework: [], reference: null,
    // vqbench's evaluators score by cosine (src/eval/mteb/similarity.ts)
    similarity_fn_name: 'cosine', use_instructions: null, training_datasets: null, adapted_from: null, superseded_by: null,
    modalities: ['text'], model_type: ['dense'], citation: null, contacts: null,
    experiment_kwargs: kwargs, output_dtypes: outputDtypes(kwargs), extra_requirements_groups: null, is_cross_encoder: false,
  };
}

/** Every file of the layout for these results: one per task and variant, one model_meta.json per folder. */
export function mtebResultFiles(rows: readonly MtebResultInput[]): MtebResultFile[] {
  const out: MtebResultFile[] = [];
  const metas = new Map<string, MtebResultFile>();
  for (const r of rows) {
    const dir = mtebResultDir(r.model, r.modelRevision, r.variant, r.embedderId);
    out.push({
      path: mtebResultPath(r.model, r.modelRevision, r.variant, r.task, r.embedderId),
      what: `MTEB ${r.task}, ${mtebModelLabel(r.model, r.variant)}${r.bitsPerVector != null ? ` (${r.bitsPerVector} bits per vector)` : ''}`,
      data: JSON.stringify(mtebTaskResult(r), null, 2) + '\n',
    });
    if (!metas.has(dir)) metas.set(dir, { path: `${dir}/model_meta.json`, what: `MTEB model_meta.json of ${mtebModelLabel(r.model, r.variant)}`, data: JSON.stringify(mtebModelMeta(r), null, 2) + '\n' });
  }
  return [...out, ...metas.values()];
}
