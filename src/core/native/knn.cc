// Native exact k-NN kernel (optional): a Node-API addon that computes the k nearest base rows of
// a range of queries as faiss's IndexFlat does, with BLAS: sgemm of a query block × a base block
// (cblas_sgemm, OpenBLAS), then the fused threshold + bounded max-heap selection of the wasm kernel
// (knn_tile / knn_finish in src/core/wasm/kernels.c): heap keyed by ||b||² − 2 q·b (l2) or −q·b
// (ip), candidates offered in increasing id and pushed only when strictly below the heap's worst,
// final sort by (distance, id), l2 distance max(0, v + ||q||²), ip −v, padding (+Inf, −1).
//
// Built by scripts/build-native.sh (g++, Node's headers, Debian's static OpenBLAS linked in with
// its symbols hidden, so that this private copy's thread count never touches the libopenblas.so.0
// that faiss-node uses in the same process). Loaded by knn-native.ts; the wasm kernel is the
// fallback, the JS scan (knnRangeJs) the reference.
//
// Threads: vqbench parallelises over queries (src/core/parallel.ts), calling this from worker
// threads, so the addon is context-aware (NAPI_MODULE_INIT) and OpenBLAS runs every call on the
// calling thread (openblas_set_num_threads(1) at load, on this private copy).
// Memory: the caller's typed arrays are read in place; per thread, one reused scratch (the
// inner-product tile, the heaps, base norms of one block): nothing is allocated per base block.
#include <node_api.h>

#include <cblas.h>
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <vector>

namespace {

typedef int32_t i32;

// Query rows and base rows per sgemm: a 256 × 1024 float tile (1 MiB) stays in L2.
#ifndef KNN_QB
#define KNN_QB 256
#endif
#ifndef KNN_BB
#define KNN_BB 1024
#endif
constexpr i32 QB = KNN_QB;
constexpr i32 BB = KNN_BB;

std::once_flag blasOnce;

void blasSingleThreaded() {
  std::call_once(blasOnce, [] { openblas_set_num_threads(1); });
}

// ---- the selection, as kernels.c (heap_push, heap_sort_pairs, knn_finish) -------------------

inline void heapPush(float *D, i32 *I, i32 *size, i32 k, float dist, i32 id) {
  if (*size < k) {
    i32 pos = (*size)++;
    while (pos > 0) {
      i32 parent = (pos - 1) >> 1;
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
  i32 pos = 0;
  for (;;) {
    i32 l = 2 * pos + 1;
    if (l >= k) break;
    i32 r = l + 1;
    i32 c = r < k && D[r] > D[l] ? r : l;
    if (D[c] <= dist) break;
    D[pos] = D[c];
    I[pos] = I[c];
    pos = c;
  }
  D[pos] = dist;
  I[pos] = id;
}

inline bool before(float da, i32 ia, float db, i32 ib) { return da < db || (da == db && ia < ib); }

inline void siftDown(float *D, i32 *I, i32 pos, i32 n, float dv, i32 iv) {
  for (;;) {
    i32 l = 2 * pos + 1;
    if (l >= n) break;
    i32 c = (l + 1 < n && before(D[l], I[l], D[l + 1], I[l + 1])) ? l + 1 : l;
    if (!before(dv, iv, D[c], I[c])) break;
    D[pos] = D[c];
    I[pos] = I[c];
    pos = c;
  }
  D[pos] = dv;
  I[pos] = iv;
}

void sortPairs(float *D, i32 *I, i32 n) {
  for (i32 s = n / 2 - 1; s >= 0; s--) siftDown(D, I, s, n, D[s], I[s]);
  for (i32 e = n - 1; e > 0; e--) {
    float dv = D[e];
    i32 iv = I[e];
    D[e] = D[0];
    I[e] = I[0];
    siftDown(D, I, 0, e, dv, iv);
  }
}

float normSq(const float *a, i32 d) {
  float s = 0.0f;
  for (i32 t = 0; t < d; t++) s += a[t] * a[t];
  return s;
}

// ---- the scan of one tile row --------------------------------------------------------------
// v_j = bn_j + scale · ip_j for the nj candidates of one query; the candidates are compared with
// the heap's worst 16 (AVX-512) or 8 (AVX2) at a time, and those below it are pushed one by one in
// increasing j, each compared again with the worst as it shrinks. The variant is picked once, by
// what the CPU supports; all three give the same heap.

inline void pushBelow(const float *v, unsigned mask, i32 id0, i32 k, float *D, i32 *I, i32 *size, float &w) {
  while (mask) {
    const i32 t = __builtin_ctz(mask);
    mask &= mask - 1;
    if (v[t] < w) {
      heapPush(D, I, size, k, v[t], id0 + t);
      w = *size < k ? INFINITY : D[0];
    }
  }
}

inline void scanTail(const float *ip, const float *bn, i32 j, i32 nj, float scale, i32 idOffset, i32 k,
                     float *D, i32 *I, i32 *size, float &w) {
  for (; j < nj; j++) {
    const float v = bn[j] + scale * ip[j];
    if (v < w) {
      heapPush(D, I, size, k, v, idOffset + j);
      w = *size < k ? INFINITY : D[0];
    }
  }
}

__attribute__((target("avx512f")))
void scanRowAvx512(const float *ip, const float *bn, i32 nj, float scale, i32 idOffset, i32 k,
                   float *D, i32 *I, i32 *size) {
  float w = *size < k ? INFINITY : D[0];
  const __m512 sc = _mm512_set1_ps(scale);
  i32 j = 0;
  for (; j + 16 <= nj; j += 16) {
    const __m512 v = _mm512_add_ps(_mm512_loadu_ps(bn + j), _mm512_mul_ps(sc, _mm512_loadu_ps(ip + j)));
    const unsigned mask = _mm512_cmp_ps_mask(v, _mm512_set1_ps(w), _CMP_LT_OQ);
    if (mask) {
      alignas(64) float vs[16];
      _mm512_store_ps(vs, v);
      pushBelow(vs, mask, idOffset + j, k, D, I, size, w);
    }
  }
  scanTail(ip, bn, j, nj, scale, idOffset, k, D, I, size, w);
}

__attribute__((target("avx2")))
void scanRowAvx2(const float *ip, const float *bn, i32 nj, float scale, i32 idOffset, i32 k,
                 float *D, i32 *I, i32 *size) {
  float w = *size < k ? INFINITY : D[0];
  const __m256 sc = _mm256_set1_ps(scale);
  i32 j = 0;
  for (; j + 8 <= nj; j += 8) {
    const __m256 v = _mm256_add_ps(_mm256_loadu_ps(bn + j), _mm256_mul_ps(sc, _mm256_loadu_ps(ip + j)));
    const unsigned mask = _mm256_movemask_ps(_mm256_cmp_ps(v, _mm256_set1_ps(w), _CMP_LT_OQ));
    if (mask) {
      alignas(32) float vs[8];
      _mm256_store_ps(vs, v);
      pushBelow(vs, mask, idOffset + j, k, D, I, size, w);
    }
  }
  scanTail(ip, bn, j, nj, scale, idOffset, k, D, I, size, w);
}

void scanRowScalar(const float *ip, const float *bn, i32 nj, float scale, i32 idOffset, i32 k,
                   float *D, i32 *I, i32 *size) {
  float w = *size < k ? INFINITY : D[0];
  scanTail(ip, bn, 0, nj, scale, idOffset, k, D, I, size, w);
}

typedef void (*ScanRow)(const float *, const float *, i32, float, i32, i32, float *, i32 *, i32 *);

ScanRow pickScanRow() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return scanRowAvx512;
  if (__builtin_cpu_supports("avx2")) return scanRowAvx2;
  return scanRowScalar;
}

const ScanRow scanRow = pickScanRow();

// Per-thread scratch, grown when needed and reused by every later call on the thread.
struct Scratch {
  std::vector<float> tile, heapD, bnorm;
  std::vector<i32> heapI, heapN;
};
thread_local Scratch scratch;

// Exact k-NN of queries [start, end) (rows of q, dimension d) among the nb rows of b; writes k
// ids / distances per query at outI / outD[(start + i)·k]. bn: ||b_j||² (l2), or null (computed).
void knnRange(const float *b, i32 nb, const float *bn, const float *q, i32 start, i32 end, i32 d,
              i32 k, bool l2, i32 *outI, float *outD) {
  blasSingleThreaded();
  Scratch &s = scratch;
  const i32 qb = std::min(QB, end - start), bb = std::min(BB, nb);
  s.tile.resize((size_t)qb * bb);
  s.heapD.resize((size_t)qb * k);
  s.heapI.resize((size_t)qb * k);
  s.heapN.resize(qb);
  s.bnorm.resize(bb);
  const float scale = l2 ? -2.0f : -1.0f;
  float *tile = s.tile.data(), *hd = s.heapD.data(), *bnb = s.bnorm.data();
  i32 *hi = s.heapI.data(), *hn = s.heapN.data();
  for (i32 q0 = start; q0 < end; q0 += qb) {
    const i32 nq = std::min(qb, end - q0);
    std::fill(hn, hn + nq, 0);
    for (i32 j0 = 0; j0 < nb; j0 += bb) {
      const i32 nj = std::min(bb, nb - j0);
      // tile[i][j] = q_(q0+i) · b_(j0+j)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nq, nj, d, 1.0f, q + (size_t)q0 * d, d,
                  b + (size_t)j0 * d, d, 0.0f, tile, nj);
      const float *bnj;
      if (!l2) {
        std::fill(bnb, bnb + nj, 0.0f);
        bnj = bnb;
      } else if (bn) {
        bnj = bn + j0;
      } else {
        for (i32 j = 0; j < nj; j++) bnb[j] = normSq(b + (size_t)(j0 + j) * d, d);
        bnj = bnb;
      }
      for (i32 i = 0; i < nq; i++)
        scanRow(tile + (size_t)i * nj, bnj, nj, scale, j0, k, hd + (size_t)i * k, hi + (size_t)i * k, hn + i);
    }
    for (i32 i = 0; i < nq; i++) {
      float *D = hd + (size_t)i * k;
      i32 *I = hi + (size_t)i * k;
      const i32 n = hn[i];
      sortPairs(D, I, n);
      const float qn = l2 ? normSq(q + (size_t)(q0 + i) * d, d) : 0.0f;
      float *od = outD + (size_t)(q0 + i) * k;
      i32 *oi = outI + (size_t)(q0 + i) * k;
      for (i32 j = 0; j < k; j++) {
        const float v = j < n ? D[j] : INFINITY;
        oi[j] = j < n ? I[j] : -1;
        if (l2) {
          const float t = v + qn;
          od[j] = t > 0.0f ? t : 0.0f;
        } else {
          od[j] = -v;
        }
      }
    }
  }
}

// ---- Node-API glue ---------------------------------------------------------------------------

napi_value fail(napi_env env, const char *msg) {
  napi_throw_type_error(env, nullptr, msg);
  return nullptr;
}

bool typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &t, len, data, &ab, &off) != napi_ok) return false;
  return t == want;
}

bool int32Arg(napi_env env, napi_value v, i32 *out) {
  double x;
  if (napi_get_value_double(env, v, &x) != napi_ok) return false;
  if (!(x >= 0 && x <= 2147483647.0) || x != std::floor(x)) return false;
  *out = (i32)x;
  return true;
}

// knn(base, nb, baseNorms | null, queries, start, end, d, k, l2, outIds, outDist)
napi_value Knn(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 11)
    return fail(env, "knn expects 11 arguments");
  void *b, *bn = nullptr, *q, *oi, *od;
  size_t bLen, bnLen = 0, qLen, oiLen, odLen;
  i32 nb, start, end, d, k;
  bool l2;
  napi_valuetype bnType;
  napi_typeof(env, argv[2], &bnType);
  if (!typed(env, argv[0], napi_float32_array, &b, &bLen)) return fail(env, "knn: base must be a Float32Array");
  if (bnType != napi_null && bnType != napi_undefined && !typed(env, argv[2], napi_float32_array, &bn, &bnLen))
    return fail(env, "knn: baseNorms must be a Float32Array or null");
  if (!typed(env, argv[3], napi_float32_array, &q, &qLen)) return fail(env, "knn: queries must be a Float32Array");
  if (!typed(env, argv[9], napi_int32_array, &oi, &oiLen)) return fail(env, "knn: outIds must be an Int32Array");
  if (!typed(env, argv[10], napi_float32_array, &od, &odLen)) return fail(env, "knn: outDist must be a Float32Array");
  if (!int32Arg(env, argv[1], &nb) || !int32Arg(env, argv[4], &start) || !int32Arg(env, argv[5], &end) ||
      !int32Arg(env, argv[6], &d) || !int32Arg(env, argv[7], &k) || napi_get_value_bool(env, argv[8], &l2) != napi_ok)
    return fail(env, "knn: nb, start, end, d, k must be non-negative integers and l2 a boolean");
  if (nb < 1 || d < 1 || k < 1 || end < start) return fail(env, "knn: needs nb, d, k >= 1 and start <= end");
  if ((size_t)nb * d > bLen || (bn && bnLen < (size_t)nb) || (size_t)end * d > qLen ||
      (size_t)end * k > oiLen || (size_t)end * k > odLen)
    return fail(env, "knn: an array is shorter than its arguments say");
  if (end > start)
    knnRange((const float *)b, nb, (const float *)bn, (const float *)q, start, end, d, k, l2, (i32 *)oi, (float *)od);
  return nullptr;
}

// The BLAS core OpenBLAS picked for this CPU, e.g. "Haswell".
napi_value Info(napi_env env, napi_callback_info) {
  blasSingleThreaded();
  char buf[160];
  snprintf(buf, sizeof buf, "OpenBLAS %s, %d thread per call", openblas_get_corename(), openblas_get_num_threads());
  napi_value s;
  napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &s);
  return s;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "knn", NAPI_AUTO_LENGTH, Knn, nullptr, &fn);
  napi_set_named_property(env, exports, "knn", fn);
  napi_create_function(env, "info", NAPI_AUTO_LENGTH, Info, nullptr, &fn);
  napi_set_named_property(env, exports, "info", fn);
  return exports;
}
