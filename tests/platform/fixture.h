// Fixture systems for detection tests: a temporary root folder built from a compact description (sysfs PCI
// devices, /proc and /sys/module driver versions, os-release, libraries as minimal ELF files, Vulkan ICD
// manifests, ld.so.cache files made by the real ldconfig), read through a platform::SystemRoot.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "platform/detect.h"
#include "platform/probe_results.h"
#include "platform/system_root.h"
#include "support/temp_dir.h"

namespace tsuku::test {

class Fixture {
public:
    const std::filesystem::path& root() const { return dir_->path(); }
    std::filesystem::path at(const std::string& abs) const { return dir_->path() / abs.substr(1); }

    Fixture& file(const std::string& abs, const std::string& content);
    Fixture& symlink(const std::string& abs, const std::string& target);
    // A file that starts with a 64-bit ELF header of this build's architecture (or 32-bit i386 with bits=32).
    Fixture& elf(const std::string& abs, int bits = 64);
    // `real` (e.g. libcuda.so.580.82.07) as an ELF file, plus the soname link next to it.
    Fixture& library(const std::string& dir, const std::string& soname, const std::string& real);
    Fixture& os_release(const std::string& id, const std::string& version, const std::string& pretty);
    Fixture& kernel(const std::string& release);
    Fixture& pci(const std::string& address, uint16_t vendor, uint16_t device, uint32_t class_code,
                 std::optional<std::string> driver, bool boot_vga = false);
    Fixture& pci_vram(const std::string& address, uint64_t bytes);  // amdgpu's mem_info_vram_total
    Fixture& module(const std::string& name, std::optional<std::string> version = std::nullopt);
    Fixture& nvidia_driver(const std::string& version, bool open_module = false);
    Fixture& icd(const std::string& manifest, const std::string& library_path, const std::string& api = "1.3.280");
    // A committed cache from tests/platform/fixtures/ldcache/<name>.cache as /etc/ld.so.cache.
    Fixture& ld_cache(const std::string& name);
    Fixture& meminfo(uint64_t total_kib, uint64_t available_kib);
    // The process in cgroup v2 group `group` ("/user.slice/app.scope"), the unified hierarchy mounted at
    // /sys/fs/cgroup as /proc/self/mountinfo says. Limits go in with cgroup_file().
    Fixture& cgroup_v2(const std::string& group);
    // The process in v1 hierarchies: `group` for memory and cpu,cpuacct, each mounted under /sys/fs/cgroup/<name>.
    // `mount_root`: the part of the hierarchy mounted (a container sees only its own: "/docker/<id>").
    Fixture& cgroup_v1(const std::string& group, const std::string& mount_root = "/");
    // A file of a group folder: cgroup_file("/sys/fs/cgroup/app.scope/memory.max", "1073741824").
    Fixture& cgroup_file(const std::string& abs, const std::string& value) { return file(abs, value + "\n"); }
    // `online` CPUs (/sys/devices/system/cpu/online); with `smt`, CPUs n and n + online/2 are SMT siblings (the
    // usual x86 numbering), else each CPU is its own core.
    Fixture& cpus(int online, bool smt);

    platform::SystemRoot system(std::map<std::string, std::string> env = {}) const;

private:
    std::unique_ptr<TempDir> dir_ = std::make_unique<TempDir>();  // movable: fixtures are built by functions
};

// Canned probe outcomes: what the real probe children print on such machines.
platform::ProbeOutcome vulkan_ok(std::vector<platform::VulkanDevice> devices);
platform::ProbeOutcome cuda_ok(int driver_version, std::vector<platform::CudaDevice> devices);
platform::VulkanDevice vk_device(const std::string& name, const std::string& type, uint32_t vendor,
                                 const std::string& api, uint64_t device_local_bytes,
                                 std::optional<uint64_t> free_bytes = std::nullopt);
platform::CudaDevice cuda_device(const std::string& name, int major, int minor, uint64_t total_bytes,
                                 const std::string& bus);

// A probe runner that answers each request with its canned outcome (nullopt: that probe is not expected to be
// asked, and answers "not run") and records the requests in `asked` when given, so a test can check what
// detection asked the probes to do.
platform::ProbeRunnerFn canned_probes(std::optional<platform::ProbeOutcome> vulkan,
                                      std::optional<platform::ProbeOutcome> cuda,
                                      std::vector<platform::ProbeRequest>* asked = nullptr);

inline constexpr uint64_t GiB = uint64_t{1} << 30;

// The chain and one backend's reason codes of a report, as names (for EXPECT_EQ with a vector literal).
inline std::vector<std::string> chain(const platform::DetectionReport& r) {
    std::vector<std::string> out;
    for (Backend b : r.chain) out.emplace_back(backend_name(b));
    return out;
}

inline std::vector<std::string> reasons(const platform::DetectionReport& r, Backend b) {
    std::vector<std::string> out;
    for (const auto& i : r.verdict(b)->reasons) out.emplace_back(reason_code(i.reason));
    return out;
}

}  // namespace tsuku::test
