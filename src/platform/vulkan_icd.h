// Vulkan drivers (ICDs) as the loader finds them: JSON manifests in the loader's search folders, or exactly the
// files/folders named by VK_DRIVER_FILES (VK_ICD_FILENAMES before loader 1.3.207). Static evidence only: which
// drivers are installed, not which devices they see (the probe says that).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "platform/system_root.h"

namespace tsuku::platform {

struct VulkanIcd {
    std::string manifest;                     // system path of the JSON file
    std::optional<std::string> library_path;  // ICD.library_path as written (absolute, relative, or a bare name)
    std::optional<std::string> api_version;   // ICD.api_version
    bool software = false;                    // a CPU renderer (lavapipe, SwiftShader): never an accelerator
    std::string error;                        // the manifest could not be read or parsed
    int64_t mtime_ns = 0;                     // of the manifest: part of the fingerprint
};

struct VulkanIcdSearch {
    std::vector<std::string> folders;  // searched, in order (system paths)
    std::string override_variable;     // "VK_DRIVER_FILES" / "VK_ICD_FILENAMES" when one replaced the search
    std::vector<VulkanIcd> icds;
};

// `sandbox_folders`: the ICD folders a sandbox's own loader adds to the standard search (sandbox.h).
VulkanIcdSearch find_vulkan_icds(const SystemRoot& sys, const std::vector<std::string>& sandbox_folders = {});

}  // namespace tsuku::platform
