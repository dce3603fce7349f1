// Starts a server process with a readiness pipe and waits for whichever comes first: its `ready` event, its exit
// (through a pidfd), or a deadline. Never polls a socket on a timer. The process is killed and reaped when this
// object dies before release() — RAII for the child.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/server_event.h"
#include "common/unique_fd.h"

namespace tsuku::lifecycle {

struct LaunchSpec {
    std::filesystem::path executable;
    std::vector<std::string> args;   // without argv[0]; the readiness pipe is fd 3 (pass --notify-fd 3)
    std::filesystem::path log_file;  // stdout and stderr are appended here (0600)
    std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing in) our environment
};

inline constexpr int kNotifyFd = 3;

struct StartOutcome {
    enum class Kind { ready, exited, killed_by_signal, timed_out };
    Kind kind = Kind::timed_out;
    int exit_code = 0;  // Kind::exited
    int signal = 0;     // Kind::killed_by_signal
    std::optional<ReadyEvent> ready;
    std::optional<FailedEvent> failed;  // the last `failed` event, if one came
    bool backend_ok = false;            // the server said its backend works (what failed after is not the backend's)
    std::chrono::milliseconds elapsed{0};
};

class ServerProcess {
public:
    static ServerProcess spawn(const LaunchSpec& spec);  // throws UserError when the program cannot be started

    ServerProcess(ServerProcess&& o) noexcept
        : pid_(std::exchange(o.pid_, -1)),
          pidfd_(std::move(o.pidfd_)),
          notify_(std::move(o.notify_)),
          reaped_(o.reaped_) {}
    ServerProcess& operator=(ServerProcess&&) noexcept = delete;
    ~ServerProcess();

    StartOutcome wait_for_start(std::chrono::milliseconds timeout);
    pid_t pid() const noexcept { return pid_; }
    // The server runs on by itself from now on (it is in its own session); we no longer own it.
    void release() noexcept { pid_ = -1; }
    // SIGKILL and reap (used after a missed deadline).
    void kill_and_reap() noexcept;

private:
    ServerProcess(pid_t pid, UniqueFd pidfd, UniqueFd notify)
        : pid_(pid), pidfd_(std::move(pidfd)), notify_(std::move(notify)) {}
    pid_t pid_ = -1;
    UniqueFd pidfd_;
    UniqueFd notify_;
    bool reaped_ = false;
};

// Waits up to `timeout` for process `pid` (not necessarily our child) to exit. True when it is gone. Does not reap:
// a child's exit status stays for its parent's waitpid.
bool wait_for_exit(pid_t pid, std::chrono::milliseconds timeout);

// Opens a pidfd for pid; invalid UniqueFd when the process does not exist.
UniqueFd open_pidfd(pid_t pid);

}  // namespace tsuku::lifecycle
