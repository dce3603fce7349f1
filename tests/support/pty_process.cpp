#include "support/pty_process.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <stdexcept>

#include "support/temp_dir.h"

namespace tsuku::test {
namespace {

void set_env(const std::map<std::string, std::string>& env) {
    for (const auto& [k, v] : env) {
        if (v.empty()) {
            ::unsetenv(k.c_str());
        } else {
            ::setenv(k.c_str(), v.c_str(), 1);
        }
    }
}

[[noreturn]] void exec(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
}

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

}  // namespace

PtyProcess::PtyProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
    winsize ws{};
    ws.ws_row = 50;
    ws.ws_col = 200;
    pid_ = ::forkpty(&master_, nullptr, nullptr, &ws);
    if (pid_ < 0) throw std::runtime_error("forkpty failed");
    if (pid_ == 0) {
        set_env(env);
        exec(argv);
    }
}

PtyProcess::~PtyProcess() {
    if (exit_code_ < 0 && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    if (master_ >= 0) ::close(master_);
}

bool PtyProcess::read_some(int timeout_ms) {
    pollfd p{master_, POLLIN, 0};
    const int n = ::poll(&p, 1, timeout_ms);
    if (n <= 0) return n == 0 || errno == EINTR;  // nothing yet: not the end
    char buf[4096];
    const ssize_t got = ::read(master_, buf, sizeof buf);
    if (got <= 0) return false;  // EIO: every program holding the terminal has closed it
    output_.append(buf, static_cast<size_t>(got));
    ++reads_;
    return true;
}

bool PtyProcess::read_until(const std::function<bool(const std::string&)>& done, std::chrono::seconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!done(output_)) {
        if (std::chrono::steady_clock::now() > end) return false;
        if (!read_some(100)) return done(output_);
    }
    return true;
}

void PtyProcess::type(std::string_view keys) {
    while (!keys.empty()) {
        const ssize_t n = ::write(master_, keys.data(), keys.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error("writing to the terminal failed");
        keys.remove_prefix(static_cast<size_t>(n));
    }
}

int PtyProcess::wait() {
    if (exit_code_ >= 0) return exit_code_;
    // Reads while the program runs; a server it started may hold the terminal open after it exits, so the end is
    // the program's exit (then what is still buffered), not the end of the terminal's output.
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    int status = 0;
    for (;;) {
        const pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) break;
        if (!read_some(100) || std::chrono::steady_clock::now() > end) {
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
            break;
        }
    }
    for (pollfd p{master_, POLLIN, 0}; ::poll(&p, 1, 50) == 1 && read_some(0);) {
    }
    exit_code_ = exit_code_of(status);
    return exit_code_;
}

CommandResult run_with_piped_stdin(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                                   const std::string& stdin_data) {
    if (stdin_data.size() > 65536) throw std::invalid_argument("more stdin than a pipe holds");
    int p[2];
    if (::pipe(p) != 0) throw std::runtime_error("pipe failed");
    if (::write(p[1], stdin_data.data(), stdin_data.size()) != static_cast<ssize_t>(stdin_data.size())) {
        throw std::runtime_error("filling the pipe failed");
    }
    ::close(p[1]);
    TempDir io;
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        set_env(env);
        ::dup2(p[0], STDIN_FILENO);
        ::close(p[0]);
        if (!std::freopen((io / "out").c_str(), "w", stdout) || !std::freopen((io / "err").c_str(), "w", stderr)) {
            ::_exit(127);
        }
        exec(argv);
    }
    ::close(p[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    CommandResult r;
    r.exit_code = exit_code_of(status);
    r.out = read_file(io / "out");
    r.err = read_file(io / "err");
    return r;
}

}  // namespace tsuku::test
