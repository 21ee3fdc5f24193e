# Sourced by scripts/build-faiss-node.sh and scripts/build-native.sh: find_node_include prints the
# folder holding Node's node_api.h: NODE_INCLUDE_DIR, npm's nodedir, <node prefix>/include/node,
# /usr/include/node, /usr/local/include/node, then node-gyp's cache; exits 1 when none has it.
find_node_include() {
  local cands=() prefix ver
  [ -n "${NODE_INCLUDE_DIR:-}" ] && cands+=("$NODE_INCLUDE_DIR")
  [ -n "${npm_config_nodedir:-}" ] && cands+=("$npm_config_nodedir/include/node")
  prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  cands+=("$prefix/include/node" /usr/include/node /usr/local/include/node)
  ver="$(node -p process.versions.node)"
  cands+=("$HOME/.cache/node-gyp/$ver/include/node" "$HOME/.node-gyp/$ver/include/node")
  local d
  for d in "${cands[@]}"; do
    if [ -f "$d/node_api.h" ]; then echo "$d"; return 0; fi
  done
  return 1
}
