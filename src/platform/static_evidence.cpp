#include "platform/static_evidence.h"

#include "common/text.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace tsuku::platform {
namespace {

SystemMemory read_memory(const SystemRoot& sys) {
    SystemMemory m;
    const auto text = read_small_file(sys.at("/proc/meminfo"), 16384);
    if (!text) return m;
    std::istringstream in(*text);
    for (std::string line; std::getline(in, line);) {
        unsigned long long kib = 0;
        if (std::sscanf(line.c_str(), "MemTotal: %llu kB", &kib) == 1) m.total_bytes = kib * 1024;
        if (std::sscanf(line.c_str(), "MemAvailable: %llu kB", &kib) == 1) m.available_bytes = kib * 1024;
    }
    return m;
}

// FNV-1a, 64 bits: a cache key, not a security boundary.
class Fnv {
public:
    void add(std::string_view s) {
        for (unsigned char c : s) h_ = (h_ ^ c) * 0x100000001b3ULL;
        h_ = (h_ ^ 0xff) * 0x100000001b3ULL;  // field separator
    }
    std::string hex() const {
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h_));
        return buf;
    }

private:
    uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace

const LibraryLocation* StaticEvidence::library(std::string_view soname) const {
    auto it = libraries.find(std::string(soname));
    return it == libraries.end() ? nullptr : &it->second;
}

StaticEvidence gather_static_evidence(const SystemRoot& sys, const PlatformPolicy& policy) {
    StaticEvidence e;
    e.sysroot = sys.root.string();
    e.os = read_os_info(sys);
    e.memory = read_memory(sys);
    e.gpus = scan_pci_gpus(sys);
    e.tegra = read_tegra(sys);
    e.drivers = read_kernel_drivers(sys);
    std::error_code ec;
    e.nvidia_device_nodes = fs::exists(sys.at("/dev/nvidiactl"), ec);

    std::optional<LdCache> cache;
    const fs::path cache_file = sys.at(e.ld_cache.path);
    if (!fs::exists(cache_file, ec)) {
        e.ld_cache.error = "absent";
    } else {
        try {
            cache = load_ld_cache(cache_file);
            e.ld_cache.format = std::string(format_name(cache->format));
            e.ld_cache.entries = cache->entries.size();
        } catch (const LdCacheError& err) {
            e.ld_cache.error = err.what();
        }
    }

    std::set<std::string> sonames{std::string(kVulkanLoader), std::string(kCudaDriverLibrary)};
    for (const auto& [backend, req] : policy.requirements) sonames.insert(req.libraries.begin(), req.libraries.end());
    sonames.insert(policy.optional_libraries.begin(), policy.optional_libraries.end());
    const LibraryLocator locator(sys, std::move(cache));
    e.library_dirs_searched = locator.table_dirs().size();
    for (const auto& s : sonames) e.libraries.emplace(s, locator.locate(s));

    e.vulkan = find_vulkan_icds(sys, e.os.sandbox.icd_folders);
    e.memory_room = read_memory_room(sys, e.memory.available_bytes);
    e.cpu = cpu_budget(sys);

    auto add_dir = [&](const std::string& lib) {
        const std::string dir = fs::path(lib).parent_path().string();
        if (is_default_library_dir(dir)) return;  // searched anyway; on LD_LIBRARY_PATH it would outrank the cache
        if (std::find(e.launch_library_dirs.begin(), e.launch_library_dirs.end(), dir) == e.launch_library_dirs.end())
            e.launch_library_dirs.push_back(dir);
    };
    for (const auto& [soname, loc] : e.libraries) {
        if (loc.path && !loc.loader_visible) add_dir(*loc.path);
    }
    for (const auto& icd : e.vulkan.icds) {
        // A bare name ("libGLX_nvidia.so.0") is dlopen-ed by the Vulkan loader: it must be on the search path.
        if (!icd.library_path || icd.library_path->find('/') != std::string::npos) continue;
        const auto loc = locator.locate(*icd.library_path);
        if (loc.path && !loc.loader_visible) add_dir(*loc.path);
    }
    for (size_t i = 0; i < e.os.sandbox.icd_data_dirs.size() && i < e.os.sandbox.icd_folders.size(); ++i) {
        if (fs::is_directory(sys.at(e.os.sandbox.icd_folders[i]), ec)) {
            e.launch_data_dirs.push_back(e.os.sandbox.icd_data_dirs[i]);
        }
    }
    return e;
}

void add_launch_environment(std::vector<std::pair<std::string, std::string>>& env, const StaticEvidence& e,
                            const Environment& base) {
    auto append = [&](const std::string& var, const std::vector<std::string>& dirs, const std::string& fallback) {
        if (dirs.empty()) return;
        auto it = std::find_if(env.begin(), env.end(), [&](const auto& kv) { return kv.first == var; });
        std::string value = it != env.end() ? it->second : base.get_nonempty(var).value_or(fallback);
        for (const auto& d : dirs) {
            const std::string padded = ":" + value + ":";
            if (padded.find(":" + d + ":") == std::string::npos) append_listed(value, ":", d);
        }
        if (it != env.end()) {
            it->second = value;
        } else {
            env.emplace_back(var, value);
        }
    };
    append("LD_LIBRARY_PATH", e.launch_library_dirs, "");
    // Unset XDG_DATA_DIRS means the two standard folders: keep them when adding one.
    append("XDG_DATA_DIRS", e.launch_data_dirs, "/usr/local/share:/usr/share");
}

std::string fingerprint(const StaticEvidence& e) {
    Fnv f;
    f.add("tsuku-detect-1");
    f.add(e.os.platform);
    f.add(e.os.kernel);
    f.add(e.os.wsl_gpu ? "dxg" : "-");
    f.add(e.nvidia_device_nodes ? "nvidiactl" : "-");
    for (const auto& g : e.gpus) {
        f.add(g.address);
        f.add(std::to_string(g.vendor_id) + ":" + std::to_string(g.device_id) + ":" + std::to_string(g.class_code));
        f.add(g.driver.value_or("-"));
    }
    for (const auto& d : e.drivers) {
        f.add(d.name);
        f.add(d.version.value_or("-"));
    }
    for (const auto& [soname, loc] : e.libraries) {
        f.add(soname);
        f.add(loc.path.value_or("-"));
        f.add(loc.real_path.value_or("-"));
        f.add(std::to_string(loc.size) + "@" + std::to_string(loc.mtime_ns));
    }
    f.add(e.vulkan.override_variable);
    for (const auto& icd : e.vulkan.icds) {
        f.add(icd.manifest);
        f.add(std::to_string(icd.mtime_ns));
        f.add(icd.library_path.value_or("-"));
    }
    return f.hex();
}

}  // namespace tsuku::platform
