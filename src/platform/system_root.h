// The system detection reads: a root folder (/ for this machine, a fixture tree in tests or with --sysroot) and an
// environment. Every read of the system goes through here, so any distribution can be replayed from a fixture.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/environment.h"

namespace tsuku::platform {

struct SystemRoot {
    std::filesystem::path root = "/";
    Environment env = Environment::process();
    // The CPUs this process may run on (sched_getaffinity). Unset: the real mask on this machine; on a fixture
    // root, /proc/self/status's Cpus_allowed_list there, else every online CPU. nullopt: unknown.
    std::function<std::optional<std::vector<int>>()> affinity;

    // This machine itself: functional probes (which load real drivers) only make sense then.
    bool is_live() const { return root == "/"; }
    // `abs` is a path as the system sees it ("/etc/ld.so.cache"); the result is where to read it from.
    std::filesystem::path at(const std::filesystem::path& abs) const;
    // Inverse of at(): the system's own view of a path under root.
    std::filesystem::path system_path(const std::filesystem::path& real) const;
};

// Small text files (sysfs attributes, /proc entries, os-release): at most `limit` bytes; nullopt when unreadable.
std::optional<std::string> read_small_file(const std::filesystem::path& path, size_t limit = 64 * 1024);
// First line, trimmed of surrounding whitespace.
std::optional<std::string> read_trimmed(const std::filesystem::path& path);
// The final component of a symlink's target ("../../bus/pci/drivers/nvidia" -> "nvidia").
std::optional<std::string> link_target_name(const std::filesystem::path& link);
// Hex or decimal unsigned number as sysfs writes it ("0x10de", "0x030000").
std::optional<uint64_t> parse_number(std::string_view text);

}  // namespace tsuku::platform
