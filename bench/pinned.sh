#!/usr/bin/env bash
# One CPU, as `taskset -c 0` or a container with --cpuset-cpus=0 gives: the server choosing its own thread count
# (affinity mask, cgroup quota, physical cores) against the bare llama.cpp loop with one thread pinned the same
# way, and the old default (one thread per online CPU) for comparison. Prints tokens/s and server/bare ratios.
#   bench/pinned.sh [cpu]        (the synthetic tiny model and the Qwen2.5 0.5B shape, Q8_0)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
b="$root/build"
cpu=${1:-0}
deps="$b/deps/llama-src/models"
m05="$b/models/tsuku-synthetic-0.5b-q8_0.gguf"
[ -f "$m05" ] || "$b/bin/gguf-gen" --vocab "$deps/ggml-vocab-qwen2.gguf" \
  --template "$deps/templates/Qwen-Qwen2.5-7B-Instruct.jinja" --shape 0.5b --type q8_0 -o "$m05" >&2
field() { echo "$1" | sed "s/.*\"$2\":\([0-9.]*\).*/\1/"; }
printf '%-6s %-22s %10s %10s %12s\n' model runner prompt_tps gen_tps gen_vs_bare
for m in "$b/models/tsuku-synthetic-tiny-q8_0.gguf" "$m05"; do
  name=$(basename "$m" .gguf | sed 's/tsuku-synthetic-//; s/-q8_0//')
  bare=$(taskset -c "$cpu" "$b/bin/bare-decode-cpu" --model "$m" --prompt-tokens 128 --gen-tokens 64 --threads 1)
  auto=$(taskset -c "$cpu" "$b/bin/server-tokens" --server "$b/variants/cpu/tsuku-llm" --model "$m" \
         --prompt-words 100 --gen-tokens 64 --threads 0)
  old=$(taskset -c "$cpu" "$b/bin/server-tokens" --server "$b/variants/cpu/tsuku-llm" --model "$m" \
        --prompt-words 100 --gen-tokens 64 --threads "$(nproc --all)")
  base=$(field "$bare" gen_tps)
  for pair in "bare (1 thread):$bare" "server (own rule):$auto" "server ($(nproc --all) threads):$old"; do
    runner=${pair%%:*}; json=${pair#*:}
    gen=$(field "$json" gen_tps)
    printf '%-6s %-22s %10.1f %10.1f %12.2f\n' "$name" "$runner" "$(field "$json" prompt_tps)" "$gen" \
      "$(echo "$gen $base" | awk '{ printf "%.2f", $2 > 0 ? $1 / $2 : 0 }')"
  done
done
