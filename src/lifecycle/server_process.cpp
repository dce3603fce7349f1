#include "lifecycle/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "common/spawn_args.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace tsuku::lifecycle {
namespace {

int remaining_ms(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

}  // namespace

UniqueFd open_pidfd(pid_t pid) { return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); }

ServerProcess ServerProcess::spawn(const LaunchSpec& spec) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        throw UserError("cannot create a pipe: " + errno_text(errno), "check system limits");
    UniqueFd read_end(p[0]);
    // Keep the write end away from fd 3 so dup2 onto 3 always clears close-on-exec.
    UniqueFd write_end(::fcntl(p[1], F_DUPFD_CLOEXEC, 10));
    ::close(p[1]);
    if (!write_end) throw UserError("cannot duplicate a pipe: " + errno_text(errno), "check system limits");

    std::vector<std::string> argv{spec.executable.string()};
    argv.insert(argv.end(), spec.args.begin(), spec.args.end());
    SpawnArgs args(std::move(argv), spec.env);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, spec.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_adddup2(&fa, write_end.get(), kNotifyFd);

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGHUP);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    // Its own session: a Ctrl-C or a closed terminal of the client does not take the shared server down.
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, args.argv()[0], &fa, &attr, args.argv(), args.envp());  // maybe an emulator
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        throw UserError("cannot start " + spec.executable.string() + ": " + errno_text(rc),
                        "reinstall the variant (tsuku llm install)");
    }
    UniqueFd pidfd = open_pidfd(pid);
    if (!pidfd) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        throw UserError("cannot watch the server process: " + errno_text(errno), "Linux 5.3 or newer is required");
    }
    write_end.reset();  // only the child holds the write end now: EOF means it closed it or died
    return ServerProcess(pid, std::move(pidfd), std::move(read_end));
}

ServerProcess::~ServerProcess() {
    if (pid_ > 0 && !reaped_) kill_and_reap();
}

void ServerProcess::kill_and_reap() noexcept {
    if (pid_ <= 0 || reaped_) return;
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
}

StartOutcome ServerProcess::wait_for_start(std::chrono::milliseconds timeout) {
    const auto start = Clock::now();
    const auto deadline = start + timeout;
    EventReader reader;
    StartOutcome out;
    bool pipe_open = notify_.valid();
    auto drain = [&](bool block_once) {
        char buf[4096];
        for (;;) {
            const ssize_t n = ::read(notify_.get(), buf, sizeof buf);
            if (n > 0) {
                for (auto& e : reader.feed(std::string_view(buf, static_cast<size_t>(n)))) {
                    if (auto* r = std::get_if<ReadyEvent>(&e)) out.ready = *r;
                    if (auto* f = std::get_if<FailedEvent>(&e)) out.failed = *f;
                    if (std::holds_alternative<BackendOkEvent>(e)) out.backend_ok = true;
                }
                if (block_once) return;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n == 0) pipe_open = false;
            return;
        }
    };
    for (;;) {
        pollfd fds[2] = {{pidfd_.get(), POLLIN, 0}, {pipe_open ? notify_.get() : -1, POLLIN, 0}};
        const int rc = ::poll(fds, 2, remaining_ms(deadline));
        if (rc < 0 && errno == EINTR) continue;
        if (fds[1].revents & (POLLIN | POLLHUP)) {
            drain(/*block_once=*/true);
            if (out.ready) {
                out.kind = StartOutcome::Kind::ready;
                break;
            }
        }
        if (fds[0].revents & POLLIN) {
            // Exited. Collect what it said before dying, then its status.
            ::fcntl(notify_.get(), F_SETFL, O_NONBLOCK);
            while (pipe_open) {
                const bool before = pipe_open;
                drain(false);
                if (before == pipe_open) break;
            }
            int status = 0;
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
            reaped_ = true;
            if (WIFSIGNALED(status)) {
                out.kind = StartOutcome::Kind::killed_by_signal;
                out.signal = WTERMSIG(status);
            } else {
                out.kind = StartOutcome::Kind::exited;
                out.exit_code = WEXITSTATUS(status);
            }
            break;
        }
        if (rc == 0 && Clock::now() >= deadline) {
            out.kind = StartOutcome::Kind::timed_out;
            break;
        }
    }
    out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    return out;
}

bool wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
    UniqueFd fd = open_pidfd(pid);
    if (!fd) return errno == ESRCH;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        pollfd p{fd.get(), POLLIN, 0};
        const int rc = ::poll(&p, 1, remaining_ms(deadline));
        if (rc > 0) return true;
        if (rc < 0 && errno == EINTR) continue;
        return false;
    }
}

}  // namespace tsuku::lifecycle
