#include "platform/fixture.h"

#include <cstdio>
#include <stdexcept>

namespace fs = std::filesystem;

namespace tsuku::test {

Fixture& Fixture::file(const std::string& abs, const std::string& content) {
    fs::create_directories(at(abs).parent_path());
    write_file(at(abs), content);
    return *this;
}

Fixture& Fixture::symlink(const std::string& abs, const std::string& target) {
    fs::create_directories(at(abs).parent_path());
    fs::create_symlink(target, at(abs));
    return *this;
}

Fixture& Fixture::elf(const std::string& abs, int bits) {
    // e_ident: magic, class, data (little endian), version; e_type ET_DYN; e_machine this build's 64-bit one
    // (x86-64 62, AArch64 183: the arm64 tests build the same fixtures) or i386 (3).
    std::string h(64, '\0');
    h[0] = 0x7f, h[1] = 'E', h[2] = 'L', h[3] = 'F';
    h[4] = bits == 64 ? 2 : 1;
    h[5] = 1;
    h[6] = 1;
    h[16] = 3;
#if defined(__aarch64__)
    h[18] = bits == 64 ? static_cast<char>(183) : 3;
#else
    h[18] = bits == 64 ? 62 : 3;
#endif
    return file(abs, h);
}

Fixture& Fixture::library(const std::string& dir, const std::string& soname, const std::string& real) {
    elf(dir + "/" + real);
    if (real != soname) symlink(dir + "/" + soname, real);
    return *this;
}

Fixture& Fixture::os_release(const std::string& id, const std::string& version, const std::string& pretty) {
    return file("/etc/os-release", "ID=" + id + "\nVERSION_ID=\"" + version + "\"\nPRETTY_NAME=\"" + pretty + "\"\n");
}

Fixture& Fixture::kernel(const std::string& release) { return file("/proc/sys/kernel/osrelease", release + "\n"); }

Fixture& Fixture::pci(const std::string& address, uint16_t vendor, uint16_t device, uint32_t class_code,
                      std::optional<std::string> driver, bool boot_vga) {
    char buf[16];
    const std::string dev = "/sys/bus/pci/devices/" + address;
    std::snprintf(buf, sizeof buf, "0x%04x\n", vendor);
    file(dev + "/vendor", buf);
    std::snprintf(buf, sizeof buf, "0x%04x\n", device);
    file(dev + "/device", buf);
    std::snprintf(buf, sizeof buf, "0x%06x\n", class_code);
    file(dev + "/class", buf);
    file(dev + "/boot_vga", boot_vga ? "1\n" : "0\n");
    if (driver) {
        file("/sys/bus/pci/drivers/" + *driver + "/new_id", "");
        symlink(dev + "/driver", "../../../bus/pci/drivers/" + *driver);
    }
    return *this;
}

Fixture& Fixture::pci_vram(const std::string& address, uint64_t bytes) {
    return file("/sys/bus/pci/devices/" + address + "/mem_info_vram_total", std::to_string(bytes) + "\n");
}

Fixture& Fixture::module(const std::string& name, std::optional<std::string> version) {
    fs::create_directories(at("/sys/module/" + name));
    if (version) file("/sys/module/" + name + "/version", *version + "\n");
    return *this;
}

Fixture& Fixture::nvidia_driver(const std::string& version, bool open_module) {
    module("nvidia", version);
    const std::string kind =
        open_module ? "NVIDIA UNIX Open Kernel Module for x86_64" : "NVIDIA UNIX x86_64 Kernel Module";
    return file("/proc/driver/nvidia/version", "NVRM version: " + kind + "  " + version +
                                                   "  Release Build  (dvs-builder@U16-I3-B03-4-3)  Thu Jul 24 2025\n"
                                                   "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n");
}

Fixture& Fixture::icd(const std::string& manifest, const std::string& library_path, const std::string& api) {
    return file(manifest, R"({"file_format_version": "1.0.1", "ICD": {"library_path": ")" + library_path +
                              R"(", "api_version": ")" + api + R"("}})");
}

Fixture& Fixture::ld_cache(const std::string& name) {
    fs::create_directories(at("/etc"));
    fs::copy_file(fs::path(TSUKU_PLATFORM_FIXTURES) / "ldcache" / (name + ".cache"), at("/etc/ld.so.cache"),
                  fs::copy_options::overwrite_existing);
    return *this;
}

Fixture& Fixture::meminfo(uint64_t total_kib, uint64_t available_kib) {
    return file("/proc/meminfo", "MemTotal:       " + std::to_string(total_kib) +
                                     " kB\nMemFree:         1000 kB\nMemAvailable:   " + std::to_string(available_kib) +
                                     " kB\n");
}

Fixture& Fixture::cgroup_v2(const std::string& group) {
    file("/proc/self/cgroup", "0::" + group + "\n");
    file("/proc/self/mountinfo",
         "22 1 0:21 / / rw,relatime - ext4 /dev/sda1 rw\n"
         "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n");
    file("/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
    fs::create_directories(at("/sys/fs/cgroup" + (group == "/" ? std::string() : group)));
    return *this;
}

Fixture& Fixture::cgroup_v1(const std::string& group, const std::string& mount_root) {
    file("/proc/self/cgroup", "12:pids:" + group + "\n5:memory:" + group + "\n3:cpu,cpuacct:" + group +
                                  "\n1:name=systemd:" + group + "\n0::/\n");
    file("/proc/self/mountinfo",
         "22 1 0:21 / / rw,relatime - ext4 /dev/sda1 rw\n"
         "30 24 0:26 " +
             mount_root +
             " /sys/fs/cgroup/memory rw,nosuid shared:13 - cgroup cgroup rw,memory\n"
             "31 24 0:27 " +
             mount_root +
             " /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:14 - cgroup cgroup rw,cpu,cpuacct\n"
             "32 24 0:28 " +
             mount_root + " /sys/fs/cgroup/pids rw,nosuid shared:15 - cgroup cgroup rw,pids\n");
    const fs::path rel = fs::path(group).lexically_relative(mount_root);
    const std::string sub = rel.empty() || rel == "." || *rel.begin() == ".." ? "" : "/" + rel.string();
    fs::create_directories(at("/sys/fs/cgroup/memory" + sub));
    fs::create_directories(at("/sys/fs/cgroup/cpu,cpuacct" + sub));
    return *this;
}

Fixture& Fixture::cpus(int online, bool smt) {
    file("/sys/devices/system/cpu/online", "0-" + std::to_string(online - 1) + "\n");
    for (int c = 0; c < online; ++c) {
        std::string siblings = std::to_string(c);
        if (smt) {
            const int half = online / 2, first = c % half;
            siblings = std::to_string(first) + "," + std::to_string(first + half);
        }
        file("/sys/devices/system/cpu/cpu" + std::to_string(c) + "/topology/thread_siblings_list", siblings + "\n");
    }
    return *this;
}

platform::SystemRoot Fixture::system(std::map<std::string, std::string> env) const {
    return platform::SystemRoot{root(), Environment::fixed(std::move(env)), {}};
}

platform::VulkanDevice vk_device(const std::string& name, const std::string& type, uint32_t vendor,
                                 const std::string& api, uint64_t device_local_bytes,
                                 std::optional<uint64_t> free_bytes) {
    platform::VulkanDevice d;
    d.name = name;
    d.type = type;
    d.vendor_id = vendor;
    d.api_version = api;
    d.device_local_bytes = device_local_bytes;
    d.memory_budget = free_bytes.has_value();
    d.free_bytes = free_bytes;
    d.heaps.push_back({device_local_bytes, true, free_bytes ? std::optional(device_local_bytes) : std::nullopt,
                       free_bytes ? std::optional(device_local_bytes - *free_bytes) : std::nullopt});
    return d;
}

platform::CudaDevice cuda_device(const std::string& name, int major, int minor, uint64_t total_bytes,
                                 const std::string& bus) {
    platform::CudaDevice d;
    d.name = name;
    d.cc_major = major;
    d.cc_minor = minor;
    d.total_bytes = total_bytes;
    d.free_bytes = total_bytes - total_bytes / 16;
    d.pci_bus_id = bus;
    return d;
}

platform::ProbeOutcome vulkan_ok(std::vector<platform::VulkanDevice> devices) {
    auto o = platform::not_run_outcome(platform::ProbeKind::vulkan);
    o.status = platform::ProbeOutcome::Status::completed;
    o.vulkan = platform::VulkanProbeResult{"libvulkan.so.1", "1.4.313", std::move(devices), std::nullopt};
    return o;
}

platform::ProbeOutcome cuda_ok(int driver_version, std::vector<platform::CudaDevice> devices) {
    auto o = platform::not_run_outcome(platform::ProbeKind::cuda);
    o.status = platform::ProbeOutcome::Status::completed;
    platform::CudaProbeResult r;
    r.library = "libcuda.so.1";
    r.driver_version = driver_version;
    r.devices = std::move(devices);
    r.nvml = "ok";
    o.cuda = r;
    return o;
}

platform::ProbeRunnerFn canned_probes(std::optional<platform::ProbeOutcome> vulkan,
                                      std::optional<platform::ProbeOutcome> cuda,
                                      std::vector<platform::ProbeRequest>* asked) {
    return [vulkan = std::move(vulkan), cuda = std::move(cuda), asked](const std::vector<platform::ProbeRequest>& rs) {
        if (asked) *asked = rs;
        std::vector<platform::ProbeOutcome> out;
        for (const auto& r : rs) {
            const auto& canned = r.kind == platform::ProbeKind::vulkan ? vulkan : cuda;
            out.push_back(canned ? *canned : platform::not_run_outcome(r.kind, "test: no canned result"));
        }
        return out;
    };
}

}  // namespace tsuku::test
