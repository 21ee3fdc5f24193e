// Peak RSS of a cell process must be its own, not the runner's it was forked from.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const MEMORY = fileURLToPath(new URL('../../src/core/memory.ts', import.meta.url));

test('peakRssBytes: a child of a 600 MiB parent reports its own small peak', { skip: process.platform !== 'linux' && 'Linux only (VmHWM)' }, () => {
  const big = Buffer.alloc(600 * 1024 * 1024, 1); // the parent's RSS high-water mark goes past 600 MiB
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e',
    `import('${MEMORY}').then((m) => console.log(JSON.stringify({ own: m.peakRssBytes(), ru: process.resourceUsage().maxRSS * 1024 })))`]).toString();
  const { own, ru } = JSON.parse(out) as { own: number; ru: number };
  assert.ok(big[big.length - 1] === 1);
  assert.ok(own < 300 * 1024 * 1024, `child peak ${own} bytes`);
  assert.ok(own > 10 * 1024 * 1024, 'a node process holds more than 10 MiB');
  // getrusage may carry the parent's mark across execve (kernel- and spawn-dependent): not asserted
  assert.ok(ru > 0);
});
