#!/usr/bin/env bash
# Installs the peer of bench/peer.sh: node-llama-cpp@3.21.1 with the prebuilt cpu and vulkan libraries, exactly as
# package-lock.json pins them (versions and sha512 integrity; `npm ci` refuses anything else). The CUDA packages are
# optional dependencies of node-llama-cpp and are left out (--omit=optional; hundreds of MB). The install goes to a
# folder outside the repository, one per lock file, and is reused; npm's downloads are cached beside it.
# Prints that folder (it holds node_modules/).
#   bench/peer/install.sh
# Env: TSUKU_BUILD_CACHE   cache folder (default ${XDG_CACHE_HOME:-~/.cache}/tsuku-build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${TSUKU_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tsuku-build}
command -v npm > /dev/null || { echo "peer: npm is not installed (Node.js >= 20 and npm are needed)" >&2; exit 1; }
key=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)
dest=$cache/peer/$key
if [ ! -f "$dest/.installed" ]; then
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  cp "$here/package.json" "$here/package-lock.json" "$dest.tmp/"
  echo "peer: installing node-llama-cpp@3.21.1 into $dest (npm ci, cache $cache/npm-cache)" >&2
  (cd "$dest.tmp" && npm ci --omit=optional --ignore-scripts --prefer-offline --no-audit --no-fund \
      --cache "$cache/npm-cache" >&2)
  touch "$dest.tmp/.installed"
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
fi
# The script must sit beside node_modules/: Node resolves an ES module's imports from the script's folder.
cp "$here/peer.mjs" "$dest/peer.mjs"
echo "$dest"
