// The Vulkan devices the loader sees, through the loader's API (dlopen libvulkan.so.1; never linked, so the server
// starts without it). ggml-vulkan silently drops CPU-type devices; this tells the backend check what is there.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tsuku::server {

struct VulkanDevice {
    std::string name;
    bool software = false;  // VK_PHYSICAL_DEVICE_TYPE_CPU: a software renderer such as llvmpipe
    uint32_t vendor_id = 0;
    uint32_t device_id = 0;
};

struct VulkanDevices {
    bool loader_loaded = false;
    std::string error;  // dlerror() of the loader, or the failing call and its VkResult
    std::vector<VulkanDevice> devices;
};

VulkanDevices enumerate_vulkan_devices();

}  // namespace tsuku::server
