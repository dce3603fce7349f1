#!/usr/bin/env bash
# Packs what bench/gpu/run.sh needs on a GPU machine that has no network, into gpu-carry/ (git-ignored; the device
# tool carries it: `carry: ["gpu-carry"]`). Everything is compressed: the working tree plus what is carried must
# stay under 64 MiB, and the prebuilt libggml-cuda.so alone is 159 MB, so the CUDA backend is built there instead,
# from the llama.cpp sources of the pinned bundle (the same commit as the prebuilt libraries). Of the 35 MB bundle
# only what the build of ggml-cuda reads is packed (~4 MB compressed; no git needed there).
#
#   gpu-carry/llama-src.tar.xz    CMakeLists.txt cmake/ ggml/ include/ src/ vendor/ of node-llama-cpp's
#                                 llama/gitRelease.bundle (git archive of its HEAD)
#   gpu-carry/payload.tar.xz      bin/: tsuku, the bench programs, gguf-gen; variants/{cpu,vulkan,cuda}/ (cuda
#                                 without libggml-cuda.so); share/: the qwen2 vocabulary and chat template;
#                                 lib/: the shared libraries of those programs that a CUDA image lacks (gRPC,
#                                 protobuf, spdlog, curl, archive, …: everything but glibc and the compiler runtime)
#   gpu-carry/gl/*.deb            the Vulkan loader and GL dispatch libraries (the device README's recipe)
#   gpu-carry/cuda-sm<NN>.tar.xz  optional (--cuda-arch NN): libggml-cuda.so built here for that architecture only,
#                                 so run.sh skips the build on a GPU of that architecture (H100/H200: 90)
#
#   bench/gpu/prepare.sh [--build DIR] [--cuda-arch 90] [--jobs N] [--no-debs] [--out DIR] [--level 0-9]
# (--out and --level 0: the test of the script's CPU parts packs fast into a temporary folder)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build arch="" jobs=2 debs=1 out=$root/gpu-carry level=6
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift ;; --cuda-arch) arch=$2; shift ;; --jobs) jobs=$2; shift ;; --no-debs) debs=0 ;;
    --out) out=$2; shift ;; --level) level=$2; shift ;;
    *) echo "prepare: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
build=$(cd "$build" && pwd)
deps=$(sed -n 's/^TSUKU_DEPS_DIR:[A-Z]*=//p' "$build/CMakeCache.txt"); [ -n "$deps" ] || deps=$build/deps
mkdir -p "$out"
bundle_tgz=$(readlink -f "$deps/tarballs/node-llama-cpp.tgz")
[ -f "$bundle_tgz" ] || { echo "prepare: $deps/tarballs/node-llama-cpp.tgz is missing (run the build once)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/tsuku-gpu-prepare.XXXXXX")
trap 'rm -rf "$work"' EXIT

# 1. The llama.cpp sources of the pinned commit that the CUDA backend's build reads.
tar -xzf "$bundle_tgz" -C "$work" package/llama/gitRelease.bundle
git clone -q --bare "$work/package/llama/gitRelease.bundle" "$work/src.git" 2>/dev/null
git --git-dir "$work/src.git" archive --prefix=llama/ HEAD CMakeLists.txt cmake ggml include src vendor LICENSE |
  xz -T0 "-$level" > "$out/llama-src.tar.xz"
rm -rf "$work/package"

# 2. Programs, variants, vocabulary, and the libraries they need beyond glibc and the compiler runtime.
stage=$work/payload
mkdir -p "$stage/bin" "$stage/lib" "$stage/share" "$stage/variants"
# tsuku alone runs the light commands (detect) there; libtsuku-cli.so (install, complete) is not needed and would
# bring libarchive's dependencies (ICU: 30 MB).
for exe in tsuku server-tokens start-bench gguf-gen bare-decode-cpu bare-decode-vulkan bare-decode-cuda; do
  [ -x "$build/bin/$exe" ] || { echo "prepare: $build/bin/$exe is missing: build it first" >&2; exit 1; }
  cp "$build/bin/$exe" "$stage/bin/"
done
for b in cpu vulkan cuda; do
  mkdir -p "$stage/variants/$b"
  for f in "$build/variants/$b"/*; do
    name=$(basename "$f")
    [ "$name" = libggml-cuda.so ] && continue  # built on the GPU machine (or carried per architecture)
    # The CPU libraries are the same files in every variant: hard links, stored once in the archive.
    if [ "$b" != cpu ] && [ -f "$stage/variants/cpu/$name" ] && cmp -s "$f" "$stage/variants/cpu/$name"; then
      ln "$stage/variants/cpu/$name" "$stage/variants/$b/$name"
    else
      cp -a "$f" "$stage/variants/$b/"
    fi
  done
done
# The bench programs find their variant's libraries through a build-time RPATH: run.sh uses LD_LIBRARY_PATH.
cp "$deps/llama-src/models/ggml-vocab-qwen2.gguf" "$deps/llama-src/models/templates/Qwen-Qwen2.5-7B-Instruct.jinja" \
   "$stage/share/"
skip='^(linux-vdso|ld-linux|libc\.so|libm\.so|libdl\.so|librt\.so|libpthread\.so|libresolv\.so|libstdc\+\+\.so|libgcc_s\.so|libvulkan\.so|libcuda\.so|libcudart|libcublas|libggml|libllama|libtsuku)'
for f in "$stage"/bin/* "$stage"/variants/cpu/tsuku-llm; do
  LD_LIBRARY_PATH="$build/variants/cpu:$build/bin" ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }'
done | sort -u | while read -r soname path; do
  if ! [[ $soname =~ $skip ]]; then cp -L "$path" "$stage/lib/$soname"; fi
done
# Our programs without their debug information (RelWithDebInfo: five times the size).
strip --strip-debug "$stage"/bin/* "$stage"/variants/*/tsuku-llm
tar -C "$stage" -cf - . | xz -T0 "-$level" > "$out/payload.tar.xz"

# 3. The Vulkan loader (and what the NVIDIA ICD needs), downloaded as Debian packages (device README's recipe).
if [ "$debs" = 1 ]; then
  mkdir -p "$out/gl" "$work/lists/partial"
  o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$work/lists"
  # shellcheck disable=SC2086
  apt-get $o update > /dev/null
  # shellcheck disable=SC2086
  (cd "$out/gl" && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 > /dev/null)
fi

# 4. Optionally, the CUDA backend built here for one architecture (nvcc here needs no driver to compile).
if [ -n "$arch" ]; then
  "$root/bench/gpu/build_cuda.sh" "$out/llama-src.tar.xz" "$arch" "$work/cuda" "$jobs"
  tar -C "$work/cuda/out" -cf - libggml-cuda.so | xz -T0 "-$level" > "$out/cuda-sm$arch.tar.xz"
fi
echo "prepare: $(du -sh "$out" | cut -f1) in $out (the limit, with the working tree: 64 MiB)"
