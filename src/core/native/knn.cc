// Native exact k-NN kernel (optional): a Node-API addon that computes the k nearest base rows of
// a range of queries as faiss's IndexFlat does, with BLAS: sgemm of a query block × a base block
// (cblas_sgemm, OpenBLAS), then the fused threshold + bounded max-heap selection of the wasm kernel
// (knn_tile / knn_finish in src/core/wasm/kernels.c): heap keyed by ||b||² − 2 q·b (l2) or −q·b
// (ip), candidates offered in increasing id and pushed only when strictly below the heap's worst,
// final sort by (distance, id), l2 distance max(0, v + ||q||²), ip −v, padding (+Inf, −1). sgemm's
// values only filter; the keys kept are summed as the wasm tile sums them, so the results equal the
// wasm kernel's bit for bit (see "the scan of one tile row"). nearest() is the k-means assignment
// (kernels.c nearest_tile) as the same kernel with k = 1, which collects per row only what can win or
// tie (see "k = 1").
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

#include "../wasm/heap.h"  // the wasm kernels' heap: same pushes, ties and final order

#include <cblas.h>
#if defined(__x86_64__) || defined(__i386__)
#define KNN_X86 1
#include <immintrin.h>
#endif

#include <cmath>
#include <cstdint>
#include <cstring>
#include <algorithm>
#include <mutex>
#include <atomic>
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
std::atomic<long> knnCalls{0};      // calls of knn() in this process, all threads (tests check the workers use it)
std::atomic<long> nearestCalls{0};  // calls of nearest(), likewise

void blasSingleThreaded() {
  std::call_once(blasOnce, [] { openblas_set_num_threads(1); });
}

// ---- the selection: heap_push and heap_sort_pairs of ../wasm/heap.h, knn_finish as kernels.c -----

// ||a||² summed exactly as row_norms in kernels.c (four lanes over d rounded down to a multiple
// of 4, then (l0 + l1) + (l2 + l3), then the tail), so that the results equal the wasm kernel's.
float rowNorm(const float *a, i32 d) {
  float l[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  i32 t = 0;
  for (; t + 4 <= d; t += 4)
    for (i32 c = 0; c < 4; c++) l[c] = l[c] + a[t + c] * a[t + c];
  float s = (l[0] + l[1]) + (l[2] + l[3]);
  for (; t < d; t++) s = s + a[t] * a[t];
  return s;
}

// q · b summed as the wasm tile does (micro() in kernels.c: one product, then one add, in order of
// the dimension; no fused multiply-add, see -ffp-contract=off): the value the heap keeps.
float exactDot(const float *q, const float *b, i32 d) {
  float s = 0.0f;
  for (i32 t = 0; t < d; t++) s = s + q[t] * b[t];
  return s;
}

// ---- the scan of one tile row --------------------------------------------------------------
// sgemm sums each q · b in an order that depends on the block shapes (measured: a base row gets
// another last bit in another chunk), so its values only FILTER. The first candidates of a row
// fill the heap (exact keys, one by one); then every later candidate whose sgemm value
// v_j = bn_j + scale · ip_j is below the heap's worst w plus `margin` (a bound on
// |v(sgemm) − v(exact)|) is collected, 16 (AVX-512) or 8 (AVX2) compared at a time; the collected
// get their exact keys bn_j + scale · exactDot (the wasm kernel's values), eight sums side by side,
// and are pushed in increasing j when strictly below the (shrinking) w. The heaps therefore hold
// exactly what the wasm kernel's hold, whatever the blocking, the thread split or the chunking of
// the base. The variant is picked once, by what the CPU supports; all three give the same heap.

struct Row {
  const float *ip, *bn, *q, *b;  // tile row, norms (or zeros), the query, the block's first base row
  i32 nj, d, idOffset, k;
  float scale, margin;
  float *D;
  i32 *I, *size;
  i32 *cand;    // scratch: collected candidates (nj)
  float *keys;  // scratch: their exact keys (nj)
};

inline float worst(const Row &r) { return *r.size < r.k ? INFINITY : r.D[0]; }

// keys[c] = bn[cand[c]] + scale · exactDot(q_c, b_cand[c]) for n candidates, q_c = q + row[c]·d (row
// null: q itself); eight independent sums at a time (each summed in order of the dimension, as
// exactDot) so that their latencies overlap.
void pairKeys(const float *q, const i32 *row, const float *b, const float *bn, const i32 *cand, i32 n, i32 d,
              float scale, float *keys) {
  i32 c = 0;
  for (; c + 8 <= n; c += 8) {
    const float *qs[8], *bs[8];
    float acc[8];
    for (i32 u = 0; u < 8; u++) {
      qs[u] = row ? q + (size_t)row[c + u] * d : q;
      bs[u] = b + (size_t)cand[c + u] * d;
      acc[u] = 0.0f;
    }
    for (i32 t = 0; t < d; t++)
      for (i32 u = 0; u < 8; u++) acc[u] = acc[u] + qs[u][t] * bs[u][t];
    for (i32 u = 0; u < 8; u++) keys[c + u] = bn[cand[c + u]] + scale * acc[u];
  }
  for (; c < n; c++)
    keys[c] = bn[cand[c]] + scale * exactDot(row ? q + (size_t)row[c] * d : q, b + (size_t)cand[c] * d, d);
}

// The exact keys of a row's n collected candidates.
inline void exactKeys(const Row &r, i32 n) { pairKeys(r.q, nullptr, r.b, r.bn, r.cand, n, r.d, r.scale, r.keys); }

// Fills the heap from the row's first candidates (exact keys, one by one); returns where it stopped.
inline i32 fill(const Row &r) {
  i32 j = 0;
  for (; j < r.nj && *r.size < r.k; j++) {
    const float v = r.bn[j] + r.scale * exactDot(r.q, r.b + (size_t)j * r.d, r.d);
    if (v < INFINITY) heap_push(r.D, r.I, r.size, r.k, v, r.idOffset + j);
  }
  return j;
}

#ifndef KNN_FLUSH
#define KNN_FLUSH 32
#endif
constexpr i32 FLUSH = KNN_FLUSH;  // collected candidates that trigger their push mid-row

// Pushes the n collected candidates (increasing j, exact keys in r.keys) whose key is below the worst.
inline void pushKept(const Row &r, i32 n) {
  float w = worst(r);
  for (i32 c = 0; c < n; c++) {
    if (r.keys[c] < w) {
      heap_push(r.D, r.I, r.size, r.k, r.keys[c], r.idOffset + r.cand[c]);
      w = worst(r);
    }
  }
}

// Pushes the n collected candidates (increasing j) whose exact key is below the worst.
inline void offerCollected(const Row &r, i32 n) {
  exactKeys(r, n);
  pushKept(r, n);
}

inline i32 collectTail(const Row &r, i32 j, float wm, i32 n) {
  for (; j < r.nj; j++)
    if (r.bn[j] + r.scale * r.ip[j] < wm) r.cand[n++] = j;
  return n;
}

// ---- k = 1 (the nearest-row assignment of k-means): collect only what can win or tie ----------
// With a heap of one, the running worst falls only as its row's better keys come, so the scan above
// would collect many. Here a first pass takes the row's smallest sgemm value vmin (at j*): the exact
// minimum m <= exact(j*) < vmin + margin, and a j with exact key <= m has v_j < m + margin; so
// collecting v_j <= min(w, vmin + margin) + margin (w: the exact worst of the earlier blocks) keeps
// every j that can win or tie, usually one or two per row ("<=": the margin is 0 when the row or the
// block is all zeros, and then vmin itself must be kept). Writes the collected j (increasing) to
// out; returns how many.
inline float argminThreshold(float w, float vmin, float margin) { return std::min(w, vmin + margin) + margin; }

inline i32 collectBelow(const float *ip, const float *bn, i32 j, i32 nj, float scale, float t, i32 *out, i32 n) {
  for (; j < nj; j++)
    if (bn[j] + scale * ip[j] <= t) out[n++] = j;
  return n;
}

i32 collectMinScalar(const float *ip, const float *bn, i32 nj, float scale, float margin, float w, i32 *out) {
  float vmin = INFINITY;
  for (i32 j = 0; j < nj; j++) vmin = std::min(vmin, bn[j] + scale * ip[j]);  // NaN: skipped (min keeps vmin)
  return collectBelow(ip, bn, 0, nj, scale, argminThreshold(w, vmin, margin), out, 0);
}

#ifdef KNN_X86
__attribute__((target("avx512f")))
i32 collectMinAvx512(const float *ip, const float *bn, i32 nj, float scale, float margin, float w, i32 *out) {
  const __m512 sc = _mm512_set1_ps(scale);
  __m512 m = _mm512_set1_ps(INFINITY);
  i32 j = 0;
  for (; j + 16 <= nj; j += 16) {  // v where v < m (a NaN v: not taken)
    const __m512 v = _mm512_add_ps(_mm512_loadu_ps(bn + j), _mm512_mul_ps(sc, _mm512_loadu_ps(ip + j)));
    m = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, m, _CMP_LT_OQ), m, v);
  }
  float lanes[16];
  _mm512_storeu_ps(lanes, m);
  float vmin = INFINITY;
  for (i32 u = 0; u < 16; u++) vmin = std::min(vmin, lanes[u]);
  for (; j < nj; j++) vmin = std::min(vmin, bn[j] + scale * ip[j]);
  const float th = argminThreshold(w, vmin, margin);
  const __m512 t = _mm512_set1_ps(th);
  i32 n = 0;
  for (j = 0; j + 16 <= nj; j += 16) {
    const __m512 v = _mm512_add_ps(_mm512_loadu_ps(bn + j), _mm512_mul_ps(sc, _mm512_loadu_ps(ip + j)));
    unsigned mask = _mm512_cmp_ps_mask(v, t, _CMP_LE_OQ);
    while (mask) {
      out[n++] = j + __builtin_ctz(mask);
      mask &= mask - 1;
    }
  }
  return collectBelow(ip, bn, j, nj, scale, th, out, n);
}

__attribute__((target("avx2")))
i32 collectMinAvx2(const float *ip, const float *bn, i32 nj, float scale, float margin, float w, i32 *out) {
  const __m256 sc = _mm256_set1_ps(scale);
  __m256 m = _mm256_set1_ps(INFINITY);
  i32 j = 0;
  for (; j + 8 <= nj; j += 8)
    m = _mm256_min_ps(_mm256_add_ps(_mm256_loadu_ps(bn + j), _mm256_mul_ps(sc, _mm256_loadu_ps(ip + j))), m);
  float lanes[8];
  _mm256_storeu_ps(lanes, m);
  float vmin = INFINITY;
  for (i32 u = 0; u < 8; u++) vmin = std::min(vmin, lanes[u]);
  for (; j < nj; j++) vmin = std::min(vmin, bn[j] + scale * ip[j]);
  const float th = argminThreshold(w, vmin, margin);
  const __m256 t = _mm256_set1_ps(th);
  i32 n = 0;
  for (j = 0; j + 8 <= nj; j += 8) {
    const __m256 v = _mm256_add_ps(_mm256_loadu_ps(bn + j), _mm256_mul_ps(sc, _mm256_loadu_ps(ip + j)));
    unsigned mask = _mm256_movemask_ps(_mm256_cmp_ps(v, t, _CMP_LE_OQ));
    while (mask) {
      out[n++] = j + __builtin_ctz(mask);
      mask &= mask - 1;
    }
  }
  return collectBelow(ip, bn, j, nj, scale, th, out, n);
}
#endif

#ifdef KNN_X86
__attribute__((target("avx512f")))
void scanRowAvx512(const Row &r) {
  i32 j = fill(r), n = 0;
  float wm = worst(r) + r.margin;
  const __m512 sc = _mm512_set1_ps(r.scale);
  __m512 t = _mm512_set1_ps(wm);
  for (; j + 16 <= r.nj; j += 16) {
    const __m512 v = _mm512_add_ps(_mm512_loadu_ps(r.bn + j), _mm512_mul_ps(sc, _mm512_loadu_ps(r.ip + j)));
    unsigned mask = _mm512_cmp_ps_mask(v, t, _CMP_LT_OQ);
    while (mask) {
      r.cand[n++] = j + __builtin_ctz(mask);
      mask &= mask - 1;
    }
    if (n >= FLUSH) {  // many collected (a young heap): push them, tighten the threshold
      offerCollected(r, n);
      n = 0;
      wm = worst(r) + r.margin;
      t = _mm512_set1_ps(wm);
    }
  }
  offerCollected(r, collectTail(r, j, wm, n));
}

__attribute__((target("avx2")))
void scanRowAvx2(const Row &r) {
  i32 j = fill(r), n = 0;
  float wm = worst(r) + r.margin;
  const __m256 sc = _mm256_set1_ps(r.scale);
  __m256 t = _mm256_set1_ps(wm);
  for (; j + 8 <= r.nj; j += 8) {
    const __m256 v = _mm256_add_ps(_mm256_loadu_ps(r.bn + j), _mm256_mul_ps(sc, _mm256_loadu_ps(r.ip + j)));
    unsigned mask = _mm256_movemask_ps(_mm256_cmp_ps(v, t, _CMP_LT_OQ));
    while (mask) {
      r.cand[n++] = j + __builtin_ctz(mask);
      mask &= mask - 1;
    }
    if (n >= FLUSH) {
      offerCollected(r, n);
      n = 0;
      wm = worst(r) + r.margin;
      t = _mm256_set1_ps(wm);
    }
  }
  offerCollected(r, collectTail(r, j, wm, n));
}

#endif

void scanRowScalar(const Row &r) {
  const i32 j = fill(r);
  offerCollected(r, collectTail(r, j, worst(r) + r.margin, 0));
}

typedef void (*ScanRow)(const Row &);
typedef i32 (*CollectMin)(const float *ip, const float *bn, i32 nj, float scale, float margin, float w, i32 *out);

struct Variant {
  const char *name;
  ScanRow scan;        // k > 1
  CollectMin argmin;   // k = 1
};

// The scan variants this CPU can run, best first.
std::vector<Variant> variants() {
  std::vector<Variant> v;
#ifdef KNN_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) v.push_back({"avx512", scanRowAvx512, collectMinAvx512});
  if (__builtin_cpu_supports("avx2")) v.push_back({"avx2", scanRowAvx2, collectMinAvx2});
#endif
  v.push_back({"scalar", scanRowScalar, collectMinScalar});
  return v;
}

const std::vector<Variant> &table() {
  static const std::vector<Variant> all = variants();
  return all;
}

// The variant in use, process-wide: the best one, unless a test picked another (setVariant).
std::atomic<const Variant *> variant{nullptr};

const Variant &currentVariant() {
  const Variant *v = variant.load();
  return v ? *v : table()[0];
}

bool setVariant(const char *name) {
  for (const Variant &v : table()) {
    if (std::strcmp(v.name, name) == 0) {
      variant.store(&v);
      return true;
    }
  }
  return false;
}

// Per-thread scratch, grown when needed and reused by every later call on the thread.
struct Scratch {
  std::vector<float> tile, heapD, bnorm, qnorm, keys;
  std::vector<i32> heapI, heapN, cand, candRow, rowStart;
};
thread_local Scratch scratch;

// |v(sgemm) − v(exact)| ≤ |scale|·|ip(sgemm) − ip(exact)| + the rounding of the two adds, and each
// float32 dot of d products is within γ_d·||q||·||b|| of the true one (γ_d ≈ d·2⁻²⁴, any summation
// order, fused or not): twice that bound, so that the norms' own rounding is covered too.
float marginOf(float scale, i32 d, float qNorm, float bNormMax, float bnMax) {
  const double eps = 1.0 / (1 << 24), t = std::fabs((double)scale) * qNorm * bNormMax;
  return (float)(2.0 * (2.0 * (d + 2) * eps * t + 4.0 * eps * ((double)bnMax + t)));
}

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
  s.qnorm.resize(qb);
  // k = 1: a tile's candidates, every row's, collected before their exact keys are summed
  s.cand.resize(k == 1 ? (size_t)qb * bb : bb);
  s.keys.resize(k == 1 ? (size_t)qb * bb : bb);
  if (k == 1) {
    s.candRow.resize((size_t)qb * bb);
    s.rowStart.resize(qb + 1);
  }
  const float scale = l2 ? -2.0f : -1.0f;
  const ScanRow scan = currentVariant().scan;
  const CollectMin argmin = currentVariant().argmin;
  float *tile = s.tile.data(), *hd = s.heapD.data(), *bnb = s.bnorm.data(), *qnorm = s.qnorm.data();
  i32 *hi = s.heapI.data(), *hn = s.heapN.data();
  for (i32 q0 = start; q0 < end; q0 += qb) {
    const i32 nq = std::min(qb, end - q0);
    std::fill(hn, hn + nq, 0);
    for (i32 i = 0; i < nq; i++) qnorm[i] = std::sqrt(rowNorm(q + (size_t)(q0 + i) * d, d));
    for (i32 j0 = 0; j0 < nb; j0 += bb) {
      const i32 nj = std::min(bb, nb - j0);
      const float *bj = b + (size_t)j0 * d;
      // tile[i][j] = q_(q0+i) · b_(j0+j)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nq, nj, d, 1.0f, q + (size_t)q0 * d, d, bj, d, 0.0f, tile, nj);
      // the block's keys' norms (l2: given or computed as row_norms; ip: zeros) and its largest ||b||
      const float *bnj = bn ? bn + j0 : bnb;
      float sqMax = 0.0f;
      if (!bn) {
        for (i32 j = 0; j < nj; j++) {
          const float n = rowNorm(bj + (size_t)j * d, d);
          sqMax = std::max(sqMax, n);
          bnb[j] = l2 ? n : 0.0f;
        }
      } else {
        for (i32 j = 0; j < nj; j++) sqMax = std::max(sqMax, bnj[j]);
      }
      const float bNormMax = std::sqrt(sqMax), bnMax = l2 ? sqMax : 0.0f;
      if (k == 1) {
        // every row's candidates, then their exact keys eight pairs at a time across the rows, then
        // each row's pushes in increasing j (the heap of one, as below)
        i32 *cand = s.cand.data(), *row = s.candRow.data(), *start = s.rowStart.data();
        i32 total = 0;
        for (i32 i = 0; i < nq; i++) {
          start[i] = total;
          const float w = hn[i] < 1 ? INFINITY : hd[i];
          const i32 n = argmin(tile + (size_t)i * nj, bnj, nj, scale, marginOf(scale, d, qnorm[i], bNormMax, bnMax), w,
                               cand + total);
          std::fill(row + total, row + total + n, i);
          total += n;
        }
        start[nq] = total;
        pairKeys(q + (size_t)q0 * d, row, bj, bnj, cand, total, d, scale, s.keys.data());
        for (i32 i = 0; i < nq; i++) {
          const Row r = {nullptr, bnj, nullptr, bj, nj, d, j0, 1, scale, 0.0f, hd + i, hi + i, hn + i,
                         cand + start[i], s.keys.data() + start[i]};
          pushKept(r, start[i + 1] - start[i]);
        }
        continue;
      }
      for (i32 i = 0; i < nq; i++) {
        const Row r = {tile + (size_t)i * nj, bnj, q + (size_t)(q0 + i) * d, bj, nj, d, j0, k, scale,
                       marginOf(scale, d, qnorm[i], bNormMax, bnMax), hd + (size_t)i * k, hi + (size_t)i * k, hn + i,
                       s.cand.data(), s.keys.data()};
        scan(r);
      }
    }
    for (i32 i = 0; i < nq; i++) {
      float *D = hd + (size_t)i * k;
      i32 *I = hi + (size_t)i * k;
      const i32 n = hn[i];
      heap_sort_pairs(D, I, n);
      const float qn = l2 ? rowNorm(q + (size_t)(q0 + i) * d, d) : 0.0f;
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
  knnCalls++;
  if (end > start)
    knnRange((const float *)b, nb, (const float *)bn, (const float *)q, start, end, d, k, l2, (i32 *)oi, (float *)od);
  return nullptr;
}

// nearest(x, start, end, c, nc, cNorms | null, d, l2, outIds, outDist): the nearest-centroid
// assignment of k-means (nearest_tile + nearest_finish in kernels.c): for rows [start, end) of x,
// the smallest cn[j] + scale · x · c_j, first j on ties, then max(0, v + ||x||²) (l2) or −v (ip);
// id −1 and +Inf / −Inf when no value is below +Inf. That is knnRange with k = 1: its heap of one
// keeps the first key strictly below the running minimum, in increasing j, on exact keys summed as
// the wasm tile sums them, so the ids and distances equal nearest_tile's bit for bit.
napi_value Nearest(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 10)
    return fail(env, "nearest expects 10 arguments");
  void *x, *c, *cn = nullptr, *oi, *od;
  size_t xLen, cLen, cnLen = 0, oiLen, odLen;
  i32 start, end, nc, d;
  bool l2;
  napi_valuetype cnType;
  napi_typeof(env, argv[5], &cnType);
  if (!typed(env, argv[0], napi_float32_array, &x, &xLen)) return fail(env, "nearest: x must be a Float32Array");
  if (!typed(env, argv[3], napi_float32_array, &c, &cLen)) return fail(env, "nearest: c must be a Float32Array");
  if (cnType != napi_null && cnType != napi_undefined && !typed(env, argv[5], napi_float32_array, &cn, &cnLen))
    return fail(env, "nearest: cNorms must be a Float32Array or null");
  if (!typed(env, argv[8], napi_int32_array, &oi, &oiLen)) return fail(env, "nearest: outIds must be an Int32Array");
  if (!typed(env, argv[9], napi_float32_array, &od, &odLen)) return fail(env, "nearest: outDist must be a Float32Array");
  if (!int32Arg(env, argv[1], &start) || !int32Arg(env, argv[2], &end) || !int32Arg(env, argv[4], &nc) ||
      !int32Arg(env, argv[6], &d) || napi_get_value_bool(env, argv[7], &l2) != napi_ok)
    return fail(env, "nearest: start, end, nc, d must be non-negative integers and l2 a boolean");
  if (nc < 1 || d < 1 || end < start) return fail(env, "nearest: needs nc, d >= 1 and start <= end");
  if ((size_t)end * d > xLen || (size_t)nc * d > cLen || (cn && cnLen < (size_t)nc) || (size_t)end > oiLen ||
      (size_t)end > odLen)
    return fail(env, "nearest: an array is shorter than its arguments say");
  nearestCalls++;
  if (end > start)
    knnRange((const float *)c, nc, l2 ? (const float *)cn : nullptr, (const float *)x, start, end, d, 1, l2, (i32 *)oi,
             (float *)od);
  return nullptr;
}

// The BLAS core OpenBLAS picked for this CPU, e.g. "Haswell".
napi_value Info(napi_env env, napi_callback_info) {
  blasSingleThreaded();
  char buf[160];
  snprintf(buf, sizeof buf, "OpenBLAS %s, %s scan, %d thread per call", openblas_get_corename(), currentVariant().name,
           openblas_get_num_threads());
  napi_value s;
  napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &s);
  return s;
}

// variant(): the scan variant in use ('avx512', 'avx2' or 'scalar'); variant(name) picks another this
// CPU can run (tests compare them), for the whole process. variants(): those this CPU can run.
napi_value VariantFn(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc >= 1) {
    char name[32];
    size_t len = 0;
    if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok || !setVariant(name))
      return fail(env, "variant: not a scan variant this CPU can run");
  }
  napi_value s;
  napi_create_string_utf8(env, currentVariant().name, NAPI_AUTO_LENGTH, &s);
  return s;
}

napi_value VariantsFn(napi_env env, napi_callback_info) {
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t i = 0;
  for (const Variant &v : table()) {
    napi_value s;
    napi_create_string_utf8(env, v.name, NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, arr, i++, s);
  }
  return arr;
}

// How many times knn() ran in this process (every thread).
napi_value Calls(napi_env env, napi_callback_info) {
  napi_value n;
  napi_create_double(env, (double)knnCalls.load(), &n);
  return n;
}

// How many times nearest() ran in this process (every thread).
napi_value NearestCallsFn(napi_env env, napi_callback_info) {
  napi_value n;
  napi_create_double(env, (double)nearestCalls.load(), &n);
  return n;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "knn", NAPI_AUTO_LENGTH, Knn, nullptr, &fn);
  napi_set_named_property(env, exports, "knn", fn);
  napi_create_function(env, "info", NAPI_AUTO_LENGTH, Info, nullptr, &fn);
  napi_set_named_property(env, exports, "info", fn);
  napi_create_function(env, "variant", NAPI_AUTO_LENGTH, VariantFn, nullptr, &fn);
  napi_set_named_property(env, exports, "variant", fn);
  napi_create_function(env, "variants", NAPI_AUTO_LENGTH, VariantsFn, nullptr, &fn);
  napi_set_named_property(env, exports, "variants", fn);
  napi_create_function(env, "calls", NAPI_AUTO_LENGTH, Calls, nullptr, &fn);
  napi_set_named_property(env, exports, "calls", fn);
  napi_create_function(env, "nearest", NAPI_AUTO_LENGTH, Nearest, nullptr, &fn);
  napi_set_named_property(env, exports, "nearest", fn);
  napi_create_function(env, "nearestCalls", NAPI_AUTO_LENGTH, NearestCallsFn, nullptr, &fn);
  napi_set_named_property(env, exports, "nearestCalls", fn);
  return exports;
}
