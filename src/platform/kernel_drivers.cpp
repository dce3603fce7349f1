#include "platform/kernel_drivers.h"

#include <array>
#include <cctype>

#include "platform/dotted_version.h"

namespace fs = std::filesystem;

namespace tsuku::platform {
namespace {

constexpr std::array<std::string_view, 6> kModules{"nvidia", "amdgpu", "i915", "xe", "nouveau", "radeon"};

}  // namespace

std::optional<std::string> parse_nvidia_proc_version(std::string_view text) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (line.find("NVRM version:") == std::string_view::npos) return std::nullopt;
    // The version is the first whitespace-separated token that is a dotted number with at least two parts
    // ("x86_64" and the date are not); the wording around it differs between the proprietary and open modules.
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
        size_t j = i;
        while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j]))) ++j;
        const std::string_view tok = line.substr(i, j - i);
        if (auto v = DottedVersion::parse(tok); v && v->parts().size() >= 2) return std::string(tok);
        i = j;
    }
    return std::nullopt;
}

std::vector<KernelDriver> read_kernel_drivers(const SystemRoot& sys) {
    std::vector<KernelDriver> out;
    for (std::string_view m : kModules) {
        const fs::path mod = sys.at(fs::path("/sys/module") / m);
        KernelDriver d;
        d.name = std::string(m);
        if (m == "nvidia") {
            // /proc/driver/nvidia/version is also what a container sees of the host's driver.
            if (auto text = read_small_file(sys.at("/proc/driver/nvidia/version"), 4096)) {
                d.version = parse_nvidia_proc_version(*text);
                d.source = "/proc/driver/nvidia/version";
            }
        }
        std::error_code ec;
        const bool loaded = fs::is_directory(mod, ec);
        if (!d.version && loaded) {
            d.version = read_trimmed(mod / "version");
            d.source = "/sys/module/" + d.name + (d.version ? "/version" : "");
        }
        if (d.version && d.version->empty()) d.version.reset();
        if (loaded || d.version) out.push_back(std::move(d));
    }
    return out;
}

const KernelDriver* find_driver(const std::vector<KernelDriver>& drivers, std::string_view name) {
    for (const auto& d : drivers) {
        if (d.name == name) return &d;
    }
    return nullptr;
}

}  // namespace tsuku::platform
