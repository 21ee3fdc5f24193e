// precomputed vectors (.npy / .fvecs, row i ↔ text i) and the embedder registry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { Matrix } from '../../src/core/matrix.js';
import { writeFvecs } from '../../src/data/fvecs.js';
import { writeNpy } from '../../src/data/npy.js';
import { PrecomputedEmbedder } from '../../src/embed/precomputed.js';
import { createEmbedder, EMBEDDER_IDS, EMBEDDERS } from '../../src/embed/registry.js';

let dir = '';
const m = Matrix.fromRows([[3, 4], [1, 0], [0, -2]]);
before(() => { dir = mkdtempSync(join(tmpdir(), 'vqbench-pre-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

test('precomputed: .npy and .fvecs rows come back as stored, in order', async () => {
  writeNpy(join(dir, 'v.npy'), m);
  writeFvecs(join(dir, 'v.fvecs'), m);
  for (const f of ['v.npy', 'v.fvecs']) {
    const e = await createEmbedder('precomputed', { vectors: join(dir, f) });
    assert.equal(e.dim, 2);
    assert.equal(e.id, `precomputed:${f}`);
    const out = await e.embed(['a', 'b', 'c'], 'document');
    assert.deepEqual(Array.from(out.data), [3, 4, 1, 0, 0, -2]);
  }
  const n = new PrecomputedEmbedder({ vectors: join(dir, 'v.npy'), normalize: true });
  assert.deepEqual(Array.from((await n.embed(['a', 'b', 'c'], 'query')).data), [0.6, 0.8, 1, 0, 0, -1].map((x) => Math.fround(x)));
  assert.notEqual(n.id, 'precomputed:v.npy');
});

test('precomputed: a wrong row count is one sentence naming the file and both counts', async () => {
  const e = new PrecomputedEmbedder({ vectors: join(dir, 'v.npy') });
  await assert.rejects(e.embed(['a', 'b'], 'document'), (err: Error) => {
    assert.ok(err instanceof InputError);
    assert.ok(err.message.includes(join(dir, 'v.npy')));
    assert.match(err.message, /holds 3 vectors but 2 texts were given/);
    return true;
  });
});

test('precomputed: missing option, bad extension, missing file, NaN are InputErrors', async () => {
  await assert.rejects(createEmbedder('precomputed', {}), /precomputed needs --vectors/);
  writeFileSync(join(dir, 'v.csv'), '1,2\n');
  await assert.rejects(createEmbedder('precomputed', { vectors: join(dir, 'v.csv') }), /expected a \.npy or \.fvecs file/);
  await assert.rejects(createEmbedder('precomputed', { vectors: join(dir, 'nope.npy') }), /nope\.npy does not exist/);
  writeNpy(join(dir, 'nan.npy'), Matrix.fromRows([[1, NaN]]));
  await assert.rejects(createEmbedder('precomputed', { vectors: join(dir, 'nan.npy') }), (err: Error) => err instanceof InputError && /NaN/.test(err.message));
  // the version follows the contents, so the cache never serves stale vectors for a rewritten file
  writeNpy(join(dir, 'w.npy'), m);
  const v1 = new PrecomputedEmbedder({ vectors: join(dir, 'w.npy') }).version;
  writeNpy(join(dir, 'w.npy'), Matrix.fromRows([[3, 4], [1, 0], [0, -3]]));
  assert.notEqual(new PrecomputedEmbedder({ vectors: join(dir, 'w.npy') }).version, v1);
});

test('registry: the four ids, frozen; unknown ids get did-you-mean; ids with / go to transformers.js', async () => {
  assert.deepEqual(EMBEDDER_IDS, ['bge-large', 'use-lite', 'glove-avg', 'precomputed']);
  assert.ok(Object.isFrozen(EMBEDDERS));
  assert.equal(EMBEDDERS['bge-large'].dim, 1024);
  await assert.rejects(createEmbedder('use-lit'), (err: Error) => {
    assert.ok(err instanceof InputError);
    assert.match(err.message, /unknown embedder 'use-lit'; did you mean 'use-lite'\?/);
    assert.match(err.message, /known: bge-large, use-lite, glove-avg, precomputed/);
    return true;
  });
  await assert.rejects(createEmbedder('toString'), /unknown embedder 'toString'/);
  // an HF-looking id reaches the transformers embedder (here: offline, not cached → where it looked)
  await assert.rejects(createEmbedder('Xenova/all-MiniLM-L6-v2', { offline: true }), /Xenova\/all-MiniLM-L6-v2.*not available offline/);
});
