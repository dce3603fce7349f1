#include "support/server_harness.h"

#include <signal.h>
#include <sys/wait.h>

namespace fs = std::filesystem;

namespace tsuku::test {

ServerHarness::ServerHarness(fs::path executable) : executable_(std::move(executable)) {}

ServerHarness::~ServerHarness() {
    if (process_ && process_->pid() > 0) {
        ::kill(process_->pid(), SIGTERM);
        wait_exit(std::chrono::seconds(20));
    }
}

ServerRun ServerHarness::start(const fs::path& model, const std::vector<std::string>& extra,
                               const std::vector<std::pair<std::string, std::string>>& env) {
    lifecycle::LaunchSpec spec;
    spec.executable = executable_;
    spec.log_file = log_file();
    spec.env = env;
    spec.args = {"serve", "--socket", socket().string(), "--model", model.string(), "--notify-fd", "3"};
    spec.args.insert(spec.args.end(), extra.begin(), extra.end());
    process_.emplace(lifecycle::ServerProcess::spawn(spec));
    ServerRun run;
    run.outcome = process_->wait_for_start(std::chrono::seconds(120));
    run.log = read_file(log_file());
    if (run.outcome.kind != lifecycle::StartOutcome::Kind::ready) process_.reset();
    return run;
}

int ServerHarness::wait_exit(std::chrono::milliseconds timeout) {
    if (!process_ || process_->pid() <= 0) return -1;
    const pid_t pid = process_->pid();
    if (!lifecycle::wait_for_exit(pid, timeout)) return -1;
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, 0);
    process_->release();
    process_.reset();
    if (r != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace tsuku::test
