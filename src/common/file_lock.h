// An advisory lock (flock) on a file, exclusive or shared, held for the lifetime of the object. The kernel drops it
// when the process dies, so a killed holder never leaves a stale lock behind.
#pragma once

#include <filesystem>
#include <optional>

#include "common/unique_fd.h"

namespace tsuku {

class FileLock {
public:
    enum class Mode { exclusive, shared };
    // Takes the lock if it is free; std::nullopt when another process holds it. Creates the file 0600.
    static std::optional<FileLock> try_acquire(const std::filesystem::path& path, Mode mode = Mode::exclusive);
    // Waits for the lock.
    static FileLock acquire(const std::filesystem::path& path, Mode mode = Mode::exclusive);

    const std::filesystem::path& path() const noexcept { return path_; }
    int fd() const noexcept { return fd_.get(); }

private:
    FileLock(std::filesystem::path path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
    std::filesystem::path path_;
    UniqueFd fd_;
};

// True when some process holds the lock at `path` right now (the file is not modified).
bool is_locked(const std::filesystem::path& path);

}  // namespace tsuku
