#!/usr/bin/env bash
# Streaming's cost and time to first token, through the real CLI on the Qwen2.5 0.5B shape (Q8_0; generated into
# build/models/ on first use). Alternates `complete --json --stream` (CompleteStream) and `complete --json`
# (Complete) on one warm server, so both see the same machine load; tokens/s is the server's own generation time.
#   bench/stream.sh [rounds] [tokens]     (TSUKU=another tsuku binary, MODEL=another .gguf)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/common.sh"
client_bench_setup "$@"
if [ -z "${TSUKU_HOME:-}" ]; then
  export TSUKU_HOME=$(mktemp -d /tmp/tsuku-stream.XXXXXX)
  trap '"$bin" llm stop >/dev/null 2>&1 || true; rm -rf "$TSUKU_HOME"' EXIT
else
  trap '"$bin" llm stop >/dev/null 2>&1 || true' EXIT
fi
tsuku() { "$bin" "$@"; }
prompt="Write a long story about a lighthouse keeper"

# Time to first token: cold (the server starts) and warm, from --verbose (measured from the command's start).
ttft() { tsuku llm complete --model "$m05" --max-tokens 8 --verbose "$prompt" 2>&1 >/dev/null |
         sed -n 's/.*first token after \([0-9.]*\)s.*/\1/p'; }
tsuku llm stop >/dev/null
echo "ttft_cold_s $(ttft)"
for i in 1 2 3; do echo "ttft_warm_s $(ttft)"; done

# The server's generation tokens/s from the final object (the whole output of --json, the last line of NDJSON).
tps() { python3 -c '
import json, sys
t = sys.stdin.read().strip()
try: j = json.loads(t)
except ValueError: j = json.loads(t.splitlines()[-1])
print(j["usage"]["output_tokens"] * 1000 / j["timing"]["generation_ms"])'; }
s_sum=0; w_sum=0
for i in $(seq "$rounds"); do
  s=$(tsuku llm complete --model "$m05" --max-tokens "$tokens" --temperature 0 --json --stream "$prompt" | tps)
  w=$(tsuku llm complete --model "$m05" --max-tokens "$tokens" --temperature 0 --json "$prompt" | tps)
  echo "round $i stream_tps $s whole_tps $w"
  s_sum=$(python3 -c "print($s_sum + $s)"); w_sum=$(python3 -c "print($w_sum + $w)")
done
python3 -c "print('ratio stream/whole %.3f' % ($s_sum / $w_sum))"
