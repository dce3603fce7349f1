#!/usr/bin/env bash
# bench/tokens.sh and bench/pinned.sh (which share bench/common.sh) on the tiny model with 8 generated tokens: each
# prints one row per runner, with positive rates (and, for pinned.sh, a positive ratio to the bare loop). Nothing
# about speed is asserted.
#   tests/bench/cpu_scripts_test.sh BUILD_DIR MODEL
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
export TSUKU_BENCH_BUILD=$build TSUKU_BENCH_SHAPES=tiny TSUKU_BENCH_GEN=8
# rows NUMBERS RUNNER...: every runner has a "tiny" row whose last NUMBERS columns are all above zero.
rows() {
  python3 -c '
import sys
numbers, runners, rows = int(sys.argv[1]), sys.argv[2:], {}
for line in sys.stdin.read().splitlines()[1:]:
    parts = line.split()
    rows[" ".join(parts[1:-numbers])] = (parts[0], [float(x) for x in parts[-numbers:]])
for r in runners:
    assert r in rows, (r, sorted(rows))
    model, values = rows[r]
    assert model == "tiny" and all(v > 0 for v in values), (r, model, values)
print("rows:", ", ".join(runners), "ok")
' "$@"
}
out=$("$root/bench/tokens.sh" 1)
echo "$out"
rows 2 bare server <<< "$out"
out=$("$root/bench/pinned.sh" 0)
echo "$out"
rows 3 "bare (1 thread)" "server (own rule)" "server ($(nproc --all) threads)" <<< "$out"
