#!/usr/bin/env bash
# Build faiss-node's native addon offline, against Debian's faiss (libfaiss-dev, 1.7.3).
#
# faiss-node's own install script downloads a prebuilt binary, then git-clones faiss v1.7.4 and
# builds it with cmake-js; both need the internet. Instead we compile its single source file,
# src/faiss.cc, with g++ and link it against the static /usr/lib/x86_64-linux-gnu/libfaiss.a plus
# OpenBLAS and libgomp. The result goes where `bindings` looks for it:
#   node_modules/faiss-node/build/Release/faiss-node.node
#
# Debian's faiss 1.7.3 has `faiss::Index::idx_t` but no `faiss::idx_t` (added in 1.7.4), which
# faiss.cc uses. We compile a patched COPY (build/src/faiss.cc); the original file is untouched.
#
# Needs: g++, libfaiss-dev, libopenblas-dev, Node's headers (node.h / node_api.h).
# Usage: bash scripts/build-faiss-node.sh        (env: FAISS_NODE_DIR, FAISS_LIB, NODE_INCLUDE_DIR, CXX)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG="${FAISS_NODE_DIR:-$ROOT/node_modules/faiss-node}"
CXX="${CXX:-g++}"
MULTIARCH="$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)"
FAISS_LIB="${FAISS_LIB:-/usr/lib/$MULTIARCH/libfaiss.a}"

say() { echo "[build-faiss-node] $*"; }
die() { echo "[build-faiss-node] ERROR: $*" >&2; exit 1; }

[ -f "$PKG/src/faiss.cc" ] || die "faiss-node is not installed ($PKG/src/faiss.cc missing); run npm ci first"
command -v "$CXX" >/dev/null || die "$CXX not found (apt-get install build-essential)"
[ -f "$FAISS_LIB" ] || die "$FAISS_LIB not found (apt-get install libfaiss-dev libopenblas-dev)"
[ -f /usr/include/faiss/Index.h ] || die "faiss headers not found (apt-get install libfaiss-dev)"

# --- Node's headers: node_api.h. Prefer npm's nodedir, then <node prefix>/include/node, then node-gyp's cache.
find_node_include() {
  local cands=() nodedir prefix ver
  [ -n "${NODE_INCLUDE_DIR:-}" ] && cands+=("$NODE_INCLUDE_DIR")
  nodedir="${npm_config_nodedir:-}"
  [ -n "$nodedir" ] && cands+=("$nodedir/include/node")
  prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  cands+=("$prefix/include/node" /usr/include/node /usr/local/include/node)
  ver="$(node -p process.versions.node)"
  cands+=("$HOME/.cache/node-gyp/$ver/include/node" "$HOME/.node-gyp/$ver/include/node")
  for d in "${cands[@]}"; do
    if [ -f "$d/node_api.h" ]; then echo "$d"; return 0; fi
  done
  return 1
}
NODE_INC="$(find_node_include)" || die "Node headers (node_api.h) not found; set NODE_INCLUDE_DIR"

# --- node-addon-api's headers (napi.h): resolve it the way faiss-node itself would.
NAPI_INC="$(cd "$PKG" && node -p "require('path').dirname(require.resolve('node-addon-api/package.json', {paths: [process.cwd()]}))")" \
  || die "node-addon-api not found next to faiss-node"
[ -f "$NAPI_INC/napi.h" ] || die "napi.h not found in $NAPI_INC"

OUT_DIR="$PKG/build/Release"
SRC_DIR="$PKG/build/src"
mkdir -p "$OUT_DIR" "$SRC_DIR"

# --- Does this faiss define faiss::idx_t? (1.7.4+ does; Debian 12's 1.7.3 does not.)
PROBE="$SRC_DIR/probe_idx_t.cc"
printf '#include <faiss/Index.h>\nfaiss::idx_t probe_value = 0;\n' > "$PROBE"
if "$CXX" -std=c++17 -fsyntax-only "$PROBE" 2>/dev/null; then
  NEED_COMPAT=0
else
  NEED_COMPAT=1
fi
rm -f "$PROBE"

# --- Patched copy of the source.
PATCHED="$SRC_DIR/faiss.cc"
if [ "$NEED_COMPAT" = 1 ]; then
  grep -q '^#include <faiss/IndexFlat.h>' "$PKG/src/faiss.cc" || die "unexpected faiss.cc layout (no #include <faiss/IndexFlat.h>)"
  awk '
    /^#include <faiss\/IndexFlat.h>/ && !done {
      print "#include <faiss/Index.h>"
      print "// vqbench: Debian faiss 1.7.3 lacks faiss::idx_t (added in 1.7.4)"
      print "namespace faiss { using idx_t = Index::idx_t; }"
      done = 1
    }
    { print }
  ' "$PKG/src/faiss.cc" > "$PATCHED"
  say "patched copy: $PATCHED (added faiss::idx_t for faiss < 1.7.4)"
else
  cp "$PKG/src/faiss.cc" "$PATCHED"
  say "faiss defines faiss::idx_t; compiling the source unchanged"
fi

OUT="$OUT_DIR/faiss-node.node"
TMP_OUT="$OUT.tmp.$$"
say "compiling with $CXX (node headers: $NODE_INC, napi: $NAPI_INC, faiss: $FAISS_LIB)"
start=$(date +%s)
"$CXX" -std=c++17 -O2 -fPIC -shared -fopenmp \
  -DNAPI_VERSION=6 -DNAPI_CPP_EXCEPTIONS -DBUILDING_NODE_EXTENSION \
  -I"$NAPI_INC" -I"$NODE_INC" \
  "$PATCHED" \
  -o "$TMP_OUT" \
  "$FAISS_LIB" -lopenblas -lgomp -lpthread -lm
mv -f "$TMP_OUT" "$OUT"
say "built $OUT in $(( $(date +%s) - start ))s"

# --- Smoke test: IndexFlatL2, add, search.
(cd "$ROOT" && node -e "
const { IndexFlatL2 } = require('faiss-node');
const idx = new IndexFlatL2(2);
idx.add([1, 0, 0, 1, 5, 5]);
const r = idx.search([0.9, 0.1], 2);
if (idx.ntotal() !== 3 || r.labels[0] !== 0 || r.labels[1] !== 1) { console.error('unexpected', idx.ntotal(), r); process.exit(1); }
console.log('[build-faiss-node] smoke test ok: IndexFlatL2 ntotal=' + idx.ntotal() + ' labels=' + r.labels.join(',') + ' distances=' + r.distances.map(d => d.toFixed(2)).join(','));
")
