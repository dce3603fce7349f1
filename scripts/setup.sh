#!/usr/bin/env bash
# A fresh machine to a working tsuku: Debian packages, pinned llama.cpp, build. Then: build/bin/tsuku llm complete …
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
start=$(date +%s)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
echo "setup: done in $(( $(date +%s) - start ))s — try: build/bin/tsuku llm complete \"Hello\"" >&2
