#include "lifecycle/server_manager.h"

#include <signal.h>

#include <fstream>
#include <sstream>

#include "client/llm_client.h"
#include "common/exit_codes.h"
#include "common/file_lock.h"
#include "common/serve_command.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace tsuku::lifecycle {

std::string read_log_tail(const fs::path& log, uintmax_t from, size_t max_bytes) {
    std::ifstream in(log, std::ios::binary);
    if (!in) return "";
    in.seekg(0, std::ios::end);
    const auto size = static_cast<uintmax_t>(in.tellg());
    if (from > size) from = 0;
    if (size - from > max_bytes) from = size - max_bytes;
    in.seekg(static_cast<std::streamoff>(from));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::optional<pid_t> ServerManager::running_pid() const {
    const auto lock = home_.server_lock_path();
    if (!is_locked(lock)) return std::nullopt;
    std::ifstream in(lock);
    long pid = 0;
    if (!(in >> pid) || pid <= 1) return std::nullopt;
    return static_cast<pid_t>(pid);
}

bool ServerManager::is_serving() const {
    return is_locked(home_.server_lock_path()) && client::socket_accepts_connections(home_.socket_path());
}

namespace {
// The state letter of /proc/<pid>/stat ('T': stopped), or '?' when it cannot be read.
char process_state(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(in, stat);
    const auto paren = stat.rfind(')');  // the command name may itself hold spaces and parentheses
    return paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2] : '?';
}
}  // namespace

ServerManager::ServingStatus ServerManager::serving_status(std::chrono::milliseconds timeout) const {
    const pid_t pid = running_pid().value_or(-1);
    try {
        client::LlmClient client(home_.socket_path());
        const auto s = client.status(timeout);
        return {pid, s.backend(), s.ready()};
    } catch (const UserError&) {
        const std::string who = "the server (pid " + std::to_string(pid) + ")";
        if (pid > 0 && (process_state(pid) == 'T' || process_state(pid) == 't')) {
            throw UserError(who + " is stopped (SIGSTOP or Ctrl-Z) and cannot answer",
                            "resume it with kill -CONT " + std::to_string(pid) + ", or stop it: tsuku llm stop");
        }
        throw UserError(
            who + " accepts connections but did not answer within " + std::to_string(timeout.count()) + " ms",
            "stop it: tsuku llm stop (the next command starts a new one)");
    }
}

void ServerManager::wait_out_unready_server(std::chrono::milliseconds timeout) const {
    if (!is_locked(home_.server_lock_path())) return;
    if (auto pid = running_pid()) {
        if (!wait_for_exit(*pid, timeout)) {
            throw UserError("a server (pid " + std::to_string(*pid) + ") holds " + home_.socket_path().string() +
                                " but does not answer",
                            "stop it: tsuku llm stop (or kill " + std::to_string(*pid) + ")");
        }
    }
}

namespace {
// One previous log is kept; a log over this size is rotated when the next server starts.
constexpr uintmax_t kMaxLogBytes = 8u << 20;

StartResult failed(StartFailure f) { return {std::nullopt, std::move(f)}; }

void rotate_log(const fs::path& log) {
    std::error_code ec;
    if (fs::file_size(log, ec) > kMaxLogBytes && !ec) fs::rename(log, log.string() + ".1", ec);
}
}  // namespace

StartResult ServerManager::start_locked(const ServerStartSpec& spec) {
    LaunchSpec launch;
    launch.executable = spec.executable;
    launch.log_file = home_.server_log_path();
    launch.env = spec.env;
    launch.args = serve_arguments({home_.socket_path(), spec.model, kNotifyFd, spec.idle_timeout, 0, spec.extra_args});
    rotate_log(launch.log_file);
    std::error_code ec;
    const uintmax_t log_start = fs::exists(launch.log_file) ? fs::file_size(launch.log_file, ec) : 0;

    ServerProcess process = ServerProcess::spawn(launch);
    StartOutcome outcome = process.wait_for_start(spec.start_timeout);
    const std::string what =
        "the " + std::string(backend_name(spec.backend)) + " server (" + spec.executable.string() + ")";
    switch (outcome.kind) {
        case StartOutcome::Kind::ready: {
            StartResult r{RunningServer{home_.socket_path(), process.pid(), true, outcome}, std::nullopt};
            process.release();
            return r;
        }
        case StartOutcome::Kind::timed_out:
            process.kill_and_reap();
            return failed(StartFailure(what + " did not become ready within " +
                                           std::to_string(spec.start_timeout.count()) + " ms and was killed",
                                       "see " + launch.log_file.string(), outcome));
        case StartOutcome::Kind::killed_by_signal:
            return failed(StartFailure(
                what + " crashed at start-up (signal " + std::to_string(outcome.signal) + ")",
                "see " + launch.log_file.string() + "\n" + read_log_tail(launch.log_file, log_start), outcome));
        case StartOutcome::Kind::exited: break;
    }
    const std::string tail = read_log_tail(launch.log_file, log_start);
    const std::string name(exit_code_name(outcome.exit_code));
    if (outcome.exit_code == to_int(ExitCode::backend_unavailable) && outcome.failed) {
        return failed(
            StartFailure(what + " cannot run here: " + outcome.failed->reason + " — " + outcome.failed->detail,
                         "tsuku config set llm.backend cpu", outcome));
    }
    return failed(StartFailure(what + " exited with code " + std::to_string(outcome.exit_code) +
                                   (name.empty() ? "" : " (" + name + ")") + ":\n" + tail,
                               "see " + launch.log_file.string(), outcome));
}

StopResult ServerManager::stop(std::chrono::milliseconds graceful_timeout, std::chrono::milliseconds term_timeout) {
    StopResult r;
    const auto pid = running_pid();
    if (!pid) return r;
    r.was_running = true;
    if (client::socket_accepts_connections(home_.socket_path())) {
        client::LlmClient client(home_.socket_path());
        if (client.shutdown(true, 2s) && wait_for_exit(*pid, graceful_timeout)) {
            r.how = "shutdown";
            return r;
        }
    }
    ::kill(*pid, SIGTERM);
    ::kill(*pid, SIGCONT);  // a stopped server handles SIGTERM only once it runs again
    if (wait_for_exit(*pid, term_timeout)) {
        r.how = "SIGTERM";
        return r;
    }
    ::kill(*pid, SIGKILL);
    wait_for_exit(*pid, 5s);
    r.how = "SIGKILL";
    return r;
}

}  // namespace tsuku::lifecycle
