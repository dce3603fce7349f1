#!/usr/bin/env bash
# Time to first token of a restarted server with the prompt cache's saved state against a cold start, same run, on
# the Qwen2.5 0.5B shape (Q8_0; generated into build/models/ on first use) with a system prompt of about 2,000
# tokens; and the state's size on disk. Target (issue 21): restored/cold <= 0.15.
#   bench/prompt_cache.sh [threads] [variant]      (variant: cpu, vulkan or cuda; default cpu)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
b="$root/build"
threads=${1:-0}
variant=${2:-cpu}
deps="$b/deps/llama-src/models"
m05="$b/models/tsuku-synthetic-0.5b-q8_0.gguf"
[ -f "$m05" ] || "$b/bin/gguf-gen" --vocab "$deps/ggml-vocab-qwen2.gguf" \
  --template "$deps/templates/Qwen-Qwen2.5-7B-Instruct.jinja" --shape 0.5b --type q8_0 -o "$m05" >&2
"$b/bin/prompt-cache-bench" --server "$b/variants/$variant/tsuku-llm" --model "$m05" --system-words 1950 \
  --threads "$threads" --runs "${RUNS:-3}"
