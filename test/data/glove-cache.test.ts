// The parsed GloVe word table is a verified cache entry: an intact entry (here a tiny table written
// with its completion marker) is what loadGloveWords returns; an entry that fails verification is
// never returned. (Rebuilding from the 307 MB package takes ~20 s, so the rebuild itself is checked
// only when VQBENCH_SLOW_TESTS=1.)
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeCacheEntry } from '../../src/core/cache-entry.js';
import { Matrix } from '../../src/core/matrix.js';
import { GLOVE_PACKAGE, glovePackageInfo, loadGloveWords } from '../../src/data/glove-words.js';
import { encodeNpy } from '../../src/data/npy.js';

const dir = mkdtempSync(join(tmpdir(), 'vqbench-glove-cache-'));
const saved = process.env.VQBENCH_CACHE;
process.env.VQBENCH_CACHE = dir; // a temporary cache: this test writes a fake table into it
after(() => {
  rmSync(dir, { recursive: true, force: true });
  if (saved === undefined) delete process.env.VQBENCH_CACHE;
  else process.env.VQBENCH_CACHE = saved;
});

let installed = true;
try { glovePackageInfo(); } catch { installed = false; }

test('glove-words: a complete, verified cache entry is used; a flipped one is not', { skip: !installed && `${GLOVE_PACKAGE} not installed` }, () => {
  const { version } = glovePackageInfo();
  const stem = join(dir, 'glove-words', `${GLOVE_PACKAGE}-v${version}`);
  const tiny = new Matrix(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3);
  writeCacheEntry(`${stem}.npy`, encodeNpy(tiny));
  writeCacheEntry(`${stem}.words.json`, JSON.stringify(['alpha', 'beta']) + '\n');
  const t = loadGloveWords();
  assert.deepEqual(t.words, ['alpha', 'beta']);
  assert.deepEqual([...t.vectors.data], [1, 2, 3, 4, 5, 6]);
});

test('glove-words: a corrupt entry is rebuilt from the package (slow)', { skip: process.env.VQBENCH_SLOW_TESTS !== '1' && 'set VQBENCH_SLOW_TESTS=1 (parses the 307 MB package)' }, async () => {
  const { version } = glovePackageInfo();
  const npy = join(dir, 'glove-words', `${GLOVE_PACKAGE}-v${version}.npy`);
  const b = readFileSync(npy);
  b[b.length - 1] ^= 1;
  writeFileSync(npy, b);
  // a fresh module instance (the table is memoized per process)
  const fresh = await import(`../../src/data/glove-words.js?fresh=${Date.now()}`) as typeof import('../../src/data/glove-words.js');
  const t = fresh.loadGloveWords();
  assert.ok(t.words.length > 300000, 'rebuilt from the package, not the tiny corrupt table');
});
