#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/debian-packages.txt (as root, or through sudo).
#   --arm64   also the linux-arm64 cross toolchain and arm64 libraries (scripts/debian-packages-arm64.txt), adding
#             the arm64 architecture to dpkg first. CI asks for it; the README's first command does not.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
arm64=0
for arg in "$@"; do
  case "$arg" in
    --arm64) arm64=1 ;;
    *) echo "install-deps: unknown option '$arg' (usage: $0 [--arm64])" >&2; exit 2 ;;
  esac
done
lists=("$here/debian-packages.txt")
[ "$arm64" -eq 0 ] || lists+=("$here/debian-packages-arm64.txt")
mapfile -t packages < <(cat "${lists[@]}" | grep -v '^\s*#' | grep -v '^\s*$')
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} Debian packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ "$arm64" -eq 1 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "install-deps: adding the arm64 architecture (dpkg --add-architecture arm64)"
  $sudo dpkg --add-architecture arm64
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
