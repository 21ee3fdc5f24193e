// The text loaders on small fixtures in each format (test/fixtures/text): BEIR, MS MARCO,
// MTEB-style JSONL task folders of every type, Alpaca / .txt / .jsonl corpora; a written task
// reads back the same; and every bad input is one sentence naming the file (and line).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTextCorpus, loadTextTask, resolveTaskSpecs, retrievalDocText, textsOf, countsOf } from '../../../src/data/text/registry.js';
import { dataOf } from '../../../src/data/text/narrow.js';
import type { TextTask } from '../../../src/data/text/types.js';
import { writeTaskFolder } from '../../../src/data/text/write.js';
import { inputError } from '../../helpers/errors.js';

const FIX = fileURLToPath(new URL('../../fixtures/text/', import.meta.url));
const fx = (...p: string[]) => join(FIX, ...p);
let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-text-'));
  process.env.VQBENCH_CACHE = join(dir, 'cache');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('BEIR folder without task.json: a Retrieval task named after the folder; unjudged queries and zero grades dropped', async () => {
  const t = await loadTextTask(fx('beir', 'mini-scifact'));
  assert.equal(t.meta.type, 'Retrieval');
  assert.equal(t.meta.name, 'mini-scifact');
  assert.equal(t.meta.split, 'test');
  assert.equal(t.meta.mainScore, 'ndcg_at_10');
  assert.match(t.meta.checksum!, /^[0-9a-f]{16}$/);
  const d = dataOf(t, 'Retrieval');
  assert.deepEqual(d.corpus.ids, ['d1', 'd2', 'd3', 'd4']);
  assert.equal(d.corpus.titles[0], 'Vitamin D');
  assert.deepEqual(d.queries.ids, ['q1', 'q2'], 'q3 has no qrels in the split');
  assert.deepEqual([...d.qrels.get('q2')!], [['d2', 2]], 'grade 0 is not relevant');
  const groups = textsOf(t);
  assert.deepEqual(groups.map((g) => g.role), ['query', 'document']);
  assert.deepEqual(groups[0].texts, ['Does vitamin D protect bones?', 'aspirin and heart attacks']);
  assert.equal(groups[1].texts[0], retrievalDocText('Vitamin D', 'Vitamin D deficiency is associated with bone loss in adults.'));
  assert.equal(groups[1].texts[2], 'Regular exercise improves insulin sensitivity.', 'no title: just the text');
  assert.deepEqual(countsOf(t), { corpus: 4, queries: 2, qrels: 2 });
});

test('BEIR folder with task.json: its name, licence and split are used', async () => {
  const t = await loadTextTask(fx('beir', 'with-task'));
  assert.equal(t.meta.name, 'with-task');
  assert.equal(t.meta.licence, 'CC0-1.0');
  assert.equal(t.meta.split, 'dev');
  assert.deepEqual(dataOf(t, 'Retrieval').queries.ids, ['q1']);
});

test('MS MARCO folder: collection.tsv, queries.dev.tsv, TREC qrels.dev.tsv', async () => {
  const t = await loadTextTask(fx('msmarco'));
  assert.equal(t.meta.type, 'Retrieval');
  assert.equal(t.meta.split, 'dev');
  const d = dataOf(t, 'Retrieval');
  assert.equal(d.corpus.ids.length, 3);
  assert.deepEqual(d.queries.ids, ['1048585', '2']);
  assert.deepEqual([...d.qrels.get('1048585')!.keys()], ['1']);
  assert.equal(d.queries.texts[0], 'what is the manhattan project');
});

test('MTEB-style JSONL folders of every type load with their fields', async () => {
  const c = await loadTextTask(fx('mteb', 'classification'));
  assert.equal(c.meta.name, 'tiny-sentiment');
  assert.equal(c.meta.mainScore, 'accuracy');
  assert.deepEqual(dataOf(c, 'Classification').train.labels, ['pos', 'neg', 'pos', 'neg']);
  assert.deepEqual(dataOf(c, 'Classification').test.texts, ['a wonderful story', 'terrible plot']);
  assert.deepEqual(countsOf(c), { train: 4, test: 2, labels: 2 });

  const k = await loadTextTask(fx('mteb', 'clustering'));
  const sets = dataOf(k, 'Clustering').sets;
  assert.equal(sets.length, 2);
  assert.deepEqual(sets[1].labels, ['0', '0', '1'], 'numeric labels become strings');

  const s = await loadTextTask(fx('mteb', 'sts'));
  assert.deepEqual(dataOf(s, 'STS').scores, [4.8, 0.2, 4.0]);
  assert.equal(s.meta.mainScore, 'cos_sim_spearman');

  const p = await loadTextTask(fx('mteb', 'pair'));
  assert.deepEqual(dataOf(p, 'PairClassification').labels, [1, 0]);

  const b = await loadTextTask(fx('mteb', 'bitext'));
  assert.deepEqual(b.meta.languages, ['en', 'fr']);
  assert.deepEqual(dataOf(b, 'BitextMining').sentences2, ['Bonjour', 'Merci']);

  const r = await loadTextTask(fx('mteb', 'reranking'));
  assert.equal(dataOf(r, 'Reranking').samples[1].negative[1], 'Frying eggs');
  const groups = textsOf(r);
  assert.deepEqual(groups[0], { role: 'query', texts: ['python list sort', 'boil an egg'] });
  assert.equal(groups[1].texts.filter((x) => x === 'Cooking pasta').length, 1, 'a text shared by two samples is embedded once');
});

test('a task written by writeTaskFolder reads back identically, with the checksum it was written with', async () => {
  for (const f of ['classification', 'clustering', 'sts', 'pair', 'bitext', 'reranking']) {
    const t = await loadTextTask(fx('mteb', f));
    const out = join(dir, 'rt', f);
    const sum = writeTaskFolder(out, t);
    const back = await loadTextTask(out);
    assert.equal(back.meta.checksum, sum, f);
    assert.deepEqual(back.data, t.data, f);
  }
  const beir = await loadTextTask(fx('beir', 'mini-scifact'));
  const out = join(dir, 'rt', 'beir');
  const sum = writeTaskFolder(out, beir);
  const back: TextTask = await loadTextTask(out);
  assert.equal(back.meta.checksum, sum);
  assert.deepEqual(back.data, beir.data);
});

test('corpora: Alpaca instruction + input, .txt one per line, .jsonl text field', async () => {
  const a = await loadTextCorpus(fx('corpus', 'alpaca_data.json'));
  assert.deepEqual(a.texts, [
    'Give three tips for staying healthy.',
    'Translate the sentence into French.\nThe cat sleeps.',
    'Summarize the text.\nVector quantization maps vectors to codewords.',
  ]);
  assert.equal(a.name, 'alpaca_data.json');
  assert.match(a.checksum, /^[0-9a-f]{16}$/);
  assert.deepEqual((await loadTextCorpus(fx('corpus', 'lines.txt'))).texts, ['first text', 'second text', 'third text']);
  assert.deepEqual((await loadTextCorpus(fx('corpus', 'texts.jsonl'))).texts, ['alpha', 'beta', 'gamma']);
});

test('bad input: a folder missing a file says which', async () => {
  await inputError(() => loadTextTask(fx('bad', 'beir-missing-queries')), /beir-missing-queries is a BEIR folder but has no queries\.jsonl\./);
  await inputError(() => loadTextTask(fx('bad', 'not-a-task')), /not-a-task is not a task folder: expected task\.json/);
});

test('bad input: a JSONL line that does not parse names file:line', async () => {
  await inputError(() => loadTextTask(fx('bad', 'broken-jsonl')), /broken-jsonl[\\/]test\.jsonl:2 is not valid JSON/);
});

test('bad input: qrels naming an unknown query or document id name the qrels line', async () => {
  await inputError(() => loadTextTask(fx('bad', 'qrels-unknown-query')), /qrels[\\/]test\.tsv:3 names query id 'q9', which is not in .*queries\.jsonl/);
  await inputError(() => loadTextTask(fx('bad', 'qrels-unknown-doc')), /qrels[\\/]test\.tsv:3 names document id 'd99', which is not in .*corpus\.jsonl/);
  await inputError(() => loadTextTask(fx('bad', 'msmarco-unknown-doc')), /qrels\.dev\.tsv:2 names document id '42', which is not in .*collection\.tsv/);
});

test('bad input: empty corpora', async () => {
  await inputError(() => loadTextTask(fx('bad', 'empty-corpus')), /empty-corpus[\\/]corpus\.jsonl holds no documents/);
  await inputError(() => loadTextCorpus(fx('bad', 'empty.txt')), /empty\.txt holds no texts/);
  await inputError(() => loadTextCorpus(fx('bad', 'alpaca-not-array.json')), /must hold a JSON array of \{instruction, input, output\}/);
});

test('bad input: an unknown dataset name suggests the nearest', async () => {
  await inputError(() => loadTextTask('wordnet-lexname-clasification'), /unknown text task 'wordnet-lexname-clasification'; did you mean 'wordnet-lexname-classification'\?/);
  await inputError(() => loadTextCorpus('wordnet-glosses-5k'), /unknown text corpus 'wordnet-glosses-5k'; did you mean 'wordnet-glosses-50k'\?/);
  await inputError(() => loadTextCorpus('brown-genre-classification'), /is a Classification task, not a text corpus/);
  await inputError(() => loadTextTask('wordnet-glosses-50k'), /is a text corpus, not a task/);
  assert.throws(() => resolveTaskSpecs(['udhr-bitext-en-xx']), /unknown task 'udhr-bitext-en-xx'; did you mean 'udhr-bitext-en-/);
});

test('resolveTaskSpecs: names and folders stay, task types expand, duplicates go', () => {
  const specs = resolveTaskSpecs(['BitextMining', 'udhr-bitext-en-es', fx('mteb', 'sts')]);
  assert.ok(specs.includes('bible-kjv-rv1909-bitext'));
  assert.equal(specs.filter((s) => s === 'udhr-bitext-en-es').length, 1);
  assert.equal(specs.at(-1), fx('mteb', 'sts'));
  assert.ok(resolveTaskSpecs(['all']).length >= 10);
  assert.ok(!resolveTaskSpecs(['all']).includes('wordnet-glosses-50k'), 'corpora are not tasks');
});

test('bad input: an infinite relevance or score (1e999) is said to be infinite, not "not a number"', async () => {
  const { cpSync, writeFileSync } = await import('node:fs');
  const beir = join(dir, 'inf-qrels');
  cpSync(fx('beir', 'mini-scifact'), beir, { recursive: true });
  writeFileSync(join(beir, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\nq1\td1\t1e999\n');
  await inputError(() => loadTextTask(beir), /qrels\/test\.tsv:2: relevance '1e999' is infinite/);
  const sts = join(dir, 'inf-sts');
  cpSync(fx('mteb', 'sts'), sts, { recursive: true });
  writeFileSync(join(sts, 'test.jsonl'), '{"sentence1": "a", "sentence2": "b", "score": 1e999}\n');
  await inputError(() => loadTextTask(sts), /test\.jsonl:1: 'score' is infinite/);
});
