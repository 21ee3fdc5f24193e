/**
 * Chroma is reported as "not run": its server binary (the chromadb package's Rust bindings) needs
 * glibc ≥ 2.38, and Debian 12 ships glibc 2.36. The reason names the glibc version detected on this
 * machine, so a result file says exactly why.
 */
import { execFileSync } from 'node:child_process';
import { UnavailableError } from '../core/errors.js';
import { defineIndex } from './descriptor.js';
import type { IndexCapabilities } from './types.js';

/** glibc version Chroma's server needs. */
export const CHROMA_MIN_GLIBC = '2.38';

let detected: string | null | undefined;

/** The running glibc version ('2.36'), from Node's process report, else `ldd --version`; null if neither says. */
export function glibcVersion(): string | null {
  if (detected !== undefined) return detected;
  detected = null;
  try {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    if (header?.glibcVersionRuntime) detected = header.glibcVersionRuntime;
  } catch {
    // no process report: fall through to ldd
  }
  if (!detected) {
    try {
      const out = execFileSync('ldd', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const m = out.split('\n')[0].match(/(\d+\.\d+)\s*$/);
      if (m) detected = m[1];
    } catch {
      // not glibc (musl) or no ldd
    }
  }
  return detected;
}

function versionLess(a: string, b: string): boolean {
  const pa = a.split('.').map(Number), pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0, y = pb[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}

/** The UnavailableError the harness records for Chroma (status "not run", with this reason). */
export function chromaUnavailable(): UnavailableError {
  const v = glibcVersion();
  if (v === null) {
    return new UnavailableError(`Chroma not run: its server needs glibc ≥ ${CHROMA_MIN_GLIBC}, and no glibc was detected on this machine.`);
  }
  if (versionLess(v, CHROMA_MIN_GLIBC)) {
    return new UnavailableError(`Chroma not run: its server needs glibc ≥ ${CHROMA_MIN_GLIBC}, this machine has glibc ${v} (Debian 12 ships 2.36).`);
  }
  return new UnavailableError(`Chroma not run: vqbench has no Chroma adapter yet (glibc ${v} here would be new enough).`);
}

/** The reason Chroma is not run here (one sentence), for the descriptor and result files. */
export function chromaReason(): string {
  return chromaUnavailable().message;
}

/**
 * Chroma's descriptor: no adapter and no parameters; it is listed so that task files and reports can
 * name it, and every run records it as "not run" with the glibc sentence above.
 */
export const descriptor = defineIndex({
  id: 'chroma',
  describe: 'Chroma, the paper\'s vector database (not run: its server needs a newer glibc than this machine has)',
  buildParams: {},
  searchParams: {},
  capabilities: Object.freeze<IndexCapabilities>({
    add: false, remove: false, filter: false, batch: false, threads: false, metrics: [], asyncSearch: false, exactMemory: false,
  }),
  unavailable: chromaReason,
  create: () => {
    throw chromaUnavailable();
  },
  cost: () => ({ buildSeconds: 0, querySeconds: () => 0, addSecondsPerRow: 0 }),
  paperMatch: () => ({ method: 'Chroma', sameSetting: true, paperSetting: 'default settings' }),
});
