#include "platform/cpu_budget.h"

#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "platform/cgroup.h"

namespace tsuku::platform {
namespace {

std::optional<std::vector<int>> fixture_affinity(const SystemRoot& sys) {
    if (const auto status = read_small_file(sys.at("/proc/self/status"))) {
        std::istringstream in(*status);
        for (std::string line; std::getline(in, line);) {
            if (line.starts_with("Cpus_allowed_list:")) return parse_cpu_list(line.substr(18));
        }
    }
    if (const auto online = read_trimmed(sys.at("/sys/devices/system/cpu/online"))) return parse_cpu_list(*online);
    return std::nullopt;
}

// The tightest quota over the process's CPU groups, in CPUs.
void read_quota(const SystemRoot& sys, CpuBudget& b) {
    const auto groups = cgroup_folders(sys, "cpu");
    for (const auto& folder : groups.folders) {
        std::optional<double> cpus;
        std::string source;
        if (groups.version == 2) {
            const auto text = read_trimmed(sys.at(folder + "/cpu.max"));  // "max 100000" or "150000 100000"
            if (!text) continue;
            std::istringstream in(*text);
            std::string quota, period;
            in >> quota >> period;
            const auto q = parse_number(quota), p = parse_number(period);
            if (!q || !p || *p == 0) continue;
            cpus = static_cast<double>(*q) / static_cast<double>(*p);
            source = "cpu.max " + quota + " " + period + " in " + folder;
        } else {
            const auto q = read_trimmed(sys.at(folder + "/cpu.cfs_quota_us"));  // -1: no quota
            const auto p = read_trimmed(sys.at(folder + "/cpu.cfs_period_us"));
            if (!q || !p || q->starts_with('-')) continue;
            const auto qn = parse_number(*q), pn = parse_number(*p);
            if (!qn || !pn || *pn == 0) continue;
            cpus = static_cast<double>(*qn) / static_cast<double>(*pn);
            source = "cpu.cfs_quota_us " + *q + " / cpu.cfs_period_us " + *p + " in " + folder;
        }
        if (!b.quota_cpus || *cpus < *b.quota_cpus) {
            b.quota_cpus = cpus;
            b.quota_source = source;
        }
    }
}

// One entry per physical core: CPUs that are SMT siblings share a thread_siblings_list.
int physical_cores(const SystemRoot& sys, const std::vector<int>& cpus) {
    std::set<std::string> cores;
    for (int c : cpus) {
        const std::string topo = "/sys/devices/system/cpu/cpu" + std::to_string(c) + "/topology/";
        auto siblings = read_trimmed(sys.at(topo + "thread_siblings_list"));
        if (!siblings) siblings = read_trimmed(sys.at(topo + "core_cpus_list"));
        const auto list = siblings ? parse_cpu_list(*siblings) : std::nullopt;
        cores.insert(list && !list->empty() ? format_cpu_list(*list) : "cpu" + std::to_string(c));
    }
    return static_cast<int>(cores.size());
}

std::string cpus_phrase(const std::vector<int>& cpus) {
    return (cpus.size() == 1 ? "CPU " : "CPUs ") + format_cpu_list(cpus);
}

std::string quota_text(double cpus) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", std::round(cpus * 100) / 100);
    return buf;
}

}  // namespace

std::optional<std::vector<int>> live_affinity() {
    // A set sized for the machine: CPU_SETSIZE (1024) is too small on the largest hosts.
    for (int n = 1024; n <= (1 << 16); n *= 4) {
        cpu_set_t* set = CPU_ALLOC(n);
        if (!set) return std::nullopt;
        const size_t size = CPU_ALLOC_SIZE(n);
        CPU_ZERO_S(size, set);
        if (sched_getaffinity(0, size, set) == 0) {
            std::vector<int> out;
            for (int c = 0; c < n; ++c) {
                if (CPU_ISSET_S(c, size, set)) out.push_back(c);
            }
            CPU_FREE(set);
            return out;
        }
        CPU_FREE(set);
        if (errno != EINVAL) return std::nullopt;
    }
    return std::nullopt;
}

CpuBudget cpu_budget(const SystemRoot& sys) {
    CpuBudget b;
    std::optional<std::vector<int>> allowed;
    if (sys.affinity) {
        allowed = sys.affinity();
    } else {
        allowed = sys.is_live() ? live_affinity() : fixture_affinity(sys);
    }
    const auto online = read_trimmed(sys.at("/sys/devices/system/cpu/online"));
    if (const auto list = online ? parse_cpu_list(*online) : std::nullopt) b.online = static_cast<int>(list->size());
    if (!allowed || allowed->empty()) allowed = std::vector<int>{0};  // unknowable: one thread is always safe
    b.allowed = *allowed;
    b.physical_cores = physical_cores(sys, b.allowed);
    read_quota(sys, b);

    const int n_allowed = static_cast<int>(b.allowed.size());
    b.threads = std::max(1, b.physical_cores);
    std::vector<std::string> because;
    if (b.online > 0 && n_allowed >= b.online) {
        because.push_back(std::to_string(n_allowed) + (n_allowed == 1 ? " CPU" : " CPUs") + ", all allowed");
    } else {
        because.push_back("affinity allows " + cpus_phrase(b.allowed) +
                          (b.online > 0 ? " (of " + std::to_string(b.online) + " online)" : ""));
    }
    if (b.physical_cores < n_allowed) {
        because.push_back(std::to_string(b.physical_cores) + " physical cores among them (SMT siblings share one)");
    }
    if (b.quota_cpus) {
        const int cap = std::max(1, static_cast<int>(std::floor(*b.quota_cpus + 1e-9)));
        if (cap < b.threads) {
            b.threads = cap;
            because.push_back("cgroup CPU quota of " + quota_text(*b.quota_cpus) + " CPUs (" + b.quota_source + ")");
        }
    }
    b.why = std::to_string(b.threads) + ": ";
    for (size_t i = 0; i < because.size(); ++i) b.why += (i ? "; " : "") + because[i];
    return b;
}

CpuBudget configured_threads(CpuBudget b, int threads, const std::string& by) {
    const int derived = b.threads;
    b.threads = threads;
    b.configured_by = by;
    b.why = std::to_string(threads) + ": " + by + " (detection would use " + std::to_string(derived) + ")";
    return b;
}

}  // namespace tsuku::platform
