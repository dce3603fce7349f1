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
cmake --preset default >/dev/null
cmake --build --preset default
