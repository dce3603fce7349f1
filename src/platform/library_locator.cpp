#include "platform/library_locator.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>

namespace fs = std::filesystem;

namespace tsuku::platform {
namespace {

#if defined(__aarch64__)
constexpr uint16_t kElfMachine = 183;  // EM_AARCH64
#else
constexpr uint16_t kElfMachine = 62;  // EM_X86_64
#endif

std::vector<std::string> split_colon(const std::string& s) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i <= s.size()) {
        size_t j = s.find(':', i);
        if (j == std::string::npos) j = s.size();
        out.push_back(s.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

// Expands one '*' inside a path component ("/usr/local/cuda-*/lib64"), sorted newest-looking last-first.
std::vector<std::string> expand(const SystemRoot& sys, std::string_view pattern) {
    const auto star = pattern.find('*');
    if (star == std::string_view::npos) return {std::string(pattern)};
    const auto slash_before = pattern.rfind('/', star);
    const auto slash_after = pattern.find('/', star);
    const std::string parent(pattern.substr(0, slash_before));
    const std::string prefix(pattern.substr(slash_before + 1, star - slash_before - 1));
    const std::string suffix(
        pattern.substr(star + 1, (slash_after == std::string_view::npos ? pattern.size() : slash_after) - star - 1));
    const std::string rest(slash_after == std::string_view::npos ? "" : pattern.substr(slash_after));
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(sys.at(parent.empty() ? "/" : parent), ec), end; !ec && it != end;
         it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() >= prefix.size() + suffix.size() && name.starts_with(prefix) && name.ends_with(suffix)) {
            out.push_back(parent + "/" + name + rest);
        }
    }
    std::sort(out.rbegin(), out.rend());  // cuda-13.0 before cuda-12.4
    return out;
}

// Follows symlinks inside the root (an absolute target is the system's path, so it is re-rooted).
std::optional<fs::path> resolve_in_root(const SystemRoot& sys, fs::path real) {
    for (int hops = 0; hops < 16; ++hops) {
        std::error_code ec;
        const auto st = fs::symlink_status(real, ec);
        if (ec || !fs::exists(st)) return std::nullopt;
        if (!fs::is_symlink(st)) return real;
        const fs::path target = fs::read_symlink(real, ec);
        if (ec) return std::nullopt;
        real = target.is_absolute() ? sys.at(target) : (real.parent_path() / target).lexically_normal();
    }
    return std::nullopt;
}

std::optional<std::string> version_from_name(const std::string& soname, const std::string& real_name) {
    const auto so = soname.find(".so");
    if (so == std::string::npos) return std::nullopt;
    const std::string stem = soname.substr(0, so + 3) + ".";
    if (!real_name.starts_with(stem) || real_name == soname) return std::nullopt;
    return real_name.substr(stem.size());
}

}  // namespace

bool is_default_library_dir(const std::string& dir) {
    return dir == "/lib" || dir == "/usr/lib" || dir == "/lib64" || dir == "/usr/lib64" ||
           dir == "/lib/" TSUKU_MULTIARCH || dir == "/usr/lib/" TSUKU_MULTIARCH;
}

bool is_native_elf(const fs::path& file) {
    static constexpr char kMagic[4] = {0x7f, 'E', 'L', 'F'};
    const auto head = read_small_file(file, 20);
    if (!head || head->size() < 20 || std::memcmp(head->data(), kMagic, sizeof kMagic) != 0) return false;
    uint16_t machine = 0;
    std::memcpy(&machine, head->data() + 18, sizeof machine);
    return (*head)[4] == 2 /* ELFCLASS64 */ && machine == kElfMachine;
}

LibraryLocator::LibraryLocator(const SystemRoot& sys, std::optional<LdCache> cache)
    : sys_(sys), cache_(std::move(cache)) {
    if (auto v = sys.env.get_nonempty("LD_LIBRARY_PATH")) {
        for (auto& d : split_colon(*v)) {
            if (!d.empty() && d.front() == '/') ld_library_path_.push_back(d);  // relative entries depend on cwd
        }
    }
    for (const auto& row : kDistributionLibraryDirs) {
        for (auto& dir : expand(sys, row.path)) {
            std::error_code ec;
            if (fs::is_directory(sys.at(dir), ec)) table_dirs_.emplace_back(dir, row.label);
        }
    }
}

bool LibraryLocator::fill_if_present(LibraryLocation& loc, const std::string& file, std::string_view source,
                                     bool visible, bool check_elf) const {
    const auto real = resolve_in_root(sys_, sys_.at(file));
    if (!real || (check_elf && !is_native_elf(*real))) return false;
    loc.path = file;
    loc.source = std::string(source);
    loc.loader_visible = visible;
    loc.real_path = sys_.system_path(*real).string();
    loc.file_version = version_from_name(loc.soname, real->filename().string());
    struct stat st {};
    if (::stat(real->c_str(), &st) == 0) {
        loc.size = static_cast<uint64_t>(st.st_size);
        loc.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
    }
    return true;
}

LibraryLocation LibraryLocator::locate(const std::string& soname) const {
    LibraryLocation loc;
    loc.soname = soname;
    for (const auto& dir : ld_library_path_) {
        if (fill_if_present(loc, dir + "/" + soname, "LD_LIBRARY_PATH", true, true)) return loc;
    }
    if (cache_) {
        if (auto p = cache_->find(soname)) {
            // The cache entry's flags already say 64-bit, this architecture.
            if (fill_if_present(loc, *p, "ld.so.cache", true, false)) return loc;
            loc.notes.push_back("ld.so.cache lists " + *p + " but the file is gone (run ldconfig)");
        }
    }
    for (const auto& [dir, label] : table_dirs_) {
        if (fill_if_present(loc, dir + "/" + soname, label, false, true)) return loc;
    }
    return loc;
}

}  // namespace tsuku::platform
