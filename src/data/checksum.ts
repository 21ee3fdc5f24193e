import { createHash } from 'node:crypto';

/** sha256 of the given byte chunks, hex, first 16 characters: names caches and result records. */
export function checksum(...chunks: (Uint8Array | string)[]): string {
  return checksumOf(chunks);
}

/** `checksum` of chunks handed out one at a time (a file streamed chunk by chunk hashes as if whole). */
export function checksumOf(chunks: Iterable<Uint8Array | string>): string {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return h.digest('hex').slice(0, 16);
}

/** Bytes of a float32 array, without a copy. */
export function floatBytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
