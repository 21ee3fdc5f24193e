// Streamed datasets (src/data/streamed.ts) against loadDataset on seeded files: the same split,
// rows and checksum; `:limit=N` equal to a file cut to N rows; exact ground truth in chunks equal
// to the in-memory one, resumed after a stop, sharing its cache; and a cache that cannot fit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { writeFvecs, writeIvecs } from '../../src/data/fvecs.js';
import { groundTruth, loadDataset } from '../../src/data/load.js';
import { writeNpy } from '../../src/data/npy.js';
import { datasetShape } from '../../src/data/registry.js';
import { groundTruthStreamed } from '../../src/data/ground-truth-streamed.js';
import { openStreamedDataset } from '../../src/data/streamed.js';
import { MatrixRowSource, RowsExcept, type RowSource } from '../../src/data/row-source.js';
import type { StreamedDataset, VectorDataset } from '../../src/data/types.js';
import { prepareDataset } from '../../src/run/datasets.js';
import { loadTask } from '../../src/run/task.js';
import { mixture } from '../helpers/data.js';
import { inputError } from '../helpers/errors.js';

let dir = '';
let cache = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-streamed-'));
  cache = join(dir, 'cache');
  process.env.VQBENCH_CACHE = cache;
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await shutdownWorkers();
});

function allRows(src: RowSource): number[] {
  return [...src.read(0, src.rows).data];
}

/** The streamed and the in-memory dataset agree on every part. */
function assertSameDataset(s: StreamedDataset, m: VectorDataset, what: string): void {
  assert.equal(s.checksum, m.checksum, `${what}: checksum`);
  assert.equal(s.metric, m.metric, what);
  assert.deepEqual([...s.queries.data], [...m.queries.data], `${what}: queries`);
  assert.deepEqual(allRows(s.base), [...m.base.data], `${what}: base`);
  assert.deepEqual(allRows(s.train), [...m.train.data], `${what}: train`);
}

test('RowsExcept reads the rows of its source but the excluded ones, for any range', () => {
  const m = mixture(57, 3, 2, 4);
  const excluded = [56, 0, 13, 14, 15, 40];
  const view = new RowsExcept(new MatrixRowSource(m.clone()), excluded);
  const kept = Array.from({ length: 57 }, (_, i) => i).filter((i) => !excluded.includes(i));
  assert.equal(view.rows, kept.length);
  for (let s = 0; s < view.rows; s += 5) {
    for (const n of [1, 4, 17]) {
      const c = Math.min(n, view.rows - s);
      assert.deepEqual([...view.read(s, c).data], [...m.selectRows(kept.slice(s, s + c)).data], `rows ${s}+${c}`);
      const into = new Float32Array(17 * 3);
      assert.deepEqual([...view.read(s, c, { into }).data], [...m.selectRows(kept.slice(s, s + c)).data], `rows ${s}+${c} into an array`);
    }
  }
  assert.deepEqual([...view.readRows([50, 0, 12]).data], [...m.selectRows([kept[50], kept[0], kept[12]]).data]);
});

test('a streamed .fvecs / .npy file and its :limit=N equal loadDataset: split, rows, checksum (hashed once)', async () => {
  const m = mixture(1200, 8, 5, 11);
  writeFvecs(join(dir, 'v.fvecs'), m);
  writeNpy(join(dir, 'v.npy'), m);
  writeFvecs(join(dir, 'first500.fvecs'), m.sliceRows(0, 500).clone());
  for (const f of ['v.fvecs', 'v.npy']) {
    const p = join(dir, f);
    let hashed = 0;
    const s = await openStreamedDataset(p, { seed: 5, onProgress: () => hashed++ });
    assertSameDataset(s, await loadDataset(p, { seed: 5 }), f);
    assert.ok(hashed > 0, 'the first open hashes the rows');
    s.close();
    hashed = 0;
    const again = await openStreamedDataset(p, { seed: 5, onProgress: () => hashed++ });
    assert.equal(hashed, 0, 'the checksum is read from its cache');
    again.close();
    const lim = await openStreamedDataset(`${p}:limit=500`, { seed: 5 });
    const inMemory = await loadDataset(`${p}:limit=500`, { seed: 5 });
    assertSameDataset(lim, inMemory, `${f}:limit=500`);
    assert.equal(lim.name, `${p}:limit=500`);
    lim.close();
    // the first N rows of a file are that file cut to N rows
    assert.equal(inMemory.checksum, (await loadDataset(join(dir, 'first500.fvecs'), { seed: 5 })).checksum);
  }
  assert.deepEqual(datasetShape(`${join(dir, 'v.fvecs')}:limit=500`), { base: 450, queries: 50, dim: 8 });
  await inputError(() => loadDataset(`${join(dir, 'v.fvecs')}:limit=0`), /limit=0; the limit must be a positive integer/);
  await inputError(() => loadDataset(`${join(dir, 'v.fvecs')}:rows=5`), /unknown option 'rows'; dataset options are limit/);
});

test('TEXMEX folders stream as they load, with and without a limit (ann-benchmarks files: row-files.test.ts, which loads h5wasm anyway)', async () => {
  const folder = join(dir, 'tx');
  mkdirSync(folder);
  const base = mixture(400, 6, 3, 1), q = mixture(20, 6, 3, 2);
  writeFvecs(join(folder, 't_base.fvecs'), base);
  writeFvecs(join(folder, 't_query.fvecs'), q);
  writeIvecs(join(folder, 't_groundtruth.ivecs'), 20, 3, Int32Array.from({ length: 60 }, (_, i) => i));
  const whole = await openStreamedDataset(folder);
  assertSameDataset(whole, await loadDataset(folder), 'folder');
  assert.equal(whole.groundTruth?.k, 3, 'the folder\'s ground truth is kept');
  whole.close();
  const cut = await openStreamedDataset(`${folder}:limit=100`);
  assertSameDataset(cut, await loadDataset(`${folder}:limit=100`), 'folder:limit=100');
  assert.equal(cut.base.rows, 100);
  assert.equal(cut.groundTruth, undefined, 'ground truth of the whole base is dropped when rows are cut');
  cut.close();
});

/** A RowSource that counts the rows read through it. */
function counting(src: RowSource): RowSource & { rowsRead: number } {
  const c = Object.assign(Object.create(src) as RowSource, { rowsRead: 0 });
  c.read = (s, n, o) => {
    c.rowsRead += n;
    return src.read(s, n, o);
  };
  return c;
}

test('exact ground truth in chunks equals the in-memory one, resumes after a stop and shares its cache', async () => {
  const m = mixture(3000, 16, 8, 21);
  const p = join(dir, 'gt.fvecs');
  writeFvecs(p, m);
  const inMemory = await loadDataset(p);
  const want = await groundTruth(inMemory, 100, { cache: false });
  const s = await openStreamedDataset(p);
  const got = await groundTruthStreamed(s, 100, { chunkRows: 64, cache: false });
  assert.deepEqual([...got.ids], [...want.ids]);
  assert.deepEqual([...got.dists], [...want.dists]);

  // stopped after chunk 4 of 12 (chunks of 250 rows): the checkpoint holds chunks 0-4
  const stopAt = 4, chunkRows = 250;
  await assert.rejects(groundTruthStreamed(s, 10, { chunkRows, checkpointSeconds: 0, afterChunk: (c) => { if (c === stopAt) throw new Error('killed'); } }), /killed/);
  const gtDir = join(cache, 'ground-truth');
  assert.ok(readdirSync(gtDir).some((f) => f.endsWith('.partial')), 'a checkpoint was written');
  const base = counting(s.base);
  const resumed = await groundTruthStreamed({ ...s, base }, 10, { chunkRows, checkpointSeconds: 0 });
  assert.equal(base.rowsRead, s.base.rows - (stopAt + 1) * chunkRows, 'only the remaining chunks are read');
  const want10 = await groundTruth(inMemory, 10, { cache: false });
  assert.deepEqual([...resumed.ids], [...want10.ids]);
  assert.deepEqual([...resumed.dists], [...want10.dists]);
  assert.ok(!readdirSync(gtDir).some((f) => f.includes('.partial')), 'the checkpoint is removed once done');
  // the in-memory run finds the streamed run's cache entry (same key): it computes nothing
  const fromCache = await groundTruth({ ...inMemory, base: inMemory.base.sliceRows(0, inMemory.base.rows) }, 10, { onProgress: () => assert.fail('recomputed') });
  assert.deepEqual([...fromCache.ids], [...want10.ids]);
  s.close();
});

test('a ground truth whose process is SIGKILLed after chunk 2 resumes from its checkpoint in the next process', async () => {
  const p = join(dir, 'killed.fvecs');
  writeFvecs(p, mixture(2000, 8, 4, 31));
  const chunkRows = 200;
  const script = `const { openStreamedDataset } = await import(${JSON.stringify(new URL('../../src/data/streamed.ts', import.meta.url).href)});
    const { groundTruthStreamed } = await import(${JSON.stringify(new URL('../../src/data/ground-truth-streamed.ts', import.meta.url).href)});
    const ds = await openStreamedDataset(${JSON.stringify(p)});
    await groundTruthStreamed(ds, 10, { chunkRows: ${chunkRows}, checkpointSeconds: 0 });
    console.log('finished');`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8', env: { ...process.env, VQBENCH_CACHE: cache, VQBENCH_TEST_KILL_AFTER_CHUNK: '2' },
  });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  assert.doesNotMatch(r.stdout, /finished/);
  const s = await openStreamedDataset(p);
  const base = counting(s.base);
  const resumed = await groundTruthStreamed({ ...s, base }, 10, { chunkRows });
  assert.equal(base.rowsRead, s.base.rows - 3 * chunkRows, 'chunks 0-2 were not read again');
  const want = await groundTruth(await loadDataset(p), 10, { cache: false });
  assert.deepEqual([...resumed.ids], [...want.ids]);
  s.close();
});

test('inner-product ground truth in chunks equals the in-memory one', async () => {
  const m = mixture(900, 12, 4, 5);
  const q = mixture(30, 12, 4, 6);
  const ds: VectorDataset = { name: 'ip', source: 'test', metric: 'ip', dim: 12, train: m, base: m, queries: q, checksum: 'ip-test' };
  const want = await groundTruth(ds, 100, { cache: false });
  const src = new MatrixRowSource(m);
  const got = await groundTruthStreamed({ ...ds, base: src, train: src, close: () => {} }, 100, { chunkRows: 70, cache: false });
  assert.deepEqual([...got.ids], [...want.ids]);
  assert.deepEqual([...got.dists], [...want.dists]);
});

test('a ground truth larger than the free space of the cache is one sentence, and nothing is written', async () => {
  const m = mixture(500, 8, 4, 3);
  const p = join(dir, 'small-disk.fvecs');
  writeFvecs(p, m);
  const s = await openStreamedDataset(p);
  const before = existsSync(join(cache, 'ground-truth')) ? readdirSync(join(cache, 'ground-truth')).length : 0;
  process.env.VQBENCH_TEST_FREE_BYTES = '1000';
  try {
    await inputError(() => groundTruthStreamed(s, 10, { chunkRows: 100 }), /exact ground truth of .*small-disk\.fvecs .*needs \d+ bytes .* in the cache folder .*ground-truth but only 1000 bytes .* are free/);
    await inputError(async () => groundTruth(await loadDataset(p), 10), /needs \d+ bytes .* but only 1000 bytes/);
  } finally {
    delete process.env.VQBENCH_TEST_FREE_BYTES;
  }
  const after = existsSync(join(cache, 'ground-truth')) ? readdirSync(join(cache, 'ground-truth')).length : 0;
  assert.equal(after, before, 'nothing was written');
  s.close();
});

test('task grids take dataset specs with a limit (resolved beside the task), and subsets of them check the free space first', async () => {
  const taskDir = join(dir, 'task');
  mkdirSync(taskDir);
  writeFvecs(join(taskDir, 'rows.fvecs'), mixture(800, 8, 4, 8));
  const taskPath = join(taskDir, 't.json');
  writeFileSync(taskPath, JSON.stringify({
    name: 'limits', description: 'a limit in the grid', seed: 3,
    scale: { small: { base: 200, queries: 20, trainSize: 100 }, full: {} },
    grid: { datasets: ['rows.fvecs:limit=500', 'rows.fvecs'], quantizers: [{ method: 'pq', books: 2, size: 16 }] },
  }));
  const task = loadTask(taskPath);
  assert.deepEqual(task.datasetSpecs.map((d) => [d.spec, d.slug]), [
    [`${join(taskDir, 'rows.fvecs')}:limit=500`, 'rows-limit500'],
    [join(taskDir, 'rows.fvecs'), 'rows'],
  ]);
  const spec = task.datasetSpecs[0].spec;
  process.env.VQBENCH_TEST_FREE_BYTES = '100';
  try {
    await inputError(() => prepareDataset(spec, { base: 200, queries: 20 }, 3), /the subset of .*rows\.fvecs:limit=500 \(200 base rows\) needs \d+ bytes .*subsets but only 100 bytes/);
  } finally {
    delete process.env.VQBENCH_TEST_FREE_BYTES;
  }
  assert.ok(!existsSync(join(cache, 'subsets')) || readdirSync(join(cache, 'subsets')).length === 0, 'nothing was written');
  const prepared = await prepareDataset(spec, { base: 200, queries: 20 }, 3);
  const sub = await loadDataset(prepared.data);
  assert.deepEqual([sub.base.rows, sub.queries.rows], [200, 20]);
  assert.equal(prepared.sourceChecksum, (await loadDataset(spec, { seed: 3 })).checksum);
});
