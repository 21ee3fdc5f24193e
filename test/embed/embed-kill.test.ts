// test-lane: serial (kills the embedder once its first chunk is on disk: a race against its progress)
// A real kill: `vqbench embed` (use-lite, 160 WordNet glosses, chunks of 20) is SIGKILLed once its
// second chunk is cached; the same command then computes only the chunks that are missing, and the
// output equals an uninterrupted embedding of the same texts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy } from '../../src/data/npy.js';
import { UseLiteEmbedder } from '../../src/embed/use-lite.js';
import { runCli } from '../helpers/cli.js';
import { wordnetGlosses } from './wordnet-texts.js';

const BIN = fileURLToPath(new URL('../../bin/vqbench.mjs', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'vqbench-embed-kill-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const texts = wordnetGlosses(160);
const TEXTS = path.join(dir, 'glosses.txt');
writeFileSync(TEXTS, texts.join('\n') + '\n');
const env = { ...process.env, VQBENCH_CACHE: path.join(dir, 'cache'), VQBENCH_PROGRESS: '0' };
const args = ['embed', '--dataset', TEXTS, '--model', 'use-lite', '--chunk-rows', '20', '--out', path.join(dir, 'v.npy'), '--json'];

/** The chunk files with their completion marker, under the embeddings cache. */
function cachedChunks(): number {
  const root = path.join(dir, 'cache', 'embeddings');
  if (!existsSync(root)) return 0;
  let n = 0;
  for (const model of readdirSync(root)) for (const key of readdirSync(path.join(root, model))) n += readdirSync(path.join(root, model, key)).filter((f) => f.endsWith('.npy.done.json')).length;
  return n;
}

test('SIGKILL after two chunks, then the same command computes only the rest; the output equals one uninterrupted embedding', async () => {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  let killedAt = -1;
  while (child.exitCode === null && child.signalCode === null) {
    const n = cachedChunks();
    if (n >= 2) { child.kill('SIGKILL'); killedAt = n; break; }
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(await exited, 'SIGKILL', 'killed mid-job, before its 8 chunks were done');
  const cached = cachedChunks();
  assert.ok(cached >= killedAt && cached < 8, `${cached} chunks cached when killed`);
  assert.ok(!existsSync(path.join(dir, 'v.npy')), 'no output from the killed job');

  const r = runCli(args, { VQBENCH_CACHE: env.VQBENCH_CACHE });
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  assert.deepEqual([m.chunks, m.computedChunks, m.computedRows], [8, 8 - cached, 160 - 20 * cached]);
  const got = readNpy(path.join(dir, 'v.npy'));
  const want = await new UseLiteEmbedder().embed(texts, 'document');
  assert.equal(got.rows, 160);
  let worst = 1;
  for (let i = 0; i < 160; i++) {
    let dot = 0;
    for (let j = 0; j < 512; j++) dot += got.data[i * 512 + j] * want.data[i * 512 + j];
    worst = Math.min(worst, dot);
  }
  // use-lite pads a batch to its longest text, so batch companions move a vector in the last digits only
  assert.ok(worst > 1 - 1e-5, `every row equals the uninterrupted one (lowest cosine ${worst})`);
});
