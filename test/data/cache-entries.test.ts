// Cached derived data is never silently trusted: exact ground truth and small-scale subset folders
// are verified against their completion markers / digests, and a corrupt entry is recomputed. A
// ground truth from broken kernels is refused, never cached.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { VqbenchError } from '../../src/core/errors.js';
import { markerPath } from '../../src/core/cache-entry.js';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { checkExactResult } from '../../src/data/ground-truth.js';
import { groundTruth, loadDataset } from '../../src/data/load.js';
import { writeNpy } from '../../src/data/npy.js';
import { prepareDataset } from '../../src/run/datasets.js';
import { assertUserError, runCli } from '../helpers/cli.js';
import { mixture } from '../helpers/data.js';

let dir = '';
const saved = process.env.VQBENCH_CACHE;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-cache-entries-'));
  process.env.VQBENCH_CACHE = join(dir, 'cache'); // a temporary cache: these tests corrupt it
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (saved === undefined) delete process.env.VQBENCH_CACHE;
  else process.env.VQBENCH_CACHE = saved;
  await shutdownWorkers();
});

const flip = (p: string, at: number) => { const b = readFileSync(p); b[at] ^= 0x01; writeFileSync(p, b); };

test('ground truth: each file is a verified cache entry; truncated, flipped or unmarked files are recomputed', async () => {
  writeNpy(join(dir, 'gt.npy'), mixture(600, 8, 4, 3));
  const ds = await loadDataset(join(dir, 'gt.npy'));
  const first = await groundTruth(ds, 5);
  const gtDir = join(dir, 'cache', 'ground-truth');
  const files = readdirSync(gtDir).sort();
  const ivecs = join(gtDir, files.find((f) => f.endsWith('.ivecs'))!);
  const fvecs = join(gtDir, files.find((f) => f.endsWith('.fvecs'))!);
  assert.ok(existsSync(markerPath(ivecs)) && existsSync(markerPath(fvecs)), `markers written: ${files.join(', ')}`);
  const good = readFileSync(ivecs);
  const damages: [string, () => void][] = [
    ['truncated ids', () => truncateSync(ivecs, good.length - 4)],
    // an id of the first query changed to another valid id: only the checksum can tell
    ['flipped id', () => flip(ivecs, 8)],
    ['flipped distance', () => flip(fvecs, 9)],
    ['no completion marker', () => rmSync(markerPath(fvecs))],
  ];
  for (const [what, damage] of damages) {
    damage();
    const again = await groundTruth(ds, 5);
    assert.deepEqual([...again.ids], [...first.ids], what);
    assert.deepEqual([...again.dists], [...first.dists], what);
    assert.deepEqual(readFileSync(ivecs), good, `${what}: rewritten intact`);
    assert.ok(existsSync(markerPath(ivecs)) && existsSync(markerPath(fvecs)), `${what}: markers rewritten`);
  }
});

test('ground truth from kernels that computed nothing (or wrongly) fails its check and is never cached', async () => {
  const base = mixture(200, 6, 3, 5), queries = mixture(10, 6, 3, 6);
  const K = 5;
  const zeros = () => ({ ids: new Int32Array(10 * K), dists: new Float32Array(10 * K) });
  const { ids, dists } = zeros();
  assert.throws(() => checkExactResult('mini', base, queries, K, 'l2', ids, dists), (e: unknown) => e instanceof VqbenchError && /mini failed its check \(query 0: neighbour 0 listed twice\)/.test((e as Error).message));
  // distinct ids in order but not the nearest ones
  const wrong = zeros();
  for (let q = 0; q < 10; q++) for (let j = 0; j < K; j++) { wrong.ids[q * K + j] = j; wrong.dists[q * K + j] = j; }
  assert.throws(() => checkExactResult('mini', base, queries, K, 'l2', wrong.ids, wrong.dists), /nearest distance 0, brute force gives/);
  const nan = zeros();
  for (let q = 0; q < 10; q++) for (let j = 0; j < K; j++) { nan.ids[q * K + j] = j; nan.dists[q * K + j] = NaN; }
  assert.throws(() => checkExactResult('mini', base, queries, K, 'l2', nan.ids, nan.dists), /distance NaN/);

  // end to end: a thread count that would make the kernels skip rows is refused before any search
  const cache = join(dir, 'broken-threads-cache');
  writeNpy(join(dir, 'bt.npy'), mixture(3000, 16, 4, 7));
  const r = runCli(['index', '--data', join(dir, 'bt.npy'), '--index', 'flat', '--queries', '50'], { VQBENCH_THREADS: '1.5', VQBENCH_CACHE: cache });
  assertUserError(r, /VQBENCH_THREADS must be a positive integer \(worker threads\), got '1\.5'/);
  assert.ok(!existsSync(join(cache, 'ground-truth')) || readdirSync(join(cache, 'ground-truth')).length === 0, 'nothing cached');
});

test('small-scale subset folders: a truncated or flipped file, or a garbled meta.json, makes the folder written again', async () => {
  writeNpy(join(dir, 'sub.npy'), mixture(1500, 8, 4, 9));
  const spec = join(dir, 'sub.npy');
  const p = await prepareDataset(spec, { base: 300, queries: 20 }, 1);
  assert.notEqual(p.data, spec);
  const meta = JSON.parse(readFileSync(join(p.data, 'meta.json'), 'utf8')) as { files: Record<string, { bytes: number; sha256: string }> };
  const names = Object.keys(meta.files).sort();
  assert.deepEqual(names, ['sub_base.fvecs', 'sub_query.fvecs']);
  const baseFile = join(p.data, 'sub_base.fvecs');
  const good = readFileSync(baseFile);
  const damages: [string, () => void][] = [
    ['truncated', () => truncateSync(baseFile, 100)],
    ['flipped', () => flip(baseFile, good.length - 2)],
    ['garbled meta.json', () => writeFileSync(join(p.data, 'meta.json'), '{"source": ')],
    ['meta.json without digests (written before them)', () => {
      const m = JSON.parse(readFileSync(join(p.data, 'meta.json'), 'utf8')) as Record<string, unknown>;
      delete m.files;
      writeFileSync(join(p.data, 'meta.json'), JSON.stringify(m));
    }],
  ];
  for (const [what, damage] of damages) {
    damage();
    const again = await prepareDataset(spec, { base: 300, queries: 20 }, 1);
    assert.equal(again.data, p.data, what);
    assert.equal(again.checksum, p.checksum, what);
    assert.deepEqual(readFileSync(baseFile), good, `${what}: written again, intact`);
    const ds = await loadDataset(again.data);
    assert.equal(ds.base.rows, 300, what);
  }
});
