/**
 * Which BLAS / LAPACK the system's shared libraries resolve to (Debian's alternatives system).
 *
 * numpy, scipy and python3-faiss link libblas.so.3 / liblapack.so.3, which Debian points at one
 * implementation through update-alternatives; faiss-node (scripts/build-faiss-node.sh) links
 * libopenblas.so.0 directly. The reference BLAS is ~9x slower than OpenBLAS on the kernels that
 * matter here, so every result records which one it ran on (`blasInfo()`), and the set-up warns.
 *
 * Printed by scripts/blas-info.ts (`npm run blas-info`, `--json` for the details).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';

export interface BlasLibrary {
  /** The soname asked for, e.g. 'libblas.so.3'. */
  soname: string;
  /** The alternatives link, e.g. /usr/lib/x86_64-linux-gnu/libblas.so.3, or null if absent. */
  link: string | null;
  /** What the link resolves to, or null if it does not exist. */
  target: string | null;
  /** Human name of the implementation: 'OpenBLAS (pthread)', 'reference BLAS (netlib)', ... */
  implementation: string;
  /** Debian package that owns `target` and its version, when dpkg knows. */
  debianPackage: string | null;
  version: string | null;
  /** 'auto' or 'manual' (update-alternatives mode), null when unknown. */
  mode: string | null;
}

export interface BlasDetails {
  blas: BlasLibrary;
  lapack: BlasLibrary;
  openblas: BlasLibrary;
  /** True when the reference BLAS is selected although OpenBLAS is installed. */
  referenceSelectedWhileOpenblasInstalled: boolean;
  /** Path of the OpenBLAS libblas.so.3 alternative, if one is installed. */
  openblasAlternative: string | null;
}

function run(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch {
    return null;
  }
}

function multiarch(): string {
  const fromGcc = run('gcc', ['-print-multiarch'])?.trim();
  if (fromGcc) return fromGcc;
  const arch = process.arch === 'arm64' ? 'aarch64' : process.arch === 'x64' ? 'x86_64' : process.arch;
  return `${arch}-linux-gnu`;
}

/** Name an implementation from the path a BLAS/LAPACK soname resolves to. */
export function implementationOf(target: string | null): string {
  if (!target) return 'none';
  const p = target.toLowerCase();
  const openblasFlavour = /openblas-(pthread|openmp|serial|64-pthread|64-openmp|64-serial)/.exec(p)?.[1];
  if (openblasFlavour) return `OpenBLAS (${openblasFlavour})`;
  if (p.includes('openblas')) return 'OpenBLAS';
  if (p.includes('blis')) return 'BLIS';
  if (p.includes('atlas')) return 'ATLAS';
  if (p.includes('mkl') || p.includes('intel')) return 'Intel MKL';
  if (/\/(blas|lapack)\/lib(blas|lapack)\.so/.test(p)) return 'reference (netlib)';
  return `unknown (${target})`;
}

function alternativesQuery(name: string): { mode: string | null; alternatives: string[] } {
  const out = run('update-alternatives', ['--query', name]);
  if (!out) return { mode: null, alternatives: [] };
  const mode = /^Status:\s*(\S+)/m.exec(out)?.[1] ?? null;
  const alternatives = [...out.matchAll(/^Alternative:\s*(\S+)/gm)].map((m) => m[1]!);
  return { mode, alternatives };
}

function owner(path: string): { pkg: string | null; version: string | null } {
  const s = run('dpkg-query', ['-S', path]);
  const pkg = s ? (s.split('\n')[0]!.split(':')[0] ?? '').trim() || null : null;
  if (!pkg) return { pkg: null, version: null };
  const version = run('dpkg-query', ['-W', '-f=${Version}', pkg])?.trim() || null;
  return { pkg, version };
}

function describe(soname: string, dir: string, altName: string): BlasLibrary {
  const link = `${dir}/${soname}`;
  const exists = existsSync(link);
  let target: string | null = null;
  if (exists) {
    try { target = realpathSync(link); } catch { target = null; }
  }
  const { mode } = alternativesQuery(altName);
  const { pkg, version } = target ? owner(target) : { pkg: null, version: null };
  return {
    soname,
    link: exists ? link : null,
    target,
    implementation: implementationOf(target),
    debianPackage: pkg,
    version,
    mode,
  };
}

let cached: BlasDetails | null = null;

/** Structured description of the BLAS, LAPACK and OpenBLAS libraries the system resolves to. */
export function blasDetails(): BlasDetails {
  if (cached) return cached;
  const ma = multiarch();
  const dir = `/usr/lib/${ma}`;
  const blas = describe('libblas.so.3', dir, `libblas.so.3-${ma}`);
  const lapack = describe('liblapack.so.3', dir, `liblapack.so.3-${ma}`);
  const openblas = describe('libopenblas.so.0', dir, `libopenblas.so.0-${ma}`);
  const alts = alternativesQuery(`libblas.so.3-${ma}`).alternatives;
  const openblasAlternative = alts.find((a) => a.includes('openblas')) ?? null;
  cached = {
    blas,
    lapack,
    openblas,
    referenceSelectedWhileOpenblasInstalled: blas.implementation.startsWith('reference') && openblasAlternative !== null,
    openblasAlternative,
  };
  return cached;
}

function short(lib: BlasLibrary): string {
  if (!lib.target) return `${lib.soname}: not installed`;
  const ver = lib.version ? ` ${lib.version.replace(/\+.*$/, '')}` : '';
  return `${lib.implementation}${ver} [${lib.soname} -> ${lib.target}${lib.mode ? `, ${lib.mode}` : ''}]`;
}

/** One line naming the BLAS behind libblas.so.3 (and LAPACK when it differs). */
export function blasInfo(): string {
  const d = blasDetails();
  let s = short(d.blas);
  if (d.lapack.implementation !== d.blas.implementation) s += `; LAPACK: ${short(d.lapack)}`;
  if (d.referenceSelectedWhileOpenblasInstalled) {
    s += `; WARNING: reference BLAS selected although OpenBLAS is installed (update-alternatives --set libblas.so.3-${multiarch()} ${d.openblasAlternative})`;
  }
  return s;
}
