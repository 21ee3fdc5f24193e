/**
 * The data of bench/scale.ts: a seeded Gaussian mixture (clusters of different spreads, so that
 * neighbours and recall mean something), N × dim float32 rows written once as a .npy in the cache
 * (`scale/`), chunk by chunk (never whole in memory), and the queries as a second .npy drawn from the
 * same mixture. Rows are generated in fixed blocks, each from its own seeded stream, so the file does
 * not depend on the chunk size it was written with.
 *
 * Each file gets a completion marker `<file>.done.json` (src/core/cache-entry.ts's convention:
 * size and sha256, plus the recipe) written after the file is renamed into place; a file without
 * one, or whose size or recipe differs, is written again. `verify` also re-hashes the file.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ensureDir, writeFileAtomic } from '../src/core/atomic.js';
import { markerPath } from '../src/core/cache-entry.js';
import { Rng } from '../src/core/rng.js';
import type { ProgressFn } from '../src/core/progress.js';
import { cacheDir } from '../src/data/cache.js';

/** Rows per generated block (each block has its own stream). */
const GEN_BLOCK = 65536;
/** Query blocks use stream numbers from here on, apart from the base's. */
const QUERY_STREAMS = 1 << 24;

export interface MixtureRecipe {
  rows: number;
  dim: number;
  clusters: number;
  seed: number;
}

interface Marker {
  bytes: number;
  sha256: string;
  recipe: MixtureRecipe & { part: 'base' | 'queries'; version: 2 };
}

/** Latent dimensions of the rows around their centre (real embeddings have a low intrinsic dimension). */
const LATENT = 12;
/** Spread of the isotropic noise added on top, relative to the latent part. */
const NOISE = 0.05;

interface Mixture {
  centers: Float32Array;
  spread: Float32Array;
  /** dim × LATENT, shared by all clusters: the directions rows vary along. */
  basis: Float32Array;
}

/** The mixture's centres (N(0,1) per coordinate), per-cluster spreads (0.2–0.7) and latent basis. */
function mixtureOf(r: MixtureRecipe): Mixture {
  const rng = new Rng(r.seed);
  const centers = new Float32Array(r.clusters * r.dim);
  for (let i = 0; i < centers.length; i++) centers[i] = rng.normal();
  const spread = new Float32Array(r.clusters);
  for (let c = 0; c < r.clusters; c++) spread[c] = 0.2 + 0.5 * rng.float();
  const basis = new Float32Array(r.dim * LATENT);
  for (let i = 0; i < basis.length; i++) basis[i] = rng.normal() / Math.sqrt(LATENT);
  return { centers, spread, basis };
}

/** Fills rows [0, count) of `out` with block `stream`'s rows: centre + spread · (basis · z + noise). */
function generateBlock(m: Mixture, r: MixtureRecipe, stream: number, count: number, out: Float32Array): void {
  const rng = new Rng((Math.imul(r.seed + 1, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0);
  const d = r.dim, z = new Float64Array(LATENT);
  for (let i = 0; i < count; i++) {
    const c = rng.int(r.clusters), s = m.spread[c], co = c * d, o = i * d;
    for (let t = 0; t < LATENT; t++) z[t] = rng.normal();
    for (let j = 0; j < d; j++) {
      let v = NOISE * rng.normal();
      for (let t = 0, b = j * LATENT; t < LATENT; t++) v += m.basis[b + t] * z[t];
      out[o + j] = m.centers[co + j] + s * v;
    }
  }
}

function npyHeader(rows: number, dim: number): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${dim}), }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  return out;
}

function readMarker(path: string): Marker | null {
  try {
    return JSON.parse(readFileSync(markerPath(path), 'utf8')) as Marker;
  } catch {
    return null;
  }
}

function sha256Of(path: string): string {
  const h = createHash('sha256'), buf = Buffer.alloc(16 * 2 ** 20), fd = openSync(path, 'r');
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** True when `path` and its marker are there, of the marker's size and recipe (and, with verify, its sha256). */
function intact(path: string, recipe: Marker['recipe'], verify: boolean): boolean {
  const m = readMarker(path);
  if (!m || !existsSync(path) || JSON.stringify(m.recipe) !== JSON.stringify(recipe) || statSync(path).size !== m.bytes) return false;
  return !verify || sha256Of(path) === m.sha256;
}

/** Writes `rows` rows of the mixture (streams from `firstStream`) to `path` as .npy, block by block, then its marker. */
function writeMixture(path: string, r: MixtureRecipe, part: 'base' | 'queries', rows: number, firstStream: number, onProgress?: ProgressFn): void {
  const m = mixtureOf(r);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  const h = createHash('sha256');
  const put = (b: Uint8Array) => {
    h.update(b);
    for (let off = 0; off < b.byteLength;) off += writeSync(fd, b, off, b.byteLength - off);
  };
  try {
    const block = new Float32Array(GEN_BLOCK * r.dim);
    put(npyHeader(rows, r.dim));
    for (let s = 0, stream = firstStream; s < rows; s += GEN_BLOCK, stream++) {
      const n = Math.min(GEN_BLOCK, rows - s);
      generateBlock(m, r, stream, n, block);
      put(new Uint8Array(block.buffer, 0, n * r.dim * 4));
      onProgress?.(s + n, rows, `writing ${part}`);
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  rmSync(markerPath(path), { force: true });
  renameSync(tmp, path);
  const marker: Marker = { bytes: statSync(path).size, sha256: h.digest('hex'), recipe: { ...r, rows, part, version: 2 } };
  writeFileAtomic(markerPath(path), JSON.stringify(marker, null, 2) + '\n');
}

export interface ScaleFiles {
  base: string;
  queries: string;
  /** Names the pair in caches: from the two files' sha256 (their markers). */
  checksum: string;
  /** Seconds spent writing (0 when both were already there). */
  seconds: number;
  written: boolean;
}

/** The base and query files of the recipe in the cache, written when absent or not intact. */
export function ensureScaleData(r: MixtureRecipe, queries: number, opts: { verify?: boolean; onProgress?: ProgressFn } = {}): ScaleFiles {
  const dir = cacheDir('scale');
  ensureDir(dir);
  const stem = `gmm-${r.rows}x${r.dim}-c${r.clusters}-s${r.seed}`;
  const base = join(dir, `${stem}-base.npy`), q = join(dir, `${stem}-q${queries}.npy`);
  const t0 = performance.now();
  let written = false;
  if (!intact(base, { ...r, part: 'base', version: 2 }, opts.verify ?? false)) {
    writeMixture(base, r, 'base', r.rows, 0, opts.onProgress);
    written = true;
  }
  if (!intact(q, { ...r, rows: queries, part: 'queries', version: 2 }, opts.verify ?? false)) {
    writeMixture(q, r, 'queries', queries, QUERY_STREAMS, opts.onProgress);
    written = true;
  }
  const checksum = createHash('sha256').update(`${readMarker(base)!.sha256}:${readMarker(q)!.sha256}`).digest('hex').slice(0, 16);
  return { base, queries: q, checksum, seconds: (performance.now() - t0) / 1000, written };
}
