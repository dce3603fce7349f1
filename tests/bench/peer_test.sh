#!/usr/bin/env bash
# bench/peer.sh end to end on the tiny model: server, bare loop and node-llama-cpp all report rates for the same
# prompt token count, and both ratios are printed. Skipped (77) without Node.js and npm. The first run installs the
# peer from the npm registry (pinned by bench/peer/package-lock.json); later runs reuse the install.
#   tests/bench/peer_test.sh BUILD_DIR MODEL
set -euo pipefail
build=$1 model=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then echo "no node/npm: skipped"; exit 77; fi
out=$("$root/bench/peer.sh" --build "$build" --model "$model" --runs 1 --gen-tokens 8 --prompt-words 16 --threads 2)
echo "$out"
grep -q "ratio server/bare" <<< "$out"
grep -q "ratio server/peer" <<< "$out"
grep -q "ratio server/limit" <<< "$out"
grep -q "sampling ms/token: server" <<< "$out"
tail -1 <<< "$out" | python3 -c '
import json, sys
j = json.load(sys.stdin)
for runner in ("server", "bare", "peer"):
    assert j[runner]["prompt_tps"] > 0 and j[runner]["gen_tps"] > 0, runner
assert j["bare"]["decode_tps"] > 0 and j["bare"]["sample_ms_per_token"] > 0, j["bare"]
assert j["server"]["server_sample_ms_per_token"] > 0, j["server"]
assert j["ratios"]["gen"]["server_over_limit"] > 0, j["ratios"]
assert j["server"]["prompt_tokens"] == j["bare"]["prompt_tokens"] == j["peer"]["prompt_tokens"], j
for phase in ("prompt", "gen"):
    for ratio in ("server_over_bare", "server_over_peer"):
        assert j["ratios"][phase][ratio] > 0, (phase, ratio)
print("peer harness: ok")
'
