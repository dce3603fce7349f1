#!/usr/bin/env bash
# The GPU benchmark: one command on a machine with an NVIDIA GPU and no network, in the repository root, with
# gpu-carry/ (bench/gpu/prepare.sh) carried along. Within about 8 minutes it
#   1. unpacks the programs and libraries, installs the carried Vulkan loader (device README's recipe) and reads
#      the GPU (nvidia-smi: name, compute capability, driver, memory);
#   2. builds libggml-cuda.so for this GPU's architecture only from the pinned llama.cpp sources (or unpacks the one
#      carried for it) while it generates the synthetic 0.5B, 1.5B and 3B models and checks detection;
#   3. checks detection's VRAM figures (CUDA probe, Vulkan probe) and the server's (GetStatus) against nvidia-smi;
#   4. checks the fallback: the cuda variant with no visible device (CUDA_VISIBLE_DEVICES=-1) must exit 78 and the
#      supervisor must serve on cpu; reports the overhead; and start-up per variant on the real GPU;
#   5. measures cpu, vulkan and cuda on each shape: tsuku-llm through gRPC against the bare llama.cpp loops (every
#      timer stops after llama_synchronize): prompt against the bare prompt batch, generation against the pure
#      decode loop without sampling (llama-bench's way), and the server's sampling cost per token apart,
# then prints one table with the targets (generation >= 0.95x the limit, prompt >= 0.90x on a GPU) and the design
# review's decision gate (Vulkan within 15 % of CUDA, per shape), and leaves gpu.json, table.txt and the logs in
# $OUT (gpu-out/ without it).
#
#   bash bench/gpu/run.sh
# Env: TSUKU_GPU_SHAPES ("0.5b 1.5b 3b"), TSUKU_GPU_TYPE (q4_k_m: the real models'), TSUKU_GPU_GEN (64), TSUKU_GPU_RUNS (3),
#      TSUKU_GPU_BUDGET_S (420: rows left when it is spent are reported as skipped),
#      TSUKU_GPU_CPU_ONLY=1 (a machine without a GPU: everything but the CUDA build and the GPU checks; the tests
#      of this script use it), TSUKU_GPU_WORK (/tmp/tsuku-gpu), TSUKU_GPU_CARRY (gpu-carry).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
carry=${TSUKU_GPU_CARRY:-$root/gpu-carry}
out=${OUT:-$root/gpu-out}
work=${TSUKU_GPU_WORK:-/tmp/tsuku-gpu}
shapes=${TSUKU_GPU_SHAPES:-0.5b 1.5b 3b}
type=${TSUKU_GPU_TYPE:-q4_k_m}
gen=${TSUKU_GPU_GEN:-64}
runs=${TSUKU_GPU_RUNS:-3}
budget=${TSUKU_GPU_BUDGET_S:-420}
cpu_only=${TSUKU_GPU_CPU_ONLY:-0}
threads=$(nproc)
t0=$SECONDS
log() { echo "[gpu $((SECONDS - t0))s] $*" >&2; }
die() { log "error: $*"; exit 1; }
mkdir -p "$out" "$work"
exec 2> >(tee -a "$out/run.log" >&2)

untar() {  # untar ARCHIVE DIR: tar's xz, else Python's (an image without xz-utils)
  tar -xJf "$1" -C "$2" 2>/dev/null ||
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"
}

# --- 1. programs, loader, GPU facts -------------------------------------------------------------------------
[ -f "$carry/payload.tar.xz" ] && [ -f "$carry/llama-src.tar.xz" ] ||
  die "$carry has no payload.tar.xz/llama-src.tar.xz: run bench/gpu/prepare.sh here first and carry gpu-carry"
rm -rf "$work/payload" && mkdir -p "$work/payload" && untar "$carry/payload.tar.xz" "$work/payload" ||
  die "cannot unpack the payload"
p=$work/payload
if [ "$cpu_only" != 1 ] && ls "$carry"/gl/*.deb > /dev/null 2>&1 && ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
  for f in "$carry"/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$icd" ] && ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* > /dev/null 2>&1; then
  export VK_DRIVER_FILES=$icd
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
cuda_libs=""
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do [ -d "$d" ] && cuda_libs+=":$d"; done
export PATH=/usr/local/cuda/bin:$PATH
base_ld="$p/lib$cuda_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH=$base_ld
export TSUKU_HOME=$work/home
rm -rf "$TSUKU_HOME" && mkdir -p "$TSUKU_HOME"
"$p/bin/tsuku" --version > /dev/null 2>"$work/tsuku-version.err" ||
  die "tsuku does not run here: $(cat "$work/tsuku-version.err") (glibc here: $(ldd --version | head -1))"

gpu_name="none" arch="" gpu_total_mib=0 gpu_free_mib=0 driver=""
if [ "$cpu_only" != 1 ]; then
  command -v nvidia-smi > /dev/null || die "no nvidia-smi: not an NVIDIA machine (TSUKU_GPU_CPU_ONLY=1 to test)"
  IFS=',' read -r gpu_name cc gpu_total_mib gpu_free_mib driver < <(nvidia-smi \
    --query-gpu=name,compute_cap,memory.total,memory.free,driver_version --format=csv,noheader,nounits | head -1)
  gpu_name=$(echo "$gpu_name" | xargs) arch=$(echo "$cc" | tr -d ' .') driver=$(echo "$driver" | xargs)
  gpu_total_mib=$(echo "$gpu_total_mib" | xargs) gpu_free_mib=$(echo "$gpu_free_mib" | xargs)
  log "GPU: $gpu_name, sm_$arch, driver $driver, $gpu_free_mib of $gpu_total_mib MiB free"
fi

# --- 2. the CUDA backend (background) and the models ---------------------------------------------------------
build_pid=""
if [ "$cpu_only" != 1 ]; then
  if [ -f "$carry/cuda-sm$arch.tar.xz" ]; then
    mkdir -p "$work/cuda/out" && untar "$carry/cuda-sm$arch.tar.xz" "$work/cuda/out"
    log "CUDA backend: carried build for sm_$arch"
  else
    log "CUDA backend: building for sm_$arch with $threads jobs"
    "$root/bench/gpu/build_cuda.sh" "$carry/llama-src.tar.xz" "$arch" "$work/cuda" "$threads" \
      > "$out/build_cuda.log" 2>&1 &
    build_pid=$!
  fi
fi
mkdir -p "$work/models"
model_of() { echo "$work/models/tsuku-synthetic-$1-$type.gguf"; }
for s in $shapes; do
  # gguf-gen uses ggml's GGUF writer and quantizers: libggml-base.so of the cpu variant
  [ -f "$(model_of "$s")" ] || LD_LIBRARY_PATH="$p/variants/cpu:$base_ld" "$p/bin/gguf-gen" --vocab "$p/share/ggml-vocab-qwen2.gguf" \
    --template "$p/share/Qwen-Qwen2.5-7B-Instruct.jinja" --shape "$s" --type "$type" -o "$(model_of "$s")" \
    > /dev/null || die "gguf-gen failed for $s"
done
log "models: $shapes ($type)"

# --- 3. detection and its VRAM figures ------------------------------------------------------------------------
"$p/bin/tsuku" llm detect --json --refresh > "$out/detect.json" 2> "$out/detect.err" || log "detect failed"

# --- the CUDA backend into the variant ------------------------------------------------------------------------
cuda_ok=0
if [ "$cpu_only" != 1 ]; then
  if [ -n "$build_pid" ]; then
    wait "$build_pid" && log "CUDA backend built" || log "CUDA build failed: see build_cuda.log"
  fi
  if [ -f "$work/cuda/out/libggml-cuda.so" ]; then
    cp "$work/cuda/out/libggml-cuda.so" "$p/variants/cuda/" && cuda_ok=1
  fi
fi

# --- 4. start-up per variant, and the fallback with no visible CUDA device --------------------------------------
first=$(model_of "$(echo "$shapes" | awk '{print $1}')")
"$p/bin/start-bench" --variants "$p/variants" --model "$first" --runs 3 --backends cpu,vulkan,cuda \
  --no-fallback --no-software > "$out/start.json" 2> "$out/start.err" || log "start-bench failed"
CUDA_VISIBLE_DEVICES=-1 "$p/bin/start-bench" --variants "$p/variants" --model "$first" --runs 3 --backends cuda \
  --failing cuda --no-software > "$out/fallback.json" 2> "$out/fallback.err" || log "fallback bench failed"
# The variant's own report of that refusal: the reason, and the libraries its check mapped (never cuBLAS).
CUDA_VISIBLE_DEVICES=-1 "$p/variants/cuda/tsuku-llm" version --json > "$out/cuda-hidden.json" \
  2> "$out/cuda-hidden.err" || log "the cuda variant's report failed"

# --- 5. tokens/s: cuda, vulkan, cpu on each shape (the slowest last, so a spent budget costs the least) ---------
: > "$out/rows.jsonl"
for b in cuda vulkan cpu; do
  for s in $shapes; do
    m=$(model_of "$s")
    row="{\"backend\":\"$b\",\"shape\":\"$s\""
    if [ "$cpu_only" = 1 ] && [ "$b" != cpu ]; then
      echo "$row,\"skipped\":\"no GPU (TSUKU_GPU_CPU_ONLY)\"}" >> "$out/rows.jsonl"; continue
    fi
    if [ "$b" = cuda ] && [ "$cuda_ok" != 1 ]; then
      echo "$row,\"skipped\":\"no libggml-cuda.so\"}" >> "$out/rows.jsonl"; continue
    fi
    if [ $((SECONDS - t0)) -ge "$budget" ]; then
      echo "$row,\"skipped\":\"time budget spent\"}" >> "$out/rows.jsonl"; continue
    fi
    log "measuring $b $s"
    srv=$("$p/bin/server-tokens" --server "$p/variants/$b/tsuku-llm" --model "$m" --prompt-words 100 \
          --gen-tokens "$gen" --threads "$threads" --runs "$runs" 2>> "$out/server-tokens.err") || srv=null
    ptok=$(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["prompt_tokens"] if j else 128)' "$srv")
    bare=$(LD_LIBRARY_PATH="$p/variants/$b:$base_ld" "$p/bin/bare-decode-$b" --backend-dir "$p/variants/$b" \
           --model "$m" --prompt-tokens "$ptok" --gen-tokens "$gen" --threads "$threads" --runs "$runs" \
           2>> "$out/bare.err") || bare=null
    echo "$row,\"server\":$srv,\"bare\":$bare}" >> "$out/rows.jsonl"
  done
done

# --- the table ------------------------------------------------------------------------------------------------
python3 - "$out" "$gpu_name" "$arch" "$driver" "$gpu_total_mib" "$gpu_free_mib" "$type" "$threads" \
  "$((SECONDS - t0))" "$cpu_only" <<'EOF' | tee "$out/table.txt"
import json, os, sys
out, name, arch, driver, total_mib, free_mib, qtype, threads, elapsed, cpu_only = sys.argv[1:]
total_mib, free_mib = float(total_mib or 0), float(free_mib or 0)
def load(f):
    try:
        with open(os.path.join(out, f)) as fh:
            return json.load(fh)
    except Exception:
        return None
rows = [json.loads(l) for l in open(os.path.join(out, "rows.jsonl")) if l.strip()]
detect, start, fallback = load("detect.json"), load("start.json"), load("fallback.json")
hidden = load("cuda-hidden.json")
MiB = 1 << 20
print(f"tsuku-llm on {name} (sm_{arch}, driver {driver}, {total_mib:.0f} MiB), {threads} CPU threads, "
      f"synthetic Qwen2.5 shapes {qtype}, {elapsed}s")
print("pp: prompt tok/s (server: through gRPC; bare: one synchronised batch); tg: generation tok/s (server: through "
      "gRPC; limit: the pure decode loop); sample: the server's sampling ms per token")
print(f"{'shape':6} {'backend':7} {'srv pp':>9} {'bare pp':>9} {'pp x':>5} {'srv tg':>8} {'limit tg':>8} {'tg x':>5} "
      f"{'sample':>7}  device")
GPU_TARGETS = {"tg": 0.95, "pp": 0.90}
gate = {}  # shape -> backend -> server tg
checks = []
def check(what, ok, detail):
    checks.append({"check": what, "ok": ok, "detail": detail})
for r in rows:
    if "skipped" in r:
        print(f"{r['shape']:6} {r['backend']:7} skipped: {r['skipped']}")
        continue
    s, b = r.get("server"), r.get("bare")
    if not s or not b:
        print(f"{r['shape']:6} {r['backend']:7} failed (see server-tokens.err / bare.err)")
        continue
    dev = ", ".join(d["description"] for d in s.get("devices", [])) or "-"
    r["ratios"] = {"pp": s["prompt_tps"] / b["prompt_tps"] if b["prompt_tps"] else 0,
                   "tg": s["gen_tps"] / b["decode_tps"] if b["decode_tps"] else 0}
    print(f"{r['shape']:6} {r['backend']:7} {s['prompt_tps']:9.1f} {b['prompt_tps']:9.1f} {r['ratios']['pp']:5.2f} "
          f"{s['gen_tps']:8.1f} {b['decode_tps']:8.1f} {r['ratios']['tg']:5.2f} "
          f"{s['server_sample_ms_per_token']:7.3f}  {dev[:40]}")
    gate.setdefault(r["shape"], {})[r["backend"]] = s["gen_tps"]
    if r["backend"] != "cpu":
        for k, target in GPU_TARGETS.items():
            check(f"{r['shape']} {r['backend']} {k} server/limit >= {target}", r["ratios"][k] >= target,
                  f"{r['ratios'][k]:.2f}")
# The design review's gate: Vulkan within 15 % of CUDA on generation, shape by shape (the manifest's prefer order
# follows it: CUDA first where Vulkan is not within 15 %).
decision = {}
for shape, by in gate.items():
    if by.get("cuda") and by.get("vulkan"):
        v = by["vulkan"] / by["cuda"]
        decision[shape] = {"vulkan_over_cuda": v, "within_15_percent": v >= 0.85,
                           "faster": "vulkan" if v > 1 else "cuda"}
        print(f"decision gate {shape}: vulkan/cuda generation {v:.2f} -> "
              f"{'within' if v >= 0.85 else 'NOT within'} 15 %; faster: {decision[shape]['faster']}")
if detect:
    by = {v.get("name"): v for v in detect.get("backends", [])}
    check("detection chain", bool(detect.get("chain")), " -> ".join(detect.get("chain", [])))
    for b in ("cuda", "vulkan"):
        v = by.get(b, {})
        tot = v.get("device_memory_bytes")
        fre = v.get("device_free_bytes")
        if total_mib and tot:
            ok = abs(tot / MiB - total_mib) <= 0.05 * total_mib
            check(f"{b} probe VRAM total vs nvidia-smi", ok, f"{tot / MiB:.0f} vs {total_mib:.0f} MiB")
        elif total_mib:
            check(f"{b} probe VRAM total vs nvidia-smi", False, f"viable={v.get('viable')}, no figure")
        if free_mib and fre:
            check(f"{b} probe VRAM free vs nvidia-smi", abs(fre / MiB - free_mib) <= 0.1 * total_mib,
                  f"{fre / MiB:.0f} vs {free_mib:.0f} MiB")
for r in rows:
    s = r.get("server") or {}
    for d in s.get("devices", []):
        if total_mib and d.get("total_bytes") and r["backend"] != "cpu" and r["shape"] == rows[0]["shape"]:
            check(f"{r['backend']} server device total vs nvidia-smi",
                  abs(d["total_bytes"] / MiB - total_mib) <= 0.05 * total_mib,
                  f"{d['total_bytes'] / MiB:.0f} vs {total_mib:.0f} MiB ({d['description']})")
if start:
    for b, v in start.get("startup_ms", {}).items():
        expected = "ready" if b == "cpu" or cpu_only != "1" else "exit 78"  # without a GPU: 78
        check(f"start-up {b}", str(v["outcome"]).startswith(expected), f"{v['median']:.0f} ms, {v['outcome']}")
if fallback:
    f = fallback.get("fallback", {})
    cu = fallback.get("startup_ms", {}).get("cuda", {})
    check("cuda without a visible device exits 78", str(cu.get("outcome", "")).startswith("exit 78"),
          str(cu.get("outcome")))
    check("fallback overhead < 300 ms", f.get("overhead_ms", 1e9) < 300,
          f"{f.get('overhead_ms', float('nan')):.0f} ms (chain {f.get('chain_ms', {}).get('median', 0):.0f}, "
          f"cpu direct {f.get('direct_ms', {}).get('median', 0):.0f})")
if hidden:
    mapped = [m for m in hidden.get("mapped_libraries", []) if m.startswith(("libcublas", "libcudart", "libggml-cuda"))]
    check("cuda without a visible device decides before ggml-cuda loads", not hidden.get("available") and not mapped,
          f"{hidden.get('reason')}; CUDA runtime mapped: {', '.join(mapped) or 'none'}")
print("checks:")
for c in checks:
    print(f"  {'ok  ' if c['ok'] else 'FAIL'} {c['check']}: {c['detail']}")
with open(os.path.join(out, "gpu.json"), "w") as fh:
    json.dump({"gpu": {"name": name, "arch": arch, "driver": driver, "total_mib": total_mib, "free_mib": free_mib},
               "rows": rows, "checks": checks, "decision_gate": decision, "start": start, "fallback": fallback,
               "elapsed_s": int(elapsed)},
              fh, indent=1)
EOF
