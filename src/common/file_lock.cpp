#include "common/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "common/error.h"

namespace tsuku {
namespace {

UniqueFd open_lock_file(const std::filesystem::path& path) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) {
        const int err = errno;
        throw UserError("cannot open lock file " + path.string() + ": " + errno_text(err),
                        "check that " + path.parent_path().string() + " exists and belongs to you",
                        ExitCode::socket_unavailable);
    }
    return fd;
}

int flock_operation(FileLock::Mode mode) { return mode == FileLock::Mode::shared ? LOCK_SH : LOCK_EX; }

}  // namespace

std::optional<FileLock> FileLock::try_acquire(const std::filesystem::path& path, Mode mode) {
    UniqueFd fd = open_lock_file(path);
    while (::flock(fd.get(), flock_operation(mode) | LOCK_NB) != 0) {
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK) return std::nullopt;
        const int err = errno;
        throw UserError("cannot lock " + path.string() + ": " + errno_text(err), "check the file system",
                        ExitCode::socket_unavailable);
    }
    return FileLock(path, std::move(fd));
}

FileLock FileLock::acquire(const std::filesystem::path& path, Mode mode) {
    UniqueFd fd = open_lock_file(path);
    while (::flock(fd.get(), flock_operation(mode)) != 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        throw UserError("cannot lock " + path.string() + ": " + errno_text(err), "check the file system",
                        ExitCode::socket_unavailable);
    }
    return FileLock(path, std::move(fd));
}

bool is_locked(const std::filesystem::path& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return false;
    // A shared lock conflicts only with an exclusive holder; release it at once.
    if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) return false;
    return errno == EWOULDBLOCK;
}

}  // namespace tsuku
