// Everything detection can learn without loading a driver: cheap, pure reads through a SystemRoot. Also the
// fingerprint of it all, which keys the detection cache and (later) the failure memory.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "platform/kernel_drivers.h"
#include "platform/library_locator.h"
#include "platform/os_info.h"
#include "platform/pci.h"
#include "platform/requirements.h"
#include "platform/system_root.h"
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
    std::vector<KernelDriver> drivers;
    bool nvidia_device_nodes = false;  // /dev/nvidiactl: the driver is reachable (a container needs it passed in)
    LdCacheSummary ld_cache;
    std::map<std::string, LibraryLocation> libraries;  // every soname of the policy, the probes' two included
    size_t library_dirs_searched = 0;                  // table folders that exist
    VulkanIcdSearch vulkan;

    const LibraryLocation* library(std::string_view soname) const;
};

StaticEvidence gather_static_evidence(const SystemRoot& sys, const PlatformPolicy& policy);

// 16 hex digits over PCI ids and drivers, driver versions, the kernel, located library files (path, size,
// mtime) and Vulkan ICD manifests. A driver update changes it; free memory does not.
std::string fingerprint(const StaticEvidence& evidence);

}  // namespace tsuku::platform
