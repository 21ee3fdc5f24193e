/** Pure helpers of bench/native-faiss.ts and its siblings (unit-tested in test/bench/native-faiss.test.ts). */

/**
 * The command-line options the benches of our ivfpq against native faiss share (bench/native-faiss.ts,
 * ivfpq-vs-faiss.ts, batch.ts): the dataset, the query count and one IVF-PQ configuration swept over nprobe.
 */
export const IVF_PEER_OPTIONS = {
  data: { type: 'string', default: 'glove-100', describe: 'a dataset name or file (the vqbench --data grammar)' },
  queries: { type: 'number', default: 2000, describe: 'queries searched per timed loop' },
  nlist: { type: 'number', default: 1024, describe: 'IVF cells of both sides' },
  m: { type: 'number', default: 50, describe: 'PQ sub-spaces of both sides' },
  nprobe: { type: 'string', default: '1,4,16,64', describe: 'cells probed, a comma-separated sweep' },
  seed: { type: 'number', default: 1234 },
} as const;

/** A comma-separated list of positive integers ('1,4,16,64'); throws with the offending item. */
export function parseNprobeList(spec: string): number[] {
  const out = spec.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
    const v = Number(s);
    if (!/^\d+$/.test(s) || !Number.isSafeInteger(v) || v < 1) throw new Error(`--nprobe: '${s}' is not a positive integer (expected e.g. 1,4,16,64).`);
    return v;
  });
  if (out.length === 0) throw new Error('--nprobe lists no values.');
  return out;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Median (mean of the middle two for an even count), min and max of a non-empty sample. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('spread: no values');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1] };
}

/** Per-run ratios a[i] / b[i] (runs paired by index: the interleaved A B A B ...). */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new Error(`pairedRatios: ${a.length} vs ${b.length} runs`);
  return a.map((x, i) => x / b[i]);
}

/** '0.52× (0.49–0.55)': a median ratio with its min–max range over runs. */
export function formatRatio(s: Spread, digits = 2): string {
  return `${s.median.toFixed(digits)}× (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}

/** The bytes of an int32 v1.0 .npy file, rows × cols, C order (ground-truth ids for the python peer). */
export function encodeInt32Npy(ids: Int32Array, rows: number, cols: number): Uint8Array {
  if (ids.length !== rows * cols) throw new RangeError(`encodeInt32Npy: ${ids.length} ids, expected ${rows} × ${cols}`);
  let header = `{'descr': '<i4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + ids.length * 4);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const body = new DataView(out.buffer, total);
  for (let i = 0; i < ids.length; i++) body.setInt32(i * 4, ids[i], true);
  return out;
}

/** Ratio of each run's paired measurements, summarised as median and min–max. */
export function ratioSpread(a: readonly number[], b: readonly number[]): Spread {
  return spread(pairedRatios(a, b));
}

/** One timed step of an interleaved session: in run `run`, search setting `setting`, side `side`. */
export interface Step<S> {
  run: number;
  setting: S;
  side: string;
}

/**
 * The interleaved order A B A B ...: per run, per search setting, every side in turn, so the
 * measurements paired in a ratio are taken back to back under the same load; runs repeat the sweep.
 */
export function interleavedSchedule<S>(settings: readonly S[], sides: readonly string[], runs: number): Step<S>[] {
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs must be a positive integer, got ${runs}`);
  if (sides.length === 0 || settings.length === 0) throw new RangeError('interleavedSchedule: no sides or no settings');
  const out: Step<S>[] = [];
  for (let run = 1; run <= runs; run++) for (const setting of settings) for (const side of sides) out.push({ run, setting, side });
  return out;
}

/** What must be equal for two timings to share a ratio: the machine, its BLAS and the search threads. */
export interface Fingerprint {
  host: string;
  /** CPU model name (/proc/cpuinfo). */
  cpu: string;
  /** Short sha1 of the CPU's flag list, so a different instruction set shows. */
  cpuFlags: string;
  cores: number;
  /** Where libblas.so.3 resolves (the library the process mapped, when it loaded one). */
  blas: string;
  /** Threads the single-query search ran on. */
  threads: number;
  /** The Node version that drove the session and computed the ratio. */
  node: string;
  /** The timed process's own runtime ('node v20.x', 'python 3.11.2, faiss 1.7.3'): recorded, not compared. */
  runtime: string;
}

export const FINGERPRINT_KEYS = ['host', 'cpu', 'cpuFlags', 'cores', 'blas', 'threads', 'node'] as const;

/** The fingerprint fields on which two timings differ (empty: they may share a ratio). */
export function fingerprintDifferences(a: Fingerprint, b: Fingerprint): string[] {
  return FINGERPRINT_KEYS.filter((k) => a[k] !== b[k]).map((k) => `${k}: ${JSON.stringify(a[k])} vs ${JSON.stringify(b[k])}`);
}

/** Throws unless `a` and `b` were taken on the same machine fingerprint (a ratio of two machines means nothing). */
export function assertSameFingerprint(a: Fingerprint, b: Fingerprint, what: string): void {
  const diff = fingerprintDifferences(a, b);
  if (diff.length) throw new Error(`${what}: the two timings have different fingerprints (${diff.join('; ')}), so no ratio is computed.`);
}

/** Paired ratios a/b over runs, only after checking every pair shares a fingerprint. */
export function fingerprintedRatios(
  a: readonly { qps: number; fingerprint: Fingerprint }[], b: readonly { qps: number; fingerprint: Fingerprint }[], what: string,
): Spread {
  if (a.length !== b.length) throw new Error(`${what}: ${a.length} vs ${b.length} runs`);
  a.forEach((x, i) => assertSameFingerprint(x.fingerprint, b[i].fingerprint, `${what}, run ${i + 1}`));
  return ratioSpread(a.map((x) => x.qps), b.map((x) => x.qps));
}

/** True when the 1-minute load average before or after a run exceeded half the cores (the timing shared the machine). */
export function loadExceeded(before: readonly number[], after: readonly number[], cores: number): boolean {
  return Math.max(before[0] ?? 0, after[0] ?? 0) > cores / 2;
}

/** 'nprobe=4,efSearch=16' or '-' for no search parameters; the key of a setting in tables and JSON. */
export function settingLabel(setting: Readonly<Record<string, number>>): string {
  return Object.entries(setting).map(([k, v]) => `${k}=${v}`).join(',') || '-';
}
