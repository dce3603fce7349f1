#!/usr/bin/env python3
"""System figures of docs/design.md §9 in one run, printed as a table and as JSON (bench/system.sh is the entry point).

  detection   `tsuku llm detect` wall time, warm (cache hit) and cold (--refresh: the isolated probes run), medians,
              next to `tsuku --version` (the process start-up floor)
  fallback    time to ready through the failing real cuda variant minus that of the cpu variant started directly,
              through the supervisor (build/bin/start-bench), medians
  install     tsuku's download + verify + extract against curl + sha256sum + tar -x (bench/install_throughput.sh)
  start-up    per variant: cpu and vulkan (lavapipe, software devices allowed) to `ready`, cuda to its exit 78
  memory      peak RSS of `tsuku llm complete` (starting the server, and as a client of a running one: wait4's
              ru_maxrss, with a warm detection cache so no probe child is counted) and of tsuku-llm (VmHWM after a
              completion), for the default model and, when present, the 0.5B shape

Usage: bench/system.py [--build DIR] [--runs N] [--json FILE] [--skip install]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def run(argv, env=None, check=True):
    r = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        sys.exit(f"system: {' '.join(argv)} failed ({r.returncode}):\n{r.stderr}")
    return r


def median_ms(argv, env, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        run(argv, env)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def max_rss_kib(argv, env):
    """ru_maxrss of the process alone (its reaped children would count too: callers keep it from having any)."""
    p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"system: {' '.join(argv)} failed ({p.returncode}): {p.stderr.read().decode()}")
    return usage.ru_maxrss


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def detection(tsuku, env, runs):
    run([tsuku, "llm", "detect", "--json", "--refresh"], env)  # fill the cache
    warm_state = json.loads(run([tsuku, "llm", "detect", "--json"], env).stdout)
    return {
        "floor_ms": median_ms([tsuku, "--version"], env, runs),
        "warm_ms": median_ms([tsuku, "llm", "detect", "--json"], env, runs),
        "cold_ms": median_ms([tsuku, "llm", "detect", "--json", "--refresh"], env, runs),
        "warm_cache": warm_state.get("cache"),
        "chain": warm_state.get("chain"),
    }


def memory(tsuku, env, models):
    out = []
    run([tsuku, "llm", "detect", "--json"], env)  # warm cache: no probe child during the measured commands
    for model in models:
        run([tsuku, "llm", "stop"], env)
        base = [tsuku, "llm", "complete", "--max-tokens", "16"] + (["--model", model] if model else [])
        starting = max_rss_kib(base + ["Say something about rivers."], env)
        client = max_rss_kib(base + ["And about lakes."], env)
        status = json.loads(run([tsuku, "llm", "status", "--json"], env).stdout)
        pid = status.get("pid") or status.get("server", {}).get("pid")
        server = vm_hwm_kib(int(pid)) if pid else -1
        run([tsuku, "llm", "stop"], env)
        out.append({"model": os.path.basename(model) if model else "default (" + str(status.get("model_name")) + ")",
                    "tsuku_starting_kib": starting, "tsuku_client_kib": client, "tsuku_llm_kib": server})
    return out


def install_ratio(build):
    r = run([os.path.join(ROOT, "bench", "install_throughput.sh"), build], check=True)
    m = re.search(r"ratio \(tsuku speed / baseline speed\): ([0-9.]+)", r.stdout)
    base = re.search(r"curl \+ sha256sum \+ tar -x : ([0-9.]+) s\s+\((\d+) MB/s\)", r.stdout)
    ours = re.search(r"tsuku download\+verify\+extract\+fsync : ([0-9.]+) s\s+\((\d+) MB/s\)", r.stdout)
    pkg = re.search(r"package: .*\(([0-9.]+) MB", r.stdout)
    return {"ratio": float(m.group(1)) if m else None,
            "baseline_s": float(base.group(1)) if base else None, "tsuku_s": float(ours.group(1)) if ours else None,
            "package_mb": float(pkg.group(1)) if pkg else None}


def fmt_spread(s):
    return f"{s['median']:.0f} ms (min {s['min']:.0f}, max {s['max']:.0f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--json", dest="json_out")
    ap.add_argument("--skip", action="append", default=[], choices=["install", "memory", "start"])
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    tsuku = os.path.join(build, "bin", "tsuku")
    for exe in (tsuku, os.path.join(build, "bin", "start-bench")):
        if not os.access(exe, os.X_OK):
            sys.exit(f"system: {exe} is missing: ninja -C {build} tsuku start-bench install-bench")
    default_model = json.loads(run([tsuku, "llm", "manifest", "--json"]).stdout).get("default_model")
    tiny = os.path.join(build, "models", "tsuku-synthetic-tiny-q8_0.gguf")
    half = os.path.join(build, "models", "tsuku-synthetic-0.5b-q8_0.gguf")

    home = tempfile.mkdtemp(prefix="tsuku-system.")
    env = dict(os.environ, TSUKU_HOME=home)
    env.pop("TSUKU_LLM_ALLOW_SOFTWARE_DEVICES", None)  # detection and starts as a user sees them
    doc = {"machine": {"cpus": os.cpu_count(), "load_before": load(),
                       "kernel": os.uname().release, "default_model": default_model}}
    try:
        print("system: detection ...", file=sys.stderr)
        doc["detection"] = detection(tsuku, env, a.runs)
        if "start" not in a.skip:
            print("system: start-up and fallback ...", file=sys.stderr)
            r = run([os.path.join(build, "bin", "start-bench"), "--variants", os.path.join(build, "variants"),
                     "--model", tiny, "--runs", str(a.runs)])
            doc["start"] = json.loads(r.stdout)
        if "install" not in a.skip:
            print("system: install throughput ...", file=sys.stderr)
            doc["install"] = install_ratio(build)
        if "memory" not in a.skip:
            print("system: peak RSS ...", file=sys.stderr)
            doc["memory"] = memory(tsuku, env, [None] + ([half] if os.path.exists(half) else []))
    finally:
        run([tsuku, "llm", "stop"], env, check=False)
        shutil.rmtree(home, ignore_errors=True)
    doc["machine"]["load_after"] = load()

    d = doc["detection"]
    rows = [("detect, warm (cache hit)", f"{d['warm_ms']:.1f} ms", "< 20 ms"),
            ("detect, cold (--refresh, probes)", f"{d['cold_ms']:.1f} ms", "< 1 s"),
            ("process start-up floor (tsuku --version)", f"{d['floor_ms']:.1f} ms", "")]
    if "start" in doc:
        s = doc["start"]
        f = s["fallback"]
        rows.append((f"fallback overhead ({f['failing']} -> cpu)", f"{f['overhead_ms']:.0f} ms", "< 300 ms"))
        rows.append(("  chain to ready / cpu direct", f"{f['chain_ms']['median']:.0f} / {f['direct_ms']['median']:.0f} ms",
                     ""))
        for b, v in s["startup_ms"].items():
            rows.append((f"start-up {b} ({v['outcome']})", fmt_spread(v), ""))
        rows.append(("tsuku-llm peak RSS (cpu, tiny, start-bench)", f"{s['server_rss']['vm_hwm_kib'] / 1024:.0f} MiB", ""))
    if "install" in doc:
        i = doc["install"]
        rows.append(("install throughput (tsuku / curl+sha256sum+tar)", f"{i['ratio']:.2f}x", ">= 0.8x"))
    for m in doc.get("memory", []):
        rows.append((f"tsuku peak RSS, starting the server [{m['model']}]", f"{m['tsuku_starting_kib'] / 1024:.1f} MiB",
                     "small"))
        rows.append((f"tsuku peak RSS, client [{m['model']}]", f"{m['tsuku_client_kib'] / 1024:.1f} MiB", ""))
        rows.append((f"tsuku-llm peak RSS [{m['model']}]", f"{m['tsuku_llm_kib'] / 1024:.0f} MiB", ""))
    mc = doc["machine"]
    print(f"system figures: {mc['cpus']} CPUs, load {mc['load_before']:.2f} -> {mc['load_after']:.2f}, "
          f"medians of {a.runs} runs")
    width = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"  {name:<{width}}  {value:>28}  {target}")
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(doc, f, indent=2)
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
