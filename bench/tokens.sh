#!/usr/bin/env bash
# Tokens/s on this machine: the real server through gRPC next to the bare llama.cpp loop (same libraries), for the
# synthetic tiny model and the Qwen2.5 0.5B shape (Q8_0; generated into build/models/ on first use).
#   bench/tokens.sh [threads]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
b="$root/build"
threads=${1:-2}
deps="$b/deps/llama-src/models"
m05="$b/models/tsuku-synthetic-0.5b-q8_0.gguf"
[ -f "$m05" ] || "$b/bin/gguf-gen" --vocab "$deps/ggml-vocab-qwen2.gguf" \
  --template "$deps/templates/Qwen-Qwen2.5-7B-Instruct.jinja" --shape 0.5b --type q8_0 -o "$m05" >&2
printf '%-6s %-8s %10s %10s\n' model runner prompt_tps gen_tps
for m in "$b/models/tsuku-synthetic-tiny-q8_0.gguf" "$m05"; do
  name=$(basename "$m" .gguf | sed 's/tsuku-synthetic-//; s/-q8_0//')
  bare=$("$b/bin/bare-decode-cpu" --model "$m" --prompt-tokens 128 --gen-tokens 64 --threads "$threads")
  srv=$("$b/bin/server-tokens" --server "$b/variants/cpu/tsuku-llm" --model "$m" --prompt-words 100 \
        --gen-tokens 64 --threads "$threads")
  for pair in "bare:$bare" "server:$srv"; do
    runner=${pair%%:*}; json=${pair#*:}
    printf '%-6s %-8s %10.1f %10.1f\n' "$name" "$runner" \
      "$(echo "$json" | sed 's/.*"prompt_tps":\([0-9.]*\).*/\1/')" "$(echo "$json" | sed 's/.*"gen_tps":\([0-9.]*\).*/\1/')"
  done
done
