#include "platform/tegra.h"

#include <regex>

#include "common/text.h"

namespace fs = std::filesystem;

namespace tsuku::platform {

std::string parse_l4t_release(std::string_view text) {
    static const std::regex re(R"(#\s*R(\d+)\s*\(release\),\s*REVISION:\s*(\d+(?:\.\d+)*))");
    std::match_results<std::string_view::const_iterator> m;
    if (!std::regex_search(text.begin(), text.end(), m, re)) return "";
    return "R" + m[1].str() + "." + m[2].str();
}

std::optional<TegraInfo> read_tegra(const SystemRoot& sys) {
    TegraInfo t;
    bool seen = false;
    if (const auto release = read_small_file(sys.at("/etc/nv_tegra_release"))) {
        seen = true;
        t.l4t_release = parse_l4t_release(*release);
    }
    const std::string dir = "/usr/lib/aarch64-linux-gnu/tegra";
    std::error_code ec;
    if (fs::is_directory(sys.at(dir), ec)) {
        seen = true;
        t.library_dir = dir;
    }
    // The device tree's model is NUL-terminated; on other boards it names something else (a Raspberry Pi).
    if (const auto model = read_small_file(sys.at("/proc/device-tree/model"))) {
        const std::string name(trim(model->substr(0, model->find('\0'))));
        if (name.find("Jetson") != std::string::npos || name.find("Tegra") != std::string::npos) {
            seen = true;
            t.model = name;
        }
    }
    if (!seen) return std::nullopt;
    return t;
}

std::string TegraInfo::describe() const {
    std::string s = (model.empty() ? std::string("NVIDIA Jetson") : model) + ": integrated NVIDIA GPU, not on PCI";
    if (!l4t_release.empty()) s += " (L4T " + l4t_release + ")";
    return s;
}

}  // namespace tsuku::platform
