#!/usr/bin/env bash
# Install throughput over loopback: tsuku's download + sha256 + safe extraction (+ fsync, atomic rename) against
# curl + sha256sum + tar -x on the same tar.zst from the same server, in one run, alternating, best of N each.
#   bench/install_throughput.sh [BUILD_DIR] [SOURCE_DIR] [RUNS]
# SOURCE_DIR is packed into the package (default: the cuda variant of BUILD_DIR, real libraries; without it,
# ~100 MB of generated data). Target: ours >= 0.8x the speed of the baseline.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
src=${2:-$build/variants/cuda}
runs=${3:-3}
bench="$build/bin/install-bench"
[ -x "$bench" ] || { echo "build it first: ninja -C $build install-bench" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tsuku-bench.XXXXXX")
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/release"
if [ -d "$src" ]; then
  tar -cf - -C "$src" . | zstd -q -3 -T0 -o "$work/release/pkg.tar.zst"
else
  src="(generated)"
  mkdir -p "$work/gen"
  head -c 95000000 /dev/urandom > "$work/gen/libbig.so"  # incompressible, like GPU kernels
  for i in 1 2 3 4 5 6; do seq 1 1200000 | sed "s/^/$i line /" > "$work/gen/text$i"; done
  tar -cf - -C "$work/gen" . | zstd -q -3 -T0 -o "$work/release/pkg.tar.zst"
  rm -rf "$work/gen"
fi
pkg="$work/release/pkg.tar.zst"
size=$(stat -c %s "$pkg")
sha=$(sha256sum "$pkg" | cut -d' ' -f1)

/usr/bin/python3 "$root/tests/support/http_server.py" "$work/release" "$work/requests.log" > "$work/port" &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
url="http://127.0.0.1:$(head -1 "$work/port")/ok/pkg.tar.zst"

now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }
ours() {
  rm -rf "$work/home"; mkdir -p "$work/home"; sync
  "$bench" --url "$url" --size "$size" --sha256 "$sha" --home "$work/home" | sed 's/.*"seconds":\([0-9.]*\).*/\1/'
}
baseline() {
  rm -rf "$work/base"; mkdir -p "$work/base/out"; sync
  local t0 t1
  t0=$(now)
  curl -sSf -o "$work/base/pkg.tar.zst" "$url"
  echo "$sha  $work/base/pkg.tar.zst" | sha256sum -c --quiet -
  tar -x --zstd -f "$work/base/pkg.tar.zst" -C "$work/base/out"
  t1=$(now)
  calc "$t1 - $t0"
}

best_ours=999999 best_base=999999
for i in $(seq "$runs"); do
  b=$(baseline); o=$(ours)
  printf 'run %d: baseline %.3fs  tsuku %.3fs\n' "$i" "$b" "$o" >&2
  best_base=$(calc "($b < $best_base) ? $b : $best_base")
  best_ours=$(calc "($o < $best_ours) ? $o : $best_ours")
done
diff -r "$work/base/out" "$work/home/tools/tsuku-llm/bench/cpu" > /dev/null || { echo "outputs differ" >&2; exit 1; }

mb=$(calc "$size / 1000000")
printf 'package: %s (%.1f MB tar.zst from %s)\n' "$(basename "$pkg")" "$mb" "$src"
printf 'curl + sha256sum + tar -x : %.3f s  (%.0f MB/s)\n' "$best_base" "$(calc "$mb / $best_base")"
printf 'tsuku download+verify+extract+fsync : %.3f s  (%.0f MB/s)\n' "$best_ours" "$(calc "$mb / $best_ours")"
printf 'ratio (tsuku speed / baseline speed): %.2f  (target >= 0.80)\n' "$(calc "$best_base / $best_ours")"
