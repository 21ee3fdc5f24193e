#!/usr/bin/env bash
# Build the optional native exact k-NN kernel (src/core/native/knn.cc) into build/native/knn.node:
# a Node-API addon (Node's own headers, no node-gyp) that runs faiss's IndexFlat scheme, OpenBLAS
# sgemm blocks plus the wasm kernel's top-k selection. Optional: when it is absent the wasm kernel
# runs (src/core/native/knn-native.ts).
#
# OpenBLAS is Debian's (libopenblas-dev), linked STATICALLY with its symbols hidden: the addon gets
# a private copy whose thread count it sets to 1 (vqbench parallelises over queries itself), while
# faiss-node in the same process keeps the shared libopenblas.so.0 and its own thread setting.
#
# Needs: g++, libopenblas-dev (libopenblas.a, cblas.h), Node's headers (node_api.h).
# Usage: bash scripts/build-native.sh      (env: CXX, NODE_INCLUDE_DIR, OPENBLAS_LIB, OPENBLAS_INCLUDE)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CXX="${CXX:-g++}"
MULTIARCH="$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)"
SRC="$ROOT/src/core/native/knn.cc"
OUT_DIR="$ROOT/build/native"
OUT="$OUT_DIR/knn.node"

say() { echo "[build-native] $*"; }
die() { echo "[build-native] ERROR: $*" >&2; exit 1; }

command -v "$CXX" >/dev/null || die "$CXX not found (apt-get install build-essential)"

# Node's headers (node_api.h): scripts/node-include.sh
. "$ROOT/scripts/node-include.sh"
NODE_INC="$(find_node_include)" || die "Node's headers (node_api.h) not found; set NODE_INCLUDE_DIR"

# OpenBLAS: the static library and cblas.h of the pthread flavour (the one libblas.so.3 selects).
OPENBLAS_LIB="${OPENBLAS_LIB:-}"
if [ -z "$OPENBLAS_LIB" ]; then
  for f in "/usr/lib/$MULTIARCH/openblas-pthread/libopenblas.a" "/usr/lib/$MULTIARCH/libopenblas.a"; do
    if [ -f "$f" ]; then OPENBLAS_LIB="$f"; break; fi
  done
fi
[ -n "$OPENBLAS_LIB" ] && [ -f "$OPENBLAS_LIB" ] || die "libopenblas.a not found (apt-get install libopenblas-dev)"
OPENBLAS_INCLUDE="${OPENBLAS_INCLUDE:-}"
if [ -z "$OPENBLAS_INCLUDE" ]; then
  for d in "/usr/include/$MULTIARCH/openblas-pthread" "/usr/include/$MULTIARCH" /usr/include/openblas /usr/include; do
    if [ -f "$d/cblas.h" ] && grep -q openblas_set_num_threads "$d/cblas.h"; then OPENBLAS_INCLUDE="$d"; break; fi
  done
fi
[ -n "$OPENBLAS_INCLUDE" ] || die "OpenBLAS's cblas.h not found (apt-get install libopenblas-dev)"

mkdir -p "$OUT_DIR"
TMP="$OUT.tmp.$$"
trap 'rm -f "$TMP"' EXIT
say "compiling with $CXX (node headers: $NODE_INC, OpenBLAS: $OPENBLAS_LIB)"
start=$(date +%s)
# -ffp-contract=off: no fused multiply-add in the selection (v = ||b||² − 2 q·b rounded as in kernels.c)
"$CXX" -std=c++17 -O3 -fPIC -shared -fvisibility=hidden -ffp-contract=off -Wall \
  -I"$NODE_INC" -I"$OPENBLAS_INCLUDE" \
  "$SRC" -o "$TMP" \
  -Wl,--exclude-libs,ALL -Wl,-Bsymbolic "$OPENBLAS_LIB" -lpthread -lm
mv -f "$TMP" "$OUT"
say "built $OUT in $(( $(date +%s) - start ))s"

# Smoke test: three base rows, one query, its two nearest (knn) and its nearest (nearest).
node -e "
const m = require(process.argv[1]);
const ids = new Int32Array(2), d = new Float32Array(2);
m.knn(Float32Array.of(1, 0, 0, 1, 5, 5), 3, null, Float32Array.of(0.9, 0.1), 0, 1, 2, 2, true, ids, d);
if (ids[0] !== 0 || ids[1] !== 1 || Math.abs(d[0] - 0.02) > 1e-5) { console.error('[build-native] smoke test failed', ids, d); process.exit(1); }
const ni = new Int32Array(1), nd = new Float32Array(1);
m.nearest(Float32Array.of(0.9, 0.1), 0, 1, Float32Array.of(1, 0, 0, 1, 5, 5), 3, null, 2, true, ni, nd);
if (ni[0] !== 0 || Math.abs(nd[0] - 0.02) > 1e-5) { console.error('[build-native] smoke test of nearest failed', ni, nd); process.exit(1); }
console.log('[build-native] smoke test ok: ' + m.info());
" "$OUT"
