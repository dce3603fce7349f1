#!/usr/bin/env bash
# One CPU, as `taskset -c 0` or a container with --cpuset-cpus=0 gives: the server choosing its own thread count
# (affinity mask, cgroup quota, physical cores) against the bare llama.cpp loop with one thread pinned the same
# way, and the old default (one thread per online CPU) for comparison. Prints tokens/s and server/bare ratios.
#   bench/pinned.sh [cpu]        (the synthetic tiny model and the Qwen2.5 0.5B shape, Q4_K_M; settings shared with
#                                 tokens.sh: bench/common.sh)
set -euo pipefail
. "$(dirname "$0")/common.sh"
b=$bench_build
cpu=${1:-0}
load_bench_models
printf '%-6s %-22s %10s %10s %12s\n' model runner prompt_tps gen_tps gen_vs_bare
for m in "${models[@]}"; do
  bare=$(taskset -c "$cpu" "$b/bin/bare-decode-cpu" --model "$m" --prompt-tokens 128 --gen-tokens "$bench_gen" \
         --threads 1)
  auto=$(taskset -c "$cpu" "$b/bin/server-tokens" --server "$b/variants/cpu/tsuku-llm" --model "$m" \
         --prompt-words 100 --gen-tokens "$bench_gen" --threads 0)
  old=$(taskset -c "$cpu" "$b/bin/server-tokens" --server "$b/variants/cpu/tsuku-llm" --model "$m" \
        --prompt-words 100 --gen-tokens "$bench_gen" --threads "$(nproc --all)")
  base=$(json_field "$bare" gen_tps)
  for pair in "bare (1 thread):$bare" "server (own rule):$auto" "server ($(nproc --all) threads):$old"; do
    runner=${pair%%:*}; json=${pair#*:}
    gen=$(json_field "$json" gen_tps)
    printf '%-6s %-22s %10.1f %10.1f %12.2f\n' "$(model_label "$m")" "$runner" "$(json_field "$json" prompt_tps)" \
      "$gen" "$(echo "$gen $base" | awk '{ printf "%.2f", ($2 > 0 ? $1 / $2 : 0) }')"
  done
done
