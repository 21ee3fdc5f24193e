// The fuzz targets, one per loader: how a case's input is made from a valid seed file (written by
// our writers, by numpy / h5py under test/fixtures, or copied from the text fixtures), which
// mutation it gets, how it is loaded (through the user-facing entry point: loadDataset,
// loadTaskFolder, loadTask) and what a clean load must satisfy.
import { cpSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Matrix } from '../../src/core/matrix.js';
import type { Rng } from '../../src/core/rng.js';
import { encodeNpy, parseNpyHeader } from '../../src/data/npy.js';
import { loadDataset } from '../../src/data/load.js';
import type { VectorDataset } from '../../src/data/types.js';
import { loadTaskFolder } from '../../src/data/text/registry.js';
import { TASK_TYPES, type TextTask } from '../../src/data/text/types.js';
import { SCALES, TASKS_DIR, expandTask, loadTask, type Task } from '../../src/run/task.js';
import { type FuzzCase, type FuzzTarget, flipBytes, mutateBytes, mutateJson, pick, toJsonText } from './harness.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

// ---- vector datasets ----

function randomMatrix(rng: Rng, rows: number, dim: number): Matrix {
  const m = Matrix.zeros(rows, dim);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.normal();
  return m;
}

/** A loaded vector dataset must be whole: equal dims, matching lengths, finite values, ground truth in range. */
export function checkDataset(x: unknown): string | null {
  const ds = x as VectorDataset;
  for (const [name, m] of [['train', ds.train], ['base', ds.base], ['queries', ds.queries]] as const) {
    if (!(m instanceof Matrix)) return `${name} is not a Matrix`;
    if (m.rows < 1) return `${name} has ${m.rows} rows`;
    if (m.dim !== ds.dim || m.dim < 1) return `${name} has dimension ${m.dim}, the dataset ${ds.dim}`;
    if (m.data.length !== m.rows * m.dim) return `${name} holds ${m.data.length} values for ${m.rows} × ${m.dim}`;
    for (let i = 0; i < m.data.length; i++) if (!Number.isFinite(m.data[i])) return `${name}[${i}] is ${m.data[i]}`;
  }
  const gt = ds.groundTruth;
  if (gt) {
    if (!Number.isInteger(gt.k) || gt.k < 1) return `ground truth k = ${gt.k}`;
    if (gt.ids.length !== ds.queries.rows * gt.k || gt.dists.length !== gt.ids.length) return `ground truth holds ${gt.ids.length} ids for ${ds.queries.rows} queries × k ${gt.k}`;
    for (const id of gt.ids) if (id < 0 || id >= ds.base.rows) return `ground truth names row ${id} of ${ds.base.rows}`;
    const nan = gt.dists.filter((d) => Number.isNaN(d)).length;
    if (nan !== 0 && nan !== gt.dists.length) return `ground truth has ${nan} NaN distances of ${gt.dists.length}`;
    for (const d of gt.dists) if (d === Infinity || d === -Infinity || d < 0) return `ground truth distance ${d}`;
  }
  return null;
}

/** An .npy file from parts, so that headers can be edited field by field. */
function npyBytes(header: string, data: Uint8Array, version = 1): Uint8Array {
  const lenBytes = version === 1 ? 2 : 4;
  const total = Math.ceil((8 + lenBytes + header.length + 1) / 64) * 64;
  const h = header.padEnd(total - 8 - lenBytes - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, h.length, true);
  else view.setUint32(8, h.length, true);
  out.set(new TextEncoder().encode(h), 8 + lenBytes);
  out.set(data, total);
  return out;
}

function encodeValues(m: Matrix, descr: string, fortran: boolean): Uint8Array {
  const size = Number(descr.slice(2));
  const little = descr[0] !== '>';
  const out = new Uint8Array(m.data.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.dim; j++) {
    const at = (fortran ? j * m.rows + i : i * m.dim + j) * size;
    const v = m.data[i * m.dim + j];
    if (size === 4) view.setFloat32(at, v, little);
    else if (size === 8) view.setFloat64(at, v, little);
    else view.setUint16(at, Number.isNaN(v) ? 0x7e00 : v === Infinity ? 0x7c00 : v === -Infinity ? 0xfc00 : 0x3c00, little); // float16: NaN, ±Inf, else 1.0
  }
  return out;
}

export const npyTarget: FuzzTarget = {
  name: 'npy',
  make(rng, dir) {
    const rows = 2 + rng.int(30), dim = 1 + rng.int(8);
    const m = randomMatrix(rng, rows, dim);
    let descr = pick(rng, ['<f4', '<f8', '<f2', '>f4', '>f8']);
    let fortran = rng.float() < 0.3 ? 'True' : 'False';
    let shape = `(${rows}, ${dim})`;
    const version = pick(rng, [1, 1, 1, 2, 3]);
    let data = encodeValues(m, descr, fortran === 'True');
    let category: string;
    let bytes: Uint8Array | null = null;
    let dict = (): string => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
    const r = rng.float();
    if (r < 0.12) {
      category = 'header edit: dtype';
      descr = pick(rng, ['<f4', '<f8', '<f2', '>f4', '|f4', '=f4', '<i4', '<u1', '|b1', '<c8', '<f16', '|O', '<U3', '', 'f4', '<f4x', '<f0', '<f3', '|V8']);
    } else if (r < 0.3) {
      category = 'header edit: shape';
      shape = pick(rng, ['()', `(${rows},)`, `(${rows}, ${dim}, 1)`, `(${2 ** 40}, ${dim})`, `(${rows}, ${2 ** 40})`, `(${2 ** 40}, ${2 ** 40})`,
        `(${2 ** 31}, ${2 ** 31})`, `(-1, ${dim})`, `(0, ${dim})`, `(${rows}, 0)`, `(${rows + 1}, ${dim})`, `(${rows - 1}, ${dim})`, `(${dim}, ${rows})`,
        `(1e3, ${dim})`, `(${rows}, ${dim},)`, `(0x10, ${dim})`, `(${rows} ${dim})`, `(${rows},, ${dim})`, `(99999999999999999999, ${dim})`,
        `(1.5, ${dim})`, `(${rows}L, ${dim}L)`, `(1, ${dim})`, `(${rows * dim}, 1)`, `[${rows}, ${dim}]`]);
    } else if (r < 0.36) {
      category = 'header edit: fortran_order';
      fortran = pick(rng, ['True', 'False', '1', "'True'", 'None', 'true']);
    } else if (r < 0.42) {
      category = 'header edit: dict';
      const d = dict();
      const variants = [d.replace(/'descr': '[^']*', /, ''), d.replace(/'shape': \([^)]*\), /, ''), d.replace(/'fortran_order': \w+, /, ''), d.slice(0, rng.int(d.length)), `{${d}}`, d.replace(/'/g, '"'), '', 'garbage'];
      const v = pick(rng, variants);
      dict = () => v;
    } else if (r < 0.5) {
      category = 'header edit: magic/version/length';
      bytes = npyBytes(dict(), data, version);
      const what = rng.int(3);
      if (what === 0) bytes = flipBytes(rng, bytes, 0, 6);
      else if (what === 1) bytes[6] = pick(rng, [0, 4, 255, 2, 3, 1]);
      else {
        const view = new DataView(bytes.buffer);
        const v = pick(rng, [0, 1, 65535, 0xffffffff, 2 ** 31, bytes.length, bytes.length - 9]);
        if (version === 1) view.setUint16(8, v & 0xffff, true);
        else view.setUint32(8, v >>> 0, true);
      }
    } else if (r < 0.58) {
      category = 'values: NaN/Inf/overflow';
      const n = 1 + rng.int(3);
      for (let i = 0; i < n; i++) m.data[rng.int(m.data.length)] = pick(rng, [NaN, Infinity, -Infinity]);
      if (descr.endsWith('8') && rng.float() < 0.5) {
        data = encodeValues(m, descr, fortran === 'True');
        new DataView(data.buffer).setFloat64(8 * rng.int(m.data.length), 1e300, descr[0] !== '>'); // finite in float64, not in float32
      } else data = encodeValues(m, descr, fortran === 'True');
    } else {
      [category, bytes] = mutateBytes(rng, npyBytes(dict(), data, version));
    }
    bytes ??= npyBytes(dict(), data, version);
    const path = join(dir, 'x.npy');
    writeFileSync(path, bytes);
    return {
      category, names: path,
      load: () => loadDataset(path),
      check(x) {
        const p = checkDataset(x);
        if (p) return p;
        // the header's shape accounts for every byte of the file: nothing dropped, nothing left over
        const ds = x as VectorDataset;
        const h = parseNpyHeader(new Uint8Array(readFileSync(path)), path);
        const size = Number(/\d+$/.exec(h.descr)![0]);
        const rowsRead = ds.base.rows + ds.queries.rows;
        if (rowsRead * ds.dim * size !== bytes!.length - h.dataOffset) return `${rowsRead} × ${ds.dim} × ${size} bytes read from ${bytes!.length - h.dataOffset} data bytes`;
        return null;
      },
    };
  },
};

/** .fvecs / .bvecs rows: int32 dim, then dim values. */
function vecsBytes(m: Matrix, kind: 'fvecs' | 'bvecs' | 'ivecs', values?: ArrayLike<number>): Uint8Array {
  const size = kind === 'bvecs' ? 1 : 4;
  const rowBytes = 4 + m.dim * size;
  const out = new Uint8Array(m.rows * rowBytes);
  const view = new DataView(out.buffer);
  for (let i = 0; i < m.rows; i++) {
    view.setInt32(i * rowBytes, m.dim, true);
    for (let j = 0; j < m.dim; j++) {
      const at = i * rowBytes + 4 + j * size;
      const v = values ? values[i * m.dim + j] : m.data[i * m.dim + j];
      if (kind === 'bvecs') out[at] = Math.abs(Math.round(v * 40)) % 256;
      else if (kind === 'ivecs') view.setInt32(at, v, true);
      else view.setFloat32(at, v, true);
    }
  }
  return out;
}

/** Vecs-specific mutations (dimension fields, counts, values), else a byte mutation. */
function mutateVecs(rng: Rng, b: Uint8Array, dim: number, size: number, kind: string): [string, Uint8Array] {
  const rowBytes = 4 + dim * size;
  const rows = b.length / rowBytes;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const r = rng.float();
  if (r < 0.25) {
    const row = rng.float() < 0.5 ? 0 : rng.int(rows);
    view.setInt32(row * rowBytes, pick(rng, [0, -1, -(2 ** 31), 2 ** 31 - 1, dim + 1, dim - 1, 2 ** 20, 2 ** 20 + 1, 1, 2 * dim, Math.floor((b.length - 4) / size)]), true);
    return ['header edit: dims', b];
  }
  if (r < 0.4) {
    const extra = rng.float() < 0.5 ? rng.int(rowBytes) + 1 : rowBytes * (1 + rng.int(3));
    const out = new Uint8Array(b.length + extra);
    out.set(b);
    for (let i = b.length; i < out.length; i++) out[i] = rng.int(256);
    if (extra % rowBytes === 0) for (let i = b.length; i < out.length; i += rowBytes) new DataView(out.buffer).setInt32(i, dim, true);
    return ['counts: extra bytes / rows', out];
  }
  if (r < 0.5 && kind === 'fvecs') {
    const n = 1 + rng.int(3);
    for (let i = 0; i < n; i++) view.setFloat32(rng.int(rows) * rowBytes + 4 + 4 * rng.int(dim), pick(rng, [NaN, Infinity, -Infinity, 3.4e38]), true);
    return ['values: NaN/Inf', b];
  }
  return mutateBytes(rng, b);
}

function vecsTarget(kind: 'fvecs' | 'bvecs'): FuzzTarget {
  return {
    name: kind,
    make(rng, dir) {
      const rows = 2 + rng.int(30), dim = 1 + rng.int(8);
      const [category, bytes] = mutateVecs(rng, vecsBytes(randomMatrix(rng, rows, dim), kind), dim, kind === 'bvecs' ? 1 : 4, kind);
      const path = join(dir, `x.${kind}`);
      writeFileSync(path, bytes);
      return {
        category, names: path,
        load: () => loadDataset(path),
        check(x) {
          const p = checkDataset(x);
          if (p) return p;
          const ds = x as VectorDataset;
          const want = (ds.base.rows + ds.queries.rows) * (4 + ds.dim * (kind === 'bvecs' ? 1 : 4));
          return want === bytes.length ? null : `${ds.base.rows + ds.queries.rows} rows of dimension ${ds.dim} read from ${bytes.length} bytes`;
        },
      };
    },
  };
}

export const fvecsTarget = vecsTarget('fvecs');
export const bvecsTarget = vecsTarget('bvecs');

/** A TEXMEX folder whose ground truth (.ivecs), sometimes its base or queries, is mutated. */
export const ivecsTarget: FuzzTarget = {
  name: 'ivecs',
  make(rng, dir) {
    const nb = 10 + rng.int(30), nq = 1 + rng.int(6), dim = 1 + rng.int(6), k = 1 + rng.int(Math.min(8, nb));
    const base = randomMatrix(rng, nb, dim), queries = randomMatrix(rng, nq, dim);
    const ids = Array.from({ length: nq * k }, () => rng.int(nb));
    let gt = vecsBytes(new Matrix(new Float32Array(nq * k), nq, k), 'ivecs', ids);
    let category: string;
    const r = rng.float();
    const gview = new DataView(gt.buffer);
    if (r < 0.1) {
      category = 'values: other ids in range';
      for (let i = 0; i < nq; i++) gview.setInt32(i * (4 + 4 * k) + 4, rng.int(nb), true);
    } else if (r < 0.3) {
      category = 'values: ids out of range';
      const n = 1 + rng.int(3);
      for (let i = 0; i < n; i++) gview.setInt32(rng.int(nq) * (4 + 4 * k) + 4 + 4 * rng.int(k), pick(rng, [-1, nb, nb + 1, 2 ** 31 - 1, -(2 ** 31)]), true);
    } else if (r < 0.4) {
      category = 'counts: ground-truth rows';
      const rowBytes = 4 + 4 * k;
      gt = rng.float() < 0.5 || nq === 1 ? Uint8Array.from([...gt, ...gt.subarray(0, rowBytes)]) : gt.slice(0, gt.length - rowBytes);
    } else {
      [category, gt] = mutateVecs(rng, gt, k, 4, 'ivecs');
    }
    const baseBytes = vecsBytes(base, 'fvecs'), queryBytes = vecsBytes(queries, 'fvecs');
    writeFileSync(join(dir, 'mini_base.fvecs'), baseBytes);
    writeFileSync(join(dir, 'mini_query.fvecs'), rng.float() < 0.1 ? (category = 'query file: ' + mutateVecs(rng, queryBytes, dim, 4, 'fvecs')[0], queryBytes) : queryBytes);
    writeFileSync(join(dir, 'mini_groundtruth.ivecs'), gt);
    return { category, names: dir, load: () => loadDataset(dir), check: checkDataset };
  },
};

const HDF5_SEEDS = join(FIXTURES, 'fuzz');

export const hdf5Target: FuzzTarget = {
  name: 'hdf5',
  async warmup() {
    await loadDataset(join(HDF5_SEEDS, 'valid.hdf5'));
  },
  make(rng, dir) {
    const seeds = readdirSync(HDF5_SEEDS).filter((f) => f.endsWith('.hdf5')).sort();
    const seed = rng.float() < 0.5 ? pick(rng, seeds.filter((f) => f.startsWith('valid'))) : pick(rng, seeds);
    let bytes: Uint8Array = new Uint8Array(readFileSync(join(HDF5_SEEDS, seed)));
    let category: string;
    const r = rng.float();
    if (r < 0.1) category = `structure: ${seed.replace(/\.hdf5$/, '')}`;
    else if (r < 0.25) {
      // the dataspace messages of the (rows, dim) datasets: little-endian uint64 dims, then maxdims
      category = 'header edit: dataspace dims (shape, counts)';
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const spots: number[] = [];
      for (let at = 0; at + 16 <= Math.min(4096, bytes.length); at++) {
        const a = view.getBigUint64(at, true), b = view.getBigUint64(at + 8, true);
        if ((a === 40n || a === 3n) && (b === 5n || b === 4n)) spots.push(at + (rng.float() < 0.5 ? 0 : 8));
      }
      const value = BigInt(pick(rng, [0, 1, 2, 3, 39, 41, 100_000, 2 ** 31, 2 ** 32 + 40, 2 ** 40, 2 ** 53]));
      for (const at of spots) if (rng.float() < 0.7) view.setBigUint64(at, value, true);
    } else if (r < 0.45) {
      category = 'header edit: flips in the first 2 KiB (superblock, object headers)';
      bytes = flipBytes(rng, bytes, 0, Math.min(2048, bytes.length));
    } else [category, bytes] = mutateBytes(rng, bytes);
    const path = join(dir, 'x.hdf5');
    writeFileSync(path, bytes);
    return { category, names: path, load: () => loadDataset(path), check: checkDataset };
  },
};

// ---- text tasks ----

/** A task folder's data must be whole: equal lengths, strings, finite scores, ids that resolve. */
export function checkTextTask(x: unknown): string | null {
  const t = x as TextTask;
  if (!TASK_TYPES.includes(t.meta.type)) return `type ${t.meta.type}`;
  if (!/^[\w.-]+$/.test(t.meta.split)) return `split '${t.meta.split}'`;
  if (typeof t.meta.checksum !== 'string' || t.meta.checksum.length === 0) return 'no checksum';
  const strings = (xs: unknown[], what: string) => (xs.every((s) => typeof s === 'string') ? null : `${what} holds a non-string`);
  const same = (a: unknown[], b: unknown[], what: string) => (a.length === b.length && a.length > 0 ? null : `${what}: ${a.length} vs ${b.length}`);
  switch (t.meta.type) {
    case 'Classification': {
      const d = t.data as Extract<TextTask, { meta: { type: 'Classification' } }>['data'];
      const known = new Set(d.train.labels);
      return same(d.train.texts, d.train.labels, 'train') ?? same(d.test.texts, d.test.labels, 'test') ??
        strings([...d.train.texts, ...d.train.labels, ...d.test.texts, ...d.test.labels], 'classification') ??
        (d.test.labels.every((l) => known.has(l)) ? null : 'a test label is not in train');
    }
    case 'Clustering': {
      const d = t.data as Extract<TextTask, { meta: { type: 'Clustering' } }>['data'];
      if (d.sets.length === 0) return 'no sets';
      for (const s of d.sets) { const p = same(s.texts, s.labels, 'set') ?? strings([...s.texts, ...s.labels], 'set'); if (p) return p; }
      return null;
    }
    case 'STS': {
      const d = t.data as Extract<TextTask, { meta: { type: 'STS' } }>['data'];
      return same(d.sentences1, d.sentences2, 'sentences') ?? same(d.sentences1, d.scores, 'scores') ?? strings([...d.sentences1, ...d.sentences2], 'sts') ??
        (d.scores.every((s) => typeof s === 'number' && Number.isFinite(s)) ? null : 'a score is not finite');
    }
    case 'PairClassification': {
      const d = t.data as Extract<TextTask, { meta: { type: 'PairClassification' } }>['data'];
      return same(d.sentences1, d.sentences2, 'sentences') ?? same(d.sentences1, d.labels, 'labels') ?? strings([...d.sentences1, ...d.sentences2], 'pair') ??
        (d.labels.every((l) => l === 0 || l === 1) ? null : 'a label is not 0/1');
    }
    case 'BitextMining': {
      const d = t.data as Extract<TextTask, { meta: { type: 'BitextMining' } }>['data'];
      return same(d.sentences1, d.sentences2, 'sentences') ?? strings([...d.sentences1, ...d.sentences2], 'bitext');
    }
    case 'Reranking': {
      const d = t.data as Extract<TextTask, { meta: { type: 'Reranking' } }>['data'];
      if (d.samples.length === 0) return 'no samples';
      for (const s of d.samples) {
        if (s.positive.length === 0) return 'a sample without positives';
        const p = strings([s.query, ...s.positive, ...s.negative], 'sample');
        if (p) return p;
      }
      return null;
    }
    case 'Retrieval': {
      const d = t.data as Extract<TextTask, { meta: { type: 'Retrieval' } }>['data'];
      const docs = new Set(d.corpus.ids);
      if (docs.size !== d.corpus.ids.length || d.corpus.ids.length === 0) return 'corpus ids not unique or empty';
      if (d.corpus.titles.length !== d.corpus.ids.length || d.corpus.texts.length !== d.corpus.ids.length) return 'corpus columns of different lengths';
      const p = same(d.queries.ids, d.queries.texts, 'queries') ?? strings([...d.corpus.ids, ...d.corpus.titles, ...d.corpus.texts, ...d.queries.ids, ...d.queries.texts], 'retrieval');
      if (p) return p;
      for (const q of d.queries.ids) {
        const rel = d.qrels.get(q);
        if (!rel || rel.size === 0) return `query ${q} has no qrels`;
        for (const [doc, score] of rel) if (!docs.has(doc) || !Number.isFinite(score) || score <= 0) return `qrel ${q} → ${doc} (${score})`;
      }
      return null;
    }
  }
}

/** Files of a folder, recursively, relative to it. */
function filesOf(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel)).flatMap((f) => (statSync(join(dir, rel, f)).isDirectory() ? filesOf(dir, join(rel, f)) : [join(rel, f)]));
}

/** Mutates one file of a copied text-task folder: JSON records, task.json, TSV lines, or bytes. */
function mutateTextFolder(rng: Rng, dir: string): string {
  const files = filesOf(dir).sort();
  const rel = pick(rng, files);
  const path = join(dir, rel);
  const text = readFileSync(path, 'utf8');
  const r = rng.float();
  const parses = (t: string) => {
    try {
      JSON.parse(t);
      return true;
    } catch {
      return false;
    }
  };
  if (rel.endsWith('.json')) {
    if (r < 0.75 && parses(text)) {
      const [cat, v] = mutateJson(rng, JSON.parse(text));
      writeFileSync(path, toJsonText(v, 2));
      return `task.json: ${cat}`;
    }
  } else if (rel.endsWith('.jsonl')) {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const i = rng.int(lines.length);
    if (r < 0.6 && lines.length && parses(lines[i])) {
      const [cat, v] = mutateJson(rng, JSON.parse(lines[i]));
      lines[i] = toJsonText(v);
      writeFileSync(path, lines.join('\n') + '\n');
      return `${basename(rel)} record: ${cat}`;
    }
    if (r < 0.7) {
      const ops: [string, () => string[]][] = [
        ['delete line', () => lines.filter((_, i) => i !== rng.int(lines.length))],
        ['duplicate line', () => [...lines, pick(rng, lines)]],
        ['empty file', () => []],
        ['blank / CRLF / BOM lines', () => ['\ufeff' + lines[0], '', '   ', ...lines.slice(1).map((l) => l + '\r')]],
      ];
      const [cat, op] = pick(rng, ops);
      writeFileSync(path, op().join('\n'));
      return `${basename(rel)} lines: ${cat}`;
    }
  } else if (rel.endsWith('.tsv')) {
    const lines = text.split('\n');
    if (r < 0.6 && lines.length > 1) {
      const i = 1 + rng.int(lines.length - 1);
      const cols = lines[i].split('\t');
      const c = rng.int(Math.max(1, cols.length));
      cols[c] = String(pick(rng, ['', 'NaN', 'Infinity', '-1', '0', '1e999', '2.5', 'x', 'q-unknown', 'd-unknown', '  ', '1 2', '-0', '0x10', '1e-320']));
      if (rng.float() < 0.2) cols.splice(rng.int(cols.length), 1);
      lines[i] = cols.join('\t');
      writeFileSync(path, lines.join('\n'));
      return `${basename(rel)}: edited TSV column`;
    }
  }
  const [cat, bytes] = mutateBytes(rng, new Uint8Array(readFileSync(path)));
  writeFileSync(path, bytes);
  return `${basename(rel)} bytes: ${cat}`;
}

function textTarget(name: string, seeds: string[]): FuzzTarget {
  return {
    name,
    make(rng, dir) {
      const seed = pick(rng, seeds);
      const task = join(dir, basename(seed));
      cpSync(join(FIXTURES, 'text', seed), task, { recursive: true });
      let category = mutateTextFolder(rng, task);
      if (rng.float() < 0.2) {
        mutateTextFolder(rng, task);
        category = 'two mutations';
      }
      return { category, names: task, load: () => loadTaskFolder(task), check: checkTextTask };
    },
  };
}

export const jsonlTarget = textTarget('jsonl-task', ['mteb/bitext', 'mteb/classification', 'mteb/clustering', 'mteb/pair', 'mteb/reranking', 'mteb/sts']);
export const beirTarget = textTarget('beir', ['beir/mini-scifact', 'beir/with-task']);
export const msmarcoTarget = textTarget('msmarco', ['msmarco']);

// ---- task files ----

export const taskTarget: FuzzTarget = {
  name: 'task-file',
  make(rng, dir) {
    const shipped = readdirSync(TASKS_DIR).filter((f) => f.endsWith('.json') && f !== 'task.schema.json').sort();
    const seed = pick(rng, shipped);
    const text = readFileSync(join(TASKS_DIR, seed), 'utf8');
    const path = join(dir, seed);
    let category: string;
    if (rng.float() < 0.8) {
      const [cat, v] = mutateJson(rng, JSON.parse(text));
      category = cat;
      writeFileSync(path, toJsonText(v, 2));
    } else {
      const [cat, bytes] = mutateBytes(rng, new TextEncoder().encode(text));
      category = `bytes: ${cat}`;
      writeFileSync(path, bytes);
    }
    mkdirSync(dir, { recursive: true });
    return {
      category, names: basename(path),
      load: () => loadTask(path),
      check(x) {
        const t = x as Task;
        for (const s of SCALES) {
          const cells = expandTask(t, s);
          const ids = new Set(cells.map((c) => c.id));
          if (ids.size !== cells.length) return `duplicate cell ids at scale ${s}`;
          for (const c of cells) {
            if (!/^[A-Za-z0-9._+-]+$/.test(c.id)) return `cell id '${c.id}' is not filename-safe`;
            if (c.timeout !== null && !(Number.isFinite(c.timeout) && c.timeout > 0)) return `cell ${c.id} timeout ${c.timeout}`;
          }
        }
        return null;
      },
    };
  },
};

export const ALL_TARGETS: FuzzTarget[] = [npyTarget, fvecsTarget, bvecsTarget, ivecsTarget, hdf5Target, jsonlTarget, beirTarget, msmarcoTarget, taskTarget];
