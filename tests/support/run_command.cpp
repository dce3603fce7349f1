#include "support/run_command.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>

#include "support/temp_dir.h"

namespace tsuku::test {

CommandResult run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                          const std::string& stdin_data) {
    TempDir io;
    write_file(io / "in", stdin_data);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        for (const auto& [k, v] : env) {
            if (v.empty()) {
                ::unsetenv(k.c_str());
            } else {
                ::setenv(k.c_str(), v.c_str(), 1);
            }
        }
        if (!std::freopen((io / "in").c_str(), "r", stdin) || !std::freopen((io / "out").c_str(), "w", stdout) ||
            !std::freopen((io / "err").c_str(), "w", stderr)) {
            ::_exit(127);
        }
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
    }
    CommandResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_file(io / "out");
    r.err = read_file(io / "err");
    return r;
}

}  // namespace tsuku::test
