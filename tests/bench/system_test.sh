#!/usr/bin/env bash
# bench/system.sh with one run of each figure (the install figure is left out: it packs a 160 MB variant): the
# table names every figure and the JSON carries them, with the outcomes this machine must show (cpu ready; cuda
# exits 78 without a driver).
#   tests/bench/system_test.sh BUILD_DIR MODEL
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$("$root/bench/system.sh" --build "$build" --runs 1 --skip install)
echo "$out"
grep -q "detect, warm (cache hit)" <<< "$out"
grep -q "fallback overhead" <<< "$out"
grep -q "tsuku peak RSS" <<< "$out"
tail -1 <<< "$out" | python3 -c '
import json, sys
j = json.load(sys.stdin)
d = j["detection"]
assert d["warm_ms"] > 0 and d["cold_ms"] > 0 and d["warm_cache"] == "hit", d
s = j["start"]
assert s["startup_ms"]["cpu"]["outcome"] == "ready", s
assert s["startup_ms"]["cuda"]["outcome"].startswith("exit 78"), s
assert s["fallback"]["failing"] == "cuda" and s["fallback"]["chain_ms"]["median"] > 0, s
assert s["server_rss"]["vm_hwm_kib"] > 0, s
m = j["memory"][0]
assert m["tsuku_starting_kib"] > 0 and m["tsuku_client_kib"] > 0 and m["tsuku_llm_kib"] > 0, m
print("system figures: ok")
'
