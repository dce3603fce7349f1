#!/usr/bin/env bash
# bench/tokens.sh and bench/pinned.sh (which share bench/common.sh) on the tiny model with 8 generated tokens: each
# prints one row per runner with positive rates; pinned.sh's ratio column is computed (the bare loop's own row is
# 1.00; the others are speed and may round to 0.00). Nothing about speed is asserted.
#   tests/bench/cpu_scripts_test.sh BUILD_DIR MODEL
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
export TSUKU_BENCH_BUILD=$build TSUKU_BENCH_SHAPES=tiny TSUKU_BENCH_GEN=8
# rows NUMBERS RUNNER...: every runner has a "tiny" row of NUMBERS numbers, the first two (prompt and generation
# tokens/s) above zero; of three, the third (the ratio to the first runner) is 1.00 for the first runner itself; of
# four (tokens.sh), the third is the pure decode limit, above zero, and the fourth gen/limit, computed from them.
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
    assert model == "tiny" and values[0] > 0 and values[1] > 0, (r, model, values)
if numbers == 3:
    assert rows[runners[0]][1][2] == 1.0, rows[runners[0]]
if numbers == 4:
    for r in runners:
        gen, limit, ratio = rows[r][1][1:]
        assert limit > 0 and abs(ratio - round(gen / limit, 2)) <= 0.011, (r, rows[r])
print("rows:", ", ".join(runners), "ok")
' "$@"
}
out=$("$root/bench/tokens.sh" 1)
echo "$out"
rows 4 bare server <<< "$out"
out=$("$root/bench/pinned.sh" 0)
echo "$out"
rows 3 "bare (1 thread)" "server (own rule)" "server ($(nproc --all) threads)" <<< "$out"
