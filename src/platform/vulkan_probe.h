// The Vulkan functional probe: runs inside the isolated child (`tsuku __probe vulkan`). It loads the Vulkan loader
// with dlopen (tsuku never links libvulkan: it must run where there is none), creates an instance and reports
// every physical device with its type, ids, versions, device-local heaps and, with VK_EXT_memory_budget, the
// free budget.
#pragma once

#include <optional>
#include <string>

#include "platform/probe_results.h"

namespace tsuku::platform {

// `library`: the loader to load (default: the soname "libvulkan.so.1", found the loader's way).
VulkanProbeResult run_vulkan_probe(const std::optional<std::string>& library, const StageFn& stage);

// "1.3.230" from a packed Vulkan version.
std::string vulkan_version_string(uint32_t v);
// The vendor's own driver version encoding (NVIDIA packs 10.8.8.6 bits; Mesa and most others use Vulkan's).
std::string vulkan_driver_version_string(uint32_t vendor_id, uint32_t v);

}  // namespace tsuku::platform
