/**
 * Datasets at a reduced scale. The loaders (src/data) load a dataset whole; a task's `small` scale
 * asks for fewer rows (`base`: a seeded sample of the base, `queries`: the first N queries). The
 * runner writes such a subset once, as a TEXMEX folder (`<name>_base.fvecs`, `<name>_query.fvecs`,
 * and `<name>_learn.fvecs` when the dataset has its own training rows) under
 * `datasets/cache/subsets/` ($VQBENCH_CACHE), and every cell loads that folder through the ordinary
 * loader. So a cell process holds only the rows it uses (its peak RSS is the subset's), exact ground
 * truth is computed once per subset (it is cached by the subset's checksum), and all cells of a run
 * see the same rows.
 *
 * The folder is written to a temporary name and renamed into place with its meta.json inside, so
 * an interrupted preparation leaves nothing that a later run could mistake for a subset. meta.json,
 * written last, is the folder's completion marker and lists the size and sha256 of every file
 * (src/core/cache-entry.ts); a folder whose meta.json is unreadable or without digests, or with a
 * file that does not match its digest (truncated, a flipped byte), is removed and written again.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import { ensureDir, writeFileAtomic } from '../core/atomic.js';
import { digestOf, readVerified, type Digest } from '../core/cache-entry.js';
import { Rng } from '../core/rng.js';
import { cacheDir } from '../data/cache.js';
import { checksum, floatBytes } from '../data/checksum.js';
import { encodeRows } from '../data/ground-truth.js';
import type { Matrix } from '../core/matrix.js';
import { DATASET_NAMES, loadDataset, parseDataSpec } from '../data/load.js';
import { assertFreeSpace } from '../core/disk-space.js';
import { slugify } from './task.js';

export interface PreparedDataset {
  /** What the jobs load: the original spec, or the subset folder. */
  data: string;
  /** Checksum of what the jobs load, when known without loading it. */
  checksum: string | null;
  /** Rows kept, when a subset was written. */
  rows: { base: number; queries: number; train: number } | null;
  /** Checksum of the dataset the subset was drawn from. */
  sourceChecksum: string | null;
}

interface SubsetMeta {
  source: string;
  sourceChecksum: string;
  seed: number;
  requested: { base?: number; queries?: number };
  /** True when the request keeps every row: the jobs load the source itself. */
  passthrough: boolean;
  rows: { base: number; queries: number; train: number };
  checksum: string;
  /** Size and sha256 of every file of the folder (but meta.json), by name. */
  files: Record<string, Digest>;
}

/** The meta.json of a subset folder when it and every file it lists are intact; else null (the folder is removed). */
function readIntactSubset(dir: string): SubsetMeta | null {
  const metaPath = join(dir, 'meta.json');
  if (!existsSync(metaPath)) return null;
  let meta: SubsetMeta | null = null;
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8')) as SubsetMeta;
  } catch {
    meta = null;
  }
  const ok = meta !== null && typeof meta.files === 'object' && meta.files !== null &&
    Object.entries(meta.files).every(([name, d]) => readVerified(join(dir, name), d) !== null);
  if (ok) return meta;
  process.stderr.write(`warning: the subset folder ${dir} is incomplete or corrupt; it is written again.\n`);
  rmSync(dir, { recursive: true, force: true });
  return null;
}

function sourceKey(spec: string): string {
  const { target, limit } = parseDataSpec(spec, DATASET_NAMES);
  const suffix = limit === undefined ? '' : `-limit${limit}`;
  if (DATASET_NAMES.includes(target)) return target + suffix;
  const abs = resolve(target);
  const st = statSync(abs);
  const h = createHash('sha256').update(`${abs}:${st.size}:${st.mtimeMs}`).digest('hex').slice(0, 8);
  return `${slugify(basename(abs))}${suffix}-${h}`;
}

/**
 * The dataset a cell loads for `spec` with `subset` rows kept (seeded by `seed`). Without a subset
 * the spec itself; with one, the subset folder (written on first use).
 */
export async function prepareDataset(spec: string, subset: { base?: number; queries?: number } | null, seed: number): Promise<PreparedDataset> {
  if (!subset || (subset.base === undefined && subset.queries === undefined)) return { data: spec, checksum: null, rows: null, sourceChecksum: null };
  const name = `${sourceKey(spec)}-b${subset.base ?? 'all'}-q${subset.queries ?? 'all'}-s${seed}`;
  const root = cacheDir('subsets');
  const dir = join(root, name);
  const metaPath = join(dir, 'meta.json');
  const intact = readIntactSubset(dir);
  if (intact) return fromMeta(spec, dir, intact);

  const ds = await loadDataset(spec, { seed });
  const nb = Math.min(ds.base.rows, subset.base ?? Infinity);
  const nq = Math.min(ds.queries.rows, subset.queries ?? Infinity);
  const passthrough = nb === ds.base.rows && nq === ds.queries.rows;
  const base = nb < ds.base.rows ? ds.base.selectRows(Uint32Array.from(new Rng(seed).sample(ds.base.rows, nb)).sort()) : ds.base;
  const queries = ds.queries.sliceRows(0, nq);
  const ownTrain = ds.train !== ds.base;
  const train = ownTrain && nb < ds.train.rows ? ds.train.selectRows(Uint32Array.from(new Rng(seed + 1).sample(ds.train.rows, Math.min(ds.train.rows, nb))).sort()) : ds.train;
  const meta: SubsetMeta = {
    source: spec, sourceChecksum: ds.checksum, seed, requested: subset, passthrough,
    rows: { base: base.rows, queries: queries.rows, train: ownTrain ? train.rows : base.rows },
    // what loadDataset computes for a TEXMEX folder
    checksum: passthrough ? ds.checksum : checksum(floatBytes(base.data), floatBytes(queries.data)),
    files: {},
  };
  ensureDir(root);
  // the folder's fvecs files: a row header and float32 values per row
  const subsetBytes = passthrough ? 0 : 4 * (base.rows * (base.dim + 1) + queries.rows * (queries.dim + 1) + (ownTrain ? train.rows * (train.dim + 1) : 0));
  assertFreeSpace(root, subsetBytes, `the subset of ${spec} (${base.rows} base rows)`);
  const tmp = join(root, `.tmp-${name}-${process.pid}-${Date.now()}`);
  mkdirSync(tmp);
  try {
    if (!passthrough) {
      const target = parseDataSpec(spec, DATASET_NAMES).target;
      const stem = slugify(DATASET_NAMES.includes(target) ? target : basename(target).replace(/\.[^.]*$/, ''));
      const put = (name: string, m: Matrix) => {
        const bytes = encodeRows(m.rows, m.dim, m.data);
        writeFileAtomic(join(tmp, name), bytes);
        meta.files[name] = digestOf(bytes);
      };
      put(`${stem}_base.fvecs`, base);
      put(`${stem}_query.fvecs`, queries);
      if (ownTrain) put(`${stem}_learn.fvecs`, train);
    }
    writeFileSync(join(tmp, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
    try {
      renameSync(tmp, dir);
    } catch (e) {
      // another run prepared the same subset meanwhile: use theirs
      if (!existsSync(metaPath)) throw e;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return fromMeta(spec, dir, JSON.parse(readFileSync(metaPath, 'utf8')) as SubsetMeta);
}

function fromMeta(spec: string, dir: string, meta: SubsetMeta): PreparedDataset {
  return { data: meta.passthrough ? spec : dir, checksum: meta.checksum, rows: meta.rows, sourceChecksum: meta.sourceChecksum };
}

/** Removes temporary folders left by interrupted preparations (older than an hour: another run may be writing a fresh one). */
export function cleanStaleSubsets(): void {
  const root = cacheDir('subsets');
  if (!existsSync(root)) return;
  for (const f of readdirSync(root)) {
    if (!f.startsWith('.tmp-')) continue;
    const p = join(root, f);
    try {
      if (Date.now() - statSync(p).mtimeMs > 3600_000) rmSync(p, { recursive: true, force: true });
    } catch {
      // gone already
    }
  }
}
