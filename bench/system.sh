#!/usr/bin/env bash
# System figures (docs/design.md §9) in one command: detection cold/warm, fallback overhead, install throughput ratio,
# server start-up per variant, peak RSS of tsuku and tsuku-llm; a table, then the JSON. See bench/system.py.
#   bench/system.sh [--build DIR] [--runs N] [--json FILE] [--skip install|memory|start]
exec /usr/bin/python3 "$(dirname "$0")/system.py" "$@"
