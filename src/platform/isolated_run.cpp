#include "platform/isolated_run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "common/error.h"
#include "common/spawn_args.h"
#include "common/unique_fd.h"

using Clock = std::chrono::steady_clock;

namespace tsuku::platform {
namespace {

// One running child; killed (its whole process group) and reaped if it is still there when this dies.
struct Child {
    pid_t pid = -1;
    UniqueFd pidfd, out, err;
    bool reaped = false;
    IsolatedResult result;
    Clock::time_point start;

    Child() = default;
    Child(const Child&) = delete;  // owns a process: never copied or moved (the vector is sized once)
    Child& operator=(const Child&) = delete;
    ~Child() {
        if (pid > 0 && !reaped) {
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
            }
        }
    }
};

bool make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return false;
    read_end.reset(p[0]);
    write_end.reset(p[1]);
    return ::fcntl(read_end.get(), F_SETFL, O_NONBLOCK) == 0;
}

void spawn(const IsolatedCommand& cmd, Child& c) {
    c.start = Clock::now();
    UniqueFd out_w, err_w;
    if (cmd.argv.empty() || !make_pipe(c.out, out_w) || !make_pipe(c.err, err_w)) {
        c.result.error = cmd.argv.empty() ? "empty command" : "cannot create a pipe: " + errno_text(errno);
        return;
    }
    std::optional<SpawnArgs> args;
    try {
        args.emplace(cmd.argv, cmd.env);
    } catch (const UserError& e) {  // a bad TSUKU_EXEC_EMULATOR: this command fails, the others still run
        c.result.error = std::string(e.what()) + ": " + e.fix();
        return;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_w.get(), 1);
    posix_spawn_file_actions_adddup2(&fa, err_w.get(), 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigfillset(&defaults);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);  // its own group: a deadline kill takes whatever a driver forked too
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    pid_t pid = -1;
    const bool has_slash = cmd.argv[0].find('/') != std::string::npos;
    const int rc = has_slash ? ::posix_spawn(&pid, args->argv()[0], &fa, &attr, args->argv(), args->envp())
                             : ::posix_spawnp(&pid, args->argv()[0], &fa, &attr, args->argv(), args->envp());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        c.result.error = "cannot start " + cmd.argv[0] + ": " + errno_text(rc);
        return;
    }
    c.pid = pid;
    c.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!c.pidfd) {
        c.result.error = "cannot watch the child (pidfd_open: " + errno_text(errno) + "; Linux 5.3 or newer needed)";
        return;  // ~Child kills and reaps it
    }
}

// Reads what is available without blocking; at EOF (or an error) the fd is closed.
void drain(UniqueFd& fd, std::string& into, size_t max, bool keep_tail) {
    char buf[16384];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n > 0) {
            into.append(buf, static_cast<size_t>(n));
            if (into.size() > max) {
                if (keep_tail) {
                    into.erase(0, into.size() - max);
                } else {
                    into.resize(max);
                }
            }
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        fd.reset();  // EOF or a real error
        return;
    }
}

void finish(Child& c, int status) {
    c.reaped = true;
    if (WIFSIGNALED(status)) {
        c.result.kind = IsolatedResult::Kind::signaled;
        c.result.signal = WTERMSIG(status);
    } else {
        c.result.kind = IsolatedResult::Kind::exited;
        c.result.exit_code = WEXITSTATUS(status);
    }
}

}  // namespace

std::vector<IsolatedResult> run_isolated(const std::vector<IsolatedCommand>& commands,
                                         std::chrono::milliseconds timeout, size_t max_output) {
    std::vector<Child> children(commands.size());
    const auto deadline = Clock::now() + timeout;
    for (size_t i = 0; i < commands.size(); ++i) spawn(commands[i], children[i]);

    for (;;) {
        std::vector<pollfd> fds;
        std::vector<std::pair<size_t, int>> owner;  // (child, 0 pidfd / 1 out / 2 err)
        for (size_t i = 0; i < children.size(); ++i) {
            Child& c = children[i];
            if (c.pid <= 0 || c.reaped || !c.pidfd) continue;
            fds.push_back({c.pidfd.get(), POLLIN, 0});
            owner.emplace_back(i, 0);
            if (c.out) fds.push_back({c.out.get(), POLLIN, 0}), owner.emplace_back(i, 1);
            if (c.err) fds.push_back({c.err.get(), POLLIN, 0}), owner.emplace_back(i, 2);
        }
        if (fds.empty()) break;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) break;
        const int rc = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left, 1 << 30)));
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0) break;
        for (size_t k = 0; k < fds.size(); ++k) {
            if (!fds[k].revents) continue;
            Child& c = children[owner[k].first];
            if (owner[k].second == 1 && c.out) drain(c.out, c.result.out, max_output, false);
            if (owner[k].second == 2 && c.err) drain(c.err, c.result.err, max_output, true);
        }
        for (size_t k = 0; k < fds.size(); ++k) {
            Child& c = children[owner[k].first];
            if (owner[k].second != 0 || !(fds[k].revents & POLLIN) || c.reaped) continue;
            // Exited (a zombie until reaped, so its group id cannot be reused yet): kill whatever it left behind
            // in its group, take what is in the pipes without waiting for EOF (a helper may hold them), reap.
            ::kill(-c.pid, SIGKILL);
            if (c.out) drain(c.out, c.result.out, max_output, false);
            if (c.err) drain(c.err, c.result.err, max_output, true);
            int status = 0;
            while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
            }
            finish(c, status);
            c.result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - c.start);
        }
    }

    std::vector<IsolatedResult> results;
    for (auto& c : children) {
        if (c.pid > 0 && !c.reaped) {
            // Past the deadline: kill the group, then collect whatever it had written.
            ::kill(-c.pid, SIGKILL);
            ::kill(c.pid, SIGKILL);
            int status = 0;
            while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
            }
            c.reaped = true;
            if (c.out) drain(c.out, c.result.out, max_output, false);
            if (c.err) drain(c.err, c.result.err, max_output, true);
            if (c.result.error.empty()) {
                c.result.kind = IsolatedResult::Kind::timed_out;
            } else {
                c.result.kind = IsolatedResult::Kind::spawn_failed;
            }
            c.result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - c.start);
        } else if (c.pid <= 0) {
            c.result.kind = IsolatedResult::Kind::spawn_failed;
        }
        results.push_back(std::move(c.result));
    }
    return results;
}

}  // namespace tsuku::platform
