#!/usr/bin/env bash
# The OpenAI HTTP gateway's cost (tsuku llm serve), on the Qwen2.5 0.5B shape (Q8_0; generated into build/models/
# on first use), one warm server, same run:
#   - streamed tokens/s over HTTP (SSE) against `tsuku llm complete --json --stream`, both timed at the client from
#     the first delta to the last (target: ratio >= 0.97);
#   - the latency the gateway adds to a request: a one-token reply over HTTP minus the same request over gRPC
#     straight to the server's socket, medians (target < 2 ms); and GET /health against GetStatus (no decode).
#   bench/http.sh [rounds] [tokens]     (TSUKU=another tsuku binary, MODEL=another .gguf)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/common.sh"
client_bench_setup "$@"
own_home=
if [ -z "${TSUKU_HOME:-}" ]; then
  export TSUKU_HOME=$(mktemp -d /tmp/tsuku-http.XXXXXX)
  own_home=1
fi
# One inference thread unless told otherwise: on a busy machine two spinning threads wait on each other at every
# token, and that noise would swamp the gateway's cost, which is what this measures.
export TSUKU_LLM_THREADS=${TSUKU_LLM_THREADS:-1}
log=$(mktemp /tmp/tsuku-http-serve.XXXXXX)
"$bin" llm serve --http 127.0.0.1:0 --model "$m05" 2> "$log" &
serve=$!
cleanup() {
  kill -TERM "$serve" 2> /dev/null && wait "$serve" 2> /dev/null || true
  "$bin" llm stop > /dev/null 2>&1 || true
  rm -f "$log"
  [ -z "$own_home" ] || rm -rf "$TSUKU_HOME"
}
trap cleanup EXIT
trap 'exit 143' INT TERM
# The URL line comes at once, `ready:` once the server has started (bounded: a failure, not a measurement).
for _ in $(seq 1200); do
  grep -q '^tsuku: ready:' "$log" && break
  kill -0 "$serve" 2> /dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
grep -q '^tsuku: ready:' "$log" || { echo "http: the server did not become ready" >&2; cat "$log" >&2; exit 1; }
url=$(sed -n 's/.*serving the OpenAI API on \(\S*\).*/\1/p' "$log")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 "$root/bench/http_bench.py" "$bin" "$root/proto" "$TSUKU_HOME/run/llm.sock" "$url" "$m05" \
  "$rounds" "$tokens"
