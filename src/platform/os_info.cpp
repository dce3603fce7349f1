#include "platform/os_info.h"

#include "common/text.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace fs = std::filesystem;

namespace tsuku::platform {
namespace {

std::string unquote(std::string v) {
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
        v = v.substr(1, v.size() - 2);
    return v;
}

bool path_exists(const fs::path& p) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(p, ec));
}

}  // namespace

std::string build_platform_key() {
#if defined(__x86_64__)
    return "linux-amd64";
#elif defined(__aarch64__)
    return "linux-arm64";
#else
    return "linux-unknown";
#endif
}

OsInfo read_os_info(const SystemRoot& sys) {
    OsInfo o;
    o.platform = build_platform_key();
    auto os_release = read_small_file(sys.at("/etc/os-release"));
    if (!os_release) os_release = read_small_file(sys.at("/usr/lib/os-release"));
    if (os_release) {
        std::istringstream in(*os_release);
        for (std::string line; std::getline(in, line);) {
            const auto eq = line.find('=');
            if (eq == std::string::npos) continue;
            const std::string key = line.substr(0, eq);
            const std::string value = unquote(std::string(trim(line.substr(eq + 1))));
            if (key == "ID") o.distro_id = value;
            if (key == "VERSION_ID") o.distro_version = value;
            if (key == "PRETTY_NAME") o.distro_name = value;
        }
    }
    o.kernel = read_trimmed(sys.at("/proc/sys/kernel/osrelease")).value_or("");
    std::string lower = o.kernel;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    o.wsl = lower.find("microsoft") != std::string::npos || path_exists(sys.at("/proc/sys/fs/binfmt_misc/WSLInterop"));
    o.wsl_gpu = path_exists(sys.at("/dev/dxg"));
    o.sandbox = detect_sandbox(sys);
    o.container = o.sandbox.is_container();
    return o;
}

}  // namespace tsuku::platform
