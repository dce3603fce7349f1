#include "platform/cgroup.h"

#include "common/text.h"

#include <algorithm>
#include <charconv>
#include <sstream>

namespace fs = std::filesystem;

namespace tsuku::platform {
namespace {

struct Mount {
    int version = 0;
    std::string root;        // the part of the hierarchy mounted there ("/" unless a container sees a subtree)
    std::string mountpoint;  // system path
};

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i <= s.size()) {
        size_t j = s.find(sep, i);
        if (j == std::string_view::npos) j = s.size();
        out.emplace_back(s.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            int v = 0;
            const auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 4, v, 8);
            if (ec == std::errc() && p == s.data() + i + 4) {
                out += static_cast<char>(v);
                i += 3;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

bool has_controller(const std::string& list, std::string_view controller) {
    for (const auto& c : split(list, ',')) {
        if (c == controller) return true;
    }
    return false;
}

std::optional<Mount> find_mount(const SystemRoot& sys, std::string_view controller) {
    const auto text = read_small_file(sys.at("/proc/self/mountinfo"), 1 << 20);
    if (!text) return std::nullopt;
    std::optional<Mount> v2;
    std::istringstream in(*text);
    for (std::string line; std::getline(in, line);) {
        const auto dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        const auto before = split(line.substr(0, dash), ' ');
        const auto after = split(line.substr(dash + 3), ' ');
        if (before.size() < 5 || after.size() < 3) continue;
        Mount m{0, unescape(before[3]), unescape(before[4])};
        if (after[0] == "cgroup2" && !v2) {
            m.version = 2;
            v2 = m;
        } else if (after[0] == "cgroup" && has_controller(after[2], controller)) {
            m.version = 1;
            return m;  // a v1 hierarchy with the controller owns it, even beside a v2 mount (hybrid)
        }
    }
    return v2;
}

// The usual places, when mountinfo cannot be read.
std::optional<Mount> guess_mount(const SystemRoot& sys, std::string_view controller) {
    std::error_code ec;
    if (fs::exists(sys.at("/sys/fs/cgroup/cgroup.controllers"), ec)) return Mount{2, "/", "/sys/fs/cgroup"};
    std::vector<std::string> dirs{std::string(controller)};
    if (controller == "cpu") dirs.emplace_back("cpu,cpuacct");
    for (const auto& dir : dirs) {
        const std::string p = "/sys/fs/cgroup/" + dir;
        if (fs::is_directory(sys.at(p), ec)) return Mount{1, "/", p};
    }
    return std::nullopt;
}

// The process's path in the hierarchy of `version` that has `controller` (v2: the "0::" line).
std::optional<std::string> own_path(const SystemRoot& sys, int version, std::string_view controller) {
    const auto text = read_small_file(sys.at("/proc/self/cgroup"));
    if (!text) return std::nullopt;
    std::istringstream in(*text);
    for (std::string line; std::getline(in, line);) {
        const auto c1 = line.find(':');
        const auto c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
        if (c2 == std::string::npos) continue;
        const std::string id = line.substr(0, c1), controllers = line.substr(c1 + 1, c2 - c1 - 1);
        const std::string path = line.substr(c2 + 1);
        if (version == 2 && id == "0" && controllers.empty()) return path;
        if (version == 1 && has_controller(controllers, controller)) return path;
    }
    return std::nullopt;
}

}  // namespace

CgroupFolders cgroup_folders(const SystemRoot& sys, std::string_view controller) {
    CgroupFolders out;
    auto mount = find_mount(sys, controller);
    if (!mount) mount = guess_mount(sys, controller);
    if (!mount) return out;
    out.version = mount->version;
    const fs::path top(mount->mountpoint);
    fs::path leaf = top;
    // The group relative to what is mounted: a container that sees only its own subtree mounts it as the root.
    if (const auto path = own_path(sys, mount->version, controller)) {
        const fs::path rel = fs::path(*path).lexically_relative(mount->root);
        if (!rel.empty() && rel != "." && *rel.begin() != "..") leaf = (top / rel).lexically_normal();
    }
    std::error_code ec;
    for (fs::path p = leaf;; p = p.parent_path()) {
        std::string s = p.string();
        if (s.size() > 1 && s.back() == '/') s.pop_back();
        if (fs::is_directory(sys.at(s), ec)) out.folders.push_back(s);
        if (p == top || !p.has_relative_path() || p.parent_path() == p) break;
    }
    return out;
}

std::optional<std::vector<int>> parse_cpu_list(std::string_view text) {
    std::vector<int> out;
    const std::string t(trim(text));
    if (t.empty()) return out;
    for (const auto& part : split(t, ',')) {
        const auto dash = part.find('-');
        int a = 0, b = 0;
        const std::string first = part.substr(0, dash);
        auto [p1, e1] = std::from_chars(first.data(), first.data() + first.size(), a);
        if (e1 != std::errc() || p1 != first.data() + first.size()) return std::nullopt;
        b = a;
        if (dash != std::string::npos) {
            const std::string second = part.substr(dash + 1);
            auto [p2, e2] = std::from_chars(second.data(), second.data() + second.size(), b);
            if (e2 != std::errc() || p2 != second.data() + second.size() || b < a) return std::nullopt;
        }
        if (b - a > 65536) return std::nullopt;
        for (int c = a; c <= b; ++c) out.push_back(c);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::string format_cpu_list(const std::vector<int>& cpus) {
    std::string out;
    for (size_t i = 0; i < cpus.size();) {
        size_t j = i;
        while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
        append_listed(out, ",", std::to_string(cpus[i]));
        if (j > i) out += "-" + std::to_string(cpus[j]);
        i = j + 1;
    }
    return out;
}

}  // namespace tsuku::platform
