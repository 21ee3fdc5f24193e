/**
 * The machine a timing was taken on, and how busy it was. Two QPS figures are comparable only when
 * they share a fingerprint (same CPU and flags, cores, BLAS, Node, kernel threads and k-NN kernel); the load
 * average around a timed loop says whether other work competed for the cores while it ran.
 */
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { implementationOf } from '../core/blas.js';
import { knnKernelDescription } from '../core/native/knn-native.js';
import { getThreads } from '../core/parallel.js';

export interface MachineFingerprint {
  /** A short hash of every field below: the same machine with the same settings gives the same id. */
  id: string;
  cpu: string;
  /** The SIMD-relevant CPU flags present (SIMD_FLAGS), sorted; empty when /proc/cpuinfo is absent. */
  simdFlags: string[];
  /** sha256 (first 12 hex digits) of the whole CPU flag line, null when /proc/cpuinfo is absent. */
  flagsHash: string | null;
  cores: number;
  /** The implementation libblas.so.3 resolves to ('OpenBLAS (pthread)', 'reference BLAS (netlib)', 'none'). */
  blas: string;
  node: string;
  /** Worker threads of the kernels (src/core/parallel.ts) when the fingerprint was taken. */
  threads: number;
  /** What runs exact k-NN: 'native (OpenBLAS Haswell, avx512 scan, 1 thread per call)', 'wasm-simd128' or 'js (<reason>)'. */
  knnKernel: string;
}

/** CPU flags that change which kernels run fast: x86 SSE/AVX/FMA families and ARM's NEON (asimd) and SVE. */
export const SIMD_FLAGS: ReadonlySet<string> = new Set([
  'sse2', 'ssse3', 'sse4_1', 'sse4_2', 'avx', 'avx2', 'fma', 'f16c', 'avx512f', 'avx512dq', 'avx512bw', 'avx512vl', 'avx512cd',
  'avx512_vnni', 'avx512_bf16', 'avx512_fp16', 'avx_vnni', 'amx_tile', 'neon', 'asimd', 'asimdhp', 'asimddp', 'sve', 'sve2',
]);

/** The CPU flag line of /proc/cpuinfo text: x86's `flags`, ARM's `Features` (first processor); null when neither is there. */
export function cpuFlagLine(cpuinfo: string): string | null {
  const m = /^(?:flags|Features)\s*:\s*(.*)$/m.exec(cpuinfo);
  return m ? m[1].trim() : null;
}

const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

function readCpuinfo(): string | null {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null; // not Linux
  }
}

/** The BLAS behind libblas.so.3 by its link alone (blasDetails' dpkg queries take a second; a fingerprint is taken per job). */
function blasImplementation(): string {
  const arch = process.arch === 'arm64' ? 'aarch64' : process.arch === 'x64' ? 'x86_64' : process.arch;
  try {
    return implementationOf(realpathSync(`/usr/lib/${arch}-linux-gnu/libblas.so.3`));
  } catch {
    return implementationOf(null);
  }
}

let machine: Omit<MachineFingerprint, 'id' | 'threads' | 'simdFlags' | 'flagsHash' | 'knnKernel'> & { flagLine: string | null } | null = null;

/**
 * The fingerprint of this machine now. The hardware part is read once per process; `threads`
 * (default: the kernels' current count) and `cpuinfo` (default: /proc/cpuinfo) can be given.
 */
export function machineFingerprint(opts: { threads?: number; cpuinfo?: string | null } = {}): MachineFingerprint {
  machine ??= { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, blas: blasImplementation(), node: process.version, flagLine: null };
  const flagLine = opts.cpuinfo !== undefined ? (opts.cpuinfo === null ? null : cpuFlagLine(opts.cpuinfo)) : (machine.flagLine ??= cpuFlagLine(readCpuinfo() ?? ''));
  const flags = flagLine === null ? [] : flagLine.split(/\s+/);
  const rest = {
    cpu: machine.cpu,
    simdFlags: [...new Set(flags.filter((f) => SIMD_FLAGS.has(f)))].sort(),
    flagsHash: flagLine === null ? null : shortHash(flagLine),
    cores: machine.cores, blas: machine.blas, node: machine.node,
    threads: opts.threads ?? getThreads(),
    knnKernel: knnKernelDescription(),
  };
  return { id: shortHash(JSON.stringify(rest)), ...rest };
}

/** The 1-minute load average around a timed stretch, and the cores it is measured against. */
export interface LoadReading {
  before: number;
  after: number;
  cores: number;
}

/** Where the 1-minute load average comes from (injected by tests). */
export type LoadAverage = () => number;
export const oneMinuteLoad: LoadAverage = () => loadavg()[0];

/** Runs `timed`, reading the load average right before and right after it. */
export async function underLoad<T>(timed: () => Promise<T>, cores: number, load: LoadAverage = oneMinuteLoad): Promise<{ value: T; load: LoadReading }> {
  const before = load();
  const value = await timed();
  return { value, load: { before, after: load(), cores } };
}

/** A sentence when the load average exceeded half the cores (other work shared the machine), else null. */
export function loadWarning(l: LoadReading): string | null {
  const peak = Math.max(l.before, l.after);
  if (!(peak > l.cores / 2)) return null;
  return `the 1-minute load average was ${Number(peak.toFixed(2))} on ${l.cores} core${l.cores === 1 ? '' : 's'} while this configuration was timed; its timings are unreliable.`;
}

/** What the fingerprint and load fields of a timed result mean (index and insert cells' definitions). */
export const FINGERPRINT_DEFINITIONS: Readonly<Record<string, string>> = {
  fingerprint:
    'the machine the timing was taken on: CPU model, its SIMD-relevant flags (sorted) and a hash of the whole /proc/cpuinfo flag line, cores, the BLAS libblas.so.3 resolves to, ' +
    'Node version, kernel threads and the exact k-NN kernel (knnKernel: native OpenBLAS, wasm-simd128 or js); id = a short sha256 of all of them (same machine and settings, same id; timings with different ids are not comparable)',
  load: "{before, after, cores}: the 1-minute load average (os.loadavg) right before the first timed run (insert cells: batch) and right after the last, and the machine's cores; it includes this process's own earlier work (a multi-threaded build or ground truth raises it)",
  loadWarning: 'a sentence when max(load.before, load.after) exceeded half the cores while the configuration (insert cells: the batches) was timed (other work competed for the CPU, so its timings are unreliable), else null',
};
