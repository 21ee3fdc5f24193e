/**
 * Writes a TextTask as a task folder (task.json + MTEB-style JSONL, or the BEIR layout for
 * Retrieval) that loadTextTask reads back to the same task, and returns its checksum (the same
 * hash the loader computes over the same data files).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic.js';
import { combineFileHashes, sha256, toJsonl } from './io.js';
import { dataOf } from './narrow.js';
import type { TaskMeta, TextTask } from './types.js';

/** The data files of a task, relative path → contents, in checksum order. */
export function taskFiles(task: TextTask): [string, string][] {
  const split = task.meta.split;
  const evalFile = `${split}.jsonl`;
  switch (task.meta.type) {
    case 'Classification': {
      const d = dataOf(task, 'Classification');
      const rows = (p: { texts: string[]; labels: string[] }) => p.texts.map((text, i) => ({ text, label: p.labels[i] }));
      return [['train.jsonl', toJsonl(rows(d.train))], [evalFile, toJsonl(rows(d.test))]];
    }
    case 'Clustering':
      return [[evalFile, toJsonl(dataOf(task, 'Clustering').sets.map((s) => ({ sentences: s.texts, labels: s.labels })))]];
    case 'STS': {
      const d = dataOf(task, 'STS');
      return [[evalFile, toJsonl(d.sentences1.map((sentence1, i) => ({ sentence1, sentence2: d.sentences2[i], score: d.scores[i] })))]];
    }
    case 'PairClassification': {
      const d = dataOf(task, 'PairClassification');
      return [[evalFile, toJsonl(d.sentences1.map((sentence1, i) => ({ sentence1, sentence2: d.sentences2[i], label: d.labels[i] })))]];
    }
    case 'BitextMining': {
      const d = dataOf(task, 'BitextMining');
      return [[evalFile, toJsonl(d.sentences1.map((sentence1, i) => ({ sentence1, sentence2: d.sentences2[i] })))]];
    }
    case 'Reranking':
      return [[evalFile, toJsonl(dataOf(task, 'Reranking').samples)]];
    case 'Retrieval': {
      const d = dataOf(task, 'Retrieval');
      let qrels = 'query-id\tcorpus-id\tscore\n';
      for (const qid of d.queries.ids) for (const [did, s] of d.qrels.get(qid) ?? []) qrels += `${qid}\t${did}\t${s}\n`;
      return [
        ['corpus.jsonl', toJsonl(d.corpus.ids.map((_id, i) => ({ _id, title: d.corpus.titles[i], text: d.corpus.texts[i] })))],
        ['queries.jsonl', toJsonl(d.queries.ids.map((_id, i) => ({ _id, text: d.queries.texts[i] })))],
        [`qrels/${split}.tsv`, qrels],
      ];
    }
  }
}

/** The checksum of data files as taskFiles gives them (what the loader computes over the same files). */
function filesChecksum(files: [string, string][]): string {
  return combineFileHashes(files.map(([name, text]) => ({ name, sha: sha256(text) })));
}

/** The checksum loadTextTask will compute for this task once written. */
export function taskChecksum(task: TextTask): string {
  return filesChecksum(taskFiles(task));
}

/**
 * Writes the folder: data files first, task.json (the meta with its checksum, plus `extra` fields
 * such as provenance and counts) last, each atomically. Returns the checksum.
 */
export function writeTaskFolder(dir: string, task: TextTask, extra: Record<string, unknown> = {}): string {
  const files = taskFiles(task);
  for (const [rel, text] of files) writeFileAtomic(join(dir, rel), text);
  const checksum = filesChecksum(files);
  const meta: TaskMeta = { ...task.meta, checksum };
  writeFileAtomic(join(dir, 'task.json'), JSON.stringify({ ...meta, ...extra }, null, 2) + '\n');
  return checksum;
}
