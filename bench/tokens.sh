#!/usr/bin/env bash
# Tokens/s on this machine: the real server through gRPC next to the bare llama.cpp loops (same libraries), for the
# synthetic tiny model and the Qwen2.5 0.5B shape (Q4_K_M; generated into build/models/ on first use). gen_tps of
# the bare row is its greedy loop; limit_tps the pure decode loop (no sampling), which the server's gen_tps is
# measured against (gen/limit).
#   bench/tokens.sh [threads]        (settings shared with pinned.sh: bench/common.sh)
set -euo pipefail
. "$(dirname "$0")/common.sh"
b=$bench_build
threads=${1:-2}
load_bench_models
printf '%-6s %-8s %10s %10s %10s %9s\n' model runner prompt_tps gen_tps limit_tps gen/limit
for m in "${models[@]}"; do
  bare=$("$b/bin/bare-decode-cpu" --model "$m" --prompt-tokens 128 --gen-tokens "$bench_gen" --threads "$threads")
  srv=$("$b/bin/server-tokens" --server "$b/variants/cpu/tsuku-llm" --model "$m" --prompt-words 100 \
        --gen-tokens "$bench_gen" --threads "$threads")
  limit=$(json_field "$bare" decode_tps)
  for pair in "bare:$bare" "server:$srv"; do
    runner=${pair%%:*}; json=${pair#*:}
    gen=$(json_field "$json" gen_tps)
    printf '%-6s %-8s %10.1f %10.1f %10.1f %9.2f\n' "$(model_label "$m")" "$runner" "$(json_field "$json" prompt_tps)" \
      "$gen" "$limit" "$(echo "$gen $limit" | awk '{ printf "%.2f", ($2 > 0 ? $1 / $2 : 0) }')"
  done
done
