// One installer at a time per $TSUKU_HOME: a second `tsuku llm install` (or a launch that installs) waits for the
// first instead of racing it, and says that it waits.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>

#include "common/file_lock.h"
#include "common/home.h"

namespace tsuku::install {

class InstallLock {
public:
    // Takes the lock, waiting for its holder. Before waiting, `on_wait` is called once with the holder's pid (when
    // known), so the caller can say "waiting for another tsuku (pid N) to finish installing".
    static InstallLock acquire(const Home& home, const std::function<void(std::optional<pid_t> holder)>& on_wait = {});
    // Takes the lock if it is free.
    static std::optional<InstallLock> try_acquire(const Home& home);

    const std::filesystem::path& path() const noexcept { return lock_.path(); }

private:
    explicit InstallLock(FileLock lock);
    FileLock lock_;
};

}  // namespace tsuku::install
