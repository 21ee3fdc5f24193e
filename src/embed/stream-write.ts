/**
 * Writing a large output piece by piece, atomically: the pieces go to a temporary sibling, which is
 * renamed over the target only when all are written, so a killed assembly leaves the old file (or
 * none) and never half a file. Used for embedding outputs that do not fit in memory at once (the
 * cached chunks, streamed into one .npy). A failure the user can cause is one sentence naming the
 * target (src/core/fs-errors.ts); the temporary file is removed.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureDir, tempSibling } from '../core/atomic.js';
import { fsInputError } from '../core/fs-errors.js';

export function writeStreamAtomic(path: string, pieces: Iterable<Uint8Array | string>): void {
  ensureDir(dirname(path), path);
  const tmp = tempSibling(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    for (const p of pieces) {
      const buf = typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
      for (let off = 0; off < buf.byteLength;) off += writeSync(fd, buf, off, buf.byteLength - off);
    }
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) try { closeSync(fd); } catch { /* already failing */ }
    try { rmSync(tmp, { force: true }); } catch { /* the original error says why */ }
    throw fsInputError(e, path, 'write') ?? e;
  }
}

/** The header of a float32 C-order v1.0 .npy file of rows × dim (padded to 64 bytes, as encodeNpy writes it). */
export function npyHeader(rows: number, dim: number): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${dim}), }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], 0); // \x93NUMPY
  out[6] = 1;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  return out;
}
