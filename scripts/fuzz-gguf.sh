#!/usr/bin/env bash
# Fuzzes the GGUF header validator (src/model/gguf_reader.cpp) with libFuzzer, AddressSanitizer and UBSan. The
# target builds with clang only (Debian: clang, libclang-rt-14-dev), in its own build folder; the always-built
# replay test (gguf_fuzz_replay) runs the same entry point under ctest.
#   scripts/fuzz-gguf.sh [seconds (60)] [build-dir (build-fuzz)]
# New interesting inputs go to <build-dir>/gguf-corpus; a crash leaves <build-dir>/crash-* and fails the script.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
dir=${2:-$root/build-fuzz}
for tool in clang clang++ cmake ninja; do
  command -v "$tool" >/dev/null || { echo "fuzz-gguf: '$tool' is not installed (scripts/install-deps.sh)" >&2; exit 1; }
done
cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTSUKU_DEPS_DIR="${TSUKU_DEPS_DIR:-$dir/deps}" >/dev/null
ninja -C "$dir" gguf_fuzz
mkdir -p "$dir/gguf-corpus"
"$dir/tests/fuzz/gguf_fuzz" -max_total_time="$seconds" -max_len=65536 -artifact_prefix="$dir/" \
  "$dir/gguf-corpus" "$root/tests/fuzz/gguf_corpus"
