/** Pure helpers of bench/native-faiss.ts (unit-tested in test/bench/native-faiss.test.ts). */

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
