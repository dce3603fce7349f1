// The argv and envp arrays posix_spawn wants, built from strings and kept alive together (one owner, no leaks).
// Shared by the server launcher (lifecycle) and the detection probes (platform).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tsuku {

// TSUKU_EXEC_EMULATOR, for tests and emulation only (like CMake's CMAKE_CROSSCOMPILING_EMULATOR): the program
// every child tsuku starts by path (the server, the detection probes) runs through, e.g. /usr/bin/qemu-aarch64-static
// so an arm64 tsuku under user-mode QEMU can start arm64 children where binfmt_misc is not registered (the kernel
// refuses them with ENOEXEC). Unset or empty: none. Throws UserError unless it is an absolute path to an executable
// regular file.
std::optional<std::string> exec_emulator();

class SpawnArgs {
public:
    // `extra_env` is added to (or replaces in) the current process environment; "" as a value still sets it.
    // A command given by path (argv[0] has a '/') runs through exec_emulator() when one is set: then argv()[0] is
    // the emulator, so callers spawn argv()[0]. Throws UserError for a bad TSUKU_EXEC_EMULATOR.
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
