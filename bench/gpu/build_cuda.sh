#!/usr/bin/env bash
# Builds ggml's CUDA backend (libggml-cuda.so, a GGML_BACKEND_DL module) from the pinned sources for one GPU
# architecture only, to drop into the cuda variant beside the prebuilt libggml-base.so of the same commit.
# Configured from llama.cpp's top level, as the prebuilt package was (it sets ggml's defaults, e.g. CUDA graphs
# on), without llama.cpp's tools, without NCCL (one GPU) and for this architecture alone; only the target
# ggml-cuda (and ggml-base, which it links against) is compiled.
#   bench/gpu/build_cuda.sh SRC.tar.xz ARCH WORKDIR [JOBS]     -> WORKDIR/out/libggml-cuda.so
#   (ARCH: compute capability without the dot, e.g. 90 for an H100; SRC: gpu-carry/llama-src.tar.xz)
set -euo pipefail
src=$1 arch=$2 work=$3 jobs=${4:-$(nproc)}
[[ $arch =~ ^[0-9]+a?$ ]] || { echo "build_cuda: ARCH must look like 90 or 90a, got '$arch'" >&2; exit 2; }
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
[ -x "$nvcc" ] || { echo "build_cuda: nvcc not found (PATH or /usr/local/cuda/bin)" >&2; exit 1; }
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
mkdir -p "$work/src" "$work/out"
if [ ! -f "$work/src/llama/CMakeLists.txt" ]; then
  if ! tar -xJf "$src" -C "$work/src" 2>/dev/null; then
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$src" "$work/src"
  fi
fi
cmake -S "$work/src/llama" -B "$work/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CUDA_COMPILER="$nvcc" -DCMAKE_CUDA_ARCHITECTURES="$arch-real" \
  -DBUILD_SHARED_LIBS=ON -DGGML_BACKEND_DL=ON -DGGML_NATIVE=OFF -DGGML_CUDA=ON -DGGML_CUDA_NCCL=OFF \
  -DGGML_CCACHE=OFF -DLLAMA_BUILD_COMMON=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_OPENSSL=OFF \
  > "$work/cmake.log" 2>&1 || { tail -20 "$work/cmake.log" >&2; exit 1; }
cmake --build "$work/build" --target ggml-cuda -j "$jobs" > "$work/build.log" 2>&1 ||
  { tail -40 "$work/build.log" >&2; exit 1; }
lib=$(find "$work/build" -name 'libggml-cuda.so*' -type f | head -1)
[ -n "$lib" ] || { echo "build_cuda: no libggml-cuda.so in $work/build" >&2; exit 1; }
cp "$lib" "$work/out/libggml-cuda.so"
# The prebuilt variant names its base library without a version and finds it through $ORIGIN: match it.
python3 "$(dirname "$0")/fix_cuda_lib.py" "$work/out/libggml-cuda.so"
echo "build_cuda: $work/out/libggml-cuda.so (sm_$arch, $(du -h "$work/out/libggml-cuda.so" | cut -f1))" >&2
