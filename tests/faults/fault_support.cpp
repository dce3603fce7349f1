#include "faults/fault_support.h"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fs = std::filesystem;

namespace tsuku::test {

std::optional<Tmpfs> Tmpfs::mount(const fs::path& at, const std::string& size, std::string& why_not) {
    if (::geteuid() != 0) {
        why_not = "mounting a tmpfs needs root (CI runs as root); the RLIMIT_FSIZE cases cover this without it";
        return std::nullopt;
    }
    const std::string options = "size=" + size + ",mode=0700";
    if (::mount("tmpfs", at.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
        why_not =
            std::string("mount -t tmpfs failed: ") + std::strerror(errno) + " (a container without CAP_SYS_ADMIN?)";
        return std::nullopt;
    }
    return Tmpfs(at);
}

Tmpfs::~Tmpfs() {
    if (!at_.empty()) ::umount2(at_.c_str(), MNT_DETACH);
}

CommandResult run_with_file_size_limit(uint64_t max_file_bytes, std::vector<std::string> argv,
                                       const std::map<std::string, std::string>& env) {
    // sh ignores SIGXFSZ (inherited through exec), prlimit sets the limit on the exec'd program only.
    std::vector<std::string> wrapped{"/bin/sh",
                                     "-c",
                                     "trap '' XFSZ; exec \"$@\"",
                                     "sh",
                                     "/usr/bin/prlimit",
                                     "--fsize=" + std::to_string(max_file_bytes),
                                     "--"};
    wrapped.insert(wrapped.end(), argv.begin(), argv.end());
    return run_command(wrapped, env);
}

std::vector<std::string> entries(const fs::path& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
    return out;
}

bool has_entry_containing(const fs::path& dir, const std::string& part) {
    for (const auto& n : entries(dir)) {
        if (n.find(part) != std::string::npos) return true;
    }
    return false;
}

}  // namespace tsuku::test
