#!/usr/bin/env bash
# Builds src/core/wasm/kernels.wasm from src/core/wasm/kernels.c (WebAssembly SIMD, no libc).
# The .wasm is checked in, so this is only needed after editing the C source.
#
#   bash scripts/build-wasm.sh              # needs clang >= 14 with the wasm32 target, and wasm-ld
#   MR=6 bash scripts/build-wasm.sh         # override the micro-kernel row count (experiments)
#   OUT=k.wasm bash scripts/build-wasm.sh   # write the module elsewhere (here ./k.wasm)
#   ACC=float bash scripts/build-wasm.sh   # ADC scan accumulator (experiments; default double: the JS scans' results bit for bit)
#
# Debian 12: apt-get install -y clang lld   (wasm-ld comes with lld, as wasm-ld or wasm-ld-14)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/src/core/wasm/kernels.c"
out="${OUT:-$root/src/core/wasm/kernels.wasm}"

cc="${CC:-}"
if [[ -z "$cc" ]]; then
  for c in clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14; do
    if command -v "$c" >/dev/null 2>&1; then cc="$c"; break; fi
  done
fi
[[ -n "$cc" ]] || { echo "build-wasm: clang not found (apt-get install -y clang lld)" >&2; exit 1; }

# clang runs wasm-ld by name; Debian's lld package may only ship the versioned one.
ldflag=()
if ! command -v wasm-ld >/dev/null 2>&1; then
  for l in wasm-ld-19 wasm-ld-18 wasm-ld-17 wasm-ld-16 wasm-ld-15 wasm-ld-14; do
    if command -v "$l" >/dev/null 2>&1; then ldflag=("-fuse-ld=$(command -v "$l")"); break; fi
  done
  [[ ${#ldflag[@]} -gt 0 ]] || { echo "build-wasm: wasm-ld not found (apt-get install -y lld)" >&2; exit 1; }
fi

defs=()
[[ -n "${MR:-}" ]] && defs+=("-DMR=$MR")
[[ -n "${BLOCK_BYTES:-}" ]] && defs+=("-DBLOCK_BYTES=$BLOCK_BYTES")
[[ -n "${NV:-}" ]] && defs+=("-DNV=$NV")
[[ -n "${ACC:-}" ]] && defs+=("-DACC=$ACC")

"$cc" --target=wasm32 -O3 -msimd128 -ffreestanding -nostdlib -fno-builtin \
  -Wall -Wextra -Wno-unused-parameter \
  "${defs[@]}" "${ldflag[@]}" \
  -Wl,--no-entry -Wl,--export=__heap_base -Wl,--strip-all -Wl,-z,stack-size=65536 \
  -o "$out" "$src"
echo "build-wasm: $("$cc" --version | head -1) -> $out ($(stat -c %s "$out") bytes)"
