// Everything detection can learn without loading a driver: cheap, pure reads through a SystemRoot. Also the
// fingerprint of it all, which keys the detection cache and (later) the failure memory.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "platform/cpu_budget.h"
#include "platform/kernel_drivers.h"
#include "platform/library_locator.h"
#include "platform/memory_limit.h"
#include "platform/os_info.h"
#include "platform/pci.h"
#include "platform/requirements.h"
#include "platform/system_root.h"
#include "platform/tegra.h"
#include "platform/vulkan_icd.h"

namespace tsuku::platform {

inline constexpr std::string_view kVulkanLoader = "libvulkan.so.1";
inline constexpr std::string_view kCudaDriverLibrary = "libcuda.so.1";

struct LdCacheSummary {
    std::string path = "/etc/ld.so.cache";
    std::optional<std::string> format;  // format_name() when it was read
    size_t entries = 0;
    std::string error;  // missing or unreadable (NixOS has none)
};

struct SystemMemory {
    uint64_t total_bytes = 0;
    uint64_t available_bytes = 0;  // MemAvailable: not part of the fingerprint
};

struct StaticEvidence {
    std::string sysroot;  // "/" on this machine
    OsInfo os;
    SystemMemory memory;
    std::vector<PciGpu> gpus;
    std::optional<TegraInfo> tegra;  // a Jetson's integrated GPU, which is not on PCI
    std::vector<KernelDriver> drivers;
    bool nvidia_device_nodes = false;  // /dev/nvidiactl: the driver is reachable (a container needs it passed in)
    LdCacheSummary ld_cache;
    std::map<std::string, LibraryLocation> libraries;  // every soname of the policy, the probes' two included
    size_t library_dirs_searched = 0;                  // table folders that exist
    VulkanIcdSearch vulkan;
    // What a child that loads these drivers (the probes, the server) needs beyond its environment, so that it
    // loads what detection found: folders of libraries found where the loader does not look by itself (Flatpak's
    // GL extension, Snap's host driver, NixOS, a CUDA toolkit), those of ICD libraries named bare and found there,
    // and the sandbox's ICD data folders (for XDG_DATA_DIRS).
    std::vector<std::string> launch_library_dirs;
    std::vector<std::string> launch_data_dirs;
    // What this process may use (not part of the fingerprint: a limit is not a driver change).
    MemoryRoom memory_room;
    CpuBudget cpu;

    const LibraryLocation* library(std::string_view soname) const;
};

StaticEvidence gather_static_evidence(const SystemRoot& sys, const PlatformPolicy& policy);

// Adds launch_library_dirs to LD_LIBRARY_PATH and launch_data_dirs to XDG_DATA_DIRS in `env` (variables a child
// gets on top of the process's, which `base` reads), after what is already there: the user's choices stay first.
void add_launch_environment(std::vector<std::pair<std::string, std::string>>& env, const StaticEvidence& evidence,
                            const Environment& base);

// 16 hex digits over PCI ids and drivers, driver versions, the kernel, located library files (path, size,
// mtime) and Vulkan ICD manifests. A driver update changes it; free memory does not.
std::string fingerprint(const StaticEvidence& evidence);

}  // namespace tsuku::platform
