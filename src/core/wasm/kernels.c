/*
 * vqbench WebAssembly SIMD (simd128) kernels: inner-product tiles, the fused
 * "tile + argmin" (nearest centroid) and "tile + top-k threshold" (exact k-NN) scans, the ADC
 * kernels of the PQ indexes (distance tables, table sums, code scans into a top-k heap) and the
 * binary index's Hamming scan (popcount, 64 bits at a time; at the end).
 *
 * Build: scripts/build-wasm.sh (clang >= 14, wasm-ld) -> src/core/wasm/kernels.wasm (checked in).
 * No libc: the module exports its memory, __heap_base and the functions below; JS
 * (src/core/wasm/memory.ts, the allocator) owns everything above __heap_base and passes byte offsets.
 *
 * Layout. x is row-major (nx rows, leading dimension ldx >= d). The other operand (y, centroids,
 * base rows) is first packed by pack_panels() into panels of NR = 8 rows stored k-major:
 * panel p holds rows 8p..8p+7 as yp[p*d*8 + k*8 + c] = y[(8p+c)*d + k], zero-padded past ny.
 * The micro-kernel then computes an MR x 8 block of x_i . y_j with MR*2 f32x4 accumulators:
 * for each k, two vector loads of the panel, MR broadcast loads of x[i][k], 2*MR mul+add.
 * No transposes or horizontal sums are needed, any d works (no tail loop along k) and the
 * accumulators never leave registers.
 *
 * Precision: products are summed in float32 along k (as BLAS sgemm and faiss do); the pure-JS
 * kernel sums in float64. Expect |difference| ~ sqrt(d) * 2^-24 * |x| |y|.
 * No FMA: relaxed-simd (f32x4.relaxed_madd) needs --experimental-wasm-relaxed-simd in Node 20.
 */
#include <wasm_simd128.h>

#include "heap.h" /* heap_push, heap_sort_pairs: shared with the native k-NN addon */

typedef int i32;

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("clang loop unroll(full)")

#ifndef NV
#define NV 2 /* f32x4 vectors per panel row */
#endif
#define NR (4 * NV) /* panel width (columns of the output per micro-kernel) */
#ifndef MR
#define MR 4 /* rows of x per micro-kernel */
#endif
#ifndef BLOCK_BYTES
#define BLOCK_BYTES (512 * 1024) /* packed panels kept hot per column block (L2 is 2 MB here) */
#endif

INLINE i32 imin(i32 a, i32 b) { return a < b ? a : b; }

/* Number of panels per column block so that the block stays in L2. */
INLINE i32 panels_per_block(i32 d) {
  i32 p = BLOCK_BYTES / (d * NR * 4);
  return p < 1 ? 1 : p;
}

/* Packs rows [0, ny) of y (leading dimension ldy) into ceil(ny/8) panels of d x 8, k-major. */
EXPORT(pack_panels)
void pack_panels(const float *y, i32 ny, i32 ldy, i32 d, float *yp) {
  i32 np = (ny + NR - 1) / NR;
  for (i32 p = 0; p < np; p++) {
    float *dst = yp + (long)p * d * NR;
    i32 j0 = p * NR, nj = imin(NR, ny - j0);
    if (nj == NR) {
      const float *s0 = y + (long)j0 * ldy, *s1 = s0 + ldy, *s2 = s1 + ldy, *s3 = s2 + ldy;
      const float *s4 = s3 + ldy, *s5 = s4 + ldy, *s6 = s5 + ldy, *s7 = s6 + ldy;
      for (i32 k = 0; k < d; k++) {
        float *o = dst + k * NR;
        o[0] = s0[k]; o[1] = s1[k]; o[2] = s2[k]; o[3] = s3[k];
        o[4] = s4[k]; o[5] = s5[k]; o[6] = s6[k]; o[7] = s7[k];
      }
    } else {
      for (i32 k = 0; k < d; k++)
        for (i32 c = 0; c < NR; c++) dst[k * NR + c] = c < nj ? y[(long)(j0 + c) * ldy + k] : 0.0f;
    }
  }
}

/* out[i] = ||x_i||^2 (float32, 4 lanes) for nx rows of x. */
EXPORT(row_norms)
void row_norms(const float *x, i32 nx, i32 ldx, i32 d, float *out) {
  for (i32 i = 0; i < nx; i++) {
    const float *a = x + (long)i * ldx;
    v128_t s = wasm_f32x4_splat(0.0f);
    i32 k = 0;
    for (; k + 4 <= d; k += 4) {
      v128_t v = wasm_v128_load(a + k);
      s = wasm_f32x4_add(s, wasm_f32x4_mul(v, v));
    }
    float t = (wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1)) +
              (wasm_f32x4_extract_lane(s, 2) + wasm_f32x4_extract_lane(s, 3));
    for (; k < d; k++) t += a[k] * a[k];
    out[i] = t;
  }
}

/* acc[r][0..1] = x_{r} . panel columns 0..7, r < R (R is a compile-time constant after inlining). */
INLINE void micro(const float *x, i32 ldx, const float *bp, i32 d, v128_t acc[][NV], const i32 R) {
  const float *xr[MR];
  UNROLL for (i32 r = 0; r < R; r++) {
    UNROLL for (i32 v = 0; v < NV; v++) acc[r][v] = wasm_f32x4_splat(0.0f);
    xr[r] = x + (long)r * ldx;
  }
  for (i32 k = 0; k < d; k++) {
    v128_t b[NV];
    UNROLL for (i32 v = 0; v < NV; v++) b[v] = wasm_v128_load(bp + 4 * v);
    bp += NR;
    UNROLL for (i32 r = 0; r < R; r++) {
      v128_t a = wasm_v128_load32_splat(xr[r] + k);
      UNROLL for (i32 v = 0; v < NV; v++) acc[r][v] = wasm_f32x4_add(acc[r][v], wasm_f32x4_mul(a, b[v]));
    }
  }
}

/* Runs BODY(R) for the row remainder rem in [1, MR) with R a constant. */
#if MR > 8
#error "MR must be <= 8"
#endif
#define REMAINDER(rem, BODY)                                                                       \
  switch (rem) {                                                                                   \
  case 1: BODY(1); break;                                                                          \
  case 2: if (MR > 2) { BODY(2); } break;                                                          \
  case 3: if (MR > 3) { BODY(3); } break;                                                          \
  case 4: if (MR > 4) { BODY(4); } break;                                                          \
  case 5: if (MR > 5) { BODY(5); } break;                                                          \
  case 6: if (MR > 6) { BODY(6); } break;                                                          \
  case 7: if (MR > 7) { BODY(7); } break;                                                          \
  default: break;                                                                                  \
  }

/* ---------------------------------------------------------------------------------------------
 * out[i*ldo + j] = x_i . y_j for i < nx, j < ny; yp = pack_panels(y).
 */
INLINE void ip_rows(const float *x, i32 ldx, const float *yp, i32 ny, i32 d, float *out, i32 ldo,
                    i32 pb, i32 pe, const i32 R) {
  for (i32 p = pb; p < pe; p++) {
    v128_t acc[MR][NV];
    micro(x, ldx, yp + (long)p * d * NR, d, acc, R);
    float *o = out + p * NR;
    i32 nj = imin(NR, ny - p * NR);
    if (nj == NR) {
      UNROLL for (i32 r = 0; r < R; r++)
        UNROLL for (i32 v = 0; v < NV; v++) wasm_v128_store(o + (long)r * ldo + 4 * v, acc[r][v]);
    } else {
      UNROLL for (i32 r = 0; r < R; r++) {
        float t[NR];
        UNROLL for (i32 v = 0; v < NV; v++) wasm_v128_store(t + 4 * v, acc[r][v]);
        for (i32 c = 0; c < nj; c++) o[(long)r * ldo + c] = t[c];
      }
    }
  }
}

EXPORT(ip_tile)
void ip_tile(const float *x, i32 nx, i32 ldx, const float *yp, i32 ny, i32 d, float *out, i32 ldo) {
  i32 np = (ny + NR - 1) / NR, bp = panels_per_block(d);
  for (i32 pb = 0; pb < np; pb += bp) {
    i32 pe = imin(np, pb + bp), i = 0;
    for (; i + MR <= nx; i += MR) ip_rows(x + (long)i * ldx, ldx, yp, ny, d, out + (long)i * ldo, ldo, pb, pe, MR);
#define IP_BODY(R) ip_rows(x + (long)i * ldx, ldx, yp, ny, d, out + (long)i * ldo, ldo, pb, pe, R)
    REMAINDER(nx - i, IP_BODY)
#undef IP_BODY
  }
}

/* ---------------------------------------------------------------------------------------------
 * Fused argmin. For each row i < nx: the smallest v_j = cn[j] + scale * x_i . c_j over j < nc
 * (first j on ties), merged into (bestV[i], bestI[i]) when strictly smaller. cn has
 * ceil(nc/8)*8 entries, +Inf past nc. l2: cn = ||c||^2, scale = -2; ip: cn = 0, scale = -1.
 */
INLINE void nearest_rows_blk(const float *x, i32 ldx, const float *cp, const float *cn, i32 d,
                             v128_t sc, i32 pb, i32 pe, float *bestV, i32 *bestI, const i32 R) {
  v128_t bv[MR], bi[MR];
  UNROLL for (i32 r = 0; r < R; r++) {
    bv[r] = wasm_f32x4_splat(__builtin_inff());
    bi[r] = wasm_i32x4_splat(-1);
  }
  v128_t id[NV];
  id[0] = wasm_i32x4_make(pb * NR, pb * NR + 1, pb * NR + 2, pb * NR + 3);
  UNROLL for (i32 v = 1; v < NV; v++) id[v] = wasm_i32x4_add(id[v - 1], wasm_i32x4_splat(4));
  const v128_t step = wasm_i32x4_splat(NR);
  for (i32 p = pb; p < pe; p++) {
    v128_t acc[MR][NV];
    micro(x, ldx, cp + (long)p * d * NR, d, acc, R);
    UNROLL for (i32 v = 0; v < NV; v++) {
      v128_t n = wasm_v128_load(cn + p * NR + 4 * v);
      UNROLL for (i32 r = 0; r < R; r++) {
        v128_t val = wasm_f32x4_add(n, wasm_f32x4_mul(sc, acc[r][v]));
        v128_t m = wasm_f32x4_lt(val, bv[r]);
        bv[r] = wasm_v128_bitselect(val, bv[r], m);
        bi[r] = wasm_v128_bitselect(id[v], bi[r], m);
      }
      id[v] = wasm_i32x4_add(id[v], step);
    }
  }
  UNROLL for (i32 r = 0; r < R; r++) {
    float v[4];
    i32 id[4];
    wasm_v128_store(v, bv[r]);
    wasm_v128_store(id, bi[r]);
    float cv = __builtin_inff();
    i32 ci = -1;
    for (i32 l = 0; l < 4; l++)
      if (id[l] >= 0 && (ci < 0 || v[l] < cv || (v[l] == cv && id[l] < ci))) { cv = v[l]; ci = id[l]; }
    /* earlier blocks hold smaller ids: replace only when strictly better */
    if (ci >= 0 && (bestI[r] < 0 || cv < bestV[r])) { bestV[r] = cv; bestI[r] = ci; }
  }
}

EXPORT(nearest_tile)
void nearest_tile(const float *x, i32 nx, i32 ldx, const float *cp, const float *cn, i32 nc, i32 d,
                  float scale, float *bestV, i32 *bestI) {
  i32 np = (nc + NR - 1) / NR, bp = panels_per_block(d);
  v128_t sc = wasm_f32x4_splat(scale);
  for (i32 pb = 0; pb < np; pb += bp) {
    i32 pe = imin(np, pb + bp), i = 0;
    for (; i + MR <= nx; i += MR) nearest_rows_blk(x + (long)i * ldx, ldx, cp, cn, d, sc, pb, pe, bestV + i, bestI + i, MR);
#define NEAREST_BODY(R) nearest_rows_blk(x + (long)i * ldx, ldx, cp, cn, d, sc, pb, pe, bestV + i, bestI + i, R)
    REMAINDER(nx - i, NEAREST_BODY)
#undef NEAREST_BODY
  }
}

/* ---------------------------------------------------------------------------------------------
 * Fused top-k. Heap i (a bounded max-heap by distance, as src/core/topk.ts) lives at hd/hi[i*k..]
 * with size hn[i]; thr[i] is its current worst (+Inf until full). Candidates are offered in
 * increasing j, and pushed only when strictly below the threshold, exactly as the JS scan does.
 * heap_push (heap.h) takes the score as a double, compared with the float32 entries as TopK.push
 * compares a JS number with them, and stores it rounded to float32: the same heap, bit for bit.
 */
INLINE void knn_rows_blk(const float *x, i32 ldx, const float *bp_, const float *bn, i32 nb, i32 d,
                         v128_t sc, i32 idOffset, i32 pb, i32 pe, i32 k, float *hd, i32 *hi,
                         i32 *hn, float *thr, const i32 R) {
  for (i32 p = pb; p < pe; p++) {
    v128_t acc[MR][NV];
    micro(x, ldx, bp_ + (long)p * d * NR, d, acc, R);
    v128_t n[NV];
    UNROLL for (i32 v = 0; v < NV; v++) n[v] = wasm_v128_load(bn + p * NR + 4 * v);
    UNROLL for (i32 r = 0; r < R; r++) {
      v128_t val[NV];
      v128_t t = wasm_f32x4_splat(thr[r]), any = wasm_i32x4_splat(0);
      UNROLL for (i32 v = 0; v < NV; v++) {
        val[v] = wasm_f32x4_add(n[v], wasm_f32x4_mul(sc, acc[r][v]));
        any = wasm_v128_or(any, wasm_f32x4_lt(val[v], t));
      }
      if (wasm_v128_any_true(any)) {
        float v[NR];
        UNROLL for (i32 q = 0; q < NV; q++) wasm_v128_store(v + 4 * q, val[q]);
        i32 nj = imin(NR, nb - p * NR);
        float w = thr[r];
        for (i32 c = 0; c < nj; c++) {
          if (v[c] < w) {
            heap_push(hd + (long)r * k, hi + (long)r * k, hn + r, k, v[c], idOffset + p * NR + c);
            w = hn[r] < k ? __builtin_inff() : hd[(long)r * k];
          }
        }
        thr[r] = w;
      }
    }
  }
}

EXPORT(knn_tile)
void knn_tile(const float *x, i32 nx, i32 ldx, const float *bp_, const float *bn, i32 nb, i32 d,
              float scale, i32 idOffset, i32 k, float *hd, i32 *hi, i32 *hn, float *thr) {
  i32 np = (nb + NR - 1) / NR, bp = panels_per_block(d);
  v128_t sc = wasm_f32x4_splat(scale);
  for (i32 pb = 0; pb < np; pb += bp) {
    i32 pe = imin(np, pb + bp), i = 0;
    for (; i + MR <= nx; i += MR)
      knn_rows_blk(x + (long)i * ldx, ldx, bp_, bn, nb, d, sc, idOffset, pb, pe, k, hd + (long)i * k, hi + (long)i * k, hn + i, thr + i, MR);
#define KNN_BODY(R) knn_rows_blk(x + (long)i * ldx, ldx, bp_, bn, nb, d, sc, idOffset, pb, pe, k, hd + (long)i * k, hi + (long)i * k, hn + i, thr + i, R)
    REMAINDER(nx - i, KNN_BODY)
#undef KNN_BODY
  }
}

/* Sorts heap i ascending by (dist, id) into outD/outI[i*k..] (heapsort on the n kept entries),
 * pads with (+Inf, -1) and applies the final transform: l2: max(0, v + ||x_i||^2); ip: -v. */
EXPORT(knn_finish)
void knn_finish(const float *x, i32 nx, i32 ldx, i32 d, i32 k, i32 l2, float *hd, i32 *hi,
                const i32 *hn, float *outD, i32 *outI) {
  for (i32 i = 0; i < nx; i++) {
    float *D = hd + (long)i * k;
    i32 *I = hi + (long)i * k;
    i32 n = hn[i];
    heap_sort_pairs(D, I, n);
    float qn = 0.0f;
    if (l2) row_norms(x + (long)i * ldx, 1, ldx, d, &qn);
    float *od = outD + (long)i * k;
    i32 *oi = outI + (long)i * k;
    for (i32 j = 0; j < k; j++) {
      float v = j < n ? D[j] : __builtin_inff();
      oi[j] = j < n ? I[j] : -1;
      if (l2) {
        float t = v + qn;
        od[j] = t > 0.0f ? t : 0.0f;
      } else {
        od[j] = -v;
      }
    }
  }
}

/* Final transform of nearest_tile results: l2: max(0, v + ||x_i||^2); ip: -v. */
EXPORT(nearest_finish)
void nearest_finish(const float *x, i32 nx, i32 ldx, i32 d, i32 l2, float *bestV) {
  for (i32 i = 0; i < nx; i++) {
    if (l2) {
      float qn;
      row_norms(x + (long)i * ldx, 1, ldx, d, &qn);
      float t = bestV[i] + qn;
      bestV[i] = t > 0.0f ? t : 0.0f;
    } else {
      bestV[i] = -bestV[i];
    }
  }
}

/* =============================================================================================
 * Asymmetric distance computation (ADC) for the pq, ivfpq and wrvq indexes (src/index/adc.ts).
 *
 * Codebooks are held transposed: book m (codewords of dimension sub[2m+1], sub-space starting at
 * coordinate sub[2m]) is a sub[2m+1] x ks block, coordinate t's row holding that coordinate of all
 * ks codewords, and the blocks of the books follow each other in `ct`. A query's table is then
 * ks/4 vector accumulators per coordinate, no horizontal sums.
 * ============================================================================================= */

/* out[i*ldo + m*ks + j] = x_i[sub-space m] . C_m[j]  (nx queries, rows of x ldx apart). */
INLINE void dot_table_book(const float *xs, i32 sd, const float *ct, i32 ks, float *o) {
  i32 j = 0;
  for (; j + 16 <= ks; j += 16) {
    v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
    const float *c = ct + j;
    for (i32 t = 0; t < sd; t++, c += ks) {
      v128_t xv = wasm_v128_load32_splat(xs + t);
      a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(xv, wasm_v128_load(c)));
      a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(xv, wasm_v128_load(c + 4)));
      a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(xv, wasm_v128_load(c + 8)));
      a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(xv, wasm_v128_load(c + 12)));
    }
    wasm_v128_store(o + j, a0);
    wasm_v128_store(o + j + 4, a1);
    wasm_v128_store(o + j + 8, a2);
    wasm_v128_store(o + j + 12, a3);
  }
  for (; j + 4 <= ks; j += 4) {
    v128_t a = wasm_f32x4_splat(0.0f);
    for (i32 t = 0; t < sd; t++) a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load32_splat(xs + t), wasm_v128_load(ct + t * ks + j)));
    wasm_v128_store(o + j, a);
  }
  for (; j < ks; j++) {
    float a = 0.0f;
    for (i32 t = 0; t < sd; t++) a += xs[t] * ct[t * ks + j];
    o[j] = a;
  }
}

/*
 * Dot-product tables (l2 = 0) or squared-L2 tables (l2 = 1: max(0, ||x_m||^2 + cn[m*ks + j] - 2 x_m . c_j),
 * cn = the codeword norms) of nx queries: query i's table at out + i*ldo, book m at m*ks.
 */
EXPORT(adc_tables)
void adc_tables(const float *x, i32 nx, i32 ldx, i32 books, i32 ks, const i32 *sub, const float *ct,
                const float *cn, i32 l2, float *out, i32 ldo) {
  for (i32 i = 0; i < nx; i++) {
    const float *xi = x + (long)i * ldx;
    const float *c = ct;
    for (i32 m = 0; m < books; m++) {
      i32 off = sub[2 * m], sd = sub[2 * m + 1];
      float *o = out + (long)i * ldo + (long)m * ks;
      dot_table_book(xi + off, sd, c, ks, o);
      c += (long)sd * ks;
      if (l2) {
        float qn = 0.0f;
        for (i32 t = 0; t < sd; t++) qn += xi[off + t] * xi[off + t];
        const float *cm = cn + (long)m * ks;
        i32 j = 0;
        v128_t q = wasm_f32x4_splat(qn), two = wasm_f32x4_splat(2.0f), zero = wasm_f32x4_splat(0.0f);
        for (; j + 4 <= ks; j += 4) {
          v128_t v = wasm_f32x4_sub(wasm_f32x4_add(q, wasm_v128_load(cm + j)), wasm_f32x4_mul(two, wasm_v128_load(o + j)));
          wasm_v128_store(o + j, wasm_f32x4_pmax(zero, v));
        }
        for (; j < ks; j++) {
          float v = qn + cm[j] - 2.0f * o[j];
          o[j] = v > 0.0f ? v : 0.0f;
        }
      }
    }
  }
}

/* out[u] = a[u] + s * b[u], u < n (IVF-PQ: a list's precomputed term plus the query's table). */
EXPORT(table_axpy)
void table_axpy(const float *a, const float *b, float s, float *out, i32 n) {
  v128_t sv = wasm_f32x4_splat(s);
  i32 u = 0;
  for (; u + 16 <= n; u += 16) {
    wasm_v128_store(out + u, wasm_f32x4_add(wasm_v128_load(a + u), wasm_f32x4_mul(sv, wasm_v128_load(b + u))));
    wasm_v128_store(out + u + 4, wasm_f32x4_add(wasm_v128_load(a + u + 4), wasm_f32x4_mul(sv, wasm_v128_load(b + u + 4))));
    wasm_v128_store(out + u + 8, wasm_f32x4_add(wasm_v128_load(a + u + 8), wasm_f32x4_mul(sv, wasm_v128_load(b + u + 8))));
    wasm_v128_store(out + u + 12, wasm_f32x4_add(wasm_v128_load(a + u + 12), wasm_f32x4_mul(sv, wasm_v128_load(b + u + 12))));
  }
  for (; u + 4 <= n; u += 4) wasm_v128_store(out + u, wasm_f32x4_add(wasm_v128_load(a + u), wasm_f32x4_mul(sv, wasm_v128_load(b + u))));
  for (; u < n; u++) out[u] = a[u] + s * b[u];
}

/*
 * Scan accumulator. double: the scans below then perform exactly the operations of scanSum /
 * scanSumPair in src/index/adc.ts (JS numbers are doubles, the tables float32), in the same order,
 * so they return the same neighbours and distances bit for bit. float (ACC=float) measured 12 %
 * faster on the two-vector scan (16.6 vs 18.8 ns per PQ50 code): kept double for that equality.
 */
#ifndef ACC
#define ACC double
#endif

/*
 * The ADC scan: the n vectors at `codes` (books codes each, row-major, u8 or u16), vector i scored
 *   bias + scale * sum_m lut[m*ks + code_im]  (+ extra[i] when extra != 0)
 * and offered to the top-k heap (hd, hi, *hn) under id ids[i]: pushed when strictly below the
 * current k-th score, as TopK.push. 4 sub-spaces per step in two partial sums, as scanSum.
 *
 * Two vectors per iteration (SCAN_PAIR): each vector's sum is the same chain of adds as scanSum's,
 * but the two chains are independent, so the CPU overlaps their add latencies (one vector's adds
 * alone wait on each other: 50 sub-spaces, random u8 codes, 324-row lists: 21.8 -> 18.8 ns per
 * code, CPU time, best of 15 on the shared 2-core machine). The two are
 * offered to the heap in order, the second against the threshold after the first: the same pushes.
 */
#define SCAN_ONE(KS, c, s)                                                                         \
  {                                                                                                \
    ACC s0 = 0, s1 = 0;                                                                            \
    const float *t = lut;                                                                          \
    i32 m = 0;                                                                                     \
    for (; m + 4 <= books; m += 4, t += 4 * (KS)) {                                                \
      s0 += (ACC)t[c[m]] + (ACC)t[(KS) + c[m + 1]];                                                \
      s1 += (ACC)t[2 * (KS) + c[m + 2]] + (ACC)t[3 * (KS) + c[m + 3]];                             \
    }                                                                                              \
    for (; m < books; m++, t += (KS)) s0 += t[c[m]];                                               \
    s = (ACC)bias + (ACC)scale * (s0 + s1);                                                        \
  }

#define SCAN_OFFER(s, i)                                                                           \
  {                                                                                                \
    if (extra) s += extra[i];                                                                      \
    if (s < thr) {                                                                                 \
      heap_push(hd, hi, hn, k, (double)s, ids[i]);                                                 \
      thr = *hn < k ? __builtin_inff() : hd[0];                                                    \
    }                                                                                              \
  }

/*
 * The scan loop shared by the ADC scans (adc_scan and its filtered forms, adc_scan_weighted): two
 * vectors per iteration, PAIR(KS, c, d, sa, sb) scoring rows i (codes at c) and i + 1 (at d) in
 * independent chains, ONE(KS, c, s) an odd last row; each score offered by SCAN_OFFER in row order.
 */
#define SCAN_LOOP(CT, KS, PAIR, ONE)                                                               \
  {                                                                                                \
    const CT *c = (const CT *)codes;                                                               \
    float thr = *hn < k ? __builtin_inff() : hd[0];                                                \
    i32 i = 0;                                                                                     \
    for (; i + 2 <= n; i += 2, c += 2 * books) {                                                   \
      const CT *d = c + books;                                                                     \
      ACC sa, sb;                                                                                  \
      PAIR(KS, c, d, sa, sb)                                                                       \
      SCAN_OFFER(sa, i)                                                                            \
      SCAN_OFFER(sb, i + 1)                                                                        \
    }                                                                                              \
    if (i < n) {                                                                                   \
      ACC s;                                                                                       \
      ONE(KS, c, s)                                                                                \
      SCAN_OFFER(s, i)                                                                             \
    }                                                                                              \
  }

/* Two rows of scanSum at once: each the same chain of adds as SCAN_ONE. */
#define SCAN_TWO(KS, c, d, sa, sb)                                                                 \
  {                                                                                                \
    ACC a0 = 0, a1 = 0, b0 = 0, b1 = 0;                                                            \
    const float *t = lut;                                                                          \
    i32 m = 0;                                                                                     \
    for (; m + 4 <= books; m += 4, t += 4 * (KS)) {                                                \
      a0 += (ACC)t[c[m]] + (ACC)t[(KS) + c[m + 1]];                                                \
      b0 += (ACC)t[d[m]] + (ACC)t[(KS) + d[m + 1]];                                                \
      a1 += (ACC)t[2 * (KS) + c[m + 2]] + (ACC)t[3 * (KS) + c[m + 3]];                             \
      b1 += (ACC)t[2 * (KS) + d[m + 2]] + (ACC)t[3 * (KS) + d[m + 3]];                             \
    }                                                                                              \
    for (; m < books; m++, t += (KS)) {                                                            \
      a0 += t[c[m]];                                                                               \
      b0 += t[d[m]];                                                                               \
    }                                                                                              \
    sa = (ACC)bias + (ACC)scale * (a0 + a1);                                                       \
    sb = (ACC)bias + (ACC)scale * (b0 + b1);                                                       \
  }

#define SCAN_BODY(CT, KS) SCAN_LOOP(CT, KS, SCAN_TWO, SCAN_ONE)

EXPORT(adc_scan)
void adc_scan(const void *codes, i32 wide, i32 n, i32 books, i32 ks, const float *lut, double scale,
              double bias, const float *extra, const i32 *ids, i32 k, float *hd, i32 *hi, i32 *hn) {
  if (wide) SCAN_BODY(unsigned short, ks)
  else if (ks == 256) SCAN_BODY(unsigned char, 256)
  else SCAN_BODY(unsigned char, ks)
}

/*
 * The weighted ADC scan (WRVQ, paper eq. 14; scanWeighted in src/index/adc.ts): row i scored
 *   bias + scale * sum_m wt[m*ws + w_im] * lut[m*ks + c_im]  (+ extra[i]: ||x^||^2 for l2)
 * with w_im the row's stored weight for book m (a u16 fp16 pattern or a u8 level index, `wideW`)
 * read through the weight table wt (the fp16 table, ws = 0; or each book's levels, ws apart). Two
 * books per step in two partial sums, as scanWeighted: the same double operations in the same
 * order (a product of two floats is exact in double), so the same heap bit for bit. The loop, the
 * offer and the heap push are SCAN_LOOP's; `wr` (the weights, typed) is declared by WSCAN_BODY.
 */
#define WSUM_ONE(KS, c, s)                                                                         \
  {                                                                                                \
    __typeof__(wr) u = wr + (long)i * books;                                                       \
    ACC s0 = 0, s1 = 0;                                                                            \
    const float *t = lut, *h = wt;                                                                 \
    i32 m = 0;                                                                                     \
    for (; m + 2 <= books; m += 2, t += 2 * (KS), h += 2 * ws) {                                   \
      s0 += (ACC)h[u[m]] * (ACC)t[c[m]];                                                           \
      s1 += (ACC)h[ws + u[m + 1]] * (ACC)t[(KS) + c[m + 1]];                                       \
    }                                                                                              \
    if (m < books) s0 += (ACC)h[u[m]] * (ACC)t[c[m]];                                              \
    s = (ACC)bias + (ACC)scale * (s0 + s1);                                                        \
  }

#define WSUM_TWO(KS, c, d, sa, sb)                                                                 \
  {                                                                                                \
    __typeof__(wr) u = wr + (long)i * books, v = u + books;                                        \
    ACC a0 = 0, a1 = 0, b0 = 0, b1 = 0;                                                            \
    const float *t = lut, *h = wt;                                                                 \
    i32 m = 0;                                                                                     \
    for (; m + 2 <= books; m += 2, t += 2 * (KS), h += 2 * ws) {                                   \
      a0 += (ACC)h[u[m]] * (ACC)t[c[m]];                                                           \
      b0 += (ACC)h[v[m]] * (ACC)t[d[m]];                                                           \
      a1 += (ACC)h[ws + u[m + 1]] * (ACC)t[(KS) + c[m + 1]];                                       \
      b1 += (ACC)h[ws + v[m + 1]] * (ACC)t[(KS) + d[m + 1]];                                       \
    }                                                                                              \
    if (m < books) {                                                                               \
      a0 += (ACC)h[u[m]] * (ACC)t[c[m]];                                                           \
      b0 += (ACC)h[v[m]] * (ACC)t[d[m]];                                                           \
    }                                                                                              \
    sa = (ACC)bias + (ACC)scale * (a0 + a1);                                                       \
    sb = (ACC)bias + (ACC)scale * (b0 + b1);                                                       \
  }

#define WSCAN_BODY(CT, KS, WT)                                                                     \
  {                                                                                                \
    const WT *wr = (const WT *)weights;                                                            \
    SCAN_LOOP(CT, KS, WSUM_TWO, WSUM_ONE)                                                          \
  }

/* u8 / u16 weights x u16 codes / u8 codes (ks = 256 unrolled by the compiler, or any ks). */
#define WSCAN_DISPATCH                                                                             \
  if (wideW) {                                                                                     \
    if (wide) WSCAN_BODY(unsigned short, ks, unsigned short)                                       \
    else if (ks == 256) WSCAN_BODY(unsigned char, 256, unsigned short)                             \
    else WSCAN_BODY(unsigned char, ks, unsigned short)                                             \
  } else {                                                                                         \
    if (wide) WSCAN_BODY(unsigned short, ks, unsigned char)                                        \
    else if (ks == 256) WSCAN_BODY(unsigned char, 256, unsigned char)                              \
    else WSCAN_BODY(unsigned char, ks, unsigned char)                                              \
  }

/*
 * The runs [runs[2r], runs[2r+1]) of rows, r < nruns, scanned in order (wrvq: the kept sub-cells of
 * the probed cells, one call per query): codes, weights, extra and ids point at row 0; each run is
 * the scan of its rows alone (the threshold re-read from the heap), as the JS scan called per run.
 */
#define WSCAN_RUNS                                                                                 \
  const i32 cb = books * (wide ? 2 : 1), wb = books * (wideW ? 2 : 1);                             \
  for (i32 r = 0; r < nruns; r++) {                                                                \
    const i32 s = runs[2 * r], n = runs[2 * r + 1] - s;                                            \
    const void *codes = (const unsigned char *)codes0 + (long)s * cb;                              \
    const void *weights = (const unsigned char *)weights0 + (long)s * wb;                          \
    const float *extra = extra0 ? extra0 + s : 0;                                                  \
    const i32 *ids = ids0 + s;                                                                     \
    WSCAN_DISPATCH                                                                                 \
  }

EXPORT(adc_scan_weighted)
void adc_scan_weighted(const i32 *runs, i32 nruns, const void *weights0, i32 wideW, const float *wt, i32 ws, const void *codes0,
                       i32 wide, i32 books, i32 ks, const float *lut, double scale, double bias, const float *extra0,
                       const i32 *ids0, i32 k, float *hd, i32 *hi, i32 *hn) {
  WSCAN_RUNS
}

/*
 * scan over the sum of two tables without materialising it (IVF-PQ, short lists):
 *   bias + sum_m (a[m*ks + c_m] + bScale * b[m*ks + c_m]), two sub-spaces per step, as scanSumPair.
 */
#define PAIR_ONE(CT, KS, c, s)                                                                     \
  {                                                                                                \
    ACC s0 = bias, s1 = 0;                                                                         \
    const float *ta = a, *tb = b;                                                                  \
    i32 m = 0;                                                                                     \
    for (; m + 2 <= books; m += 2, ta += 2 * (KS), tb += 2 * (KS)) {                               \
      i32 c0 = c[m], c1 = c[m + 1] + (KS);                                                         \
      s0 += (ACC)ta[c0] + (ACC)bScale * (ACC)tb[c0];                                               \
      s1 += (ACC)ta[c1] + (ACC)bScale * (ACC)tb[c1];                                               \
    }                                                                                              \
    if (m < books) {                                                                               \
      i32 c0 = c[m];                                                                               \
      s0 += (ACC)ta[c0] + (ACC)bScale * (ACC)tb[c0];                                               \
    }                                                                                              \
    s = s0 + s1;                                                                                   \
  }

#define PAIR_OFFER(s, i)                                                                           \
  if (s < thr) {                                                                                   \
    heap_push(hd, hi, hn, k, (double)s, ids[i]);                                                   \
    thr = *hn < k ? __builtin_inff() : hd[0];                                                      \
  }

/* Two vectors per iteration, as SCAN_BODY: independent chains, each the operations of scanSumPair. */
#define PAIR_BODY(CT, KS)                                                                          \
  {                                                                                                \
    const CT *c = (const CT *)codes;                                                               \
    float thr = *hn < k ? __builtin_inff() : hd[0];                                                \
    i32 i = 0;                                                                                     \
    for (; i + 2 <= n; i += 2, c += 2 * books) {                                                   \
      const CT *d = c + books;                                                                     \
      ACC a0 = bias, a1 = 0, b0 = bias, b1 = 0;                                                    \
      const float *ta = a, *tb = b;                                                                \
      i32 m = 0;                                                                                   \
      for (; m + 2 <= books; m += 2, ta += 2 * (KS), tb += 2 * (KS)) {                             \
        i32 c0 = c[m], c1 = c[m + 1] + (KS), d0 = d[m], d1 = d[m + 1] + (KS);                      \
        a0 += (ACC)ta[c0] + (ACC)bScale * (ACC)tb[c0];                                             \
        b0 += (ACC)ta[d0] + (ACC)bScale * (ACC)tb[d0];                                             \
        a1 += (ACC)ta[c1] + (ACC)bScale * (ACC)tb[c1];                                             \
        b1 += (ACC)ta[d1] + (ACC)bScale * (ACC)tb[d1];                                             \
      }                                                                                            \
      if (m < books) {                                                                             \
        i32 c0 = c[m], d0 = d[m];                                                                  \
        a0 += (ACC)ta[c0] + (ACC)bScale * (ACC)tb[c0];                                             \
        b0 += (ACC)ta[d0] + (ACC)bScale * (ACC)tb[d0];                                             \
      }                                                                                            \
      ACC sa = a0 + a1, sb = b0 + b1;                                                              \
      PAIR_OFFER(sa, i)                                                                            \
      PAIR_OFFER(sb, i + 1)                                                                        \
    }                                                                                              \
    if (i < n) {                                                                                   \
      ACC s;                                                                                       \
      PAIR_ONE(CT, KS, c, s)                                                                       \
      PAIR_OFFER(s, i)                                                                             \
    }                                                                                              \
  }

EXPORT(adc_scan_pair)
void adc_scan_pair(const void *codes, i32 wide, i32 n, i32 books, i32 ks, const float *a, const float *b,
                   double bScale, double bias, const i32 *ids, i32 k, float *hd, i32 *hi, i32 *hn) {
  if (wide) PAIR_BODY(unsigned short, ks)
  else if (ks == 256) PAIR_BODY(unsigned char, 256)
  else PAIR_BODY(unsigned char, ks)
}

/* Sorts nq heaps (k slots each, sizes hn) ascending by (dist, id), padding with (+Inf, -1);
 * sign = -1 negates the scores (inner product kept as "smaller is better" during the scan). */
EXPORT(topk_finish)
void topk_finish(i32 nq, i32 k, float *hd, i32 *hi, const i32 *hn, float sign) {
  for (i32 q = 0; q < nq; q++) {
    float *D = hd + (long)q * k;
    i32 *I = hi + (long)q * k;
    heap_sort_pairs(D, I, hn[q]);
    for (i32 j = hn[q]; j < k; j++) { D[j] = __builtin_inff(); I[j] = -1; }
    if (sign < 0) for (i32 j = 0; j < k; j++) D[j] = -D[j];
  }
}

/*
 * The binary index's Hamming scan: n code rows of w 32-bit words each (the packed sign bits,
 * row-major, as packBits in src/index/flat-codes.ts lays them out), each compared with the
 * query's w words by the popcount of their XOR, 64 bits at a time (i64.popcnt; an odd last word by
 * i32.popcnt), and offered to the top-k heap under id idOffset + i when strictly below its k-th
 * distance: the pushes of the JS scan, in its order, so the same heap. Common widths (64 to 1024
 * bits) get their own unrolled loop.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

/* 64 bits at p (4-byte aligned: rows of an odd number of words); a plain i64.load. */
INLINE u64 load64(const u32 *p) {
  u64 v;
  __builtin_memcpy(&v, p, 8);
  return v;
}

INLINE i32 hamming_row(const u32 *a, const u32 *b, i32 w) {
  i32 h = 0, j = 0;
  for (; j + 2 <= w; j += 2) h += __builtin_popcountll(load64(a + j) ^ load64(b + j));
  if (j < w) h += __builtin_popcount(a[j] ^ b[j]);
  return h;
}

#define HAMMING_BODY(W)                                                                            \
  {                                                                                                \
    const u32 *c = codes;                                                                          \
    float thr = *hn < k ? __builtin_inff() : hd[0];                                                \
    for (i32 i = 0; i < n; i++, c += (W)) {                                                        \
      i32 h = hamming_row(c, q, (W));                                                              \
      if (h < thr) {                                                                               \
        heap_push(hd, hi, hn, k, (double)h, idOffset + i);                                         \
        thr = *hn < k ? __builtin_inff() : hd[0];                                                  \
      }                                                                                            \
    }                                                                                              \
  }

EXPORT(hamming_scan)
void hamming_scan(const u32 *codes, i32 n, i32 w, const u32 *q, i32 idOffset, i32 k, float *hd, i32 *hi, i32 *hn) {
  switch (w) {
    case 2: HAMMING_BODY(2) break;
    case 4: HAMMING_BODY(4) break;
    case 8: HAMMING_BODY(8) break;
    case 12: HAMMING_BODY(12) break;
    case 16: HAMMING_BODY(16) break;
    case 24: HAMMING_BODY(24) break;
    case 32: HAMMING_BODY(32) break;
    default: HAMMING_BODY(w)
  }
}

/*
 * Filtered scans (filtered search): adc_scan, adc_scan_pair and adc_scan_weighted whose heap takes only ids with
 * allowed[id] == 1 (an id at or past nAllowed never). The scan bodies are the ones above, unchanged:
 * heap_push is swapped for the filtering push below while they expand, so a candidate is tested only
 * when it would enter the top-k.
 */
static const unsigned char *filter_bits;
static i32 filter_n;

INLINE void heap_push_allowed(float *D, i32 *I, i32 *size, i32 k, double dist, i32 id) {
  if ((unsigned)id < (unsigned)filter_n && filter_bits[id]) heap_push(D, I, size, k, dist, id);
}

#define heap_push heap_push_allowed

EXPORT(adc_scan_filtered)
void adc_scan_filtered(const unsigned char *allowed, i32 nAllowed, const void *codes, i32 wide, i32 n, i32 books, i32 ks,
                       const float *lut, double scale, double bias, const float *extra, const i32 *ids, i32 k,
                       float *hd, i32 *hi, i32 *hn) {
  filter_bits = allowed;
  filter_n = nAllowed;
  if (wide) SCAN_BODY(unsigned short, ks)
  else if (ks == 256) SCAN_BODY(unsigned char, 256)
  else SCAN_BODY(unsigned char, ks)
}

EXPORT(adc_scan_pair_filtered)
void adc_scan_pair_filtered(const unsigned char *allowed, i32 nAllowed, const void *codes, i32 wide, i32 n, i32 books, i32 ks,
                            const float *a, const float *b, double bScale, double bias, const i32 *ids, i32 k,
                            float *hd, i32 *hi, i32 *hn) {
  filter_bits = allowed;
  filter_n = nAllowed;
  if (wide) PAIR_BODY(unsigned short, ks)
  else if (ks == 256) PAIR_BODY(unsigned char, 256)
  else PAIR_BODY(unsigned char, ks)
}

EXPORT(adc_scan_weighted_filtered)
void adc_scan_weighted_filtered(const unsigned char *allowed, i32 nAllowed, const i32 *runs, i32 nruns, const void *weights0,
                                i32 wideW, const float *wt, i32 ws, const void *codes0, i32 wide, i32 books, i32 ks,
                                const float *lut, double scale, double bias, const float *extra0, const i32 *ids0, i32 k,
                                float *hd, i32 *hi, i32 *hn) {
  filter_bits = allowed;
  filter_n = nAllowed;
  WSCAN_RUNS
}

#undef heap_push

/*
 * The filtered ADC scan for a sparse filter (few ids allowed): each block of GATHER_ROWS rows has its
 * allowed rows' codes, ids and extra terms gathered first, then the unchanged SCAN_BODY scores only
 * those (faiss's IDSelector order: the id is tested before the code is scored). Same pushes, in the
 * same order, as adc_scan_filtered; codes wider than the gather buffer take that scan instead.
 */
#define GATHER_ROWS 64
#define GATHER_ROW_BYTES 2048
static unsigned char gather_codes[GATHER_ROWS * GATHER_ROW_BYTES];
static i32 gather_ids[GATHER_ROWS];
static float gather_extra[GATHER_ROWS];

EXPORT(adc_scan_gathered)
void adc_scan_gathered(const unsigned char *allowed, i32 nAllowed, const void *codes_, i32 wide, i32 n_, i32 books, i32 ks,
                       const float *lut, double scale, double bias, const float *extra_, const i32 *ids_, i32 k,
                       float *hd, i32 *hi, i32 *hn) {
  const i32 rowBytes = books * (wide ? 2 : 1);
  if (rowBytes > GATHER_ROW_BYTES) {
    adc_scan_filtered(allowed, nAllowed, codes_, wide, n_, books, ks, lut, scale, bias, extra_, ids_, k, hd, hi, hn);
    return;
  }
  const unsigned char *src = (const unsigned char *)codes_;
  for (i32 r0 = 0; r0 < n_; r0 += GATHER_ROWS) {
    const i32 r1 = imin(n_, r0 + GATHER_ROWS);
    i32 n = 0;
    for (i32 r = r0; r < r1; r++) {
      const i32 id = ids_[r];
      if ((unsigned)id >= (unsigned)nAllowed || !allowed[id]) continue;
      const unsigned char *from = src + (long)r * rowBytes;
      unsigned char *to = gather_codes + n * rowBytes;
      for (i32 b = 0; b < rowBytes; b++) to[b] = from[b];
      gather_ids[n] = id;
      if (extra_) gather_extra[n] = extra_[r];
      n++;
    }
    if (n == 0) continue;
    const void *codes = gather_codes;
    const i32 *ids = gather_ids;
    const float *extra = extra_ ? gather_extra : 0;
    if (wide) SCAN_BODY(unsigned short, ks)
    else if (ks == 256) SCAN_BODY(unsigned char, 256)
    else SCAN_BODY(unsigned char, ks)
  }
}
