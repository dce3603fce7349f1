// Where a shared library is, by the evidence the dynamic loader itself uses: LD_LIBRARY_PATH, then
// /etc/ld.so.cache, then the one table of distribution folders the loader may not know about (NixOS, WSL, CUDA
// toolkits, container mounts). Only 64-bit libraries of this build's architecture count.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/ld_cache.h"
#include "platform/system_root.h"

namespace tsuku::platform {

#if defined(__aarch64__)
#define TSUKU_MULTIARCH "aarch64-linux-gnu"
#else
#define TSUKU_MULTIARCH "x86_64-linux-gnu"
#endif

struct LibraryDir {
    std::string_view path;  // may end a component with '*' ("/usr/local/cuda-*/lib64")
    std::string_view label;
};

// docs/design.md §5.2: the distribution paths, in the order they are tried.
inline constexpr std::array<LibraryDir, 18> kDistributionLibraryDirs{{
    {"/usr/lib/" TSUKU_MULTIARCH, "Debian/Ubuntu multiarch"},
    {"/lib/" TSUKU_MULTIARCH, "Debian/Ubuntu multiarch"},
    {"/usr/lib/" TSUKU_MULTIARCH "/nvidia/current", "Debian NVIDIA packages"},
    {"/usr/lib/" TSUKU_MULTIARCH "/tegra", "NVIDIA Jetson (L4T)"},
    {"/usr/lib64", "Fedora/RHEL/openSUSE"},
    {"/usr/lib64/nvidia", "Fedora/RHEL NVIDIA packages"},
    {"/usr/lib", "Arch"},
    {"/run/opengl-driver/lib", "NixOS drivers"},
    {"/run/current-system/sw/share/nix-ld/lib", "NixOS nix-ld"},
    {"/usr/lib/wsl/lib", "WSL"},
    {"/usr/lib/" TSUKU_MULTIARCH "/GL/nvidia-*/lib", "Flatpak NVIDIA GL extension"},
    {"/usr/lib/" TSUKU_MULTIARCH "/GL/default/lib", "Flatpak GL extension"},
    {"/var/lib/snapd/lib/gl", "Snap host driver"},
    {"/usr/local/nvidia/lib64", "NVIDIA container mounts"},
    {"/usr/local/nvidia/lib", "NVIDIA container mounts"},
    {"/usr/local/cuda/lib64", "CUDA toolkit"},
    {"/usr/local/cuda-*/lib64", "CUDA toolkit"},
    {"/opt/cuda/lib64", "CUDA toolkit (Arch)"},
}};

struct LibraryLocation {
    std::string soname;
    std::optional<std::string> path;          // as the system sees it; nullopt: not found
    std::string source;                       // "LD_LIBRARY_PATH", "ld.so.cache", or a table label
    bool loader_visible = false;              // dlopen(soname) finds it without help (LD_LIBRARY_PATH or cache)
    std::optional<std::string> file_version;  // from the real file's name: libcuda.so.580.65.06 -> "580.65.06"
    std::optional<std::string> real_path;     // the file after symlinks (system view)
    uint64_t size = 0;                        // of the real file: part of the fingerprint
    int64_t mtime_ns = 0;
    std::vector<std::string> notes;  // e.g. a stale ld.so.cache entry whose file is gone
};

// The folders the dynamic loader searches without being told (/lib, /usr/lib and their 64-bit/multiarch forms).
bool is_default_library_dir(const std::string& dir);

// True when `file` starts with an ELF header of a 64-bit library for this build's architecture.
bool is_native_elf(const std::filesystem::path& file);

class LibraryLocator {
public:
    // `cache`: the parsed ld.so.cache, or nullopt when there is none (NixOS) or it is unreadable.
    LibraryLocator(const SystemRoot& sys, std::optional<LdCache> cache);
    LibraryLocation locate(const std::string& soname) const;
    // The table's folders that exist, globs expanded (system view).
    const std::vector<std::pair<std::string, std::string_view>>& table_dirs() const { return table_dirs_; }

private:
    bool fill_if_present(LibraryLocation& loc, const std::string& file, std::string_view source, bool visible,
                         bool check_elf) const;
    const SystemRoot& sys_;
    std::optional<LdCache> cache_;
    std::vector<std::string> ld_library_path_;
    std::vector<std::pair<std::string, std::string_view>> table_dirs_;
};

}  // namespace tsuku::platform
