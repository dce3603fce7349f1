#include "common/durable_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>

#include "common/disk_fault.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace fs = std::filesystem;

namespace tsuku {
namespace {

[[noreturn]] void fail(const std::string& what, const fs::path& path, int err, uint64_t bytes = 0) {
    if (is_disk_fault(err)) throw_disk_fault("cannot " + what + " " + path.string(), err, path.parent_path(), bytes);
    throw UserError("cannot " + what + " " + path.string() + ": " + errno_text(err),
                    "check the free space and permissions of " + path.parent_path().string());
}

}  // namespace

void fsync_path(const fs::path& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) fail("open", path, errno);
    if (::fsync(fd.get()) != 0) fail("flush", path, errno);
}

fs::path final_link_target(const fs::path& path) {
    fs::path p = path;
    for (int hops = 0;; ++hops) {
        std::error_code ec;
        if (!fs::is_symlink(fs::symlink_status(p, ec))) return p;
        if (hops == 40) {
            throw UserError(path.string() + " is a loop of symlinks", "point the link at a real file, or remove it");
        }
        const fs::path to = fs::read_symlink(p, ec);
        if (ec) fail("read the link", p, ec.value());
        p = to.is_absolute() ? to : p.parent_path() / to;
    }
}

void write_file_atomically(const fs::path& target, std::string_view content, mode_t mode, bool through_symlink) {
    const fs::path path = through_symlink ? final_link_target(target) : target;
    std::string tmp = (path.parent_path() / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
    UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
    if (!fd) fail("create a temporary file beside", path, errno);
    // From here on a failure removes the temporary file; the target is untouched until the rename.
    struct Cleanup {
        std::string path;
        bool armed = true;
        ~Cleanup() {
            if (armed) ::unlink(path.c_str());
        }
    } cleanup{tmp};
    if (::fchmod(fd.get(), mode) != 0) fail("set the mode of", tmp, errno);
    for (size_t done = 0; done < content.size();) {
        const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("write", tmp, errno, content.size());
        done += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0) fail("flush", tmp, errno, content.size());
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail("replace", path, errno);
    cleanup.armed = false;
    fsync_path(path.parent_path());
}

nlohmann::json read_json_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return nlohmann::json(nlohmann::json::value_t::discarded);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

}  // namespace tsuku
