// The backend check of the start-up contract (docs/design.md §4.2): load the ggml backends shipped next to the server
// and prove the variant's compiled-in backend yields at least one usable device. ggml skips a backend library whose
// dependencies are missing *silently*, so on failure we dlopen it ourselves to recover the loader's own words.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/backend.h"
#include "common/reasons.h"

namespace tsuku::server {

struct DeviceInfo {
    std::string name;         // ggml device name, e.g. "Vulkan0", "CPU"
    std::string description;  // e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"
    std::string type;         // "cpu" | "gpu" | "igpu" | "accel"
    bool software = false;    // a software renderer (llvmpipe, lavapipe, SwiftShader): not an accelerator
    size_t memory_free = 0;
    size_t memory_total = 0;
};

struct BackendCheck {
    bool ok = false;
    Reason reason = Reason::init_failed;  // when !ok
    std::string detail;                   // when !ok: what the loader/driver said
    std::vector<DeviceInfo> devices;      // the usable devices of the variant's backend
    std::vector<DeviceInfo> rejected;     // devices seen but not usable (e.g. software)
};

struct BackendCheckOptions {
    Backend backend = Backend::cpu;
    std::filesystem::path library_dir;  // where libggml-*.so live (the executable's folder)
    bool allow_software_devices = false;
};

// Loads the backends (once per process) and decides. Never throws for a backend problem: that is the result.
BackendCheck check_backend(const BackendCheckOptions& options);

// True for a device description that names a software renderer.
bool is_software_device_name(const std::string& description);

}  // namespace tsuku::server
