/**
 * Retrieval folders: BEIR (`corpus.jsonl` {_id, title, text}, `queries.jsonl` {_id, text},
 * `qrels/<split>.tsv` with header `query-id corpus-id score`) and MS MARCO (`collection.tsv`
 * pid<TAB>text, `queries.<split>.tsv` qid<TAB>text, `qrels.<split>.tsv` TREC `qid 0 pid rel`).
 * As BEIR's GenericDataLoader does, only queries with at least one relevant document (grade > 0)
 * in the split's qrels are kept; qrels naming an id that is not in the corpus or the queries are
 * an error (file:line).
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError } from '../../core/errors.js';
import { DEFAULT_MAIN_SCORE } from './meta.js';
import { combineFileHashes, forEachJsonl, forEachLine, isDirectory, requireFile, str } from './io.js';
import type { RetrievalData, TaskMeta, TextTask } from './types.js';

type RetrievalTask = Extract<TextTask, { meta: { type: 'Retrieval' } }>;

export function isBeirFolder(dir: string): boolean {
  return existsSync(join(dir, 'corpus.jsonl')) || existsSync(join(dir, 'queries.jsonl')) || isDirectory(join(dir, 'qrels'));
}

export function isMsMarcoFolder(dir: string): boolean {
  return existsSync(join(dir, 'collection.tsv')) || readdirSync(dir).some((f) => /^(queries|qrels)\..+\.tsv$/.test(f));
}

function defaultMeta(dir: string, split: string): TaskMeta {
  return {
    name: basename(dir.replace(/[\\/]+$/, '')), type: 'Retrieval', description: `Retrieval task read from ${dir}`,
    source: dir, licence: 'unknown', mainScore: DEFAULT_MAIN_SCORE.Retrieval, split,
  };
}

/** Picks the split: the one task.json names, else test, else dev, else the only one there is. */
function pickSplit(available: string[], wanted: string | undefined, where: string, pattern: string): string {
  if (wanted !== undefined) {
    if (!available.includes(wanted)) throw new InputError(`${where} has no ${pattern.replace('<split>', wanted)}${available.length ? ` (splits found: ${available.join(', ')})` : ''}.`);
    return wanted;
  }
  for (const s of ['test', 'dev']) if (available.includes(s)) return s;
  if (available.length === 1) return available[0];
  if (available.length === 0) throw new InputError(`${where} is a retrieval folder but has no ${pattern}.`);
  throw new InputError(`${where} holds several splits (${available.join(', ')}) and none is 'test' or 'dev'; name one in task.json ("split").`);
}

export async function loadBeirFolder(dir: string, meta?: TaskMeta): Promise<RetrievalTask> {
  const what = 'a BEIR folder';
  const corpusPath = requireFile(dir, 'corpus.jsonl', what);
  const queriesPath = requireFile(dir, 'queries.jsonl', what);
  if (!isDirectory(join(dir, 'qrels'))) throw new InputError(`${dir} is ${what} but has no qrels/ folder (qrels/test.tsv).`);
  const splits = readdirSync(join(dir, 'qrels')).filter((f) => f.endsWith('.tsv')).map((f) => f.slice(0, -4)).sort();
  const split = pickSplit(splits, meta?.split, dir, 'qrels/<split>.tsv');
  const qrelsPath = join(dir, 'qrels', `${split}.tsv`);

  const corpus = { ids: [] as string[], titles: [] as string[], texts: [] as string[] };
  const docIndex = new Map<string, number>();
  const corpusSha = await forEachJsonl(corpusPath, (r) => {
    const id = str(r, '_id', { numbersOk: true });
    if (docIndex.has(id)) throw new InputError(`${r.at}: duplicate _id '${id}'.`);
    docIndex.set(id, corpus.ids.length);
    corpus.ids.push(id);
    corpus.titles.push(str(r, 'title', { optional: true }));
    corpus.texts.push(str(r, 'text'));
  });
  if (corpus.ids.length === 0) throw new InputError(`${corpusPath} holds no documents; a retrieval corpus cannot be empty.`);

  const allQueries = new Map<string, string>();
  const queryOrder: string[] = [];
  const queriesSha = await forEachJsonl(queriesPath, (r) => {
    const id = str(r, '_id', { numbersOk: true });
    if (allQueries.has(id)) throw new InputError(`${r.at}: duplicate _id '${id}'.`);
    allQueries.set(id, str(r, 'text'));
    queryOrder.push(id);
  });

  const qrels = new Map<string, Map<string, number>>();
  const qrelsSha = await forEachLine(qrelsPath, (line, n) => {
    if (line.trim() === '') return;
    const cols = line.split('\t').length >= 3 ? line.split('\t') : line.trim().split(/\s+/);
    if (n === 1 && !/^-?\d+(\.\d+)?$/.test((cols[2] ?? '').trim())) return; // the header `query-id corpus-id score`
    if (cols.length < 3) throw new InputError(`${qrelsPath}:${n} needs 3 columns (query-id, corpus-id, score), found ${cols.length}.`);
    const [qid, did, scoreText] = [cols[0].trim(), cols[1].trim(), cols[2].trim()];
    addQrel(qrels, qid, did, scoreText, `${qrelsPath}:${n}`, allQueries, docIndex, queriesPath, corpusPath);
  });

  const data = finishRetrieval(corpus, allQueries, queryOrder, qrels, qrelsPath);
  const checksum = combineFileHashes([
    { name: 'corpus.jsonl', sha: corpusSha },
    { name: 'queries.jsonl', sha: queriesSha },
    { name: `qrels/${split}.tsv`, sha: qrelsSha },
  ]);
  return { meta: { ...(meta ?? defaultMeta(dir, split)), type: 'Retrieval', split, checksum }, data };
}

export async function loadMsMarcoFolder(dir: string, meta?: TaskMeta): Promise<RetrievalTask> {
  const what = 'an MS MARCO folder';
  const collectionPath = requireFile(dir, 'collection.tsv', what);
  const files = readdirSync(dir);
  const splitsOf = (prefix: string) => files.filter((f) => f.startsWith(prefix + '.') && f.endsWith('.tsv')).map((f) => f.slice(prefix.length + 1, -4));
  const qSplits = splitsOf('queries');
  const split = pickSplit(qSplits, meta?.split, dir, 'queries.<split>.tsv');
  const queriesPath = requireFile(dir, `queries.${split}.tsv`, what);
  const qrelsPath = requireFile(dir, `qrels.${split}.tsv`, what);

  const corpus = { ids: [] as string[], titles: [] as string[], texts: [] as string[] };
  const docIndex = new Map<string, number>();
  const collectionSha = await forEachLine(collectionPath, (line, n) => {
    if (line.trim() === '') return;
    const tab = line.indexOf('\t');
    if (tab < 0) throw new InputError(`${collectionPath}:${n} needs 2 tab-separated columns (pid, passage).`);
    const id = line.slice(0, tab).trim();
    if (docIndex.has(id)) throw new InputError(`${collectionPath}:${n}: duplicate pid '${id}'.`);
    docIndex.set(id, corpus.ids.length);
    corpus.ids.push(id);
    corpus.titles.push('');
    corpus.texts.push(line.slice(tab + 1));
  });
  if (corpus.ids.length === 0) throw new InputError(`${collectionPath} holds no passages; a retrieval corpus cannot be empty.`);

  const allQueries = new Map<string, string>();
  const queryOrder: string[] = [];
  const queriesSha = await forEachLine(queriesPath, (line, n) => {
    if (line.trim() === '') return;
    const tab = line.indexOf('\t');
    if (tab < 0) throw new InputError(`${queriesPath}:${n} needs 2 tab-separated columns (qid, query).`);
    const id = line.slice(0, tab).trim();
    if (allQueries.has(id)) throw new InputError(`${queriesPath}:${n}: duplicate qid '${id}'.`);
    allQueries.set(id, line.slice(tab + 1));
    queryOrder.push(id);
  });

  const qrels = new Map<string, Map<string, number>>();
  const qrelsSha = await forEachLine(qrelsPath, (line, n) => {
    if (line.trim() === '') return;
    const cols = line.trim().split(/\s+/);
    if (cols.length !== 4) throw new InputError(`${qrelsPath}:${n} needs 4 columns (TREC: qid 0 pid relevance), found ${cols.length}.`);
    addQrel(qrels, cols[0], cols[2], cols[3], `${qrelsPath}:${n}`, allQueries, docIndex, queriesPath, collectionPath);
  });

  const data = finishRetrieval(corpus, allQueries, queryOrder, qrels, qrelsPath);
  const checksum = combineFileHashes([
    { name: 'collection.tsv', sha: collectionSha },
    { name: `queries.${split}.tsv`, sha: queriesSha },
    { name: `qrels.${split}.tsv`, sha: qrelsSha },
  ]);
  const m = meta ?? { ...defaultMeta(dir, split), description: `MS MARCO-style retrieval task read from ${dir}` };
  return { meta: { ...m, type: 'Retrieval', split, checksum }, data };
}

function addQrel(
  qrels: Map<string, Map<string, number>>, qid: string, did: string, scoreText: string, at: string,
  queries: Map<string, string>, docs: Map<string, number>, queriesPath: string, corpusPath: string,
): void {
  const score = Number(scoreText);
  if (scoreText === '' || Number.isNaN(score)) throw new InputError(`${at}: relevance '${scoreText}' is not a number.`);
  if (!Number.isFinite(score)) throw new InputError(`${at}: relevance '${scoreText}' is infinite.`);
  if (!queries.has(qid)) throw new InputError(`${at} names query id '${qid}', which is not in ${queriesPath}.`);
  if (!docs.has(did)) throw new InputError(`${at} names document id '${did}', which is not in ${corpusPath}.`);
  if (score <= 0) return;
  let m = qrels.get(qid);
  if (!m) qrels.set(qid, (m = new Map()));
  m.set(did, score);
}

function finishRetrieval(
  corpus: RetrievalData['corpus'], allQueries: Map<string, string>, order: string[],
  qrels: Map<string, Map<string, number>>, qrelsPath: string,
): RetrievalData {
  const ids = order.filter((id) => qrels.has(id));
  if (ids.length === 0) throw new InputError(`${qrelsPath} gives no query a relevant document (relevance > 0).`);
  return { corpus, queries: { ids, texts: ids.map((id) => allQueries.get(id)!) }, qrels };
}
