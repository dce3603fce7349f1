#include "platform/vulkan_probe.h"

// Prototypes off: every entry point comes from vkGetInstanceProcAddr, so nothing links against libvulkan.
#define VK_NO_PROTOTYPES
#include <dlfcn.h>
#include <link.h>
#include <vulkan/vulkan.h>

#include <algorithm>
#include <cstring>

namespace tsuku::platform {
namespace {

std::string result_name(VkResult r) {
    switch (r) {
        case VK_SUCCESS: return "VK_SUCCESS";
        case VK_INCOMPLETE: return "VK_INCOMPLETE";
        case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
        case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
        case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
        case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
        case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
        case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
        case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
        default: return "VkResult " + std::to_string(static_cast<int>(r));
    }
}

std::string result_text(VkResult r) {
    switch (r) {
        case VK_ERROR_INCOMPATIBLE_DRIVER: return "no Vulkan driver (ICD) is installed, or none supports this instance";
        case VK_ERROR_INITIALIZATION_FAILED: return "the Vulkan driver failed to initialise";
        case VK_ERROR_OUT_OF_HOST_MEMORY: return "out of host memory";
        case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "out of device memory";
        case VK_ERROR_DEVICE_LOST: return "the device was lost";
        default: return "the Vulkan call failed";
    }
}

ProbeError api_error(std::string stage, VkResult r) {
    ProbeError e;
    e.stage = std::move(stage);
    e.code = static_cast<int64_t>(r);
    e.code_name = result_name(r);
    // Vulkan has no error-string call: the text is ours, the code is the loader's.
    e.message = result_text(r);
    e.text_from_runtime = false;
    return e;
}

std::string type_name(VkPhysicalDeviceType t) {
    switch (t) {
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated_gpu";
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete_gpu";
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual_gpu";
        case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
        default: return "other";
    }
}

std::string loaded_path(void* handle, const std::string& fallback) {
    link_map* map = nullptr;
    if (::dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name && *map->l_name) return map->l_name;
    return fallback;
}

template <typename F>
F proc(PFN_vkGetInstanceProcAddr gipa, VkInstance instance, const char* name) {
    return reinterpret_cast<F>(gipa(instance, name));
}

}  // namespace

std::string vulkan_version_string(uint32_t v) {
    return std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v)) + "." +
           std::to_string(VK_API_VERSION_PATCH(v));
}

std::string vulkan_driver_version_string(uint32_t vendor_id, uint32_t v) {
    if (vendor_id == 0x10de) {
        return std::to_string((v >> 22) & 0x3ff) + "." + std::to_string((v >> 14) & 0xff) + "." +
               std::to_string((v >> 6) & 0xff) + "." + std::to_string(v & 0x3f);
    }
    return vulkan_version_string(v);
}

VulkanProbeResult run_vulkan_probe(const std::optional<std::string>& library, const StageFn& stage) {
    VulkanProbeResult r;
    const std::string lib = library.value_or("libvulkan.so.1");
    stage("dlopen");
    void* handle = ::dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* err = ::dlerror();
        r.error = ProbeError{"dlopen", err ? err : "cannot load " + lib, std::nullopt, "", true};
        return r;
    }
    // Never dlclose: some drivers crash when unloaded, and the child exits right after anyway.
    r.library = loaded_path(handle, lib);
    auto gipa = reinterpret_cast<PFN_vkGetInstanceProcAddr>(::dlsym(handle, "vkGetInstanceProcAddr"));
    if (!gipa) {
        r.error = ProbeError{"dlsym", lib + " has no vkGetInstanceProcAddr", std::nullopt, "", false};
        return r;
    }

    uint32_t loader_version = VK_API_VERSION_1_0;
    if (auto enum_version = proc<PFN_vkEnumerateInstanceVersion>(gipa, nullptr, "vkEnumerateInstanceVersion")) {
        stage("vkEnumerateInstanceVersion");
        enum_version(&loader_version);
    }
    r.loader_version = vulkan_version_string(loader_version);

    VkApplicationInfo app{};
    app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
    app.pApplicationName = "tsuku-detect";
    // Ask for what the loader offers (capped at what this code knows), so 1.1+ queries are core.
    app.apiVersion = std::min<uint32_t>(loader_version, VK_API_VERSION_1_3);
    VkInstanceCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
    info.pApplicationInfo = &app;
    auto create = proc<PFN_vkCreateInstance>(gipa, nullptr, "vkCreateInstance");
    if (!create) {
        r.error = ProbeError{"vkGetInstanceProcAddr", "the loader has no vkCreateInstance", std::nullopt, "", false};
        return r;
    }
    stage("vkCreateInstance");
    VkInstance instance = VK_NULL_HANDLE;
    if (VkResult res = create(&info, nullptr, &instance); res != VK_SUCCESS) {
        r.error = api_error("vkCreateInstance", res);
        return r;
    }
    const bool instance_11 = app.apiVersion >= VK_API_VERSION_1_1;

    auto enum_devices = proc<PFN_vkEnumeratePhysicalDevices>(gipa, instance, "vkEnumeratePhysicalDevices");
    auto props = proc<PFN_vkGetPhysicalDeviceProperties>(gipa, instance, "vkGetPhysicalDeviceProperties");
    auto props2 = proc<PFN_vkGetPhysicalDeviceProperties2>(gipa, instance, "vkGetPhysicalDeviceProperties2");
    auto mem = proc<PFN_vkGetPhysicalDeviceMemoryProperties>(gipa, instance, "vkGetPhysicalDeviceMemoryProperties");
    auto mem2 = proc<PFN_vkGetPhysicalDeviceMemoryProperties2>(gipa, instance, "vkGetPhysicalDeviceMemoryProperties2");
    auto exts = proc<PFN_vkEnumerateDeviceExtensionProperties>(gipa, instance, "vkEnumerateDeviceExtensionProperties");
    auto destroy = proc<PFN_vkDestroyInstance>(gipa, instance, "vkDestroyInstance");
    if (!enum_devices || !props || !mem || !exts) {
        r.error =
            ProbeError{"vkGetInstanceProcAddr", "the loader lacks core Vulkan 1.0 functions", std::nullopt, "", false};
        return r;
    }

    stage("vkEnumeratePhysicalDevices");
    uint32_t count = 0;
    VkResult res = enum_devices(instance, &count, nullptr);
    std::vector<VkPhysicalDevice> devices(count);
    if (res == VK_SUCCESS && count > 0) res = enum_devices(instance, &count, devices.data());
    if (res != VK_SUCCESS && res != VK_INCOMPLETE) {
        r.error = api_error("vkEnumeratePhysicalDevices", res);
        if (destroy) destroy(instance, nullptr);
        return r;
    }
    devices.resize(count);

    for (VkPhysicalDevice pd : devices) {
        VulkanDevice d;
        stage("vkGetPhysicalDeviceProperties");
        VkPhysicalDeviceProperties p{};
        props(pd, &p);
        d.name = p.deviceName;
        d.type = type_name(p.deviceType);
        d.vendor_id = p.vendorID;
        d.device_id = p.deviceID;
        d.api_version = vulkan_version_string(p.apiVersion);
        d.driver_version = vulkan_driver_version_string(p.vendorID, p.driverVersion);

        stage("vkEnumerateDeviceExtensionProperties");
        uint32_t n = 0;
        std::vector<VkExtensionProperties> ext;
        if (exts(pd, nullptr, &n, nullptr) == VK_SUCCESS) {
            ext.resize(n);
            if (exts(pd, nullptr, &n, ext.data()) != VK_SUCCESS) n = 0;
            ext.resize(n);
        }
        auto has = [&ext](const char* name) {
            return std::any_of(ext.begin(), ext.end(), [name](const VkExtensionProperties& e) {
                return std::strcmp(e.extensionName, name) == 0;
            });
        };
        // Properties2/MemoryProperties2 are core only when both the instance and the device are 1.1+.
        const bool core_11 = instance_11 && p.apiVersion >= VK_API_VERSION_1_1;
        if (core_11 && props2 && (p.apiVersion >= VK_API_VERSION_1_2 || has(VK_KHR_DRIVER_PROPERTIES_EXTENSION_NAME))) {
            stage("vkGetPhysicalDeviceProperties2");
            VkPhysicalDeviceDriverProperties driver{};
            driver.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES;
            VkPhysicalDeviceProperties2 p2{};
            p2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
            p2.pNext = &driver;
            props2(pd, &p2);
            d.driver_name = driver.driverName;
            d.driver_info = driver.driverInfo;
        }

        stage("vkGetPhysicalDeviceMemoryProperties");
        d.memory_budget = core_11 && mem2 && has(VK_EXT_MEMORY_BUDGET_EXTENSION_NAME);
        VkPhysicalDeviceMemoryProperties m{};
        VkPhysicalDeviceMemoryBudgetPropertiesEXT budget{};
        if (d.memory_budget) {
            budget.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT;
            VkPhysicalDeviceMemoryProperties2 m2{};
            m2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2;
            m2.pNext = &budget;
            mem2(pd, &m2);
            m = m2.memoryProperties;
        } else {
            mem(pd, &m);
        }
        uint64_t free_total = 0;
        for (uint32_t h = 0; h < std::min<uint32_t>(m.memoryHeapCount, VK_MAX_MEMORY_HEAPS); ++h) {
            VulkanHeap heap;
            heap.size = m.memoryHeaps[h].size;
            heap.device_local = (m.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) != 0;
            if (d.memory_budget) {
                heap.budget = budget.heapBudget[h];
                heap.usage = budget.heapUsage[h];
            }
            if (heap.device_local) {
                d.device_local_bytes += heap.size;
                if (heap.budget) free_total += *heap.budget > *heap.usage ? *heap.budget - *heap.usage : 0;
            }
            d.heaps.push_back(heap);
        }
        if (d.memory_budget) d.free_bytes = free_total;
        r.devices.push_back(std::move(d));
    }
    stage("vkDestroyInstance");
    if (destroy) destroy(instance, nullptr);
    return r;
}

}  // namespace tsuku::platform
