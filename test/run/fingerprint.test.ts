// The machine fingerprint of a timing (stable id, SIMD flags from /proc/cpuinfo, threads in the id)
// and the load-average warning around a timed stretch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { getThreads, setThreads } from '../../src/core/parallel.js';
import { cpuFlagLine, loadWarning, machineFingerprint, underLoad } from '../../src/run/fingerprint.js';

const X86 = 'processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 ssse3 avx2 fma sse4_2 avx512f pni avx\nbugs\t\t: sysret_ss_attrs\n\nprocessor\t: 1\nflags\t\t: fpu\n';
const ARM = 'processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes crc32 asimddp sve\nCPU implementer\t: 0x41\n';

test('cpuFlagLine: x86 flags and ARM Features of the first processor; none without either', () => {
  assert.equal(cpuFlagLine(X86), 'fpu sse2 ssse3 avx2 fma sse4_2 avx512f pni avx');
  assert.equal(cpuFlagLine(ARM), 'fp asimd evtstrm aes crc32 asimddp sve');
  assert.equal(cpuFlagLine('processor\t: 0\n'), null);
});

test('machineFingerprint: sorted SIMD flags, a hash of the whole flag line, and an id that is stable and follows the threads', () => {
  const a = machineFingerprint({ cpuinfo: X86, threads: 2 });
  assert.deepEqual(a.simdFlags, ['avx', 'avx2', 'avx512f', 'fma', 'sse2', 'sse4_2', 'ssse3']);
  assert.equal(a.flagsHash, createHash('sha256').update('fpu sse2 ssse3 avx2 fma sse4_2 avx512f pni avx').digest('hex').slice(0, 12));
  assert.deepEqual(machineFingerprint({ cpuinfo: ARM, threads: 2 }).simdFlags, ['asimd', 'asimddp', 'sve']);
  assert.match(a.id, /^[0-9a-f]{12}$/);
  assert.deepEqual(machineFingerprint({ cpuinfo: X86, threads: 2 }), a, 'same machine, same settings: same fingerprint');
  assert.notEqual(machineFingerprint({ cpuinfo: X86, threads: 1 }).id, a.id, 'another thread count is another id');
  assert.notEqual(machineFingerprint({ cpuinfo: ARM, threads: 2 }).id, a.id, 'other CPU flags are another id');
  const none = machineFingerprint({ cpuinfo: null, threads: 2 });
  assert.deepEqual([none.simdFlags, none.flagsHash], [[], null]);
  assert.equal(a.node, process.version);
  assert.equal(a.cores, cpus().length);
});

test('machineFingerprint of this machine: /proc/cpuinfo read, threads from the kernels\' setting', () => {
  const before = getThreads();
  try {
    const now = machineFingerprint();
    assert.deepEqual(machineFingerprint(), now, 'two calls, one id');
    assert.equal(now.threads, before);
    if (existsSync('/proc/cpuinfo')) {
      const line = cpuFlagLine(readFileSync('/proc/cpuinfo', 'utf8'));
      assert.equal(now.flagsHash, line === null ? null : createHash('sha256').update(line).digest('hex').slice(0, 12));
    }
    setThreads(before === 1 ? 2 : 1);
    const other = machineFingerprint();
    assert.notEqual(other.id, now.id, '--threads changes the id');
    assert.deepEqual({ ...other, id: '', threads: 0 }, { ...now, id: '', threads: 0 }, 'and nothing else');
  } finally {
    setThreads(before);
  }
});

test('loadWarning: a sentence when the load average exceeded half the cores, before or after; null otherwise', () => {
  assert.equal(loadWarning({ before: 1, after: 0.4, cores: 2 }), null, 'exactly half is not over it');
  assert.equal(loadWarning({ before: 0.2, after: 1.7, cores: 2 }),
    'the 1-minute load average was 1.7 on 2 cores while this configuration was timed; its timings are unreliable.');
  assert.match(loadWarning({ before: 3.14159, after: 0, cores: 4 })!, /was 3\.14 on 4 cores/);
});

test('underLoad: reads the load right before and right after the timed work', async () => {
  const readings = [0.5, 7];
  const seen: string[] = [];
  const { value, load } = await underLoad(async () => {
    seen.push('timed');
    return 42;
  }, 2, () => {
    seen.push('load');
    return readings.shift()!;
  });
  assert.equal(value, 42);
  assert.deepEqual(seen, ['load', 'timed', 'load']);
  assert.deepEqual(load, { before: 0.5, after: 7, cores: 2 });
});
