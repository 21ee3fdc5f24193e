/**
 * MTEB-style JSONL task folders: `task.json` plus, per type (fields as in types.ts),
 * Classification `train.jsonl` + `<split>.jsonl` {text, label}; Clustering `<split>.jsonl`
 * {sentences, labels} (one line per clustering set); STS {sentence1, sentence2, score};
 * PairClassification {sentence1, sentence2, label 0|1}; BitextMining {sentence1, sentence2};
 * Reranking {query, positive, negative}. Retrieval folders use the BEIR layout (retrieval.ts).
 */
import { InputError } from '../../core/errors.js';
import { combineFileHashes, forEachJsonl, num, requireFile, str, strArray } from './io.js';
import type { TaskMeta, TextTask } from './types.js';

const WHAT = 'a task folder (task.json)';

export async function loadJsonlTask(dir: string, meta: TaskMeta): Promise<TextTask> {
  const split = meta.split;
  const evalRel = `${split}.jsonl`;
  const evalPath = requireFile(dir, evalRel, `${WHAT} of type ${meta.type}`);
  const hashes: { name: string; sha: string }[] = [];
  const done = (sha: string, name = evalRel) => hashes.push({ name, sha });
  const nonEmpty = (n: number, path: string, what: string) => {
    if (n === 0) throw new InputError(`${path} holds no ${what}; a ${meta.type} task cannot be empty.`);
  };

  switch (meta.type) {
    case 'Classification': {
      const trainPath = requireFile(dir, 'train.jsonl', `${WHAT} of type Classification`);
      const read = async (path: string) => {
        const texts: string[] = [], labels: string[] = [];
        const sha = await forEachJsonl(path, (r) => {
          texts.push(str(r, 'text'));
          labels.push(str(r, 'label', { numbersOk: true }));
        });
        nonEmpty(texts.length, path, 'examples');
        return { texts, labels, sha };
      };
      const train = await read(trainPath);
      done(train.sha, 'train.jsonl');
      const test = await read(evalPath);
      done(test.sha);
      const known = new Set(train.labels);
      const unseen = [...new Set(test.labels)].filter((l) => !known.has(l));
      if (unseen.length) throw new InputError(`${evalPath} has label(s) ${unseen.slice(0, 5).map((l) => `'${l}'`).join(', ')} that never occur in ${trainPath}.`);
      return withChecksum({ meta: { ...meta, type: 'Classification' }, data: { train: { texts: train.texts, labels: train.labels }, test: { texts: test.texts, labels: test.labels } } }, hashes);
    }
    case 'Clustering': {
      const sets: { texts: string[]; labels: string[] }[] = [];
      done(await forEachJsonl(evalPath, (r) => {
        const texts = strArray(r, 'sentences');
        const labels = strArray(r, 'labels', { numbersOk: true });
        if (texts.length !== labels.length) throw new InputError(`${r.at} has ${texts.length} sentences but ${labels.length} labels.`);
        if (texts.length === 0) throw new InputError(`${r.at} is an empty clustering set.`);
        sets.push({ texts, labels });
      }));
      nonEmpty(sets.length, evalPath, 'clustering sets');
      return withChecksum({ meta: { ...meta, type: 'Clustering' }, data: { sets } }, hashes);
    }
    case 'STS': {
      const sentences1: string[] = [], sentences2: string[] = [], scores: number[] = [];
      done(await forEachJsonl(evalPath, (r) => {
        sentences1.push(str(r, 'sentence1'));
        sentences2.push(str(r, 'sentence2'));
        scores.push(num(r, 'score'));
      }));
      nonEmpty(scores.length, evalPath, 'sentence pairs');
      return withChecksum({ meta: { ...meta, type: 'STS' }, data: { sentences1, sentences2, scores } }, hashes);
    }
    case 'PairClassification': {
      const sentences1: string[] = [], sentences2: string[] = [], labels: (0 | 1)[] = [];
      done(await forEachJsonl(evalPath, (r) => {
        sentences1.push(str(r, 'sentence1'));
        sentences2.push(str(r, 'sentence2'));
        const l = r.obj.label;
        if (l !== 0 && l !== 1 && l !== '0' && l !== '1' && l !== true && l !== false) throw new InputError(`${r.at}: 'label' must be 0 or 1.`);
        labels.push(l === 1 || l === '1' || l === true ? 1 : 0);
      }));
      nonEmpty(labels.length, evalPath, 'sentence pairs');
      return withChecksum({ meta: { ...meta, type: 'PairClassification' }, data: { sentences1, sentences2, labels } }, hashes);
    }
    case 'BitextMining': {
      const sentences1: string[] = [], sentences2: string[] = [];
      done(await forEachJsonl(evalPath, (r) => {
        sentences1.push(str(r, 'sentence1'));
        sentences2.push(str(r, 'sentence2'));
      }));
      nonEmpty(sentences1.length, evalPath, 'sentence pairs');
      return withChecksum({ meta: { ...meta, type: 'BitextMining' }, data: { sentences1, sentences2 } }, hashes);
    }
    case 'Reranking': {
      const samples: { query: string; positive: string[]; negative: string[] }[] = [];
      done(await forEachJsonl(evalPath, (r) => {
        const s = { query: str(r, 'query'), positive: strArray(r, 'positive'), negative: strArray(r, 'negative') };
        if (s.positive.length === 0) throw new InputError(`${r.at} has no positive candidate.`);
        samples.push(s);
      }));
      nonEmpty(samples.length, evalPath, 'samples');
      return withChecksum({ meta: { ...meta, type: 'Reranking' }, data: { samples } }, hashes);
    }
    case 'Retrieval':
      throw new Error('unreachable: Retrieval folders are read by loadBeirFolder');
  }
}

function withChecksum(task: TextTask, hashes: { name: string; sha: string }[]): TextTask {
  task.meta.checksum = combineFileHashes(hashes);
  return task;
}
