#!/usr/bin/env bash
# The arm64 tsuku under qemu-aarch64-static, from ctest (tests/arm64/CMakeLists.txt):
#   emulated_cli.sh detect|complete <qemu-aarch64-static> <arm64 tsuku> <native tsuku> <release folder>
# TSUKU_EXEC_EMULATOR makes the arm64 tsuku start its arm64 children (detection probes, the server) through QEMU
# too: without binfmt_misc the kernel refuses them (ENOEXEC).
set -euo pipefail
mode=$1 qemu=$2 arm64_tsuku=$3 native_tsuku=$4 release=$5
fail() { echo "FAIL: $*" >&2; exit 1; }
home=$(mktemp -d)
export TSUKU_HOME=$home TSUKU_EXEC_EMULATOR=$qemu
arm64() { "$qemu" "$arm64_tsuku" "$@"; }
cleanup() { arm64 llm stop >/dev/null 2>&1 || true; rm -rf "$home"; }
trap cleanup EXIT
json_get() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(eval("d"+sys.argv[1])))' "$1"; }

case "$mode" in
  detect)
    out=$(arm64 llm detect --json) || fail "arm64 tsuku llm detect --json exited $?"
    [ "$(json_get '["platform"]' <<<"$out")" = '"linux-arm64"' ] || fail "platform is not linux-arm64: $out"
    [ "$(json_get '["chain"]' <<<"$out")" = '["cpu"]' ] || fail "chain is not [\"cpu\"]: $out"
    # vulkan and cuda are named, not silently absent: the manifest says they are not built for arm64.
    reasons=$(python3 -c 'import json,sys; d=json.load(sys.stdin)
print(" ".join(b["name"]+":"+",".join(r["code"] for r in b["reasons"]) for b in d["backends"]))' <<<"$out")
    for want in vulkan:not_built cuda:not_built; do
      [[ " $reasons " == *" $want "* ]] || fail "detect does not report $want: $reasons"
    done
    # Both platforms' tsuku embed the same manifest, which lists both platforms.
    a=$(arm64 llm manifest --json) n=$("$native_tsuku" llm manifest --json)
    [ "$a" = "$n" ] || fail "the arm64 and amd64 tsuku embed different manifests"
    [ "$(json_get '["platforms"]["linux-arm64"]["prefer"]' <<<"$a")" = '["cpu"]' ] || fail "no linux-arm64 in: $a"
    [ "$(json_get '["platforms"]["linux-amd64"]["default"]' <<<"$a")" = '"cpu"' ] || fail "no linux-amd64 in: $a"
    echo "ok: linux-arm64, chain [\"cpu\"], $reasons; one manifest with both platforms"
    ;;
  complete)
    out=$(arm64 llm complete --json --max-tokens 8 --temperature 0 "Say hello") ||
      fail "arm64 tsuku llm complete exited $?: $out; server log: $(cat "$home/logs/server.log" 2>/dev/null)"
    [ -n "$(json_get '["content"]' <<<"$out")" ] || fail "no content: $out"
    installed=$(find "$home/tools/tsuku-llm" -name variant.json -print -quit)
    [ -n "$installed" ] || fail "no variant installed under $home/tools/tsuku-llm"
    [ "$(json_get '["platform"]' <"$installed")" = '"linux-arm64"' ] || fail "installed variant: $(cat "$installed")"
    machine=$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read(20)[18])' "$(dirname "$installed")/tsuku-llm")
    [ "$machine" = 183 ] || fail "the installed server is not an AArch64 ELF (e_machine $machine)"
    status=$(arm64 llm status --json) || fail "status exited $?"
    grep -q '"cpu"' <<<"$status" || fail "status does not name the cpu backend: $status"
    echo "ok: arm64 tsuku installed $(dirname "$installed") from $release and completed: $out"
    ;;
  *) fail "unknown mode $mode" ;;
esac
