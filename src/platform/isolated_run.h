// Runs programs that may crash or hang (anything that loads a GPU driver) in child processes with a hard
// deadline. Each child gets its own process group, which is SIGKILLed at the deadline; all children run at once,
// so the wait is the slowest one's, not the sum. Nothing outlives the call: every child is reaped.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace tsuku::platform {

struct IsolatedCommand {
    std::vector<std::string> argv;                         // argv[0]: a path, or a name looked up in PATH
    std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing in) our environment
};

struct IsolatedResult {
    enum class Kind { exited, signaled, timed_out, spawn_failed };
    Kind kind = Kind::spawn_failed;
    int exit_code = 0;
    int signal = 0;
    std::string out;    // stdout, at most max_output bytes
    std::string err;    // stderr, the last max_output bytes
    std::string error;  // spawn_failed: why
    std::chrono::milliseconds elapsed{0};
};

std::vector<IsolatedResult> run_isolated(const std::vector<IsolatedCommand>& commands,
                                         std::chrono::milliseconds timeout, size_t max_output = 1 << 20);

}  // namespace tsuku::platform
