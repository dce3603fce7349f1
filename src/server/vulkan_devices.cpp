#include "server/vulkan_devices.h"

#include <dlfcn.h>
#include <vulkan/vulkan.h>

#include <memory>

namespace tsuku::server {
namespace {

struct DlCloser {
    void operator()(void* h) const { dlclose(h); }
};

std::string vk_result_name(VkResult r) {
    switch (r) {
        case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER (no usable Vulkan driver/ICD)";
        case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
        case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
        case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
        case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
        case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
        default: return "VkResult " + std::to_string(static_cast<int>(r));
    }
}

}  // namespace

VulkanDevices enumerate_vulkan_devices() {
    VulkanDevices out;
    dlerror();
    std::unique_ptr<void, DlCloser> lib(dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL));
    if (!lib) {
        const char* e = dlerror();
        out.error = e ? e : "libvulkan.so.1 cannot be loaded";
        return out;
    }
    out.loader_loaded = true;
    auto get_proc = reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(lib.get(), "vkGetInstanceProcAddr"));
    if (!get_proc) {
        out.error = "libvulkan.so.1 has no vkGetInstanceProcAddr";
        return out;
    }
    auto create = reinterpret_cast<PFN_vkCreateInstance>(get_proc(nullptr, "vkCreateInstance"));
    VkApplicationInfo app{};
    app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
    app.pApplicationName = "tsuku-llm";
    app.apiVersion = VK_API_VERSION_1_1;
    VkInstanceCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
    info.pApplicationInfo = &app;
    VkInstance instance = VK_NULL_HANDLE;
    if (!create) {
        out.error = "the Vulkan loader has no vkCreateInstance";
        return out;
    }
    if (VkResult r = create(&info, nullptr, &instance); r != VK_SUCCESS) {
        out.error = "vkCreateInstance failed: " + vk_result_name(r);
        return out;
    }
    auto destroy = reinterpret_cast<PFN_vkDestroyInstance>(get_proc(instance, "vkDestroyInstance"));
    auto enumerate = reinterpret_cast<PFN_vkEnumeratePhysicalDevices>(get_proc(instance, "vkEnumeratePhysicalDevices"));
    auto properties =
        reinterpret_cast<PFN_vkGetPhysicalDeviceProperties>(get_proc(instance, "vkGetPhysicalDeviceProperties"));
    uint32_t count = 0;
    if (enumerate && properties && enumerate(instance, &count, nullptr) == VK_SUCCESS && count > 0) {
        std::vector<VkPhysicalDevice> devs(count);
        if (enumerate(instance, &count, devs.data()) == VK_SUCCESS) {
            for (uint32_t i = 0; i < count; ++i) {
                VkPhysicalDeviceProperties p{};
                properties(devs[i], &p);
                out.devices.push_back(
                    {p.deviceName, p.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU, p.vendorID, p.deviceID});
            }
        }
    }
    if (destroy) destroy(instance, nullptr);
    return out;
}

}  // namespace tsuku::server
