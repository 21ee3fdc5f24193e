/**
 * Text datasets: the registry of datasets built from installed packages (`vqbench datasets
 * prepare`), cached as task folders under `<cache>/text/<name>/`, and the one entry point for
 * loading any text task or corpus by name, folder or file.
 *
 *   loadTextTask(spec)    a prepared dataset name (prepared on first use), or a folder: task.json +
 *                         MTEB-style JSONL, a BEIR folder, or an MS MARCO folder
 *   loadTextCorpus(spec)  a prepared corpus name (wordnet-glosses-50k), alpaca_data.json, a .txt
 *                         (one text per line), a .jsonl (a "text" field), or a prepared corpus folder
 *   textsOf(task)         every text a task embeds, grouped by role, queries first
 */
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../core/atomic.js';
import { InputError } from '../../core/errors.js';
import { didYouMean } from '../../core/names.js';
import { frozenRegistry } from '../../core/registry.js';
import { cacheDir } from '../cache.js';
import { checksum } from '../checksum.js';
import { CORPUS_FILE_KINDS, isCorpusFile, loadCorpusFile, type TextCorpus } from './corpus.js';
import { isDirectory, toJsonl } from './io.js';
import { loadJsonlTask } from './jsonl-task.js';
import { plainMeta, readTaskJson } from './meta.js';
import { isBeirFolder, isMsMarcoFolder, loadBeirFolder, loadMsMarcoFolder } from './retrieval.js';
import { BROWN_DATASETS } from './sources/brown.js';
import type { Built, Provenance, TextDatasetEntry } from './sources/entry.js';
import { SPAM_DATASETS } from './sources/spam.js';
import { SWORD_DATASETS } from './sources/sword.js';
import { UDHR_DATASETS } from './sources/udhr.js';
import { WORDNET_DATASETS } from './sources/wordnet.js';
import { retrievalDocText, TASK_TYPES, type TaskType, type TextTask } from './types.js';
import { dataOf } from './narrow.js';
import { writeTaskFolder } from './write.js';

export type { TextCorpus } from './corpus.js';
export { retrievalDocText } from './types.js';
export type { TextDatasetEntry } from './sources/entry.js';

const entries: TextDatasetEntry[] = [...SPAM_DATASETS, ...WORDNET_DATASETS, ...BROWN_DATASETS, ...SWORD_DATASETS, ...UDHR_DATASETS];

export const TEXT_DATASETS = frozenRegistry('text dataset', entries, (e) => e.name);
export const TEXT_DATASET_NAMES: readonly string[] = Object.keys(TEXT_DATASETS);

/** didYouMean, plus the one name that starts with what was typed (e.g. 'wordnet-glos'). */
function suggest(name: string, known: readonly string[]): string {
  const close = didYouMean(name, known);
  if (close) return close;
  const prefixed = name.length >= 3 ? known.filter((k) => k.toLowerCase().startsWith(name.toLowerCase())) : [];
  return prefixed.length === 1 ? `; did you mean '${prefixed[0]}'?` : '';
}

export function textDatasetEntry(name: string): Readonly<TextDatasetEntry> {
  const e = Object.prototype.hasOwnProperty.call(TEXT_DATASETS, name) ? TEXT_DATASETS[name] : undefined;
  if (!e) throw new InputError(`unknown text dataset '${name}'${suggest(name, TEXT_DATASET_NAMES)}; \`vqbench datasets list\` shows them all.`);
  return e;
}

/** Where a prepared dataset lives. */
export function preparedDir(name: string): string {
  return cacheDir('text', name);
}

// ---- what a dataset holds ----

/** Sizes of a task, by type: texts, pairs, labels, queries... (for `datasets list` and the manifest). */
export function countsOf(task: TextTask): Record<string, number> {
  switch (task.meta.type) {
    case 'Classification': {
      const d = dataOf(task, 'Classification');
      return { train: d.train.texts.length, test: d.test.texts.length, labels: new Set([...d.train.labels, ...d.test.labels]).size };
    }
    case 'Clustering': {
      const d = dataOf(task, 'Clustering');
      return { sets: d.sets.length, texts: d.sets.reduce((a, s) => a + s.texts.length, 0), clusters: new Set(d.sets.flatMap((s) => s.labels)).size };
    }
    case 'STS':
      return { pairs: dataOf(task, 'STS').scores.length };
    case 'PairClassification':
      return { pairs: dataOf(task, 'PairClassification').labels.length, positive: dataOf(task, 'PairClassification').labels.filter((l) => l === 1).length };
    case 'BitextMining':
      return { pairs: dataOf(task, 'BitextMining').sentences1.length };
    case 'Reranking': {
      const s = dataOf(task, 'Reranking').samples;
      return { queries: s.length, candidates: s.reduce((a, x) => a + x.positive.length + x.negative.length, 0) };
    }
    case 'Retrieval': {
      const d = dataOf(task, 'Retrieval');
      let qrels = 0;
      for (const m of d.qrels.values()) qrels += m.size;
      return { corpus: d.corpus.ids.length, queries: d.queries.ids.length, qrels };
    }
  }
}

/**
 * Every text the task embeds, grouped by the role it is embedded with, queries first (Retrieval
 * queries and Reranking queries are 'query'; everything else is 'document'). Within a group each
 * distinct text appears once, in first-seen order.
 */
export function textsOf(task: TextTask): { role: 'query' | 'document'; texts: string[] }[] {
  const uniq = (xs: Iterable<string>) => [...new Set(xs)];
  switch (task.meta.type) {
    case 'Classification':
      return [{ role: 'document', texts: uniq([...dataOf(task, 'Classification').train.texts, ...dataOf(task, 'Classification').test.texts]) }];
    case 'Clustering':
      return [{ role: 'document', texts: uniq(dataOf(task, 'Clustering').sets.flatMap((s) => s.texts)) }];
    case 'STS':
    case 'PairClassification':
    case 'BitextMining':
    {
      const d = task.data as { sentences1: string[]; sentences2: string[] }; // all three are sentence pairs
      return [{ role: 'document', texts: uniq([...d.sentences1, ...d.sentences2]) }];
    }
    case 'Reranking':
      return [
        { role: 'query', texts: uniq(dataOf(task, 'Reranking').samples.map((s) => s.query)) },
        { role: 'document', texts: uniq(dataOf(task, 'Reranking').samples.flatMap((s) => [...s.positive, ...s.negative])) },
      ];
    case 'Retrieval': {
      const c = dataOf(task, 'Retrieval').corpus;
      return [
        { role: 'query', texts: uniq(dataOf(task, 'Retrieval').queries.texts) },
        { role: 'document', texts: uniq(c.texts.map((t, i) => retrievalDocText(c.titles[i], t))) },
      ];
    }
  }
}

// ---- prepare ----

interface PreparedRecord {
  name: string;
  recipe?: number;
  checksum?: string;
  counts?: Record<string, number>;
}

function readPreparedRecord(dir: string): (PreparedRecord & { file: string }) | null {
  for (const file of ['task.json', 'corpus.json']) {
    const p = join(dir, file);
    if (!existsSync(p)) continue;
    try {
      return { ...(JSON.parse(readFileSync(p, 'utf8')) as PreparedRecord), file };
    } catch {
      return null;
    }
  }
  return null;
}

/** The prepared copy's record when it was prepared with the current recipe, else null. */
function currentRecord(name: string): (PreparedRecord & { file: string }) | null {
  const e = textDatasetEntry(name);
  const r = readPreparedRecord(preparedDir(name));
  return r !== null && r.recipe === e.recipe && typeof r.checksum === 'string' ? r : null;
}

/** Prepared with the current recipe? */
export function isPrepared(name: string): boolean {
  return currentRecord(name) !== null;
}

export interface PrepareResult {
  name: string;
  type: TaskType | 'corpus';
  /** 'prepared' when built now, 'cached' when an up-to-date copy was already there. */
  status: 'prepared' | 'cached';
  dir: string;
  checksum: string;
  counts: Record<string, number>;
  seconds: number;
}

/**
 * Builds a dataset from its installed source into `<cache>/text/<name>/` (a temporary sibling
 * renamed into place, so a failed or interrupted build never leaves a half-written folder).
 * Idempotent: an up-to-date copy is kept unless `force`.
 */
export async function prepareTextDataset(name: string, opts: { force?: boolean } = {}): Promise<PrepareResult> {
  const t0 = performance.now();
  const e = textDatasetEntry(name);
  const dir = preparedDir(name);
  const r = opts.force ? null : currentRecord(name);
  if (r) return { name, type: e.type, status: 'cached', dir, checksum: r.checksum!, counts: r.counts ?? {}, seconds: (performance.now() - t0) / 1000 };
  const built = await e.build();
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  let sum: string, counts: Record<string, number>;
  try {
    ({ checksum: sum, counts } = writeBuilt(tmp, e, built));
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(tmp, dir);
    } catch (err) {
      if (!isPrepared(name)) throw err; // another process finished the same build first: keep theirs
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { name, type: e.type, status: 'prepared', dir, checksum: sum, counts, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Prepares several datasets ('all' = every registered one), checking every name before building
 * anything; `onResult` is called after each, in order.
 */
export async function prepareTextDatasets(
  names: readonly string[],
  opts: { force?: boolean; onStart?: (name: string, i: number, n: number) => void; onResult?: (r: PrepareResult, i: number, n: number) => void } = {},
): Promise<PrepareResult[]> {
  if (names.length === 0) throw new InputError(`name at least one dataset to prepare, or 'all' (${TEXT_DATASET_NAMES.join(', ')}).`);
  const list = [...new Set(names.flatMap((n) => (n === 'all' ? TEXT_DATASET_NAMES : [textDatasetEntry(n).name])))];
  const out: PrepareResult[] = [];
  for (const [i, name] of list.entries()) {
    opts.onStart?.(name, i, list.length);
    const r = await prepareTextDataset(name, { force: opts.force });
    out.push(r);
    opts.onResult?.(r, i, list.length);
  }
  return out;
}

function extras(e: TextDatasetEntry, provenance: Provenance, counts: Record<string, number>): Record<string, unknown> {
  return { recipe: e.recipe, counts, provenance };
}

function writeBuilt(dir: string, e: TextDatasetEntry, built: Built): { checksum: string; counts: Record<string, number> } {
  if (built.kind === 'task') {
    if (built.task.meta.name !== e.name) throw new Error(`builder of ${e.name} made a task named ${built.task.meta.name}`);
    const counts = countsOf(built.task);
    assertNonEmpty(e.name, counts);
    return { checksum: writeTaskFolder(dir, built.task, extras(e, built.provenance, counts)), counts };
  }
  const text = toJsonl(built.texts.map((t) => ({ text: t })));
  writeFileAtomic(join(dir, 'texts.jsonl'), text);
  const sum = checksum(text);
  const counts = { texts: built.texts.length };
  assertNonEmpty(e.name, counts);
  const meta = { name: built.name, kind: 'corpus', description: built.description, source: built.source, licence: built.licence, checksum: sum, ...extras(e, built.provenance, counts) };
  writeFileAtomic(join(dir, 'corpus.json'), JSON.stringify(meta, null, 2) + '\n');
  return { checksum: sum, counts };
}

function assertNonEmpty(name: string, counts: Record<string, number>): void {
  if (Object.values(counts).some((v) => v === 0)) throw new Error(`building ${name} gave an empty part: ${JSON.stringify(counts)}`);
}

// ---- list ----

export interface TextDatasetInfo extends Pick<TextDatasetEntry, 'name' | 'type' | 'describe' | 'source' | 'licence' | 'shortLicence' | 'needs'> {
  prepared: boolean;
  /** From the prepared copy, else from datasets/manifest.json, else {}. */
  counts: Record<string, number>;
  checksum: string | null;
}

const MANIFEST = fileURLToPath(new URL('../../../datasets/manifest.json', import.meta.url));

/** The checked-in manifest's entries (datasets/manifest.json), [] when it cannot be read. */
export function manifestEntries(): Record<string, unknown>[] {
  try {
    const m = JSON.parse(readFileSync(MANIFEST, 'utf8')) as { datasets?: Record<string, unknown>[] };
    return Array.isArray(m.datasets) ? m.datasets : [];
  } catch {
    return [];
  }
}

/**
 * The datasets/manifest.json entry of a prepared dataset (kind "text"): what it is, its sizes,
 * source with versions, licence, derivation, seed and checksum, read from its prepared copy.
 */
export function manifestEntryOf(name: string): Record<string, unknown> {
  const e = textDatasetEntry(name);
  const rec = currentRecord(name) as (PreparedRecord & Record<string, unknown>) | null;
  if (!rec) throw new InputError(`${name} is not prepared; run \`vqbench datasets prepare ${name}\`.`);
  const prov = (rec.provenance ?? {}) as Partial<Provenance>;
  return {
    name, kind: 'text', type: e.type, counts: rec.counts,
    ...(e.type === 'corpus' ? {} : { mainScore: rec.mainScore, split: rec.split }),
    ...(rec.derived ? { derived: true } : {}),
    ...(rec.languages ? { languages: rec.languages } : {}),
    source: rec.source, sourceVersions: prov.sourceVersions, licence: rec.licence,
    derivation: typeof rec.description === 'string' && rec.description ? rec.description : prov.derivation, ...(prov.seed !== undefined ? { seed: prov.seed } : {}),
    checksum: rec.checksum, cache: `text/${name}/ (under the cache root; \`vqbench datasets prepare ${name}\`)`,
  };
}

export function listTextDatasets(): TextDatasetInfo[] {
  const manifest = new Map(manifestEntries().filter((d) => d.kind === 'text').map((d) => [String(d.name), d]));
  return TEXT_DATASET_NAMES.map((name) => {
    const e = TEXT_DATASETS[name];
    const rec = currentRecord(name);
    const prepared = rec !== null;
    const m = manifest.get(name);
    return {
      name, type: e.type, describe: e.describe, source: e.source, licence: e.licence, shortLicence: e.shortLicence, needs: e.needs, prepared,
      counts: rec?.counts ?? (m?.counts as Record<string, number> | undefined) ?? {},
      checksum: rec?.checksum ?? (typeof m?.checksum === 'string' ? m.checksum : null),
    };
  });
}

// ---- load ----

/** A task folder: task.json (+ JSONL, or BEIR / MS MARCO for Retrieval), or a BEIR / MS MARCO folder without task.json. */
export async function loadTaskFolder(dir: string): Promise<TextTask> {
  const folderName = basename(dir.replace(/[\\/]+$/, '')) || dir;
  const taskJson = join(dir, 'task.json');
  if (existsSync(taskJson)) {
    const meta = plainMeta(readTaskJson(taskJson, folderName, dir));
    if (meta.type === 'Retrieval') {
      if (isBeirFolder(dir)) return loadBeirFolder(dir, meta);
      if (isMsMarcoFolder(dir)) return loadMsMarcoFolder(dir, meta);
      throw new InputError(`${dir} is a Retrieval task (task.json) but has no corpus.jsonl (BEIR layout) or collection.tsv (MS MARCO layout).`);
    }
    return loadJsonlTask(dir, meta);
  }
  if (existsSync(join(dir, 'corpus.json'))) throw new InputError(`${dir} is a prepared text corpus, not a task; load it as a corpus (loadTextCorpus / --dataset).`);
  if (isBeirFolder(dir)) return loadBeirFolder(dir);
  if (isMsMarcoFolder(dir)) return loadMsMarcoFolder(dir);
  throw new InputError(`${dir} is not a task folder: expected task.json (MTEB-style JSONL), a BEIR layout (corpus.jsonl, queries.jsonl, qrels/test.tsv) or an MS MARCO layout (collection.tsv, queries.<split>.tsv, qrels.<split>.tsv).`);
}

function unknownSpec(spec: string, what: 'task' | 'corpus'): InputError {
  const names = TEXT_DATASET_NAMES.filter((n) => (TEXT_DATASETS[n].type === 'corpus') === (what === 'corpus'));
  const kinds = what === 'task' ? 'a prepared task name, or a task / BEIR / MS MARCO folder' : `a prepared corpus name (${names.join(', ')}), or a file: ${CORPUS_FILE_KINDS.join(', ')}`;
  return new InputError(`unknown text ${what} '${spec}'${suggest(spec, what === 'task' ? [...TEXT_DATASET_NAMES] : names)}: not a path either; give ${kinds} (\`vqbench datasets list\` shows the names).`);
}

/** Loads a prepared dataset's folder, preparing it first when missing or stale. */
async function ensurePrepared(name: string): Promise<string> {
  if (!isPrepared(name)) await prepareTextDataset(name);
  return preparedDir(name);
}

export async function loadTextTask(spec: string): Promise<TextTask> {
  if (Object.prototype.hasOwnProperty.call(TEXT_DATASETS, spec)) {
    const e = TEXT_DATASETS[spec];
    if (e.type === 'corpus') throw new InputError(`'${spec}' is a text corpus, not a task; use it where a corpus is expected (e.g. --train-corpus, vqbench embed --dataset).`);
    const dir = await ensurePrepared(spec);
    const task = await loadTaskFolder(dir);
    const recorded = readPreparedRecord(dir)?.checksum;
    if (recorded && recorded !== task.meta.checksum) throw new InputError(`the prepared copy of ${spec} in ${dir} was modified (checksum ${task.meta.checksum}, prepared as ${recorded}); run \`vqbench datasets prepare ${spec} --force\`.`);
    return task;
  }
  if (isDirectory(spec)) return loadTaskFolder(spec);
  if (existsSync(spec)) throw new InputError(`${spec} is a file; a text task is a folder (task.json + JSONL, BEIR or MS MARCO) or a prepared dataset name.`);
  throw unknownSpec(spec, 'task');
}

export async function loadTextCorpus(spec: string): Promise<TextCorpus> {
  let dir: string | null = null;
  if (Object.prototype.hasOwnProperty.call(TEXT_DATASETS, spec)) {
    if (TEXT_DATASETS[spec].type !== 'corpus') throw new InputError(`'${spec}' is a ${TEXT_DATASETS[spec].type} task, not a text corpus; corpora: ${TEXT_DATASET_NAMES.filter((n) => TEXT_DATASETS[n].type === 'corpus').join(', ')}, or a file (${CORPUS_FILE_KINDS.join(', ')}).`);
    dir = await ensurePrepared(spec);
  } else if (isDirectory(spec)) {
    if (!existsSync(join(spec, 'corpus.json'))) throw new InputError(`${spec} is a folder without corpus.json; a text corpus is a prepared corpus name or a file (${CORPUS_FILE_KINDS.join(', ')}).`);
    dir = spec;
  }
  if (dir !== null) {
    const metaPath = join(dir, 'corpus.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { name: string; source: string; licence: string; checksum: string };
    const corpus = await loadCorpusFile(join(dir, 'texts.jsonl'));
    if (corpus.checksum !== meta.checksum) throw new InputError(`the prepared corpus in ${dir} was modified (checksum ${corpus.checksum}, prepared as ${meta.checksum}); run \`vqbench datasets prepare ${meta.name} --force\`.`);
    return { name: meta.name, texts: corpus.texts, source: meta.source, licence: meta.licence, checksum: meta.checksum };
  }
  if (existsSync(spec)) {
    if (!isCorpusFile(spec)) throw new InputError(`${spec}: a text corpus file must be ${CORPUS_FILE_KINDS.join(', ')}.`);
    return loadCorpusFile(spec);
  }
  throw unknownSpec(spec, 'corpus');
}

/**
 * Expands task arguments: a prepared task name or folder stays as it is; a task type
 * (Classification, ...; any case) becomes every registered task of that type; 'all' every task.
 * Unknown names are an error with the nearest name. Duplicates are dropped, order kept.
 */
export function resolveTaskSpecs(specs: readonly string[]): string[] {
  const out: string[] = [];
  const tasks = TEXT_DATASET_NAMES.filter((n) => TEXT_DATASETS[n].type !== 'corpus');
  for (const raw of specs.flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s)) {
    const type = TASK_TYPES.find((t) => t.toLowerCase() === raw.toLowerCase());
    if (raw.toLowerCase() === 'all') out.push(...tasks);
    else if (type) out.push(...tasks.filter((n) => TEXT_DATASETS[n].type === type));
    else if (Object.prototype.hasOwnProperty.call(TEXT_DATASETS, raw)) {
      if (TEXT_DATASETS[raw].type === 'corpus') throw new InputError(`'${raw}' is a text corpus, not a task.`);
      out.push(raw);
    } else if (isDirectory(raw)) out.push(raw);
    else throw new InputError(`unknown task '${raw}'${suggest(raw, [...tasks, ...TASK_TYPES])}: give a prepared task name, a task type (${TASK_TYPES.join(', ')}), 'all', or a task folder.`);
  }
  return [...new Set(out)];
}
