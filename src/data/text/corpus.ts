/**
 * Plain text corpora (texts to embed, no labels) from files: Alpaca's `alpaca_data.json` (an array
 * of {instruction, input, output}; the text is the instruction, then the input on a new line when
 * there is one, as the model would see the prompt), a `.txt` with one text per line, or a `.jsonl`
 * with a `text` field. Blank texts are skipped; an empty corpus is an error.
 */
import { basename, extname } from 'node:path';
import { InputError } from '../../core/errors.js';
import { readInput } from '../files.js';
import { checksum } from '../checksum.js';
import { forEachJsonl, forEachLine, str } from './io.js';

export interface TextCorpus {
  name: string;
  texts: string[];
  /** Where the texts come from (package and version, or the file). */
  source: string;
  licence: string;
  /** sha256 (hex, first 16 chars) of the corpus file's bytes. */
  checksum: string;
}

export const CORPUS_FILE_KINDS = ['.json (Alpaca)', '.txt (one text per line)', '.jsonl (a "text" field)'];

export function isCorpusFile(path: string): boolean {
  return ['.json', '.txt', '.jsonl'].includes(extname(path).toLowerCase());
}

export async function loadCorpusFile(path: string): Promise<TextCorpus> {
  const ext = extname(path).toLowerCase();
  const name = basename(path);
  let texts: string[] = [];
  let sum: string;
  if (ext === '.json') {
    const bytes = readInput(path);
    sum = checksum(bytes);
    texts = alpacaTexts(path, bytes);
  } else if (ext === '.txt') {
    const sha = await forEachLine(path, (line) => {
      if (line.trim() !== '') texts.push(line);
    });
    sum = sha.slice(0, 16);
  } else if (ext === '.jsonl') {
    const sha = await forEachJsonl(path, (r) => {
      const t = str(r, 'text');
      if (t.trim() !== '') texts.push(t);
    });
    sum = sha.slice(0, 16);
  } else {
    throw new InputError(`${path}: a text corpus file must be ${CORPUS_FILE_KINDS.join(', ')}.`);
  }
  if (texts.length === 0) throw new InputError(`${path} holds no texts; a corpus cannot be empty.`);
  return { name, texts, source: path, licence: 'unknown (user file)', checksum: sum };
}

function alpacaTexts(path: string, bytes: Uint8Array): string[] {
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (e) {
    throw new InputError(`${path} is not valid JSON (${(e as Error).message.split('\n')[0]}).`);
  }
  if (!Array.isArray(data)) throw new InputError(`${path} must hold a JSON array of {instruction, input, output} objects (Alpaca's format).`);
  const texts: string[] = [];
  data.forEach((e: unknown, i) => {
    const o = e as Record<string, unknown> | null;
    if (o === null || typeof o !== 'object' || typeof o.instruction !== 'string') throw new InputError(`${path}: entry ${i} has no string 'instruction' (Alpaca's format is {instruction, input, output}).`);
    if (o.input !== undefined && typeof o.input !== 'string') throw new InputError(`${path}: entry ${i} has a non-string 'input'.`);
    const input = typeof o.input === 'string' ? o.input.trim() : '';
    const t = input ? `${o.instruction.trim()}\n${input}` : o.instruction.trim();
    if (t !== '') texts.push(t);
  });
  return texts;
}
