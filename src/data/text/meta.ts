/** task.json: a task folder's TaskMeta, checked field by field with one sentence naming the file. */
import { readFileSync } from 'node:fs';
import { InputError } from '../../core/errors.js';
import { didYouMean } from '../../core/names.js';
import { TASK_TYPES, type TaskMeta, type TaskType } from './types.js';

/** MTEB's main_score per task type (the names MTEB's result files use). */
export const DEFAULT_MAIN_SCORE: Readonly<Record<TaskType, string>> = Object.freeze({
  Classification: 'accuracy',
  Clustering: 'v_measure',
  STS: 'cos_sim_spearman',
  PairClassification: 'cos_sim_ap',
  BitextMining: 'f1',
  Reranking: 'map',
  Retrieval: 'ndcg_at_10',
});

export function parseTaskType(value: unknown, where: string): TaskType {
  if (typeof value === 'string' && (TASK_TYPES as readonly string[]).includes(value)) return value as TaskType;
  const hint = typeof value === 'string' ? didYouMean(value, TASK_TYPES) : '';
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = 'a value nested too deeply to show'; // JSON.stringify overflows the stack
  }
  throw new InputError(`${where}: 'type' must be one of ${TASK_TYPES.join(', ')}, got ${shown.length > 40 ? shown.slice(0, 37) + '...' : shown}${hint}.`);
}

/**
 * Reads task.json. Required: `type`. Defaults: name = the folder's name, mainScore = MTEB's for the
 * type, split = 'test', source = the folder, licence = 'unknown'. Unknown fields are kept on disk
 * (prepared tasks record their provenance there) but not returned.
 */
export function readTaskJson(path: string, folderName: string, folder: string): TaskMeta & { extra: Record<string, unknown> } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code ? `${path} cannot be read: ${code}.` : `${path} is not valid JSON (${(e as Error).message.split('\n')[0]}).`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError(`${path} must hold one JSON object (the task's metadata).`);
  const o = raw as Record<string, unknown>;
  const type = parseTaskType(o.type, path);
  const optStr = (k: string, dflt: string): string => {
    const v = o[k];
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || v.trim() === '') throw new InputError(`${path}: '${k}' must be a non-empty string.`);
    return v;
  };
  const meta: TaskMeta & { extra: Record<string, unknown> } = {
    name: optStr('name', folderName),
    type,
    description: typeof o.description === 'string' ? o.description : '',
    source: optStr('source', folder),
    licence: optStr('licence', 'unknown'),
    mainScore: optStr('mainScore', DEFAULT_MAIN_SCORE[type]),
    split: optStr('split', 'test'),
    extra: {},
  };
  if (o.description !== undefined && typeof o.description !== 'string') throw new InputError(`${path}: 'description' must be a string.`);
  if (o.derived !== undefined) {
    if (typeof o.derived !== 'boolean') throw new InputError(`${path}: 'derived' must be true or false.`);
    meta.derived = o.derived;
  }
  if (o.languages !== undefined) {
    if (!Array.isArray(o.languages) || o.languages.some((l) => typeof l !== 'string')) throw new InputError(`${path}: 'languages' must be an array of strings.`);
    meta.languages = o.languages as string[];
  }
  if (o.checksum !== undefined && typeof o.checksum === 'string') meta.extra.recordedChecksum = o.checksum;
  for (const [k, v] of Object.entries(o)) if (!(k in meta) && k !== 'checksum') meta.extra[k] = v;
  if (!/^[\w.-]+$/.test(meta.split)) throw new InputError(`${path}: 'split' must be a plain name such as 'test', got '${meta.split}'.`);
  return meta;
}

/** The TaskMeta fields only (drops `extra`). */
export function plainMeta(m: TaskMeta & { extra?: unknown }): TaskMeta {
  const { extra: _extra, ...rest } = m;
  return rest;
}
