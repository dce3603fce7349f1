#include "server/backend_check.h"

#include <dlfcn.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>

#include "common/text.h"
#include "ggml-backend.h"
#include "ggml.h"
#include "platform/cuda_probe.h"
#include "platform/ld_cache.h"
#include "platform/library_locator.h"
#include "platform/vulkan_probe.h"
#include "server/elf_needed.h"

namespace fs = std::filesystem;

namespace tsuku::server {
namespace {

std::string registry_name(Backend b) { return std::string(backend_info(b).registry_name); }

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::string device_type_name(enum ggml_backend_dev_type t) {
    switch (t) {
        case GGML_BACKEND_DEVICE_TYPE_CPU: return "cpu";
        case GGML_BACKEND_DEVICE_TYPE_GPU: return "gpu";
        case GGML_BACKEND_DEVICE_TYPE_IGPU: return "igpu";
        default: return "accel";
    }
}

// What ggml says while backends initialise: a driver's refusal (e.g. cuInit's error) is only ever logged. Kept for
// the failure detail and passed on to the server log.
struct LogCapture {
    std::mutex mu;
    std::string errors;
};
LogCapture& log_capture() {
    static LogCapture c;
    return c;
}
void capture_log(ggml_log_level level, const char* msg, void*) {
    const std::string text(trim(msg ? msg : ""));
    if (text.empty()) return;
    if (level == GGML_LOG_LEVEL_ERROR || level == GGML_LOG_LEVEL_WARN) {
        auto& c = log_capture();
        std::lock_guard lk(c.mu);
        if (c.errors.size() < 8192) append_listed(c.errors, "; ", text);
        spdlog::warn("ggml: {}", text);
    } else {
        spdlog::debug("ggml: {}", text);
    }
}
std::string captured_errors() {
    auto& c = log_capture();
    std::lock_guard lk(c.mu);
    return c.errors;
}

void load_backends_once(const fs::path& dir) {
    static std::once_flag once;
    std::call_once(once, [&] {
        ggml_log_set(capture_log, nullptr);
        ggml_backend_load_all_from_path(dir.c_str());
    });
}

// Whether the dynamic loader would find the dependency `soname` of a library in `origin`: that folder (the
// variant's libraries carry RUNPATH $ORIGIN), LD_LIBRARY_PATH, ld.so.cache or the loader's default folders.
// Found by name and nothing loaded: dlopen-ing cuBLAS only to learn that it is there runs its initialisers, which
// takes half a second of every failed cuda start.
bool loader_finds(const std::string& soname, const fs::path& origin, const platform::LibraryLocator& locator) {
    std::error_code ec;
    if (fs::exists(origin / soname, ec)) return true;
    const auto loc = locator.locate(soname);
    if (!loc.path) return false;
    if (loc.loader_visible) return true;
    const std::string dir = fs::path(*loc.path).parent_path().string();
    return dir == "/lib" || dir == "/usr/lib" || dir == "/lib64" || dir == "/usr/lib64" ||
           dir == "/lib/" TSUKU_MULTIARCH || dir == "/usr/lib/" TSUKU_MULTIARCH;
}

BackendCheck fail(Reason reason, std::string detail) {
    BackendCheck r;
    r.ok = false;
    r.reason = reason;
    r.detail = std::string(trim(detail));
    return r;
}

// The backend library was not registered: find out why from the dynamic loader, naming every missing dependency.
BackendCheck diagnose_unloaded(const BackendCheckOptions& o) {
    const auto lib = o.library_dir / std::string(backend_info(o.backend).ggml_library);
    if (!fs::exists(lib)) {
        return fail(Reason::library_missing, lib.string() + " is not in the variant (broken install)");
    }
    dlerror();
    if (void* h = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL)) {
        dlclose(h);
        const std::string logged = captured_errors();
        return fail(
            Reason::init_failed,
            logged.empty() ? "the " + registry_name(o.backend) + " backend loaded but did not initialise" : logged);
    }
    const char* err = dlerror();
    std::string detail = err ? err : "dlopen failed";
    std::string missing;
    const platform::SystemRoot system;
    std::optional<platform::LdCache> cache;
    try {
        cache = platform::load_ld_cache("/etc/ld.so.cache");
    } catch (const std::exception&) {
        // No cache (NixOS) or an unreadable one: LD_LIBRARY_PATH and the folders still count.
    }
    const platform::LibraryLocator locator(system, std::move(cache));
    for (const auto& dep : elf_needed(lib)) {
        if (!loader_finds(dep, lib.parent_path(), locator)) append_listed(missing, ", ", dep);
    }
    if (!missing.empty()) detail += " (missing: " + missing + ")";
    return fail(Reason::library_missing, detail);
}

// Vulkan: ggml-vulkan silently ignores CPU-type devices, so look at what the loader sees first. With software
// devices allowed, hand them to ggml explicitly (GGML_VK_VISIBLE_DEVICES) unless the user chose devices already.
std::optional<BackendCheck> precheck_vulkan(const BackendCheckOptions& o, std::vector<DeviceInfo>& rejected) {
    // Detection's own enumerator (platform/vulkan_probe.h), run in this process: one Vulkan layer, one VkResult table.
    const auto vk = platform::run_vulkan_probe(std::nullopt, [](std::string_view) {});
    if (vk.error) {
        const auto& e = *vk.error;
        if (e.stage == "dlopen") return fail(Reason::library_missing, e.message);
        return fail(Reason::init_failed,
                    e.stage + " failed: " + (e.code_name.empty() ? "" : e.code_name + ": ") + e.message);
    }
    if (vk.devices.empty()) return fail(Reason::no_device, "the Vulkan loader reports no devices");
    std::string software_indices, software_names;
    bool hardware = false;
    for (size_t i = 0; i < vk.devices.size(); ++i) {
        const auto& d = vk.devices[i];
        if (d.is_software() || is_software_device_name(d.name)) {
            append_listed(software_indices, ",", std::to_string(i));
            append_listed(software_names, ", ", d.name);
            rejected.push_back({"", d.name, "cpu", true, 0, 0});
        } else {
            hardware = true;
        }
    }
    if (hardware || software_indices.empty()) return std::nullopt;
    if (!o.allow_software_devices) {
        auto f = fail(Reason::software_device_only,
                      "only software Vulkan devices: " + software_names +
                          " (not an accelerator; TSUKU_LLM_ALLOW_SOFTWARE_DEVICES=1 uses them anyway)");
        f.rejected = rejected;
        return f;
    }
    setenv("GGML_VK_VISIBLE_DEVICES", software_indices.c_str(), /*overwrite=*/0);
    rejected.clear();
    return std::nullopt;
}

// CUDA: the driver API (libcuda.so.1) says whether a device is visible before ggml-cuda loads. Loading ggml-cuda
// maps and initialises cuBLAS and the CUDA runtime (hundreds of MB, half a second) only to learn from
// cudaGetDeviceCount that there is nothing to run on: every failed cuda start paid that before the fallback.
// The driver stays loaded: ggml-cuda's cuInit is then free.
std::optional<BackendCheck> precheck_cuda() {
    const auto cu = platform::run_cuda_probe(
        std::nullopt, [](std::string_view) {}, /*read_free_memory=*/false);
    if (cu.error) {
        const auto& e = *cu.error;
        if (e.stage == "dlopen") {
            return fail(Reason::library_missing, "the NVIDIA driver's libcuda.so.1 does not load: " + e.message);
        }
        if (!e.code) return fail(Reason::library_missing, e.message);  // dlsym: not a driver library
        return fail(platform::cuda_error_reason(*e.code).value_or(Reason::init_failed),
                    platform::cuda_error_detail(cu.library, e));
    }
    if (cu.devices.empty()) {
        const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
        return fail(Reason::no_device,
                    "cuInit succeeded but the driver reports no device" +
                        (visible ? std::string(" (CUDA_VISIBLE_DEVICES=") + visible + " hides the others)" : ""));
    }
    return std::nullopt;
}

}  // namespace

bool is_software_device_name(const std::string& description) {
    const std::string d = lower(description);
    return d.find("llvmpipe") != std::string::npos || d.find("lavapipe") != std::string::npos ||
           d.find("swiftshader") != std::string::npos || d.find("softpipe") != std::string::npos;
}

BackendCheck check_backend(const BackendCheckOptions& o) {
    std::vector<DeviceInfo> vulkan_rejected;
    if (o.backend == Backend::vulkan) {
        if (auto early = precheck_vulkan(o, vulkan_rejected)) return *early;
    }
    if (o.backend == Backend::cuda) {
        if (auto early = precheck_cuda()) return *early;
    }
    load_backends_once(o.library_dir);
    ggml_backend_reg_t reg = ggml_backend_reg_by_name(registry_name(o.backend).c_str());
    if (!reg) {
        if (o.backend == Backend::cpu) {
            return fail(Reason::init_failed, "no CPU backend library (libggml-cpu-*.so) loads from " +
                                                 o.library_dir.string() + " on this CPU");
        }
        return diagnose_unloaded(o);
    }
    BackendCheck r;
    r.rejected = vulkan_rejected;
    const size_t n = ggml_backend_reg_dev_count(reg);
    for (size_t i = 0; i < n; ++i) {
        ggml_backend_dev_t dev = ggml_backend_reg_dev_get(reg, i);
        DeviceInfo d;
        d.name = ggml_backend_dev_name(dev);
        d.description = ggml_backend_dev_description(dev);
        d.type = device_type_name(ggml_backend_dev_type(dev));
        ggml_backend_dev_memory(dev, &d.memory_free, &d.memory_total);
        d.software = o.backend != Backend::cpu && is_software_device_name(d.description);
        if (d.software && !o.allow_software_devices) {
            r.rejected.push_back(d);
        } else {
            r.devices.push_back(d);
        }
    }
    if (!r.devices.empty()) {
        r.ok = true;
        return r;
    }
    if (!r.rejected.empty()) {
        std::string names;
        for (const auto& d : r.rejected) append_listed(names, ", ", d.description);
        auto f = fail(Reason::software_device_only,
                      "only software devices: " + names + " (TSUKU_LLM_ALLOW_SOFTWARE_DEVICES=1 uses them anyway)");
        f.rejected = r.rejected;
        return f;
    }
    const std::string logged = captured_errors();
    return fail(Reason::no_device, "the " + registry_name(o.backend) + " runtime loaded but reports no devices" +
                                       (logged.empty() ? "" : ": " + logged));
}

}  // namespace tsuku::server
