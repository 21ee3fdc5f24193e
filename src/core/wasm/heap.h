/*
 * The bounded top-k heap of the exact and ADC scans, in one place for both builds of the kernels:
 * src/core/wasm/kernels.c (WebAssembly) and src/core/native/knn.cc (the native k-NN addon), so the two
 * keep the same heap, tie rule and final order, bit for bit, as src/core/topk.ts in JS.
 *
 * A heap of k entries (D distances ascending is better, I ids) is a max-heap by distance: D[0] is the
 * worst kept. heap_push takes the score as a double, compared with the float32 entries as TopK.push
 * compares a JS number with them, and stores it rounded to float32. heap_sort_pairs sorts n entries
 * ascending by (distance, id): ties by the smaller id, as topk.ts.
 */
#ifndef VQBENCH_HEAP_H
#define VQBENCH_HEAP_H

#define HEAP_INLINE static inline __attribute__((always_inline))

HEAP_INLINE void heap_push(float *D, int *I, int *size, int k, double dist, int id) {
  if (*size < k) {
    int pos = (*size)++;
    while (pos > 0) {
      int parent = (pos - 1) >> 1;
      if (D[parent] >= dist) break;
      D[pos] = D[parent];
      I[pos] = I[parent];
      pos = parent;
    }
    D[pos] = dist;
    I[pos] = id;
    return;
  }
  if (dist >= D[0]) return;
  int pos = 0;
  for (;;) {
    int l = 2 * pos + 1;
    if (l >= k) break;
    int r = l + 1;
    int c = r < k && D[r] > D[l] ? r : l;
    if (D[c] <= dist) break;
    D[pos] = D[c];
    I[pos] = I[c];
    pos = c;
  }
  D[pos] = dist;
  I[pos] = id;
}

/* Lexicographic (distance, id) order of the final sort. */
HEAP_INLINE int heap_before(float da, int ia, float db, int ib) { return da < db || (da == db && ia < ib); }

/* Moves (dv, iv) down from pos in the first n entries, a max-heap under heap_before. */
HEAP_INLINE void heap_sift_down(float *D, int *I, int pos, int n, float dv, int iv) {
  for (;;) {
    int l = 2 * pos + 1;
    if (l >= n) break;
    int c = (l + 1 < n && heap_before(D[l], I[l], D[l + 1], I[l + 1])) ? l + 1 : l;
    if (!heap_before(dv, iv, D[c], I[c])) break;
    D[pos] = D[c];
    I[pos] = I[c];
    pos = c;
  }
  D[pos] = dv;
  I[pos] = iv;
}

/* Sorts the n entries ascending by (distance, id) in place (heapsort). */
HEAP_INLINE void heap_sort_pairs(float *D, int *I, int n) {
  for (int s = n / 2 - 1; s >= 0; s--) heap_sift_down(D, I, s, n, D[s], I[s]);
  for (int e = n - 1; e > 0; e--) {
    float dv = D[e];
    int iv = I[e];
    D[e] = D[0];
    I[e] = I[0];
    heap_sift_down(D, I, 0, e, dv, iv);
  }
}

#endif
