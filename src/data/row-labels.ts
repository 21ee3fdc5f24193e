/**
 * A base's own row labels (`vqbench index --labels FILE`, VectorDBBench's `scalar_labels.parquet`):
 * one label per base row, from a 1-D .npy of integers (or (n, 1)) or a JSON array of integers or
 * strings. `--filter label:NAME` then keeps the rows labelled NAME. No registered dataset carries
 * row labels (glove-100 and synthetic-gmm have none; the text datasets are MTEB tasks, not
 * `--data` bases), so labels come from a file only.
 */
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { InputError } from '../core/errors.js';
import { checksum } from './checksum.js';
import { readInput } from './files.js';
import { parseNpyHeader } from './npy.js';

export interface RowLabels {
  /** The file, as given (messages and records). */
  source: string;
  /** Checksum of the file's bytes: the filtered truth's cache key. */
  checksum: string;
  /** Per row, the index of its label in `names`. */
  codes: Int32Array;
  /** The distinct labels as text, in order of first appearance. */
  names: string[];
}

/** Reads FILE's labels; a missing file or a malformed one is one sentence naming --labels and the file. */
export function readRowLabels(path: string): RowLabels {
  if (!existsSync(path)) throw new InputError(`--labels ${path} does not exist.`);
  const bytes = readInput(path);
  const values = extname(path).toLowerCase() === '.npy' ? npyInts(bytes, path) : jsonLabels(bytes, path);
  const index = new Map<string, number>(), names: string[] = [];
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = String(values[i]);
    let c = index.get(v);
    if (c === undefined) {
      c = names.length;
      names.push(v);
      index.set(v, c);
    }
    codes[i] = c;
  }
  return { source: path, checksum: checksum(bytes), codes, names };
}

/** The labels checked against the base: one per row, else one sentence. */
export function checkRowLabels(labels: RowLabels, baseRows: number, data: string): void {
  if (labels.codes.length !== baseRows) {
    throw new InputError(`--labels ${labels.source} holds ${labels.codes.length} labels but the base of ${data} has ${baseRows} rows; give one label per base row, in base order.`);
  }
}

/** allowed[row] = 1 where the row's label is `value`; one sentence naming --filter when no row has it. */
export function rowsLabelled(labels: RowLabels, value: string): Uint8Array {
  const code = labels.names.indexOf(value);
  if (code < 0) {
    const shown = labels.names.slice(0, 12).join(', ') + (labels.names.length > 12 ? `, … (${labels.names.length} in all)` : '');
    throw new InputError(`--filter label:${value}: no base row has that label in ${labels.source} (its labels: ${shown}).`);
  }
  const allowed = new Uint8Array(labels.codes.length);
  for (let i = 0; i < allowed.length; i++) allowed[i] = labels.codes[i] === code ? 1 : 0;
  return allowed;
}

function npyInts(buf: Uint8Array, path: string): number[] {
  const h = parseNpyHeader(buf, `--labels ${path}`);
  const m = /^([<>|=])([iub])(\d)$/.exec(h.descr);
  if (!m || !['1', '2', '4', '8'].includes(m[3])) throw new InputError(`--labels ${path} holds dtype '${h.descr}', not integers; save the labels with numpy's astype('int32').`);
  const n = h.shape[0] ?? 0;
  if (h.shape.length === 0 || h.shape.length > 2 || (h.shape.length === 2 && h.shape[1] !== 1)) {
    throw new InputError(`--labels ${path} holds an array of shape (${h.shape.join(', ')}); labels are one per row, shape (n,) or (n, 1).`);
  }
  const bytes = Number(m[3]), little = m[1] !== '>';
  if (buf.length - h.dataOffset !== n * bytes) throw new InputError(`--labels ${path} is truncated or corrupt: its header promises ${n} values of ${bytes} bytes.`);
  const view = new DataView(buf.buffer, buf.byteOffset + h.dataOffset, n * bytes);
  const signed = m[2] === 'i';
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const at = i * bytes;
    out[i] = bytes === 1 ? (signed ? view.getInt8(at) : view.getUint8(at))
      : bytes === 2 ? (signed ? view.getInt16(at, little) : view.getUint16(at, little))
        : bytes === 4 ? (signed ? view.getInt32(at, little) : view.getUint32(at, little))
          : Number(signed ? view.getBigInt64(at, little) : view.getBigUint64(at, little));
  }
  return out;
}

function jsonLabels(buf: Uint8Array, path: string): (number | string)[] {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(buf));
  } catch (e) {
    throw new InputError(`--labels ${path} is neither an .npy file nor valid JSON (${(e as Error).message}).`);
  }
  if (!Array.isArray(v) || v.some((x) => !(typeof x === 'string' || (typeof x === 'number' && Number.isInteger(x))))) {
    throw new InputError(`--labels ${path} must hold a JSON array of integer or string labels, one per base row.`);
  }
  return v as (number | string)[];
}
