#!/usr/bin/env bash
# Builds (if needed) and runs every test: unit, integration (real server, real CLI), wire (Python client), format.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh"
cd "$root"
ctest --preset default "$@"
