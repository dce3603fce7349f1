#!/usr/bin/env bash
# Wall time of `tsuku llm detect`: cold (probes run: --refresh) and warm (cache hit), median of N runs each, next
# to `tsuku --version` (the process start-up floor every tsuku command pays) and the time spent inside detection
# itself (the report's detect_us). Targets (docs/design.md §9): warm < 20 ms, cold < 1 s.
#   bench/detect.sh [path/to/tsuku] [runs]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tsuku=${1:-$root/build/bin/tsuku}
runs=${2:-15}
[ -x "$tsuku" ] || { echo "no tsuku at $tsuku (build it, or pass its path)" >&2; exit 1; }
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export TSUKU_HOME=$home

# median_ms CMD… : runs CMD $runs times (output discarded), prints the median wall time in ms.
median_ms() {
    local times=() t0 t1
    for ((i = 0; i < runs; i++)); do
        t0=$EPOCHREALTIME
        "$@" > /dev/null
        t1=$EPOCHREALTIME
        times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) * 1000 }')")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# median of the detect_us field over $runs runs of the given detect arguments
median_inner_ms() {
    for ((i = 0; i < runs; i++)); do
        "$tsuku" llm detect --json "$@" | python3 -c 'import json, sys; print(json.load(sys.stdin)["detect_us"] / 1000)'
    done | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

"$tsuku" llm detect --json --refresh > /dev/null  # fill the cache
state=$("$tsuku" llm detect --json | python3 -c 'import json, sys; j = json.load(sys.stdin); print(j["cache"], j["probes"], j["chain"])')

echo "tsuku llm detect, median of $runs runs ($(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)); warm run: $state"
printf '  %-34s %8s ms\n' "start-up floor (tsuku --version)" "$(median_ms "$tsuku" --version)"
printf '  %-34s %8s ms   (inside detect: %s ms)\n' "warm (cache hit)" "$(median_ms "$tsuku" llm detect --json)" \
    "$(median_inner_ms)"
printf '  %-34s %8s ms   (inside detect: %s ms)\n' "cold (--refresh: probes run)" \
    "$(median_ms "$tsuku" llm detect --json --refresh)" "$(median_inner_ms --refresh)"
