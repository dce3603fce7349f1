// This process's control groups, read through a SystemRoot: which folders of the cgroup file system hold its
// limits, from its own group up to the root of the mount (a limit on any ancestor applies too). Both the unified
// hierarchy (cgroup v2) and the per-controller v1 hierarchies.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/system_root.h"

namespace tsuku::platform {

struct CgroupFolders {
    int version = 0;                   // 1 or 2; 0: the controller is not mounted (no cgroup file system here)
    std::vector<std::string> folders;  // system paths, the process's own group first, the mount's root last
};

// "memory" or "cpu". From /proc/self/cgroup and /proc/self/mountinfo; without mountinfo (a minimal container, a
// fixture), the usual mount points (/sys/fs/cgroup, /sys/fs/cgroup/<controller>).
CgroupFolders cgroup_folders(const SystemRoot& sys, std::string_view controller);

// "0-3,8,10-11" (sysfs and /proc CPU lists) -> {0,1,2,3,8,10,11}; nullopt when malformed.
std::optional<std::vector<int>> parse_cpu_list(std::string_view text);
// {0,1,2,3,8} -> "0-3,8"
std::string format_cpu_list(const std::vector<int>& cpus);

}  // namespace tsuku::platform
