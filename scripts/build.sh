#!/usr/bin/env bash
# Configures (fetching the pinned llama.cpp packages, cached by integrity) and builds everything into build/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cmake --preset default >/dev/null
cmake --build --preset default
