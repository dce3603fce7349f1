// How many threads the server should compute with: the CPUs this process may use (the affinity mask that taskset,
// docker --cpuset-cpus or a cpuset cgroup set), capped by the cgroup CPU quota (docker --cpus, Kubernetes limits,
// systemd CPUQuota), and for generation only one thread per physical core (SMT siblings share one core's units:
// llama.cpp's own rule for math threads). More threads than that make every token wait for a starved thread —
// pinned to one CPU, two threads ran 100x slower than one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "platform/system_root.h"

namespace tsuku::platform {

struct CpuBudget {
    int threads = 1;
    std::string why;                   // "1: affinity allows CPU 0"
    std::vector<int> allowed;          // the affinity mask
    int online = 0;                    // CPUs online (/sys/devices/system/cpu/online); 0: unknown
    int physical_cores = 0;            // distinct cores among the allowed CPUs
    std::optional<double> quota_cpus;  // the tightest cgroup quota, in CPUs
    std::string quota_source;          // "cpu.max of /sys/fs/cgroup/…"
    std::string configured_by;         // "llm.threads" when the count was set, not derived
};

CpuBudget cpu_budget(const SystemRoot& sys);
// The count `threads` set by `by` (llm.threads, --threads) instead of the derived one; the evidence stays.
CpuBudget configured_threads(CpuBudget budget, int threads, const std::string& by);

// This process's real affinity mask (sched_getaffinity); nullopt when the call fails.
std::optional<std::vector<int>> live_affinity();

}  // namespace tsuku::platform
