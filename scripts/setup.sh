#!/usr/bin/env bash
# vqbench set-up (run by `npm run setup`) on Debian 12 / Node 20. Safe to re-run: a machine that
# is already set up is checked in a few seconds and nothing is reinstalled.
#
#  1. Debian packages (compilers, cairo/pango for `canvas`, faiss + OpenBLAS, numpy/scipy/sklearn/h5py
#     for the Python peers). As root: apt-get install what is missing. Otherwise: print the command.
#  2. BLAS: if the reference BLAS is selected while OpenBLAS is installed, select OpenBLAS (root only).
#  3. npm ci --ignore-scripts (install scripts off: faiss-node's and canvas's download prebuilt
#     binaries from GitHub, which fails offline). Skipped when node_modules already matches the
#     lockfile (stamp in node_modules/.vqbench-setup-stamp).
#  4. Build the native addons from source with node-gyp: hnswlib-node, canvas (only if they do not load).
#  5. faiss-node: compile against Debian's libfaiss (scripts/build-faiss-node.sh), only if it does not load.
#     The native exact k-NN kernel (scripts/build-native.sh, OpenBLAS), when missing or older than its source.
#  6. Compile src/ to dist/ (npm run build), which the CLI runs.
#  7. Check every native module loads and print one status line each. Exit 1 if hnswlib-node,
#     canvas or @huggingface/transformers (onnxruntime-node) fail; faiss-node failing is a warning
#     (the harness reports faiss as "not run"), the native k-NN kernel too (the wasm kernel runs).
#
# Environment:
#   VQBENCH_FORCE_SETUP=1   run npm ci and rebuild every addon even if all looks fine
#   VQBENCH_SKIP_APT=1      never call apt-get (only report missing packages)
#   VQBENCH_BUILD_TIMEOUT   seconds allowed per native build (default 1800)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

T_START=$(date +%s)
say()  { echo "[setup] $*"; }
warn() { echo "[setup] WARNING: $*" >&2; }
die()  { echo "[setup] ERROR: $*" >&2; exit 1; }
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

FORCE="${VQBENCH_FORCE_SETUP:-0}"
BUILD_TIMEOUT="${VQBENCH_BUILD_TIMEOUT:-1800}"
IS_ROOT=0; [ "$(id -u)" = 0 ] && IS_ROOT=1
export DEBIAN_FRONTEND=noninteractive
# onnxruntime-node's postinstall would only fetch optional GPU providers; never run it.
export ONNXRUNTIME_NODE_INSTALL=skip

command -v node >/dev/null || die "node not found (Node.js >= 20 is required)"
command -v npm  >/dev/null || die "npm not found"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
[ "$NODE_MAJOR" -ge 20 ] || die "Node.js >= 20 required, found $(node -v)"
say "node $(node -v), npm $(npm -v 2>/dev/null), $(uname -m), $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME" || echo unknown OS)"

# ---------------------------------------------------------------------------------------------
# 1. Debian packages
# ---------------------------------------------------------------------------------------------
APT_PKGS=(build-essential python3 pkg-config
          libcairo2-dev libpango1.0-dev libjpeg-dev libgif-dev librsvg2-dev
          libfaiss-dev libopenblas-dev
          python3-faiss python3-sklearn python3-scipy python3-h5py python3-numpy python3-onnx
          sword-text-kjv sword-text-web sword-text-sparv sword-dict-naves libsword-utils
          chromium redis-server)
t=$(date +%s)
if command -v dpkg-query >/dev/null; then
  missing=()
  for p in "${APT_PKGS[@]}"; do
    st="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
    [ "$st" = "install ok installed" ] || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "Debian packages: all ${#APT_PKGS[@]} present"
  elif [ "$IS_ROOT" = 1 ] && [ "${VQBENCH_SKIP_APT:-0}" != 1 ]; then
    say "Debian packages missing: ${missing[*]}"
    say "apt-get update && apt-get install (this takes a few minutes on a fresh machine)"
    apt-get update -q -o DPkg::Lock::Timeout=300 || warn "apt-get update failed; trying the install anyway"
    apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 "${missing[@]}" \
      || die "apt-get install failed for: ${missing[*]}"
    say "Debian packages installed in $(elapsed "$t")"
  else
    warn "missing Debian packages: ${missing[*]}"
    warn "install them with:  sudo apt-get install ${missing[*]}"
    warn "going on: the native builds below (canvas, faiss-node) and the Python peers may fail without them"
  fi
else
  warn "dpkg-query not found (not Debian?): install the equivalents of: ${APT_PKGS[*]}"
fi

# ---------------------------------------------------------------------------------------------
# 2. BLAS: prefer OpenBLAS over the reference BLAS (numpy, scipy, python3-faiss use libblas.so.3)
# ---------------------------------------------------------------------------------------------
MULTIARCH="$(gcc -print-multiarch 2>/dev/null || dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"
select_openblas() {  # $1 = soname (libblas.so.3 | liblapack.so.3)
  local name="$1-$MULTIARCH" cur alt
  command -v update-alternatives >/dev/null || return 0
  cur="$(readlink -f "/usr/lib/$MULTIARCH/$1" 2>/dev/null || true)"
  [ -n "$cur" ] || return 0
  case "$cur" in *openblas*|*blis*|*mkl*|*atlas*) return 0 ;; esac
  alt="$(update-alternatives --list "$name" 2>/dev/null | grep -m1 'openblas-pthread' || \
         update-alternatives --list "$name" 2>/dev/null | grep -m1 'openblas' || true)"
  [ -n "$alt" ] || return 0
  if [ "$IS_ROOT" = 1 ]; then
    say "$1 points at the reference implementation ($cur); selecting OpenBLAS: $alt"
    update-alternatives --set "$name" "$alt" >/dev/null
  else
    warn "$1 is the reference implementation (~9x slower); as root run: update-alternatives --set $name $alt"
  fi
}
select_openblas libblas.so.3
select_openblas liblapack.so.3

# ---------------------------------------------------------------------------------------------
# 3. npm ci --ignore-scripts (skipped when node_modules already matches the lockfile)
# ---------------------------------------------------------------------------------------------
[ -f package-lock.json ] || die "package-lock.json missing: npm ci needs it"
STAMP=node_modules/.vqbench-setup-stamp
stamp_value() {
  { sha256sum package.json package-lock.json; node -v; npm -v 2>/dev/null; } | sha256sum | cut -d' ' -f1
}
WANT_STAMP="$(stamp_value)"
NPM_DID_INSTALL=0
# node_modules installed some other way (npm install): in sync when every locked package is present
# at its locked version (optional platform packages may be absent) per npm's hidden lockfile.
modules_in_sync() {
  [ -f node_modules/.package-lock.json ] || return 1
  node -e '
    const fs = require("fs");
    const want = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages || {};
    const have = JSON.parse(fs.readFileSync("node_modules/.package-lock.json", "utf8")).packages || {};
    for (const [k, v] of Object.entries(want)) {
      if (!k || v.link) continue;
      const h = have[k];
      if (!h) { if (v.optional) continue; process.exit(1); }
      if (h.version !== v.version || !fs.existsSync(k + "/package.json")) process.exit(1);
    }
    for (const k of Object.keys(have)) if (!want[k]) process.exit(1);
  ' 2>/dev/null
}
if [ "$FORCE" != 1 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT_STAMP" ]; then
  say "npm ci: skipped (node_modules matches package-lock.json; VQBENCH_FORCE_SETUP=1 to reinstall)"
elif [ "$FORCE" != 1 ] && modules_in_sync; then
  echo "$WANT_STAMP" > "$STAMP"
  say "npm ci: skipped (node_modules already holds every locked package; VQBENCH_FORCE_SETUP=1 to reinstall)"
else
  t=$(date +%s)
  say "npm ci --ignore-scripts (ONNXRUNTIME_NODE_INSTALL=skip)"
  # The registry drops idle connections now and then (EIDLETIMEOUT, ECONNRESET): npm's own fetch
  # retries cover one request, not a body cut mid-stream, so the whole install is retried too.
  npm_ok=0
  for attempt in 1 2 3; do
    if npm ci --ignore-scripts --no-audit --no-fund --fetch-retries=5 --fetch-retry-mintimeout=5000 \
        --fetch-retry-maxtimeout=60000 --fetch-timeout=600000; then
      npm_ok=1; break
    fi
    [ "$attempt" -lt 3 ] && { warn "npm ci failed (attempt $attempt of 3): retrying in $((attempt * 15)) s"; sleep $((attempt * 15)); }
  done
  [ "$npm_ok" = 1 ] || die "npm ci failed three times: the npm registry was unreachable or cut the download (see the npm error above)"
  echo "$WANT_STAMP" > "$STAMP"
  NPM_DID_INSTALL=1
  say "npm ci done in $(elapsed "$t")"
fi

# ---------------------------------------------------------------------------------------------
# 4. native addons built from source: hnswlib-node, canvas
# ---------------------------------------------------------------------------------------------
# Node's headers for node-gyp: offline it cannot download them, so point it at the installed ones.
NODEDIR="${npm_config_nodedir:-}"
if [ -z "$NODEDIR" ] || [ ! -f "$NODEDIR/include/node/node_api.h" ]; then
  NODEDIR=""
  NODE_PREFIX="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  for d in "$NODE_PREFIX" /usr /usr/local; do
    if [ -f "$d/include/node/node_api.h" ] && [ -f "$d/include/node/common.gypi" ]; then NODEDIR="$d"; break; fi
  done
fi
[ -n "$NODEDIR" ] || warn "Node's headers not found under <node prefix>/include/node; node-gyp will try to download them"

# node-gyp: `npm run` puts npm's bundled copy on PATH; when run directly, find it next to npm.
NODE_GYP=()
if command -v node-gyp >/dev/null; then
  NODE_GYP=(node-gyp)
else
  NPM_ROOT="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
  for g in "$NPM_ROOT/node_modules/node-gyp/bin/node-gyp.js" "$(npm root -g 2>/dev/null)/npm/node_modules/node-gyp/bin/node-gyp.js"; do
    if [ -f "$g" ]; then NODE_GYP=(node "$g"); break; fi
  done
fi

loads() {  # $1 = module name; prints the error's first line on failure
  node -e "try { require('$1') } catch (e) { console.log(String(e.message).split('\n')[0]); process.exit(1) }" 2>&1
}

build_addon() {  # $1 = package name under node_modules
  local pkg="$1" dir="node_modules/$1" t0 err log="node_modules/.vqbench-build-$1.log"
  [ -d "$dir" ] || { warn "$pkg is not installed (npm ci failed?)"; return 1; }
  if [ "$FORCE" != 1 ] && [ "$NPM_DID_INSTALL" = 0 ] && err="$(loads "$pkg")"; then
    say "$pkg: already built"
    return 0
  fi
  t0=$(date +%s)
  if [ ${#NODE_GYP[@]} -gt 0 ]; then
    # node-gyp directly: canvas's install script would first try prebuild-install (a GitHub
    # download); building from source straight away never touches the network.
    say "$pkg: node-gyp rebuild (from source${NODEDIR:+, headers from $NODEDIR/include/node}; log: $log)"
    (cd "$dir" && timeout "$BUILD_TIMEOUT" "${NODE_GYP[@]}" rebuild --jobs="$(nproc 2>/dev/null || echo 2)" \
        ${NODEDIR:+--nodedir="$NODEDIR"}) > "$log" 2>&1 \
      || { tail -40 "$log" >&2; warn "$pkg: node-gyp rebuild failed after $(elapsed "$t0") (full log: $log)"; return 1; }
  else
    say "$pkg: npm rebuild (build from source; log: $log)"
    env npm_config_build_from_source=true ${NODEDIR:+npm_config_nodedir="$NODEDIR"} \
      timeout "$BUILD_TIMEOUT" npm rebuild --foreground-scripts "$pkg" > "$log" 2>&1 \
      || { tail -40 "$log" >&2; warn "$pkg: npm rebuild failed after $(elapsed "$t0") (full log: $log)"; return 1; }
  fi
  say "$pkg: built in $(elapsed "$t0")"
}

build_addon hnswlib-node || true
build_addon canvas || true

# ---------------------------------------------------------------------------------------------
# 5. faiss-node (optional): compile against Debian's faiss when it does not load
# ---------------------------------------------------------------------------------------------
if [ -d node_modules/faiss-node ]; then
  # our build adds Index#setParameter (nprobe, efSearch) and thread control: an older build is rebuilt
  if [ "$FORCE" != 1 ] && [ "$NPM_DID_INSTALL" = 0 ] && loads faiss-node >/dev/null \
     && node -e "process.exit(typeof require('faiss-node').Index.prototype.setParameter === 'function' ? 0 : 1)" 2>/dev/null; then
    say "faiss-node: already built"
  else
    t=$(date +%s)
    say "faiss-node: compiling against Debian's libfaiss (scripts/build-faiss-node.sh)"
    NODE_INCLUDE_DIR="${NODEDIR:+$NODEDIR/include/node}" timeout "$BUILD_TIMEOUT" bash scripts/build-faiss-node.sh \
      && say "faiss-node: built in $(elapsed "$t")" \
      || warn "faiss-node: build failed after $(elapsed "$t") (faiss baselines will be reported as \"not run\")"
  fi
else
  warn "faiss-node is not installed (optional dependency skipped?)"
fi

# the native exact k-NN kernel (optional: without it the wasm kernel runs)
if [ "$FORCE" != 1 ] && [ -f build/native/knn.node ] && [ build/native/knn.node -nt src/core/native/knn.cc ] \
   && [ build/native/knn.node -nt src/core/wasm/heap.h ] && [ build/native/knn.node -nt scripts/build-native.sh ] \
   && node -e "if (typeof require('./build/native/knn.node').nearest !== 'function') process.exit(1)" 2>/dev/null; then
  say "native k-NN kernel: already built"
else
  t=$(date +%s)
  say "native k-NN kernel: compiling against OpenBLAS (scripts/build-native.sh)"
  timeout "$BUILD_TIMEOUT" bash scripts/build-native.sh \
    && say "native k-NN kernel: built in $(elapsed "$t")" \
    || warn "native k-NN kernel: build failed after $(elapsed "$t") (exact k-NN runs in the wasm kernel)"
fi

# ---------------------------------------------------------------------------------------------
# 6. compile src/ to dist/ (the CLI runs it; stale or missing dist falls back to tsx)
# ---------------------------------------------------------------------------------------------
t=$(date +%s)
node scripts/build.mjs >/dev/null || die "npm run build failed (tsc): run it to see the errors"
say "build: src/ compiled to dist/ in $(elapsed "$t")"

# ---------------------------------------------------------------------------------------------
# 7. status
# ---------------------------------------------------------------------------------------------
say "status:"
FATAL=0
check() {  # $1 = label, $2 = fatal (1|0), $3 = JS (CommonJS) that throws on failure
  local label="$1" fatal="$2" js="$3" out
  if out="$(node -e "$js" 2>&1)"; then
    printf '[setup]   %-26s ok   %s\n' "$label" "$(echo "$out" | tail -1)"
  else
    printf '[setup]   %-26s FAIL %s\n' "$label" "$(echo "$out" | grep -m1 -i -E 'error|cannot|fail' || echo "$out" | head -1)"
    if [ "$fatal" = 1 ]; then FATAL=1; fi
  fi
}
check hnswlib-node 1 "
  const { HierarchicalNSW } = require('hnswlib-node');
  const h = new HierarchicalNSW('l2', 2); h.initIndex(3);
  h.addPoint([0, 0], 0); h.addPoint([1, 0], 1); h.addPoint([5, 5], 2);
  const r = h.searchKnn([0.9, 0.1], 1); if (r.neighbors[0] !== 1) throw new Error('wrong neighbour');
  console.log('(HNSW add + search)');"
check canvas 1 "
  const { createCanvas } = require('canvas');
  const c = createCanvas(16, 16); c.getContext('2d').fillRect(0, 0, 8, 8);
  const png = c.toBuffer('image/png'); if (png.length < 50) throw new Error('empty PNG');
  require('chartjs-node-canvas');
  console.log('(PNG ' + png.length + ' B; chartjs-node-canvas loads)');"
check faiss-node 0 "
  const { IndexFlatL2 } = require('faiss-node');
  const i = new IndexFlatL2(2); i.add([1, 0, 0, 1, 5, 5]);
  if (i.search([0.9, 0.1], 1).labels[0] !== 0) throw new Error('wrong neighbour');
  console.log('(IndexFlatL2 add + search)');"
check 'native k-NN kernel' 0 "
  const m = require('./build/native/knn.node');
  const ids = new Int32Array(1), d = new Float32Array(1);
  m.knn(Float32Array.of(1, 0, 0, 1, 5, 5), 3, null, Float32Array.of(0.1, 0.9), 0, 1, 2, 1, true, ids, d);
  if (ids[0] !== 1) throw new Error('wrong neighbour');
  console.log('(' + m.info() + ')');"
# onnxruntime-node ships its CPU binary in the npm package (its postinstall only fetches GPU
# providers): load @huggingface/transformers, then run a one-node ONNX model (y = Relu(x)) on CPU.
ORT_CHECK="$(cat <<'JS'
const vint = (n) => { const b = []; do { let c = n & 0x7f; n >>>= 7; if (n) c |= 0x80; b.push(c); } while (n); return b; };
const fld = (no, wt, p) => [...vint((no << 3) | wt), ...p];
const str = (no, s) => { const b = [...Buffer.from(s)]; return fld(no, 2, [...vint(b.length), ...b]); };
const msg = (no, b) => fld(no, 2, [...vint(b.length), ...b]);
const num = (no, n) => fld(no, 0, vint(n));
const vinfo = (no, name) => msg(no, [...str(1, name), ...msg(2, msg(1, [...num(1, 1), ...msg(2, msg(1, num(1, 3)))]))]);
const graph = [...msg(1, [...str(1, 'x'), ...str(2, 'y'), ...str(4, 'Relu')]), ...str(2, 'g'), ...vinfo(11, 'x'), ...vinfo(12, 'y')];
const model = Uint8Array.from([...num(1, 7), ...msg(7, graph), ...msg(8, num(2, 13))]);
import('@huggingface/transformers').then(async () => {
  const ort = require('onnxruntime-node');
  const s = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from([-1, 0, 2]), [3]) });
  if (Array.from(out.y.data).join() !== '0,0,2') throw new Error('wrong Relu output');
  console.log('(onnxruntime-node ' + ort.env.versions.node + ' CPU inference ok)');
}).catch((e) => { console.error('error: ' + e.message); process.exit(1); });
JS
)"
check '@huggingface/transformers' 1 "$ORT_CHECK"
check 'python peers' 0 "
  const r = require('child_process').spawnSync('/usr/bin/python3', ['-c',
    'import numpy, scipy, sklearn, h5py, faiss; print(\"numpy\", numpy.__version__, \"sklearn\", sklearn.__version__, \"faiss\", faiss.__version__)'],
    { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('error: /usr/bin/python3 lacks numpy/scipy/sklearn/h5py/faiss: ' + (r.stderr || r.error));
  console.log('(/usr/bin/python3: ' + r.stdout.trim() + ')');"
if BLAS="$(node --import tsx scripts/blas-info.ts 2>&1)"; then
  printf '[setup]   %-26s      %s\n' "BLAS" "$BLAS"
else
  printf '[setup]   %-26s ?    %s\n' "BLAS" "$(echo "$BLAS" | head -1)"
fi

if ! loads faiss-node >/dev/null 2>&1; then
  warn "faiss-node does not load: faiss baselines (IVFPQ, HNSW via faiss, flat search) will be reported as \"not run\""
fi
if [ "$FATAL" = 1 ]; then
  die "a required native module does not load (see FAIL above); setup took $(elapsed "$T_START")"
fi
say "done in $(elapsed "$T_START")"
