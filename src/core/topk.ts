/**
 * Top-k selection with bounded max-heaps kept in flat typed arrays: heap q occupies
 * [q·k, q·k + k) of `dists` and `ids`. The root holds the worst of the k kept, so a candidate is
 * rejected with one comparison; nothing is allocated per candidate.
 */
export class TopK {
  readonly dists: Float32Array;
  readonly ids: Int32Array;
  private readonly sizes: Int32Array;

  /**
   * `allowed` (a filtered search): a candidate whose id has no 1 there (or lies past its end) is
   * never kept, so every scan pushing into this heap filters without a change of its own.
   */
  constructor(readonly n: number, readonly k: number, private readonly allowed: Uint8Array | null = null) {
    this.dists = new Float32Array(n * k).fill(Infinity);
    this.ids = new Int32Array(n * k).fill(-1);
    this.sizes = new Int32Array(n);
  }

  /** The current k-th best distance of heap q (Infinity until k candidates were seen). */
  worst(q: number): number {
    return this.sizes[q] < this.k ? Infinity : this.dists[q * this.k];
  }

  /** Offers candidate `id` at distance `dist` to heap q (smaller is better). */
  push(q: number, dist: number, id: number): void {
    const k = this.k;
    const base = q * k;
    const D = this.dists, I = this.ids;
    if (this.allowed !== null && this.allowed[id] !== 1) return;
    if (this.sizes[q] < k) {
      // sift up from the end
      let pos = this.sizes[q]++;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        if (D[base + parent] >= dist) break;
        D[base + pos] = D[base + parent];
        I[base + pos] = I[base + parent];
        pos = parent;
      }
      D[base + pos] = dist;
      I[base + pos] = id;
      return;
    }
    if (dist >= D[base]) return;
    // replace the root and sift down
    let pos = 0;
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= k) break;
      const r = l + 1;
      const c = r < k && D[base + r] > D[base + l] ? r : l;
      if (D[base + c] <= dist) break;
      D[base + pos] = D[base + c];
      I[base + pos] = I[base + c];
      pos = c;
    }
    D[base + pos] = dist;
    I[base + pos] = id;
  }

  /**
   * Sorts every heap ascending by distance (ties by id) in place; call once at the end. A heapsort
   * of the k slots under the (distance, id) order (padding included), as topk_finish in
   * src/core/wasm/kernels.c: no allocation and no comparator calls (Array.prototype.sort with a
   * closure per query cost more than the scan of a short list).
   */
  sort(): { ids: Int32Array; dists: Float32Array } {
    const k = this.k;
    for (let q = 0; q < this.n; q++) sortPairs(this.dists, this.ids, q * k, k);
    return { ids: this.ids, dists: this.dists };
  }
}

/** (da, ia) before (db, ib): smaller distance, then smaller id. */
function before(da: number, ia: number, db: number, ib: number): boolean {
  return da < db || (da === db && ia < ib);
}

/** Moves the entry at `pos` down the max-heap (under `before`) of the n entries from `base`. */
function siftDown(D: Float32Array, I: Int32Array, base: number, pos: number, n: number): void {
  const dv = D[base + pos], iv = I[base + pos];
  for (;;) {
    const l = 2 * pos + 1;
    if (l >= n) break;
    const c = l + 1 < n && before(D[base + l], I[base + l], D[base + l + 1], I[base + l + 1]) ? l + 1 : l;
    if (!before(dv, iv, D[base + c], I[base + c])) break;
    D[base + pos] = D[base + c];
    I[base + pos] = I[base + c];
    pos = c;
  }
  D[base + pos] = dv;
  I[base + pos] = iv;
}

/** Heapsort of the n (distance, id) pairs from `base`, ascending. */
function sortPairs(D: Float32Array, I: Int32Array, base: number, n: number): void {
  for (let s = (n >> 1) - 1; s >= 0; s--) siftDown(D, I, base, s, n);
  for (let e = n - 1; e > 0; e--) {
    const dv = D[base + e], iv = I[base + e];
    D[base + e] = D[base];
    I[base + e] = I[base];
    D[base] = dv;
    I[base] = iv;
    siftDown(D, I, base, 0, e);
  }
}
