#!/usr/bin/env bash
# Installs the official `openai` npm package for tests/gateway exactly as package-lock.json pins it (version and
# sha512 integrity; `npm ci` refuses anything else), into a folder outside the repository keyed by the lock file and
# reused; npm's downloads are cached beside it. openai 6.49.0 is the newest whose `engines` allow Node 20 (7.x
# needs Node >= 22). Prints that folder (node_modules/ and the test script).
#   tests/gateway/openai/install.sh
# Env: TSUKU_BUILD_CACHE   cache folder (default ${XDG_CACHE_HOME:-~/.cache}/tsuku-build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${TSUKU_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tsuku-build}
command -v npm > /dev/null || { echo "openai test: npm is not installed (Node.js >= 20 and npm are needed)" >&2; exit 77; }
key=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)
dest=$cache/openai-client/$key
if [ ! -f "$dest/.installed" ]; then
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  cp "$here/package.json" "$here/package-lock.json" "$dest.tmp/"
  echo "openai test: installing openai@6.49.0 into $dest (npm ci, cache $cache/npm-cache)" >&2
  (cd "$dest.tmp" && npm ci --ignore-scripts --prefer-offline --no-audit --no-fund --cache "$cache/npm-cache" >&2)
  touch "$dest.tmp/.installed"
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
fi
# The script must sit beside node_modules/: Node resolves an ES module's imports from the script's folder.
cp "$here/openai_test.mjs" "$dest/openai_test.mjs"
echo "$dest"
