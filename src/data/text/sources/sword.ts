/**
 * Bibles and Nave's Topical Bible from the Debian SWORD modules (sword-text-kjv, sword-text-web,
 * sword-text-sparv, sword-dict-naves), exported with `mod2imp <module>` (libsword-utils) and
 * stripped of their OSIS / TEI markup: Strong's numbers and other attributes go with the tags,
 * footnotes (<note>) and non-canonical headings (<title> without canonical="true") are removed
 * with their text, everything else keeps its text. All four modules are public domain.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../core/errors.js';
import { DEFAULT_MAIN_SCORE } from '../meta.js';
import { decodeEntities, dedupe, groupBy, Rng, sampleOf, seedFor, shuffled, squash } from './common.js';
import type { TextDatasetEntry } from './entry.js';

export const SWORD_LICENCE = 'public domain (DistributionLicense of the SWORD modules)';

export interface SwordModule { id: string; debian: string; label: string }
export const KJV: SwordModule = { id: 'engKJV2006eb', debian: 'sword-text-kjv', label: 'King James Version (KJV)' };
export const WEB: SwordModule = { id: 'engWEB2015eb', debian: 'sword-text-web', label: 'World English Bible (WEB)' };
export const RV1909: SwordModule = { id: 'spaRV1909eb', debian: 'sword-text-sparv', label: 'Reina-Valera 1909' };
export const NAVE: SwordModule = { id: 'Nave', debian: 'sword-dict-naves', label: "Nave's Topical Bible" };

const MODS_DIRS = () => [process.env.SWORD_PATH ? join(process.env.SWORD_PATH, 'mods.d') : '', '/usr/share/sword/mods.d', '/usr/local/share/sword/mods.d'].filter((d) => d);

/** The module's .conf entries (Version, SwordVersionDate, ...), or a sentence naming the Debian package to install. */
export function moduleConf(m: SwordModule): Record<string, string> {
  for (const dir of MODS_DIRS()) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.conf')).sort()) {
      const text = readFileSync(join(dir, f), 'utf8');
      if (!new RegExp(`^\\[${m.id}\\]\\s*$`, 'm').test(text)) continue;
      const conf: Record<string, string> = {};
      for (const line of text.split('\n')) {
        const kv = /^([A-Za-z_][\w.]*)=(.*)$/.exec(line.trim());
        if (kv && !(kv[1] in conf)) conf[kv[1]] = kv[2].trim();
      }
      return conf;
    }
  }
  throw new InputError(`the SWORD module ${m.id} (${m.label}) is not installed; run \`apt-get install ${m.debian} libsword-utils\`.`);
}

/** "engKJV2006eb 14.3 (2022-12-21)" for provenance. */
export function moduleVersion(m: SwordModule): string {
  const c = moduleConf(m);
  return `${c.Version ?? 'unknown version'}${c.SwordVersionDate ? ` (${c.SwordVersionDate})` : ''}`;
}

const exported = new Map<string, Map<string, string>>();

/** `mod2imp <module>`: key ($$$ line) → raw entry, in module order. */
export function exportModule(m: SwordModule): Map<string, string> {
  const hit = exported.get(m.id);
  if (hit) return hit;
  moduleConf(m);
  let out: string;
  try {
    out = execFileSync('mod2imp', [m.id], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new InputError('mod2imp is not installed; run `apt-get install libsword-utils`.');
    throw new InputError(`mod2imp ${m.id} failed: ${squash(String(err.stderr ?? err.message)).slice(0, 200)}; reinstall ${m.debian} (\`apt-get install --reinstall ${m.debian}\`).`);
  }
  const entries = new Map<string, string>();
  let key: string | null = null;
  let buf: string[] = [];
  const flush = () => {
    if (key !== null) entries.set(key, buf.join('\n'));
  };
  for (const line of out.split('\n')) {
    if (line.startsWith('$$$')) {
      flush();
      key = line.slice(3).trim();
      buf = [];
    } else buf.push(line);
  }
  flush();
  if (entries.size === 0) throw new InputError(`mod2imp ${m.id} printed no entries; reinstall ${m.debian} (\`apt-get install --reinstall ${m.debian}\`).`);
  exported.set(m.id, entries);
  return entries;
}

/** OSIS / ThML / TEI → plain text. */
export function stripMarkup(s: string): string {
  let t = s
    .replace(/<note\b[^>]*\/>/g, ' ')
    .replace(/<note\b[^>]*>[\s\S]*?<\/note>/g, ' ')
    .replace(/<title\b(?![^>]*canonical="true")[^>]*>[\s\S]*?<\/title>/g, ' ')
    .replace(/<(rdg|catchWord)\b[^>]*>[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]*>/g, (tag) => (/^<\/?(w|transChange|divineName|foreign|seg|name|hi)\b/.test(tag) ? '' : ' '));
  t = decodeEntities(t).replace(/¶/g, ' ');
  return squash(t).replace(/\s+([.,;:!?)\]’”])/g, '$1').replace(/([(\[‘“])\s+/g, '$1');
}

export interface Verse { key: string; book: string; chapter: number; verse: number; text: string }

/** The verses of a Bible module (chapter and verse ≥ 1, non-empty after stripping), in module order. */
export function verses(m: SwordModule): Verse[] {
  const out: Verse[] = [];
  for (const [key, raw] of exportModule(m)) {
    const ref = /^(.+) (\d+):(\d+)$/.exec(key);
    if (!ref) continue;
    const chapter = Number(ref[2]), verse = Number(ref[3]);
    if (chapter < 1 || verse < 1) continue;
    const text = stripMarkup(raw);
    if (text) out.push({ key, book: ref[1], chapter, verse, text });
  }
  return out;
}

/** OSIS book ids (as Nave's osisRef uses them) → the KJV module's book names. */
export const OSIS_BOOKS: Readonly<Record<string, string>> = {
  Gen: 'Genesis', Exod: 'Exodus', Lev: 'Leviticus', Num: 'Numbers', Deut: 'Deuteronomy', Josh: 'Joshua', Judg: 'Judges', Ruth: 'Ruth',
  '1Sam': 'I Samuel', '2Sam': 'II Samuel', '1Kgs': 'I Kings', '2Kgs': 'II Kings', '1Chr': 'I Chronicles', '2Chr': 'II Chronicles',
  Ezra: 'Ezra', Neh: 'Nehemiah', Esth: 'Esther', Job: 'Job', Ps: 'Psalms', Prov: 'Proverbs', Eccl: 'Ecclesiastes', Song: 'Song of Solomon',
  Isa: 'Isaiah', Jer: 'Jeremiah', Lam: 'Lamentations', Ezek: 'Ezekiel', Dan: 'Daniel', Hos: 'Hosea', Joel: 'Joel', Amos: 'Amos',
  Obad: 'Obadiah', Jonah: 'Jonah', Mic: 'Micah', Nah: 'Nahum', Hab: 'Habakkuk', Zeph: 'Zephaniah', Hag: 'Haggai', Zech: 'Zechariah',
  Mal: 'Malachi', Matt: 'Matthew', Mark: 'Mark', Luke: 'Luke', John: 'John', Acts: 'Acts', Rom: 'Romans', '1Cor': 'I Corinthians',
  '2Cor': 'II Corinthians', Gal: 'Galatians', Eph: 'Ephesians', Phil: 'Philippians', Col: 'Colossians', '1Thess': 'I Thessalonians',
  '2Thess': 'II Thessalonians', '1Tim': 'I Timothy', '2Tim': 'II Timothy', Titus: 'Titus', Phlm: 'Philemon', Heb: 'Hebrews', Jas: 'James',
  '1Pet': 'I Peter', '2Pet': 'II Peter', '1John': 'I John', '2John': 'II John', '3John': 'III John', Jude: 'Jude', Rev: 'Revelation of John',
};

/**
 * Verse keys an osisRef cites, against the verse order of `index` (key → position):
 * "Gen.1.1", "Gen.1.1-Gen.1.5" (ranges may cross chapters), "Gen.1" (the whole chapter).
 * Books outside the KJV canon (PrAzar, Wis) and references the KJV lacks give nothing.
 */
export function expandOsisRef(ref: string, order: Verse[], index: Map<string, number>): string[] {
  const one = (r: string, end: boolean): number | null => {
    const m = /^([1-3]?[A-Za-z]+)\.(\d+)(?:\.(\d+))?$/.exec(r.trim());
    if (!m || !OSIS_BOOKS[m[1]]) return null;
    const book = OSIS_BOOKS[m[1]];
    if (m[3] !== undefined) return index.get(`${book} ${m[2]}:${m[3]}`) ?? null;
    // a whole chapter: its first or last verse
    const first = index.get(`${book} ${m[2]}:1`);
    if (first === undefined) return null;
    if (!end) return first;
    let i = first;
    while (i + 1 < order.length && order[i + 1].book === book && order[i + 1].chapter === Number(m[2])) i++;
    return i;
  };
  const [a, b] = ref.split('-');
  const start = one(a, false);
  const stop = one(b ?? a, true);
  if (start === null || stop === null || stop < start) return [];
  return order.slice(start, stop + 1).map((v) => v.key);
}

/** Nave's entries: topic → subtopic lines, each with its heading text and the osisRefs it cites. */
export interface NaveSubtopic { topic: string; heading: string; refs: string[] }

export function naveSubtopics(): NaveSubtopic[] {
  const out: NaveSubtopic[] = [];
  for (const [topic, raw] of exportModule(NAVE)) {
    const def = /<def>([\s\S]*)<\/def>/.exec(raw)?.[1];
    if (!def) continue;
    for (const seg of def.split(/<lb\s*\/>/)) {
      const refs = [...seg.matchAll(/osisRef="([^"]+)"/g)].map((m) => m[1]);
      if (refs.length === 0) continue;
      // The heading: the segment's own text before its first reference or list, without numbering and arrows.
      const head = seg.split(/<ref\b|<list\b/)[0];
      const heading = squash(decodeEntities(head.replace(/<[^>]*>/g, ' ')).replace(/^\s*(→|\d+\.)\s*/, '')).replace(/[\s,;:.]+$/, '');
      out.push({ topic, heading, refs });
    }
  }
  return out;
}

/** "ABSTINENCE, TOTAL" → "Abstinence, Total"; headings in capitals → lower case. */
function titleCase(s: string): string {
  return s.toLowerCase().replace(/(^|[\s\-(,])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase());
}

// ---- datasets ----

function sources(...ms: SwordModule[]): { source: string; licence: string; versions: Record<string, string> } {
  const versions: Record<string, string> = {};
  for (const m of ms) versions[`SWORD ${m.id} (Debian ${m.debian})`] = moduleVersion(m);
  const licences = [...new Set(ms.map((m) => moduleConf(m).DistributionLicense ?? 'unknown'))];
  return {
    source: ms.map((m) => `SWORD module ${m.id} ${moduleVersion(m)} (Debian ${m.debian}, ${m.label})`).join('; ') + ', exported with mod2imp',
    licence: licences.length === 1 && licences[0] === 'Public Domain' ? SWORD_LICENCE : `${licences.join(' / ')} (DistributionLicense of the SWORD modules)`,
    versions,
  };
}

function kjvWebPairs(): TextDatasetEntry['build'] {
  return () => {
    const name = 'bible-kjv-web-pairclassification';
    const seed = seedFor(name);
    const rng = new Rng(seed);
    const kjv = verses(KJV);
    const web = new Map(verses(WEB).map((v) => [v.key, v]));
    const webByChapter = groupBy([...web.values()], (v) => `${v.book} ${v.chapter}`);
    const common = kjv.filter((v) => web.has(v.key) && (webByChapter.get(`${v.book} ${v.chapter}`)?.length ?? 0) >= 2);
    const N = 1500;
    const picked = sampleOf(common, N, rng);
    const s1: string[] = [], s2: string[] = [], labels: (0 | 1)[] = [];
    picked.forEach((v, i) => {
      s1.push(v.text);
      if (i < N / 2) {
        s2.push(web.get(v.key)!.text);
        labels.push(1);
      } else {
        const others = webByChapter.get(`${v.book} ${v.chapter}`)!.filter((w) => w.key !== v.key);
        s2.push(others[rng.int(others.length)].text);
        labels.push(0);
      }
    });
    const order = shuffled([...picked.keys()], rng);
    const { source, licence, versions } = sources(KJV, WEB);
    const how = `sentence1 = a KJV verse, sentence2 = the same verse (same book, chapter and verse number) in the WEB (label 1) or another WEB verse of the same chapter (label 0); ${N} KJV verses that the WEB also has, drawn with a seeded Rng, half positive, half negative; markup stripped (Strong's numbers, footnotes and section headings removed)`;
    return {
      kind: 'task',
      task: {
        meta: { name, type: 'PairClassification', mainScore: DEFAULT_MAIN_SCORE.PairClassification, split: 'test', description: `Paraphrase pairs from two English Bible translations: ${how}.`, source, licence, languages: ['en'] },
        data: { sentences1: order.map((i) => s1[i]), sentences2: order.map((i) => s2[i]), labels: order.map((i) => labels[i]) },
      },
      provenance: { derivation: how, seed, sourceVersions: versions },
    };
  };
}

function kjvRvBitext(): TextDatasetEntry['build'] {
  return () => {
    const name = 'bible-kjv-rv1909-bitext';
    const seed = seedFor(name);
    const kjv = verses(KJV);
    const rv = new Map(verses(RV1909).map((v) => [v.key, v]));
    const both = kjv.filter((v) => rv.has(v.key));
    const picked = sampleOf(both, 1000, new Rng(seed));
    const { source, licence, versions } = sources(KJV, RV1909);
    const how = `sentence1 = a KJV verse (English), sentence2 = the same verse in the Reina-Valera 1909 (Spanish); both modules use the KJV versification, so verses are aligned by book, chapter and verse; 1,000 of the ${both.length} verses both have, drawn with a seeded Rng; markup stripped`;
    return {
      kind: 'task',
      task: {
        meta: { name, type: 'BitextMining', mainScore: DEFAULT_MAIN_SCORE.BitextMining, split: 'test', description: `English–Spanish Bible verse mining: ${how}.`, source, licence, languages: ['en', 'es'] },
        data: { sentences1: picked.map((v) => v.text), sentences2: picked.map((v) => rv.get(v.key)!.text) },
      },
      provenance: { derivation: how, seed, sourceVersions: versions },
    };
  };
}

function naveRetrieval(): TextDatasetEntry['build'] {
  return () => {
    const name = 'nave-topics-retrieval';
    const seed = seedFor(name);
    const rng = new Rng(seed);
    const kjv = verses(KJV);
    const index = new Map(kjv.map((v, i) => [v.key, i]));
    const MIN_REL = 1, MAX_REL = 30, QUERIES = 400, CORPUS = 5000;
    const cited: { text: string; rel: string[] }[] = [];
    for (const st of naveSubtopics()) {
      const rel = [...new Set(st.refs.flatMap((r) => expandOsisRef(r, kjv, index)))];
      if (rel.length < MIN_REL || rel.length > MAX_REL) continue;
      const heading = /[a-z]/.test(st.heading) ? st.heading : st.heading.toLowerCase();
      cited.push({ text: heading ? `${titleCase(st.topic)}: ${heading}` : titleCase(st.topic), rel });
    }
    const eligible = dedupe(cited, (q) => q.text);
    const picked = sampleOf(eligible, QUERIES, rng);
    const relevant = new Set(picked.flatMap((q) => q.rel));
    const distractors = sampleOf(kjv.filter((v) => !relevant.has(v.key)), Math.max(0, CORPUS - relevant.size), rng);
    const inCorpus = new Set([...relevant, ...distractors.map((v) => v.key)]);
    const docs = kjv.filter((v) => inCorpus.has(v.key)); // canonical order
    const qrels = new Map<string, Map<string, number>>();
    const qids = picked.map((q, i) => {
      const id = `q${i + 1}`;
      qrels.set(id, new Map(q.rel.map((k) => [k, 1])));
      return id;
    });
    const { source, licence, versions } = sources(NAVE, KJV);
    const how = `queries = Nave's Topical Bible subtopics as "Topic: subtopic" (one per line of an entry that cites verses; numbering and arrows removed), relevant documents = the KJV verses the line cites (osisRef ranges and whole chapters expanded, grade 1; books outside the KJV canon dropped); subtopics citing ${MIN_REL}–${MAX_REL} verses, distinct query texts, ${picked.length} of ${eligible.length} drawn with a seeded Rng; corpus = every cited verse (${relevant.size}) plus randomly drawn other KJV verses up to ${docs.length} (doc id = "Book C:V", title empty, markup stripped)`;
    return {
      kind: 'task',
      task: {
        meta: { name, type: 'Retrieval', mainScore: DEFAULT_MAIN_SCORE.Retrieval, split: 'test', description: `Topical Bible retrieval: ${how}.`, source, licence, languages: ['en'] },
        data: {
          corpus: { ids: docs.map((v) => v.key), titles: docs.map(() => ''), texts: docs.map((v) => v.text) },
          queries: { ids: qids, texts: picked.map((q) => q.text) },
          qrels,
        },
      },
      provenance: { derivation: how, seed, sourceVersions: versions },
    };
  };
}

const SWORD_NEEDS = (...ms: SwordModule[]) => `Debian packages ${ms.map((m) => m.debian).join(', ')} and libsword-utils (mod2imp)`;

export const SWORD_DATASETS: TextDatasetEntry[] = [
  { name: 'bible-kjv-web-pairclassification', type: 'PairClassification', describe: 'KJV verse vs the same verse in the WEB (1) or another verse of the chapter (0); 1,500 pairs', source: 'SWORD engKJV2006eb + engWEB2015eb', licence: SWORD_LICENCE, shortLicence: 'public domain', needs: SWORD_NEEDS(KJV, WEB), recipe: 1, build: kjvWebPairs() },
  { name: 'nave-topics-retrieval', type: 'Retrieval', describe: "Nave's Topical Bible subtopic → the KJV verses it cites; 400 queries, 5,000 verses", source: 'SWORD Nave + engKJV2006eb', licence: SWORD_LICENCE, shortLicence: 'public domain', needs: SWORD_NEEDS(NAVE, KJV), recipe: 1, build: naveRetrieval() },
  { name: 'bible-kjv-rv1909-bitext', type: 'BitextMining', describe: 'KJV (en) ↔ Reina-Valera 1909 (es) verses; 1,000 pairs', source: 'SWORD engKJV2006eb + spaRV1909eb', licence: SWORD_LICENCE, shortLicence: 'public domain', needs: SWORD_NEEDS(KJV, RV1909), recipe: 1, build: kjvRvBitext() },
];
