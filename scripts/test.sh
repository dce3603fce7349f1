#!/usr/bin/env bash
# Builds (if needed) and runs every test: unit, integration (real server, real CLI), wire (Python client), format,
# and the linux-arm64 ones under qemu-aarch64-static when the cross toolchain is installed (scripts/install-deps.sh
# --arm64). TSUKU_ARM64=ON makes a missing toolchain an error instead of one skipped test (CI sets it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
TSUKU_ARM64=${TSUKU_ARM64:-AUTO} "$root/scripts/build.sh"
cd "$root"
ctest --preset default "$@"
