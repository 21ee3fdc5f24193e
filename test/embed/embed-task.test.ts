// Spreading an embedding job as task cells, through the real CLI on 240 WordNet glosses with the
// GloVe-average embedder: `vqbench embed --emit-task` writes a task whose cells are the chunks,
// `vqbench run` fills the chunk cache (each cell computes its chunk), and `vqbench embed` with the
// same flags then assembles the .npy computing nothing, equal to embedding all texts at once; a
// corpus that changed since the task was written fails its cells with one sentence.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cacheDir } from '../../src/data/cache.js';
import { readNpy } from '../../src/data/npy.js';
import { createGloveAvgEmbedder } from '../../src/embed/glove-avg.js';
import { modelSeconds } from '../../src/run/estimate.js';
import { loadTask, expandTask } from '../../src/run/task.js';
import { runCli } from '../helpers/cli.js';
import { wordnetGlosses } from './wordnet-texts.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vqbench-embed-task-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const texts = wordnetGlosses(240);
const TEXTS = path.join(dir, 'glosses.txt');
writeFileSync(TEXTS, texts.join('\n') + '\n');
// a cache of its own for the embeddings, sharing the parsed GloVe word table (20 s to parse afresh)
const cache = path.join(dir, 'cache');
mkdirSync(cache);
mkdirSync(cacheDir('glove-words'), { recursive: true });
symlinkSync(cacheDir('glove-words'), path.join(cache, 'glove-words'));
const env = { VQBENCH_CACHE: cache };
const TASK = path.join(dir, 'embed-task.json');
const flags = ['--dataset', TEXTS, '--model', 'glove-avg', '--chunk-rows', '120'];

test('emit the task, run it, assemble without computing: the output equals embedding all texts at once', async () => {
  const emitted = runCli(['embed', ...flags, '--emit-task', TASK, '--json'], env);
  assert.equal(emitted.code, 0, emitted.stderr);
  assert.deepEqual(JSON.parse(emitted.stdout), { task: TASK, cells: 2, rows: 240, chunkRows: 120 });
  const task = loadTask(TASK);
  assert.equal(task.report, false);
  const cells = expandTask(task, 'small');
  assert.deepEqual(cells.map((c) => c.id), ['embed.glosses.glove-avg.document.0-120', 'embed.glosses.glove-avg.document.120-240']);

  const results = path.join(dir, 'results');
  const run = runCli(['run', TASK, '--results-dir', results], env);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const runDir = path.join(results, `${task.name}-small`);
  const metrics = cells.map((c) => JSON.parse(readFileSync(path.join(runDir, `${c.id}.json`), 'utf8')) as { status: string; metrics: { rows: number; computed: boolean; device: string } });
  assert.deepEqual(metrics.map((r) => [r.status, r.metrics.rows, r.metrics.computed, r.metrics.device]), [['ok', 120, true, 'cpu'], ['ok', 120, true, 'cpu']]);

  const out = path.join(dir, 'vectors.npy');
  const assembled = runCli(['embed', ...flags, '--out', out, '--json'], env);
  assert.equal(assembled.code, 0, assembled.stderr);
  const m = JSON.parse(assembled.stdout);
  assert.deepEqual([m.rows, m.chunks, m.computedChunks, m.computedRows], [240, 2, 0, 0], 'assembly computed nothing');
  const got = readNpy(out);
  const want = await createGloveAvgEmbedder().embed(texts, 'document');
  assert.equal(got.rows, 240);
  assert.deepEqual(got.data, want.data);
});

test('a corpus changed since the task was written: its cells fail with one sentence, nothing cached for them', () => {
  writeFileSync(TEXTS, texts.slice(0, 239).join('\n') + '\nsomething else\n');
  const results = path.join(dir, 'results2');
  const run = runCli(['run', TASK, '--results-dir', results, '--only', '0-120'], env);
  const task = loadTask(TASK);
  const r = JSON.parse(readFileSync(path.join(results, `${task.name}-small`, 'embed.glosses.glove-avg.document.0-120.json'), 'utf8')) as { status: string; error: string };
  assert.equal(r.status, 'failed', run.stdout + run.stderr);
  assert.match(r.error, /glosses\.txt: its documents are not the texts this task was written for \(240 texts, the task says 240, or other texts\); write the task again with vqbench embed --emit-task\.$/);
});

test('the embed section is checked like any grid section: an unknown model, a role twice, a malformed checksum → one sentence naming the field', () => {
  const write = (entry: Record<string, unknown>) => {
    const p = path.join(dir, `bad-${Math.random().toString(36).slice(2)}.json`);
    const group = { role: 'document', rows: 10, textsSha256: 'a'.repeat(64) };
    writeFileSync(p, JSON.stringify({ name: 'bad', description: 'x', grid: { embed: [{ dataset: TEXTS, model: 'glove-avg', chunkRows: 4, groups: [group], ...entry }] } }));
    return p;
  };
  assert.throws(() => loadTask(write({ model: 'glove-avrg' })), /grid\.embed\[0\]\.model names no embedder: 'glove-avrg' is neither registered nor a transformers\.js model id\.$/);
  assert.throws(() => loadTask(write({ groups: [{ role: 'query', rows: 3, textsSha256: 'b'.repeat(64) }, { role: 'query', rows: 3, textsSha256: 'c'.repeat(64) }] })), /grid\.embed\[0\]\.groups lists a role twice\.$/);
  assert.throws(() => loadTask(write({ groups: [{ role: 'document', rows: 10, textsSha256: 'xyz' }] })), /grid\.embed\[0\]\.groups\[0\]\.textsSha256 must be the sha256 of the texts \(64 hex digits\), got "xyz"\.$/);
  assert.throws(() => loadTask(write({ options: { device: 'gpu' } })), /grid\.embed\[0\]\.options\.device must be one of 'cpu', 'cuda', 'auto', got "gpu"/);
  // a good one: 10 rows at 4 per chunk → 3 cells, each estimated in finite positive seconds
  const cells = expandTask(loadTask(write({})), 'small');
  assert.deepEqual(cells.map((c) => [c.config.start, c.config.end]), [[0, 4], [4, 8], [8, 10]]);
  for (const c of cells) assert.ok(Number.isFinite(modelSeconds(c)) && modelSeconds(c) > 0, c.id);
});
