// Real datasets prepared from the installed packages into a temporary cache: sane counts and
// labels, idempotent, deterministic (the same checksum twice, and the one datasets/manifest.json
// records, which was prepared in another process), and a tampered cache is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../../src/core/errors.js';
import {
  TEXT_DATASET_NAMES, loadTextCorpus, loadTextTask, manifestEntries, prepareTextDataset, prepareTextDatasets, textsOf,
} from '../../../src/data/text/registry.js';
import { dataOf } from '../../../src/data/text/narrow.js';

let dir = '';
const useCache = (name: string) => (process.env.VQBENCH_CACHE = join(dir, name));
const manifest = () => new Map(manifestEntries().filter((d) => d.kind === 'text').map((d) => [String(d.name), d]));

function hasMod2imp(): boolean {
  try {
    execFileSync('mod2imp', [], { stdio: 'ignore' });
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-prepare-'));
  useCache('a');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the manifest lists every text dataset (and keeps the vector ones)', () => {
  const m = manifest();
  assert.deepEqual([...m.keys()].sort(), [...TEXT_DATASET_NAMES].sort());
  const kinds = manifestEntries().map((d) => d.kind);
  assert.ok(kinds.includes('vectors'), 'the existing vector entries are kept');
  for (const d of m.values()) {
    for (const k of ['type', 'counts', 'source', 'licence', 'derivation', 'checksum']) assert.ok(d[k], `${String(d.name)} has ${k}`);
  }
});

test('spamassassin-spam-classification: ham/spam labels from the package, no headers, disjoint train/test, deterministic', async () => {
  useCache('a');
  const name = 'spamassassin-spam-classification';
  const r = await prepareTextDataset(name);
  assert.equal(r.status, 'prepared');
  assert.deepEqual(r.counts, { train: 2000, test: 2000, labels: 2 });
  const t = await loadTextTask(name);
  assert.equal(t.meta.checksum, r.checksum);
  assert.match(t.meta.source, /^npm @stdlib\/datasets-spam-assassin@\d/);
  assert.match(t.meta.licence, /PDDL/);
  const d = dataOf(t, 'Classification');
  const spamShare = d.test.labels.filter((l) => l === 'spam').length / d.test.labels.length;
  assert.ok(spamShare > 0.2 && spamShare < 0.45, `spam share ${spamShare} (the package has 1,896 of 6,046)`);
  assert.deepEqual([...new Set(d.train.labels)].sort(), ['ham', 'spam']);
  const train = new Set(d.train.texts);
  assert.equal(d.test.texts.filter((x) => train.has(x)).length, 0, 'no text on both sides');
  for (const x of [...d.train.texts, ...d.test.texts]) {
    assert.ok(x.length >= 20 && x.length <= 1000, x.slice(0, 80));
    assert.doesNotMatch(x, /^(Return-Path|Received|Delivered-To): /m);
  }
  assert.ok(d.train.texts.some((x) => /\bthe\b/.test(x)));

  // idempotent: a second prepare keeps the copy (same files, not rewritten)
  const mtime = statSync(join(r.dir, 'train.jsonl')).mtimeMs;
  const again = await prepareTextDataset(name);
  assert.equal(again.status, 'cached');
  assert.equal(again.checksum, r.checksum);
  assert.equal(statSync(join(r.dir, 'train.jsonl')).mtimeMs, mtime);

  // deterministic: rebuilt from scratch elsewhere, and in another process (the manifest)
  useCache('b');
  const other = await prepareTextDataset(name);
  assert.equal(other.status, 'prepared');
  assert.equal(other.checksum, r.checksum);
  assert.equal(manifest().get(name)?.checksum, r.checksum, 'the checksum datasets/manifest.json records');
  useCache('a');
});

test('spamassassin-lists-clustering: ham clustered by List-Id, no list tags left in subjects', async () => {
  useCache('a');
  const t = await loadTextTask('spamassassin-lists-clustering'); // prepared on first use
  const [set] = dataOf(t, 'Clustering').sets;
  const sizes = new Map<string, number>();
  for (const l of set.labels) sizes.set(l, (sizes.get(l) ?? 0) + 1);
  assert.ok(sizes.size >= 8, `${sizes.size} lists`);
  for (const [l, n] of sizes) assert.ok(n >= 20 && n <= 300, `${l}: ${n}`);
  assert.ok(sizes.has('ilug.linux.ie'));
  assert.equal(set.texts.filter((x) => /^(Re: )?\[(ILUG|SAtalk|Razor-users)\]/i.test(x)).length, 0);
});

test('brown-genre-classification and wordnet-lexname-classification: every test label occurs in train; deterministic', async () => {
  for (const [name, labels] of [['brown-genre-classification', 15], ['wordnet-lexname-classification', 45]] as const) {
    useCache('a');
    const r = await prepareTextDataset(name);
    const t = await loadTextTask(name);
    const d = dataOf(t, 'Classification');
    assert.equal(r.counts.labels, labels, name);
    assert.ok(d.train.texts.length >= 1900 && d.test.texts.length >= 1900, name);
    const trainLabels = new Set(d.train.labels);
    assert.ok(d.test.labels.every((l) => trainLabels.has(l)), name);
    assert.equal(manifest().get(name)?.checksum, r.checksum, `${name}: manifest checksum`);
    useCache('c');
    assert.equal((await prepareTextDataset(name, { force: true })).checksum, r.checksum, `${name}: rebuilt`);
  }
  useCache('a');
  const brown = dataOf(await loadTextTask('brown-genre-classification'), 'Classification');
  assert.ok(brown.train.texts.every((x) => !/\/[a-z]+\b/.test(x.split(' ')[0])), 'POS tags removed');
  assert.equal(new Set(brown.train.labels).size, 15);
});

test('wordnet-glosses-50k: 50,000 distinct definitions as a corpus', async () => {
  useCache('a');
  const c = await loadTextCorpus('wordnet-glosses-50k');
  assert.equal(c.texts.length, 50_000);
  assert.equal(new Set(c.texts).size, 50_000);
  assert.ok(c.texts.every((x) => x.length > 0 && !x.includes('"')), 'definitions without the quoted examples');
  assert.equal(c.checksum, manifest().get('wordnet-glosses-50k')?.checksum);
});

test('wordnet-examples-reranking and wordnet-wup-sts: sane structure; the STS is marked derived', async () => {
  useCache('a');
  const rr = dataOf(await loadTextTask('wordnet-examples-reranking'), 'Reranking');
  assert.equal(rr.samples.length, 800);
  for (const s of rr.samples) {
    assert.equal(s.positive.length, 1);
    assert.ok(s.negative.length >= 1 && s.negative.length <= 19);
    assert.ok(!s.negative.includes(s.positive[0]));
  }
  const sts = await loadTextTask('wordnet-wup-sts');
  assert.equal(sts.meta.derived, true);
  assert.doesNotMatch(sts.meta.name, /sts-?b/i);
  const d = dataOf(sts, 'STS');
  assert.ok(d.scores.every((x) => x >= 0 && x <= 5));
  assert.ok(Math.min(...d.scores) < 1 && Math.max(...d.scores) > 4, 'scores spread over the range');
});

test('udhr-bitext-en-es: articles aligned English ↔ Spanish', async () => {
  useCache('a');
  const t = await loadTextTask('udhr-bitext-en-es');
  assert.deepEqual(t.meta.languages, ['en', 'es']);
  const d = dataOf(t, 'BitextMining');
  const i = d.sentences1.findIndex((s) => s.startsWith('All human beings are born free'));
  assert.ok(i >= 0);
  assert.match(d.sentences2[i], /^Todos los seres humanos nacen libres/);
  assert.equal(manifest().get('udhr-bitext-en-es')?.checksum, t.meta.checksum);
});

test('SWORD: Nave topics → KJV verses (BEIR layout), KJV/WEB pairs, KJV/RV1909 bitext; markup stripped', { skip: hasMod2imp() ? false : 'mod2imp not installed (apt-get install libsword-utils)' }, async () => {
  useCache('a');
  const results = await prepareTextDatasets(['nave-topics-retrieval', 'bible-kjv-web-pairclassification', 'bible-kjv-rv1909-bitext']);
  for (const r of results) assert.equal(manifest().get(r.name)?.checksum, r.checksum, `${r.name}: manifest checksum`);

  const nave = await loadTextTask('nave-topics-retrieval');
  assert.match(nave.meta.source, /SWORD module Nave 3\.0/);
  assert.match(nave.meta.source, /engKJV2006eb 14\.3/);
  const d = dataOf(nave, 'Retrieval');
  assert.equal(d.corpus.ids.length, 5000);
  assert.equal(d.queries.ids.length, 400);
  const ids = new Set(d.corpus.ids);
  for (const q of d.queries.ids) {
    const rel = d.qrels.get(q)!;
    assert.ok(rel.size >= 1 && rel.size <= 30);
    for (const doc of rel.keys()) assert.ok(ids.has(doc), doc);
  }
  assert.ok(d.queries.texts.every((q) => /^[A-Z]/.test(q) && !/osisRef|<|→/.test(q)));
  assert.ok(d.corpus.texts.every((x) => !/[<>]|strong:[GH]\d|¶/.test(x)), 'no markup or Strong numbers');
  assert.ok(readFileSync(join(process.env.VQBENCH_CACHE!, 'text', 'nave-topics-retrieval', 'qrels', 'test.tsv'), 'utf8').startsWith('query-id\tcorpus-id\tscore\n'));

  const pairs = dataOf(await loadTextTask('bible-kjv-web-pairclassification'), 'PairClassification');
  assert.equal(pairs.labels.filter((l) => l === 1).length, 750);
  assert.equal(pairs.labels.length, 1500);

  const bitext = await loadTextTask('bible-kjv-rv1909-bitext');
  assert.deepEqual(bitext.meta.languages, ['en', 'es']);
  const b = dataOf(bitext, 'BitextMining');
  assert.equal(b.sentences1.length, 1000);
  assert.ok(b.sentences2.filter((s) => /\b(y|de|que|el|la)\b/.test(s)).length > 900, 'the Spanish side is Spanish');
  assert.ok(textsOf(bitext)[0].texts.length > 1900);
});

test('a modified prepared copy is refused with the command that rebuilds it', async () => {
  useCache('a');
  const r = await prepareTextDataset('udhr-bitext-en-fr');
  appendFileSync(join(r.dir, 'test.jsonl'), '{"sentence1":"x","sentence2":"y"}\n');
  await assert.rejects(loadTextTask('udhr-bitext-en-fr'), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.match((e as Error).message, /was modified .*vqbench datasets prepare udhr-bitext-en-fr --force/);
    return true;
  });
  assert.equal((await prepareTextDataset('udhr-bitext-en-fr', { force: true })).checksum, r.checksum);
  assert.equal((await loadTextTask('udhr-bitext-en-fr')).meta.checksum, r.checksum);
});

test('prepare refuses an unknown name before building anything', async () => {
  await assert.rejects(prepareTextDatasets(['udhr-bitext-en-es', 'brown-genre-clasification']), /unknown text dataset 'brown-genre-clasification'; did you mean 'brown-genre-classification'\?/);
});
