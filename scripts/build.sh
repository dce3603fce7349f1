#!/usr/bin/env bash
# Configures (fetching the pinned llama.cpp packages, cached by integrity) and builds everything into build/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# Rebuilds (a new clone, another worktree) reuse compiled objects through ccache when it is installed.
if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-ccache} CMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER:-ccache}
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
fi
# TSUKU_ARM64=OFF|AUTO|ON (cmake/Arm64.cmake): also cross-build linux-arm64; unset keeps the tree's setting (OFF).
cmake --preset default ${TSUKU_ARM64:+"-DTSUKU_ARM64=$TSUKU_ARM64"} >/dev/null
cmake --build --preset default
