// The memory this process may really use: MemAvailable, or less when a memory cgroup of the process (or of any
// ancestor: a container, a systemd slice, a Kubernetes pod) has less room left. A model chosen by MemAvailable
// alone inside a 1 GiB container gets the server killed while it loads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "platform/system_root.h"

namespace tsuku::platform {

struct CgroupMemoryLimit {
    std::string folder;      // system path of the group
    std::string limit_file;  // "memory.max", "memory.high" (v2) or "memory.limit_in_bytes" (v1)
    uint64_t limit_bytes = 0;
    uint64_t usage_bytes = 0;  // memory.current (usage_in_bytes) less the reclaimable inactive page cache
    uint64_t room_bytes = 0;   // limit − usage
};

struct MemoryRoom {
    uint64_t available_bytes = 0;           // MemAvailable
    int cgroup_version = 0;                 // 0: no memory cgroup readable
    std::vector<CgroupMemoryLimit> limits;  // only groups that set a limit, own group first
    uint64_t usable_bytes = 0;              // the smallest of MemAvailable and every group's room
    std::string limited_by;                 // "MemAvailable" or "cgroup <folder> (memory.max 1.0 GiB, 12 MiB in use)"
};

// `available_bytes`: MemAvailable from /proc/meminfo (0: unknown, then only the cgroups count).
MemoryRoom read_memory_room(const SystemRoot& sys, uint64_t available_bytes);

}  // namespace tsuku::platform
