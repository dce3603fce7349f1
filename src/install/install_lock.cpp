#include "install/install_lock.h"

#include <unistd.h>

#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace tsuku::install {
namespace {

std::optional<pid_t> read_holder(const fs::path& path) {
    std::ifstream in(path);
    long pid = 0;
    if (in >> pid && pid > 0) return static_cast<pid_t>(pid);
    return std::nullopt;
}

}  // namespace

InstallLock::InstallLock(FileLock lock) : lock_(std::move(lock)) {
    // Record the holder for the message of the next waiter; the lock itself is the flock, not this text.
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(lock_.fd(), 0) == 0) {
        [[maybe_unused]] const ssize_t n = ::pwrite(lock_.fd(), pid.data(), pid.size(), 0);
    }
}

std::optional<InstallLock> InstallLock::try_acquire(const Home& home) {
    ensure_private_dir(home.state_dir());
    auto lock = FileLock::try_acquire(home.install_lock_path());
    if (!lock) return std::nullopt;
    return InstallLock(std::move(*lock));
}

InstallLock InstallLock::acquire(const Home& home, const std::function<void(std::optional<pid_t>)>& on_wait) {
    if (auto lock = try_acquire(home)) return std::move(*lock);
    if (on_wait) on_wait(read_holder(home.install_lock_path()));
    return InstallLock(FileLock::acquire(home.install_lock_path()));
}

}  // namespace tsuku::install
