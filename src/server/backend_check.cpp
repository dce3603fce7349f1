#include "server/backend_check.h"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "ggml-backend.h"
#include "ggml.h"

namespace fs = std::filesystem;

namespace tsuku::server {
namespace {

// ggml's registry names of the backends we ship.
std::string registry_name(Backend b) {
    switch (b) {
        case Backend::cpu: return "CPU";
        case Backend::vulkan: return "Vulkan";
        case Backend::cuda: return "CUDA";
        case Backend::metal: return "Metal";
    }
    return "";
}

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

// What ggml logs while a backend initialises: the driver's own words when it refuses (e.g. cuInit's error).
struct LogCapture {
    std::mutex mu;
    std::string text;
};
LogCapture& log_capture() {
    static LogCapture c;
    return c;
}
void capture_log(ggml_log_level level, const char* msg, void*) {
    if (level != GGML_LOG_LEVEL_ERROR && level != GGML_LOG_LEVEL_WARN) return;
    auto& c = log_capture();
    std::lock_guard lk(c.mu);
    if (c.text.size() < 8192) c.text += msg;
}

std::string trim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    return s.substr(i);
}

void load_backends_once(const fs::path& dir) {
    static std::once_flag once;
    std::call_once(once, [&] {
        ggml_log_set(capture_log, nullptr);
        ggml_backend_load_all_from_path(dir.c_str());
    });
}

BackendCheck fail(BackendFailure reason, std::string detail) {
    BackendCheck r;
    r.ok = false;
    r.reason = reason;
    r.detail = trim(std::move(detail));
    return r;
}

// The backend library was not registered: find out why from the dynamic loader.
BackendCheck diagnose_unloaded(const BackendCheckOptions& o) {
    const auto lib = o.library_dir / std::string(backend_info(o.backend).ggml_library);
    if (!fs::exists(lib)) {
        return fail(BackendFailure::library_missing, lib.string() + " is not in the variant (broken install)");
    }
    dlerror();
    void* h = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char* err = dlerror();
        return fail(BackendFailure::library_missing, err ? err : "dlopen failed");
    }
    dlclose(h);
    std::string logged;
    {
        auto& c = log_capture();
        std::lock_guard lk(c.mu);
        logged = c.text;
    }
    if (logged.empty()) logged = "the " + registry_name(o.backend) + " backend loaded but did not initialise";
    return fail(BackendFailure::init_failed, logged);
}

}  // namespace

bool is_software_device_name(const std::string& description) {
    const std::string d = lower(description);
    return d.find("llvmpipe") != std::string::npos || d.find("lavapipe") != std::string::npos ||
           d.find("swiftshader") != std::string::npos || d.find("softpipe") != std::string::npos;
}

BackendCheck check_backend(const BackendCheckOptions& o) {
    load_backends_once(o.library_dir);
    ggml_backend_reg_t reg = ggml_backend_reg_by_name(registry_name(o.backend).c_str());
    if (!reg) {
        if (o.backend == Backend::cpu) {
            return fail(BackendFailure::init_failed, "no CPU backend library (libggml-cpu-*.so) loads from " +
                                                         o.library_dir.string() + " on this CPU");
        }
        return diagnose_unloaded(o);
    }
    BackendCheck r;
    const size_t n = ggml_backend_reg_dev_count(reg);
    for (size_t i = 0; i < n; ++i) {
        ggml_backend_dev_t dev = ggml_backend_reg_dev_get(reg, i);
        DeviceInfo d;
        d.name = ggml_backend_dev_name(dev);
        d.description = ggml_backend_dev_description(dev);
        const auto type = ggml_backend_dev_type(dev);
        d.type = device_type_name(type);
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
        for (const auto& d : r.rejected) names += (names.empty() ? "" : ", ") + d.description;
        return [&] {
            auto f = fail(
                BackendFailure::software_device_only,
                "only software devices: " + names + " (set TSUKU_LLM_ALLOW_SOFTWARE_DEVICES=1 to use them anyway)");
            f.rejected = r.rejected;
            return f;
        }();
    }
    std::string logged;
    {
        auto& c = log_capture();
        std::lock_guard lk(c.mu);
        logged = c.text;
    }
    return fail(BackendFailure::no_device, "the " + registry_name(o.backend) +
                                               " runtime loaded but reports no devices" +
                                               (logged.empty() ? "" : ": " + logged));
}

}  // namespace tsuku::server
