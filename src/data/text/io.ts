/**
 * Line-oriented reading and writing for the text loaders: files are streamed line by line (an MS
 * MARCO collection is gigabytes), every problem is one InputError sentence naming the file and,
 * for JSONL and TSV, the line; each file read is hashed on the way so a task's checksum costs no
 * second pass.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { InputError } from '../../core/errors.js';
import { checksum } from '../checksum.js';
import { requireExistingFile } from '../files.js';

/** A file that must exist inside a folder the user named: one sentence saying which is missing. */
export function requireFile(dir: string, rel: string, what: string): string {
  const p = join(dir, rel);
  if (!existsSync(p)) throw new InputError(`${dir} is ${what} but has no ${rel}.`);
  if (!statSync(p).isFile()) throw new InputError(`${p} is not a file.`);
  return p;
}

/** Is `p` an existing folder? */
export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Calls `onLine(line, lineNo)` (1-based, without the line ending) for every line of a file and
 * returns the sha256 (hex) of its bytes. A missing or unreadable file is one sentence naming it.
 */
export async function forEachLine(path: string, onLine: (line: string, lineNo: number) => void): Promise<string> {
  requireExistingFile(path);
  const hash = createHash('sha256');
  const stream = createReadStream(path);
  stream.on('data', (chunk) => hash.update(chunk));
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const raw of rl) {
      n++;
      onLine(n === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw, n);
    }
  } catch (e) {
    stream.destroy();
    if (e instanceof InputError) throw e;
    throw new InputError(`${path} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
  return hash.digest('hex');
}

/** One parsed JSONL object with where it came from, for error messages. */
export interface JsonlRecord { obj: Record<string, unknown>; at: string }

/** Streams a JSONL file: blank lines are skipped; a line that is not a JSON object names file:line. */
export async function forEachJsonl(path: string, onRecord: (r: JsonlRecord) => void): Promise<string> {
  const name = path;
  return forEachLine(path, (line, n) => {
    if (line.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new InputError(`${name}:${n} is not valid JSON (${firstSentence((e as Error).message)}).`);
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new InputError(`${name}:${n} is not a JSON object.`);
    onRecord({ obj: obj as Record<string, unknown>, at: `${name}:${n}` });
  });
}

/** The string field `key` of a record, or a sentence naming file:line (numbers are accepted as strings where `numbersOk`). */
export function str(r: JsonlRecord, key: string, opts: { optional?: boolean; numbersOk?: boolean } = {}): string {
  const v = r.obj[key];
  if (typeof v === 'string') return v;
  if (opts.numbersOk && typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (v === undefined && opts.optional) return '';
  throw new InputError(`${r.at} has no string field '${key}'${v === undefined ? '' : ` (found ${typeof v})`}.`);
}

export function num(r: JsonlRecord, key: string): number {
  const v = r.obj[key];
  const x = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  // 1e999 parses to Infinity, "NaN" / "Infinity" strings to NaN / Infinity: say so rather than "no numeric field"
  if (typeof x === 'number' && !Number.isNaN(x) && !Number.isFinite(x)) throw new InputError(`${r.at}: '${key}' is infinite (${JSON.stringify(v)}).`);
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new InputError(`${r.at} has no numeric field '${key}'${typeof v === 'string' ? ` ('${v.slice(0, 40)}' is not a number)` : ''}.`);
  return x;
}

export function strArray(r: JsonlRecord, key: string, opts: { numbersOk?: boolean } = {}): string[] {
  const v = r.obj[key];
  if (!Array.isArray(v)) throw new InputError(`${r.at} has no array field '${key}'.`);
  return v.map((x, i) => {
    if (typeof x === 'string') return x;
    if (opts.numbersOk && typeof x === 'number' && Number.isFinite(x)) return String(x);
    throw new InputError(`${r.at}: '${key}'[${i}] is not a string.`);
  });
}

/** Lines of JSON objects, one per line, with a final newline. */
export function toJsonl(objs: Iterable<unknown>): string {
  let s = '';
  for (const o of objs) s += JSON.stringify(o) + '\n';
  return s;
}

/** sha256 hex of bytes. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A task's checksum: sha256 (first 16 hex) over its data files' names and sha256s, in the order given. */
export function combineFileHashes(files: { name: string; sha: string }[]): string {
  return checksum(...files.map((f) => `${f.name}\0${f.sha}\n`));
}

function firstSentence(msg: string): string {
  return msg.split('\n')[0].replace(/\.$/, '');
}
