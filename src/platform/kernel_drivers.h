// Kernel GPU drivers and their versions, read without loading anything: /proc/driver/nvidia/version and
// /sys/module/<module>/{version,…}.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/system_root.h"

namespace tsuku::platform {

struct KernelDriver {
    std::string name;                    // kernel module: "nvidia", "amdgpu", "i915", "xe", "nouveau", "radeon"
    std::optional<std::string> version;  // "580.65.06"; in-tree modules (i915, amdgpu) usually have none
    std::string source;                  // where the version (or the module) was seen
};

// The GPU kernel modules that are loaded, in a fixed order.
std::vector<KernelDriver> read_kernel_drivers(const SystemRoot& sys);

// The NVIDIA kernel module version from the text of /proc/driver/nvidia/version, e.g.
// "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  Sun Jul 27 07:09:04 UTC 2025".
std::optional<std::string> parse_nvidia_proc_version(std::string_view text);

const KernelDriver* find_driver(const std::vector<KernelDriver>& drivers, std::string_view name);

}  // namespace tsuku::platform
