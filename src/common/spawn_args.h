// The argv and envp arrays posix_spawn wants, built from strings and kept alive together (one owner, no leaks).
// Shared by the server launcher (lifecycle) and the detection probes (platform).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tsuku {

class SpawnArgs {
public:
    // `extra_env` is added to (or replaces in) the current process environment; "" as a value still sets it.
    SpawnArgs(std::vector<std::string> argv, const std::vector<std::pair<std::string, std::string>>& extra_env);
    SpawnArgs(const SpawnArgs&) = delete;
    SpawnArgs& operator=(const SpawnArgs&) = delete;

    char* const* argv() { return argv_ptrs_.data(); }
    char* const* envp() { return envp_ptrs_.data(); }

private:
    std::vector<std::string> argv_, env_;
    std::vector<char*> argv_ptrs_, envp_ptrs_;
};

}  // namespace tsuku
