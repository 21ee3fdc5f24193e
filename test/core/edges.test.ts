// The edges of core: atomic writes that fail with one sentence naming the path (every errno we can
// produce as root for real, the others injected), cache entries verified on read, thread counts.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, test } from 'node:test';
import { atomicFs, ensureDir, writeFileAtomic } from '../../src/core/atomic.js';
import { digestOf, markerPath, readCacheEntry, readVerified, writeCacheEntry } from '../../src/core/cache-entry.js';
import { InputError } from '../../src/core/errors.js';
import { fsInputError } from '../../src/core/fs-errors.js';
import { getThreads, setThreads } from '../../src/core/parallel.js';

const dir = mkdtempSync(join(tmpdir(), 'vqbench-edges-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const original = { ...atomicFs };
afterEach(() => Object.assign(atomicFs, original));

/** An InputError of one sentence matching `pattern`, thrown synchronously by fn. */
function inputErrorSync(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected InputError, got ${(e as Error)?.stack}`);
    assert.match((e as Error).message, pattern);
    assert.doesNotMatch((e as Error).message, /\n/);
    return true;
  });
}

/** Files of `d` that are temporary siblings left behind. */
const leftovers = (d: string) => readdirSync(d).filter((f) => f.includes('.tmp-'));

function errno(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path, errno: -1 });
}

test('writeFileAtomic: a directory where the file goes (EISDIR) is one sentence naming it; nothing is written', () => {
  const d = join(dir, 'eisdir');
  mkdirSync(join(d, 'out.json'), { recursive: true });
  inputErrorSync(() => writeFileAtomic(join(d, 'out.json'), '{}'), /^cannot write .*eisdir\/out\.json: it is a directory\.$/);
  assert.deepEqual(leftovers(d), []);
});

test('writeFileAtomic: a file where a directory goes (ENOTDIR / EEXIST) names the path; the file is kept', () => {
  const d = join(dir, 'enotdir');
  mkdirSync(d);
  writeFileSync(join(d, 'keep'), 'keep');
  inputErrorSync(() => writeFileAtomic(join(d, 'keep', 'out.json'), '{}'), /^cannot write .*keep\/out\.json: a part of that path is a file, not a directory/);
  inputErrorSync(() => writeFileAtomic(join(d, 'keep', 'sub', 'out.json'), '{}'), /^cannot write .*keep\/sub\/out\.json: /);
  assert.equal(readFileSync(join(d, 'keep'), 'utf8'), 'keep');
  inputErrorSync(() => ensureDir(join(d, 'keep', 'sub')), /^cannot create the directory .*keep\/sub: /);
});

test('writeFileAtomic: a name too long (ENAMETOOLONG) names the path; no temporary file is left', () => {
  const d = join(dir, 'long');
  mkdirSync(d);
  inputErrorSync(() => writeFileAtomic(join(d, 'a'.repeat(300) + '.json'), '{}'), /^cannot write .*a{300}\.json: the name is too long\.$/);
  assert.deepEqual(readdirSync(d), []);
  // a target just under the limit is written: the temporary name is never what is too long
  writeFileAtomic(join(d, 'b'.repeat(250)), 'x');
  assert.deepEqual(readdirSync(d), ['b'.repeat(250)]);
});

test('writeFileAtomic: /dev/full is written through (never renamed over) and ENOSPC is one sentence', { skip: !existsSync('/dev/full') && 'no /dev/full' }, () => {
  inputErrorSync(() => writeFileAtomic('/dev/full', 'x'.repeat(10000)), /^cannot write \/dev\/full: no space left on the device\.$/);
  assert.ok(existsSync('/dev/full'));
  writeFileAtomic('/dev/null', 'still a device'); // a device target: written through, not replaced
  assert.equal(readFileSync('/dev/null', 'utf8'), '');
});

test('writeFileAtomic: injected ENOSPC, EROFS, EACCES, EDQUOT on write or rename → one sentence; temp removed; the old file kept', () => {
  const d = join(dir, 'inject');
  mkdirSync(d);
  const target = join(d, 'result.json');
  writeFileSync(target, 'old');
  const cases: [string, 'writeFileSync' | 'renameSync', RegExp][] = [
    ['ENOSPC', 'writeFileSync', /no space left on the device/],
    ['EROFS', 'writeFileSync', /the file system is read-only/],
    ['EACCES', 'writeFileSync', /permission denied/],
    ['EDQUOT', 'writeFileSync', /the disk quota is exceeded/],
    ['ENOSPC', 'renameSync', /no space left/],
  ];
  for (const [code, call, reason] of cases) {
    Object.assign(atomicFs, original);
    if (call === 'writeFileSync') {
      // the temporary file is created (partly written), then the write fails
      atomicFs.writeFileSync = ((p: string, data: string) => { original.writeFileSync(p, String(data).slice(0, 1)); throw errno(code, 'write', p); }) as typeof atomicFs.writeFileSync;
    } else {
      atomicFs.renameSync = ((from: string) => { throw errno(code, 'rename', from); }) as typeof atomicFs.renameSync;
    }
    inputErrorSync(() => writeFileAtomic(target, 'new content'), new RegExp(`^cannot write ${target.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ${reason.source}`));
    assert.deepEqual(leftovers(d), [], `${code} on ${call}: temporary file removed`);
    assert.equal(readFileSync(target, 'utf8'), 'old', `${code} on ${call}: the earlier file is intact`);
  }
  Object.assign(atomicFs, original);
  atomicFs.mkdirSync = ((p: string) => { throw errno('EROFS', 'mkdir', p); }) as typeof atomicFs.mkdirSync;
  inputErrorSync(() => writeFileAtomic(join(d, 'new', 'x.json'), '{}'), /^cannot write .*new\/x\.json: the file system is read-only\.$/);
});

test('fsInputError: errno errors with a path become sentences; others (bugs) stay errors', () => {
  assert.equal(fsInputError(errno('EACCES', 'open', '/x/y'))?.message, 'cannot write /x/y: permission denied.');
  assert.equal(fsInputError(errno('ENOENT', 'open', '/x/y'), '/x/y', 'read')?.message, 'cannot read /x/y: no such file or directory.');
  assert.equal(fsInputError(new TypeError('x')), null);
  assert.equal(fsInputError(Object.assign(new Error('no path'), { code: 'EACCES' })), null);
  assert.equal(fsInputError(errno('EWHATEVER', 'open', '/x')), null);
});

test('cache entries: written with a completion marker, read back verified; truncated, flipped, unmarked → null and removed', () => {
  const p = join(dir, 'cache', 'entry.bin');
  const data = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
  writeCacheEntry(p, data, { rows: 10 });
  const m = JSON.parse(readFileSync(markerPath(p), 'utf8')) as Record<string, unknown>;
  assert.equal(m.complete, true);
  assert.equal(m.bytes, 1000);
  assert.equal(m.sha256, digestOf(data).sha256);
  const e = readCacheEntry(p)!;
  assert.deepEqual(new Uint8Array(e.data), data);
  assert.deepEqual(e.extra, { rows: 10 });

  truncateSync(p, 999);
  assert.equal(readCacheEntry(p), null, 'truncated');
  assert.ok(!existsSync(p) && !existsSync(markerPath(p)), 'a corrupt entry is removed');

  writeCacheEntry(p, data);
  const b = readFileSync(p);
  b[500] ^= 1;
  writeFileSync(p, b);
  assert.equal(readCacheEntry(p), null, 'one flipped bit');

  writeCacheEntry(p, data);
  rmSync(markerPath(p));
  assert.equal(readCacheEntry(p), null, 'no completion marker: never trusted');

  writeCacheEntry(p, data);
  writeFileSync(markerPath(p), '{"complete": false}');
  assert.equal(readCacheEntry(p), null, 'a marker that does not say complete');
  assert.equal(readCacheEntry(join(dir, 'cache', 'missing.bin')), null);

  // digests kept elsewhere
  writeFileSync(p, data);
  assert.ok(readVerified(p, digestOf(data)));
  assert.equal(readVerified(p, digestOf(data.subarray(1))), null);
});

test('a cache entry whose write fails leaves no marker, so it is never read', () => {
  const p = join(dir, 'cache', 'failing.bin');
  writeCacheEntry(p, 'first');
  atomicFs.writeFileSync = ((q: string) => { throw errno('ENOSPC', 'write', q); }) as typeof atomicFs.writeFileSync;
  assert.throws(() => writeCacheEntry(p, 'second, longer'), InputError);
  Object.assign(atomicFs, original);
  assert.equal(readCacheEntry(p), null);
});

test('setThreads refuses anything but a positive integer, naming --threads; the count is unchanged', () => {
  const before = getThreads();
  for (const bad of [NaN, 0, -1, 1.5, Infinity]) inputErrorSync(() => setThreads(bad), /^--threads must be a positive integer/);
  assert.equal(getThreads(), before);
  setThreads(1);
  assert.equal(getThreads(), 1);
  setThreads(before);
});
