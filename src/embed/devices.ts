/**
 * Where an embedder runs: `cpu`, `cuda` (onnxruntime-node's CUDA execution provider, for the
 * transformers.js embedder) or `auto` (cuda when it starts, else the CPU with a printed note).
 *
 * onnxruntime-node (Linux x64 builds) compiles the CUDA provider in but does not bundle it: its
 * `listSupportedBackends()` lists `cuda` with `bundled: false`, and the provider is two shared
 * libraries (`libonnxruntime_providers_cuda.so`, `libonnxruntime_providers_shared.so`) that its
 * install script downloads beside the binding only when asked (`--onnxruntime-node-install=cuda12`).
 * So the provider is "there" when those files are; whether it then starts (an NVIDIA driver, CUDA 12
 * and cuDNN 9 on the machine) only creating a session tells, which the transformers embedder does.
 * Checking the files first also keeps onnxruntime's own multi-line error log off the terminal.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InputError } from '../core/errors.js';

export type Device = 'cpu' | 'cuda' | 'auto';
export const DEVICES: readonly Device[] = ['cpu', 'cuda', 'auto'];
/** Where an embedder ended up running. */
export type ResolvedDevice = 'cpu' | 'cuda';

/**
 * How a user gets the provider: onnxruntime-node's install script downloads the CUDA 12 binaries
 * (NuGet) when its install flag says so; vqbench's .npmrc sets `onnxruntime-node-install=skip`, and
 * the script reads the environment variable before npm's configuration, so this overrides it.
 */
export const CUDA_INSTALL_HINT =
  'get it with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` (vqbench\'s .npmrc skips it; ' +
  'needs a network, an NVIDIA driver, CUDA 12 and cuDNN 9), or use --device cpu';

export const CUDA_PROVIDER_FILES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'] as const;

export type CudaStatus = { available: true; binDir: string } | { available: false; reason: string };

export function parseDevice(v: string | undefined, flag = '--device'): Device {
  if (v === undefined) return 'cpu';
  if ((DEVICES as readonly string[]).includes(v)) return v as Device;
  throw new InputError(`${flag}: expected one of ${DEVICES.join(', ')}, got '${v}'.`);
}

interface OrtPackage {
  /** The folder of its native binding for this platform. */
  binDir: string;
  /** The execution providers compiled into the binding (`bundled: false`: shipped separately). */
  listSupportedBackends?: () => { name: string; bundled: boolean }[];
}

/** onnxruntime-node as transformers.js resolves it, or null when it cannot be loaded. */
export function ortPackage(): OrtPackage | null {
  try {
    const fromTransformers = createRequire(createRequire(import.meta.url).resolve('@huggingface/transformers'));
    const main = fromTransformers.resolve('onnxruntime-node'); // <pkg>/dist/index.js
    const ort = fromTransformers('onnxruntime-node') as { listSupportedBackends?: OrtPackage['listSupportedBackends'] };
    return { binDir: join(dirname(dirname(main)), 'bin', 'napi-v6', process.platform, process.arch), listSupportedBackends: ort.listSupportedBackends };
  } catch {
    return null;
  }
}

/**
 * Is onnxruntime-node's CUDA execution provider installed? `ort` is the installed package (tests
 * pass their own); the reason, when not, is one clause without a period.
 */
export function cudaProviderStatus(ort: OrtPackage | null = ortPackage()): CudaStatus {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { available: false, reason: `onnxruntime-node has a CUDA execution provider on Linux x64 only, this is ${process.platform}/${process.arch}` };
  }
  if (ort === null) return { available: false, reason: 'onnxruntime-node (the runtime of @huggingface/transformers) cannot be loaded' };
  let list: { name: string }[] = [];
  try {
    list = ort.listSupportedBackends?.() ?? [];
  } catch {
    // an old binding without the list: the file check below decides
  }
  if (list.length > 0 && !list.some((b) => b.name === 'cuda')) {
    return { available: false, reason: `the installed onnxruntime-node was built without the CUDA execution provider (it lists ${list.map((b) => b.name).join(', ')})` };
  }
  const missing = CUDA_PROVIDER_FILES.filter((f) => !existsSync(join(ort.binDir, f)));
  if (missing.length) {
    return { available: false, reason: `the installed onnxruntime-node has no CUDA execution provider (${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing in ${ort.binDir})` };
  }
  return { available: true, binDir: ort.binDir };
}

/** A native error message as one clause: first line, no ANSI colours, no trailing period. */
export function nativeErrorClause(e: unknown): string {
  // eslint-disable-next-line no-control-regex
  const s = String((e as Error)?.message ?? e).replace(/\u001b\[[0-9;]*m/g, '');
  let line = s.split('\n')[0];
  const stamp = line.search(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/); // onnxruntime appends its log line to the message
  if (stamp > 0) line = line.slice(0, stamp);
  return line.trim().replace(/\.$/, '') || 'unknown error';
}
