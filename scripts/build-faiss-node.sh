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
# The same copy gets vqbench's extras (setParameter for nprobe/efSearch, OpenMP thread count, faiss
# exceptions as JS errors instead of an abort); see "vqbench extras" below.
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

# --- Node's headers (node_api.h): scripts/node-include.sh
. "$ROOT/scripts/node-include.sh"
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

# --- vqbench extras, applied to the same patched copy (src/index/faiss.ts uses them when present):
#   Index#setParameter(name, value)   faiss::ParameterSpace::set_index_parameter: nprobe, efSearch,
#                                     quantizer_efSearch, k_factor, ht, ... on any factory index
#   Index.setNumThreads(n) / Index.getNumThreads()   omp_set_num_threads / omp_get_max_threads
#   train / add / search: a faiss exception becomes a JS Error (unpatched, it aborts the process),
#   and search frees its query buffer (unpatched, it leaks n·d floats per call).
# Each anchor is checked; if faiss.cc's layout differs, the extras are skipped with a warning.
EXTRAS="$SRC_DIR/vqbench-extras.inc"
cat > "$EXTRAS" <<'CPP'
  // vqbench: set a search-time parameter (nprobe, efSearch, ...) through faiss::ParameterSpace.
  Napi::Value setParameter(const Napi::CallbackInfo &info)
  {
    Napi::Env env = info.Env();
    if (info.Length() != 2 || !info[0].IsString() || !info[1].IsNumber())
    {
      Napi::TypeError::New(env, "Expected setParameter(name: string, value: number).").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    const std::string name = info[0].As<Napi::String>().Utf8Value();
    const double value = info[1].As<Napi::Number>().DoubleValue();
    try
    {
      faiss::ParameterSpace().set_index_parameter(index_.get(), name, value);
    }
    catch (const std::exception &ex)
    {
      Napi::Error::New(env, ex.what()).ThrowAsJavaScriptException();
    }
    return env.Undefined();
  }

  // vqbench: OpenMP threads used by faiss (process-wide).
  static Napi::Value setNumThreads(const Napi::CallbackInfo &info)
  {
    Napi::Env env = info.Env();
    if (info.Length() != 1 || !info[0].IsNumber())
    {
      Napi::TypeError::New(env, "Expected setNumThreads(n: number).").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    omp_set_num_threads(static_cast<int>(info[0].As<Napi::Number>().Int32Value()));
    return env.Undefined();
  }

  static Napi::Value getNumThreads(const Napi::CallbackInfo &info)
  {
    return Napi::Number::New(info.Env(), omp_get_max_threads());
  }

CPP
EXTENDED="$SRC_DIR/faiss.vqbench.cc"
awk -v extras="$EXTRAS" '
  function catchblock(free) {
    return "    catch (const std::exception &ex)\n    {\n" free "      Napi::Error::New(env, ex.what()).ThrowAsJavaScriptException();\n      return env.Undefined();\n    }"
  }
  /^#include <faiss\/index_factory.h>/ && !inc { print; print "#include <faiss/AutoTune.h> // vqbench"; print "#include <omp.h> // vqbench"; inc = 1; next }
  /^protected:/ && !ext { while ((getline line < extras) > 0) print line; ext = 1 }
  /^    index_->add\(dv.quot, xb\);$/ { print "    try { index_->add(dv.quot, xb); } // vqbench"; print catchblock("      delete[] xb;\n"); next }
  /^    index_->train\(dv.quot, xb\);$/ { print "    try { index_->train(dv.quot, xb); } // vqbench"; print catchblock("      delete[] xb;\n"); next }
  /^    index_->search\(nq, xq, k, D, I\);$/ {
    print "    try { index_->search(nq, xq, k, D, I); } // vqbench"
    print catchblock("      delete[] xq;\n      delete[] I;\n      delete[] D;\n")
    print "    delete[] xq; // vqbench"
    next
  }
  /StaticMethod\("fromFactory", &Index::fromFactory\),/ && !reg {
    print
    print "      InstanceMethod(\"setParameter\", &Index::setParameter), // vqbench"
    print "      StaticMethod(\"setNumThreads\", &Index::setNumThreads), // vqbench"
    print "      StaticMethod(\"getNumThreads\", &Index::getNumThreads), // vqbench"
    reg = 1
    next
  }
  { print }
' "$PATCHED" > "$EXTENDED"
extras_ok=1
for marker in '#include <omp.h> // vqbench' 'Napi::Value setParameter' 'try { index_->add(dv.quot, xb); }' \
              'try { index_->train(dv.quot, xb); }' 'try { index_->search(nq, xq, k, D, I); }' '"getNumThreads", &Index::getNumThreads'; do
  grep -qF "$marker" "$EXTENDED" || extras_ok=0
done
if [ "$extras_ok" = 1 ]; then
  mv -f "$EXTENDED" "$PATCHED"
  say "vqbench extras added: setParameter, setNumThreads/getNumThreads, faiss exceptions as JS errors"
else
  rm -f "$EXTENDED"
  echo "[build-faiss-node] WARNING: faiss.cc layout not recognised; building without the vqbench extras (no nprobe/efSearch/threads)" >&2
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
