# Sourced by the token benchmarks (tokens.sh, pinned.sh, peer.sh) and the client ones (stream.sh, http.sh): the build folder, the synthetic models they run
# (made offline by gguf-gen on first use) and reading their runners' one-line JSON. Not a command of its own.
#   TSUKU_BENCH_BUILD    the build folder (default: <repo>/build)
#   TSUKU_BENCH_SHAPES   the shapes tokens.sh and pinned.sh run (default: "tiny 0.5b"; tests run "tiny")
#   TSUKU_BENCH_TYPE     their weights, and peer.sh's (default: q4_k_m, the real models' quantisation, whose kernels
#                        differ from Q8_0's on every backend; the client benchmarks keep Q8_0: they time IPC)
#   TSUKU_BENCH_GEN      tokens generated per run by tokens.sh and pinned.sh (default: 64)
bench_build=${TSUKU_BENCH_BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build}
bench_type=${TSUKU_BENCH_TYPE:-q4_k_m}
bench_gen=${TSUKU_BENCH_GEN:-64}

# synthetic_model BUILD SHAPE TYPE: the path of BUILD/models/tsuku-synthetic-SHAPE-TYPE.gguf, written first when
# missing, with the real qwen2 vocabulary and chat template of the pinned llama.cpp sources.
synthetic_model() {
  local build=$1 shape=$2 type=$3 deps model
  model=$build/models/tsuku-synthetic-$shape-$type.gguf
  if [ ! -f "$model" ]; then
    deps=$(sed -n 's/^TSUKU_DEPS_DIR:[A-Z]*=//p' "$build/CMakeCache.txt" 2> /dev/null || true)
    [ -n "$deps" ] || deps=$build/deps
    "$build/bin/gguf-gen" --vocab "$deps/llama-src/models/ggml-vocab-qwen2.gguf" \
      --template "$deps/llama-src/models/templates/Qwen-Qwen2.5-7B-Instruct.jinja" \
      --shape "$shape" --type "$type" -o "$model" >&2 || return 1
  fi
  echo "$model"
}

# load_bench_models: the array `models` holds the models of tokens.sh and pinned.sh (a model that cannot be made
# stops the script).
load_bench_models() {
  local shape
  models=()
  for shape in ${TSUKU_BENCH_SHAPES:-tiny 0.5b}; do
    models+=("$(synthetic_model "$bench_build" "$shape" "$bench_type")")
  done
}

# model_label PATH: "tiny", "0.5b", … for a table.
model_label() { basename "$1" .gguf | sed "s/tsuku-synthetic-//; s/-$bench_type\$//"; }

# json_field JSON KEY: a number of a runner's one-line JSON ("gen_tps", "prompt_tps", "decode_tps").
json_field() { echo "$1" | sed "s/.*\"$2\":\([0-9.]*\).*/\1/"; }

# client_bench_setup [ROUNDS] [TOKENS]: what the client-side benchmarks (stream.sh, http.sh) share: `rounds` (5),
# `tokens` (128), `m05` (MODEL, or the 0.5B shape made on first use) and `bin` (TSUKU, or the build's tsuku).
client_bench_setup() {
  rounds=${1:-5}
  tokens=${2:-128}
  m05=${MODEL:-$(synthetic_model "$bench_build" 0.5b q8_0)}
  bin=${TSUKU:-$bench_build/bin/tsuku}
}
