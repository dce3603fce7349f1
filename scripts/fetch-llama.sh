#!/usr/bin/env bash
# Fetches the pinned npm packages that bring llama.cpp (third_party/llama-pins.txt), checks each tarball against
# its committed sha512 integrity, caches it by integrity outside the repository and extracts what the build needs:
#
#   <out>/llama-src/          headers (llama.cpp's, ggml's and common/'s, for libllama-common.so), the qwen2 vocab and
#                             chat template, from node-llama-cpp's llama/gitRelease.bundle
#   <out>/prebuilt/<backend>/ the prebuilt libraries of @node-llama-cpp/<npm-platform>[-<backend>] (cpu when no
#                             suffix), for the platform asked: linux-amd64 (npm's linux-x64) or linux-arm64
#   <out>/tarballs/<pkg>.tgz  links to the cached tarballs (the GPU script carries the bundle from here)
#
# Usage: scripts/fetch-llama.sh <out-dir> [linux-amd64|linux-arm64]   (default linux-amd64; only that platform's
#        packages are fetched, so the native build never downloads the arm64 one)
# Env:   TSUKU_BUILD_CACHE   cache folder (default ${XDG_CACHE_HOME:-~/.cache}/tsuku-build)
#        TSUKU_NPM_REGISTRY  registry base URL (default https://registry.npmjs.org)
set -euo pipefail

die() { echo "fetch-llama: error: $*" >&2; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: $0 <out-dir> [linux-amd64|linux-arm64]"
case "${2:-linux-amd64}" in
  linux-amd64) npm_platform=linux-x64 ;;
  linux-arm64) npm_platform=linux-arm64 ;;
  *) die "unknown platform '$2': choose linux-amd64 or linux-arm64" ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
pins="$root/third_party/llama-pins.txt"
out=$1
cache=${TSUKU_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tsuku-build}/npm
registry=${TSUKU_NPM_REGISTRY:-https://registry.npmjs.org}
for tool in curl openssl tar git base64 xxd; do
  command -v "$tool" >/dev/null || die "'$tool' is not installed (Debian: apt-get install -y curl openssl tar git xxd)"
done
mkdir -p "$cache" "$out/tarballs"

integrity_of() { echo "sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }

# fetch <name> <version> <integrity> -> prints the cached tarball path
fetch() {
  local name=$1 version=$2 integrity=$3
  case "$integrity" in sha512-*) ;; *) die "$name@$version: integrity must be sha512-<base64>, got '$integrity'" ;; esac
  local hex
  hex=$(printf '%s' "${integrity#sha512-}" | base64 -d | xxd -p -c 256) || die "$name@$version: integrity is not base64"
  local file="$cache/$hex.tgz"
  if [ -f "$file" ] && [ "$(integrity_of "$file")" = "$integrity" ]; then
    echo "$file"; return
  fi
  local base=${name##*/}
  local url="$registry/$name/-/$base-$version.tgz"
  local tmp
  tmp=$(mktemp "$cache/.partial.XXXXXX")
  echo "fetch-llama: downloading $name@$version from $url" >&2
  if ! curl -fsSL --retry 3 --retry-delay 2 -o "$tmp" "$url"; then
    rm -f "$tmp"; die "$name@$version: download from $url failed (check the network or set TSUKU_NPM_REGISTRY)"
  fi
  local got
  got=$(integrity_of "$tmp")
  if [ "$got" != "$integrity" ]; then
    rm -f "$tmp"
    die "$name@$version: integrity mismatch: expected $integrity, got $got. The tarball was NOT used.
       If the pin in third_party/llama-pins.txt is wrong, fix it there; otherwise the registry served a different file."
  fi
  mv -f "$tmp" "$file"
  echo "$file"
}

# Package name -> backend on the platform asked: @node-llama-cpp/<npm-platform> is cpu, …/<npm-platform>-<b> is <b>;
# "-" for another platform's package (skipped), "" for a package nobody knows.
backend_of() {
  case "$1" in
    "@node-llama-cpp/$npm_platform") echo cpu ;;
    "@node-llama-cpp/$npm_platform"-*) echo "${1#"@node-llama-cpp/$npm_platform"-}" ;;
    @node-llama-cpp/linux-x64 | @node-llama-cpp/linux-x64-* | @node-llama-cpp/linux-arm64 | @node-llama-cpp/linux-arm64-*)
      echo - ;;
    *) echo "" ;;
  esac
}

# Bump when the list of extracted paths changes, so an existing extraction is redone.
source_layout=2

extract_source() {
  local tgz=$1 integrity=$2 dest="$out/llama-src" stamp="$2 layout=$source_layout"
  [ -f "$dest/.integrity" ] && [ "$(cat "$dest/.integrity")" = "$stamp" ] && return
  local work
  work=$(mktemp -d)
  tar -xzf "$tgz" -C "$work" package/llama/gitRelease.bundle package/llama/patches
  git clone -q --bare "$work/package/llama/gitRelease.bundle" "$work/src.git" 2>/dev/null
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  # common/*.h (with common/jinja/*.h) are the headers libllama-common.so was built from: chat templates with tools,
  # tool-call parsing, JSON schema -> grammar. They are the same commit as the prebuilt libraries.
  git --git-dir "$work/src.git" archive HEAD include ggml/include 'common/*.h' models/ggml-vocab-qwen2.gguf \
      models/templates/Qwen-Qwen2.5-7B-Instruct.jinja vendor/nlohmann LICENSE | tar -x -C "$dest.tmp"
  cp -r "$work/package/llama/patches" "$dest.tmp/patches"
  echo "$stamp" >"$dest.tmp/.integrity"
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
  rm -rf "$work"
}

extract_prebuilt() {
  local tgz=$1 integrity=$2 backend=$3 dest="$out/prebuilt/$3"
  [ -f "$dest/.integrity" ] && [ "$(cat "$dest/.integrity")" = "$integrity" ] && return
  local work
  work=$(mktemp -d)
  tar -xzf "$tgz" -C "$work" package/bins
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  cp -a "$work"/package/bins/*/. "$dest.tmp/"
  rm -f "$dest.tmp/llama-addon.node"  # the Node.js addon: not ours to ship
  echo "$integrity" >"$dest.tmp/.integrity"
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
  rm -rf "$work"
}

while read -r name version integrity rest; do
  case "$name" in ""|\#*) continue ;; esac
  [ -n "$integrity" ] && [ -z "${rest:-}" ] || die "bad line in $pins: '$name $version $integrity ${rest:-}'"
  if [ "$name" = node-llama-cpp ]; then
    tgz=$(fetch "$name" "$version" "$integrity")
    ln -sf "$tgz" "$out/tarballs/$(echo "$name" | tr '/@' '__').tgz"
    extract_source "$tgz" "$integrity"
  else
    backend=$(backend_of "$name")
    [ -n "$backend" ] || die "$pins: no backend known for package '$name'"
    [ "$backend" = - ] && continue  # another platform's package
    tgz=$(fetch "$name" "$version" "$integrity")
    ln -sf "$tgz" "$out/tarballs/$(echo "$name" | tr '/@' '__').tgz"
    extract_prebuilt "$tgz" "$integrity" "$backend"
  fi
done <"$pins"
echo "fetch-llama: ready in $out" >&2
