// `vqbench index` over a vector file: indexes with a chunked build train on a seeded sample and add
// the base chunk by chunk (the same index, so the same recall, whatever the chunk size), the peak-RSS
// budget is announced before the build and recorded beside the measured peak; an index without a
// chunked build gets the base whole, with a note, and its budget counts the base.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { writeNpy } from '../../src/data/npy.js';
import { runIndexJob } from '../../src/run/index-job.js';
import { runCli } from '../helpers/cli.js';
import { mixture } from '../helpers/data.js';

const dir = mkdtempSync(join(tmpdir(), 'vqbench-chunked-job-'));
const file = join(dir, 'rows.npy');
const saved = process.env.VQBENCH_CACHE;
before(() => {
  process.env.VQBENCH_CACHE = join(dir, 'cache');
  writeNpy(file, mixture(3000, 16, 10, 12, 0.6));
});
after(async () => {
  await shutdownWorkers();
  if (saved === undefined) delete process.env.VQBENCH_CACHE;
  else process.env.VQBENCH_CACHE = saved;
  rmSync(dir, { recursive: true, force: true });
});

const job = { data: file, queries: 60, runs: 1, warmup: 0, seed: 5 };

test('ivfpq from a .npy: built chunk by chunk, the budget announced first and recorded; chunk size does not change the index', async () => {
  const notes: string[] = [];
  const [r] = await runIndexJob({ ...job, index: 'ivfpq', build: { nlist: 8, m: 4, nbits: 5 }, search: { nprobe: 2 }, trainRows: 1000, chunkRows: 700, onNote: (l) => notes.push(l) });
  assert.equal(r.status, 'ok', r.error ?? '');
  assert.equal(r.buildFrom, 'chunks');
  assert.match(notes[0], /^peak RSS budget ≈ \d+ MiB \(index [\d.]+ MiB \+ merge copies [\d.]+ MiB \+ train sample [\d.]+ MiB \+ chunk [\d.]+ MiB \+ queries/);
  assert.ok(r.notes.some((n) => /^added in \d+ chunks of up to 700 rows$/.test(n)), r.notes.join('; '));
  assert.ok(r.notes.some((n) => /^trained on a seeded sample of 1000 of \d+ rows$/.test(n)), r.notes.join('; '));
  const parts = Object.fromEntries(r.rssBudget!.parts.map((p) => [p.name, p.bytes]));
  assert.equal(r.rssBudget!.bytes, Object.values(parts).reduce((a, b) => a + b, 0));
  assert.equal(parts.chunk, 700 * 16 * 4 * 2, 'a chunk of 700 rows of 16 floats, two copies (chunk, residuals) for ivfpq');
  assert.ok(!('base' in parts), 'a chunked build holds no base');
  assert.ok(Math.abs(parts.index - r.indexBytes) <= 0.05 * r.indexBytes, `model ${parts.index} B, built ${r.indexBytes} B`);
  assert.ok(r.peakRssBytes > 0);
  // the whole base as one chunk: the same index, so the same answers
  const [one] = await runIndexJob({ ...job, index: 'ivfpq', build: { nlist: 8, m: 4, nbits: 5 }, search: { nprobe: 2 }, trainRows: 1000, chunkRows: 100_000 });
  assert.deepEqual(one.recall, r.recall);
  assert.equal(one.indexBytes, r.indexBytes);
  assert.ok(!one.notes.some((n) => n.startsWith('added in')));
});

test('hnsw (no chunked build) gets the base whole, said in a note; its budget counts the base', async (t) => {
  const notes: string[] = [];
  let r;
  try {
    [r] = await runIndexJob({ ...job, index: 'hnsw', build: { m: 8, efConstruction: 40 }, onNote: (l) => notes.push(l) });
  } catch (e) {
    return t.skip(`hnsw did not run here: ${(e as Error).message}`);
  }
  assert.equal(r.buildFrom, 'whole');
  const parts = Object.fromEntries(r.rssBudget!.parts.map((p) => [p.name, p.bytes]));
  assert.equal(parts.base, 2700 * 16 * 4, 'the 2,700 base rows (3,000 less 300 held-out queries) of 16 floats');
  assert.ok(Math.abs(parts.index - r.indexBytes) <= 0.05 * r.indexBytes, `model ${parts.index} B, built ${r.indexBytes} B`);
  assert.match(notes[0], /^peak RSS budget ≈ \d+ MiB \(index [\d.]+ MiB \+ base 0\.2 MiB/);
  assert.equal(notes[1], 'hnsw has no chunked build: the base of 2700 rows is held whole (0 MiB).');
});

test('the CLI prints the budget before its table, and records it in --out', () => {
  const out = join(dir, 'records.json');
  const r = runCli(['index', '--data', file, '--index', 'pq:m=4,nbits=5', '--queries', '20', '--runs', '1', '--warmup', '0', '--chunk-rows', '1000', '--out', out], { VQBENCH_CACHE: join(dir, 'cache') });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.split('\n')[0], /^peak RSS budget ≈ /);
  assert.match(r.stdout, /against a budget of [\d.]+ MiB; base added chunk by chunk after training on a seeded sample/);
  const [rec] = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(rec.buildFrom, 'chunks');
  assert.ok(rec.rssBudget.bytes > rec.indexBytes);
  assert.ok(rec.notes.includes('added in 3 chunks of up to 1000 rows'), rec.notes.join('; '));
});
