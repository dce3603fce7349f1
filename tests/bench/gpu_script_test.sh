#!/usr/bin/env bash
# The GPU script's CPU parts on a machine without a GPU: bench/gpu/prepare.sh packs (fast, no Debian packages)
# into a temporary folder, and bench/gpu/run.sh runs from that pack alone in TSUKU_GPU_CPU_ONLY mode on the tiny
# shape: unpacking, library paths, model generation, detection, start-up and the fallback check, the cpu row of
# the table. Also checks that every program in the pack finds each library it needs in the pack itself, or among
# those a CUDA machine provides (glibc, the compiler runtime, the driver's and the toolkit's).
#   tests/bench/gpu_script_test.sh BUILD_DIR MODEL
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tsuku-gpu-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$root/bench/gpu/prepare.sh" --build "$build" --no-debs --level 0 --out "$tmp/carry"
OUT=$tmp/out TSUKU_GPU_CPU_ONLY=1 TSUKU_GPU_SHAPES=tiny TSUKU_GPU_RUNS=1 TSUKU_GPU_GEN=8 \
  TSUKU_GPU_CARRY=$tmp/carry TSUKU_GPU_WORK=$tmp/work bash "$root/bench/gpu/run.sh"
table=$(cat "$tmp/out/table.txt")
grep -Eq '^tiny +cpu +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+' <<< "$table"
grep -Eq '^tiny +cuda +skipped' <<< "$table"
grep -q 'ok   start-up cpu' <<< "$table"
grep -q 'ok   cuda without a visible device exits 78' <<< "$table"
grep -q 'ok   cuda without a visible device decides before ggml-cuda loads' <<< "$table"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/out/gpu.json"

p=$tmp/work/payload
provided='^(linux-vdso|ld-linux|libc\.so|libm\.so|libdl\.so|librt\.so|libpthread\.so|libresolv\.so|libstdc\+\+\.so|libgcc_s\.so|libvulkan\.so|libcuda\.so|libcudart\.so|libcublas\.so|libcublasLt\.so)'
missing=0
for f in "$p"/bin/* "$p"/variants/*/*.so "$p"/variants/*/tsuku-llm "$p"/lib/*; do
  for lib in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
    [[ $lib =~ $provided ]] && continue
    # bin/bare-decode-<backend> runs with its variant's folder on LD_LIBRARY_PATH (run.sh)
    [ -e "$p/lib/$lib" ] || [ -e "$(dirname "$f")/$lib" ] || compgen -G "$p/variants/*/$lib" > /dev/null ||
      { echo "pack: $f needs $lib, which is not in the pack" >&2; missing=1; }
  done
done
# The programs' build-time RUNPATHs point into this build: with the library path run.sh sets, every library must
# come from the pack (or the system set above), never from the build.
for f in "$p"/bin/*; do
  extra=$p/lib
  case "$(basename "$f")" in
    bare-decode-*) extra=$p/variants/${f##*bare-decode-}:$p/lib ;; gguf-gen) extra=$p/variants/cpu:$p/lib ;;
  esac
  while read -r soname path; do
    [[ $soname =~ $provided ]] || [[ $path == "$p"/* ]] ||
      { echo "pack: $f loads $soname from $path, outside the pack" >&2; missing=1; }
  done < <(LD_LIBRARY_PATH=$extra ldd "$f" | awk '$2 == "=>" { print $1, $3 }')
done
[ "$missing" = 0 ]
echo "gpu script (CPU parts): ok"
