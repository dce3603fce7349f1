#!/usr/bin/env bash
# The limit and a peer in one run, on the same GGUF, backend, thread count, prompt and token counts:
#   server  tsuku-llm through its gRPC API (build/bin/server-tokens; also the server's own timing, no IPC)
#   bare    bare llama.cpp loops on the same libraries, no IPC (build/bin/bare-decode-<backend>): a greedy loop, and
#           the pure decode loop without sampling (llama-bench's way): the limit
#   peer    node-llama-cpp@3.21.1 on the same prebuilt libraries (bench/peer/, installed by bench/peer/install.sh)
# The server runs first; the prompt token count it reports (chat template included) is then given to bare and peer.
# Prints a table with both ratios (server/bare, server/peer) for prompt processing and generation, and the JSON.
#
#   bench/peer.sh [--build DIR] [--model M.gguf | --shape 0.5b --type q4_k_m] [--backend cpu|vulkan] [--threads 2]
#                 [--prompt-words 100] [--gen-tokens 64] [--runs 5] [--json FILE]
# vulkan on a software device (lavapipe, slow: use the tiny shape):
#   TSUKU_LLM_ALLOW_SOFTWARE_DEVICES=1 bench/peer.sh --backend vulkan --shape tiny
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/common.sh"
build=$root/build model="" shape=0.5b type=$bench_type backend=cpu threads=2 words=100 gen=64 runs=5 json_out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2 ;; --model) model=$2 ;; --shape) shape=$2 ;; --type) type=$2 ;; --backend) backend=$2 ;;
    --threads) threads=$2 ;; --prompt-words) words=$2 ;; --gen-tokens) gen=$2 ;; --runs) runs=$2 ;;
    --json) json_out=$2 ;;
    *) echo "peer.sh: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
  shift 2
done
build=$(cd "$build" && pwd)
case "$backend" in cpu) gpu=false ;; vulkan) gpu=vulkan ;; cuda) gpu=cuda ;;
  *) echo "peer.sh: --backend must be cpu, vulkan or cuda" >&2; exit 2 ;; esac
for exe in "$build/bin/server-tokens" "$build/bin/bare-decode-$backend" "$build/variants/$backend/tsuku-llm"; do
  [ -x "$exe" ] || { echo "peer.sh: $exe is missing: ninja -C $build server-tokens bare-decode-$backend" >&2; exit 1; }
done
[ -n "$model" ] || model=$(synthetic_model "$build" "$shape" "$type")
peer_dir=$("$root/bench/peer/install.sh")
load_before=$(cut -d' ' -f1 /proc/loadavg)

echo "peer.sh: server (gRPC) ..." >&2
srv=$("$build/bin/server-tokens" --server "$build/variants/$backend/tsuku-llm" --model "$model" \
      --prompt-words "$words" --gen-tokens "$gen" --threads "$threads" --runs "$runs")
ptok=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["prompt_tokens"])' "$srv")
# ggml-vulkan skips CPU-type devices unless told; the server names them itself when software devices are allowed and
# they are all there is. Give the bare loop and the peer the same devices, or they would quietly run on the CPU.
if [ "$backend" = vulkan ] && [ "${TSUKU_LLM_ALLOW_SOFTWARE_DEVICES:-}" = 1 ] && [ -z "${GGML_VK_VISIBLE_DEVICES:-}" ]; then
  visible=$(python3 -c '
import json, re, sys
devs = json.loads(sys.argv[1]).get("devices", [])
soft = [d for d in devs if re.search(r"llvmpipe|lavapipe|swiftshader|softpipe", d.get("description", ""), re.I)]
print(",".join(str(i) for i in range(len(devs))) if devs and len(soft) == len(devs) else "")' "$srv")
  if [ -n "$visible" ]; then
    export GGML_VK_VISIBLE_DEVICES=$visible
    echo "peer.sh: software Vulkan devices only: GGML_VK_VISIBLE_DEVICES=$visible for the bare loop and the peer" >&2
  fi
fi
echo "peer.sh: bare loop ($ptok prompt tokens) ..." >&2
bare=$("$build/bin/bare-decode-$backend" --model "$model" --prompt-tokens "$ptok" --gen-tokens "$gen" \
       --threads "$threads" --runs "$runs")
vocab=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["n_vocab"])' "$bare")
echo "peer.sh: node-llama-cpp ..." >&2
peer=$(node "$peer_dir/peer.mjs" --model "$model" --prompt-tokens "$ptok" --gen-tokens "$gen" \
       --threads "$threads" --runs "$runs" --gpu "$gpu" --vocab "$vocab")
load_after=$(cut -d' ' -f1 /proc/loadavg)

python3 - "$srv" "$bare" "$peer" "$model" "$backend" "$threads" "$runs" "$load_before" "$load_after" "$json_out" <<'EOF'
import json, os, sys
srv, bare, peer = (json.loads(a) for a in sys.argv[1:4])
model, backend, threads, runs, load0, load1, out = sys.argv[4:]
rows = [("server (gRPC)", srv["prompt_tps"], srv["gen_tps"]),
        ("server (own timing)", srv["server_prompt_tps"], srv["server_gen_tps"]),
        ("bare llama.cpp (greedy)", bare["prompt_tps"], bare["gen_tps"]),
        ("bare decode limit", bare["prompt_tps"], bare["decode_tps"]),
        ("node-llama-cpp", peer["prompt_tps"], peer["gen_tps"])]
ratio = lambda a, b: a / b if b else 0.0
ratios = {"prompt": {"server_over_bare": ratio(srv["prompt_tps"], bare["prompt_tps"]),
                     "server_over_peer": ratio(srv["prompt_tps"], peer["prompt_tps"])},
          "gen": {"server_over_bare": ratio(srv["gen_tps"], bare["gen_tps"]),
                  "server_over_limit": ratio(srv["gen_tps"], bare["decode_tps"]),
                  "server_over_peer": ratio(srv["gen_tps"], peer["gen_tps"])}}
print(f"{os.path.basename(model)}, {backend}, {threads} threads, {srv['prompt_tokens']} prompt tokens, "
      f"{srv['gen_tokens']} generated, median of {runs} runs; load {load0} -> {load1} ({os.cpu_count()} CPUs)")
print(f"{'runner':24} {'prompt tok/s':>13} {'gen tok/s':>10}")
for name, p, g in rows:
    print(f"{name:24} {p:13.1f} {g:10.1f}")
print(f"{'ratio server/bare':24} {ratios['prompt']['server_over_bare']:13.2f} {ratios['gen']['server_over_bare']:10.2f}"
      "   (target >= 0.95)")
print(f"{'ratio server/limit':24} {'':13} {ratios['gen']['server_over_limit']:10.2f}   (the pure decode loop)")
print(f"{'ratio server/peer':24} {ratios['prompt']['server_over_peer']:13.2f} {ratios['gen']['server_over_peer']:10.2f}")
print(f"sampling ms/token: server {srv['server_sample_ms_per_token']:.3f}, bare greedy {bare['sample_ms_per_token']:.3f}")
doc = {"model": model, "backend": backend, "threads": int(threads), "runs": int(runs),
       "load": [float(load0), float(load1)], "server": srv, "bare": bare, "peer": peer, "ratios": ratios}
if out:
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)
print(json.dumps(doc))
EOF
