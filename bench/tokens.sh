#!/usr/bin/env bash
# Tokens/s on this machine: the real server through gRPC next to the bare llama.cpp loop (same libraries), for the
# synthetic tiny model and the Qwen2.5 0.5B shape (Q8_0; generated into build/models/ on first use).
#   bench/tokens.sh [threads]        (settings shared with pinned.sh: bench/common.sh)
set -euo pipefail
. "$(dirname "$0")/common.sh"
b=$bench_build
threads=${1:-2}
load_bench_models
printf '%-6s %-8s %10s %10s\n' model runner prompt_tps gen_tps
for m in "${models[@]}"; do
  bare=$("$b/bin/bare-decode-cpu" --model "$m" --prompt-tokens 128 --gen-tokens "$bench_gen" --threads "$threads")
  srv=$("$b/bin/server-tokens" --server "$b/variants/cpu/tsuku-llm" --model "$m" --prompt-words 100 \
        --gen-tokens "$bench_gen" --threads "$threads")
  for pair in "bare:$bare" "server:$srv"; do
    runner=${pair%%:*}; json=${pair#*:}
    printf '%-6s %-8s %10.1f %10.1f\n' "$(model_label "$m")" "$runner" "$(json_field "$json" prompt_tps)" \
      "$(json_field "$json" gen_tps)"
  done
done
