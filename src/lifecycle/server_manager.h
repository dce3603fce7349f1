// One server per $TSUKU_HOME: finds the running one or starts exactly one (concurrent clients serialise on
// run/start.lock, which the server itself never takes), and stops it (Shutdown RPC, then SIGTERM, then SIGKILL).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/backend.h"
#include "common/error.h"
#include "common/home.h"
#include "lifecycle/server_process.h"

namespace tsuku::lifecycle {

struct ServerStartSpec {
    std::filesystem::path executable;  // a verified tsuku-llm
    std::filesystem::path model;
    Backend backend = Backend::cpu;
    std::chrono::milliseconds idle_timeout = std::chrono::minutes(5);
    std::chrono::milliseconds start_timeout = std::chrono::minutes(2);
    std::vector<std::string> extra_args;
    std::vector<std::pair<std::string, std::string>> env;
    std::vector<std::string> runtime;  // where its components come from (install::InstalledVariant::runtime)
};

struct RunningServer {
    std::filesystem::path socket;
    pid_t pid = -1;
    bool started_now = false;
    StartOutcome outcome;  // when started_now
};

// A start that did not reach `ready`: the error for the user, with the outcome the supervisor classifies (exit 78, a
// crash, a timeout fall back; anything else is raised as it is).
class StartFailure : public UserError {
public:
    StartFailure(std::string problem, std::string fix, StartOutcome outcome)
        : UserError(std::move(problem), std::move(fix)), outcome_(std::move(outcome)) {}
    const StartOutcome& outcome() const noexcept { return outcome_; }

private:
    StartOutcome outcome_;
};

// What a start came to: a running server, or the failure (a value: the caller decides whether to fall back).
struct StartResult {
    std::optional<RunningServer> server;
    std::optional<StartFailure> failure;  // exactly one of the two is set
};

struct StopResult {
    bool was_running = false;
    std::string how;  // "shutdown" | "SIGTERM" | "SIGKILL"
};

class ServerManager {
public:
    explicit ServerManager(Home home) : home_(std::move(home)) {}

    // The pid of the server that holds the socket lock, if any.
    std::optional<pid_t> running_pid() const;
    // A server holds the lock and accepts connections.
    bool is_serving() const;

    struct ServingStatus {
        pid_t pid = -1;
        std::string backend;  // as the server reports it (a server of another version may name anything)
        bool ready = false;
    };
    // Asks the serving server how it is (a short deadline). Throws UserError when it does not answer: stopped
    // (SIGSTOP, Ctrl-Z) or hung, with the fix (resume it, or tsuku llm stop).
    ServingStatus serving_status(std::chrono::milliseconds timeout = std::chrono::seconds(3)) const;

    // Starts a server with `spec`; the caller holds the start lock and knows none is serving.
    StartResult start_locked(const ServerStartSpec& spec);

    StopResult stop(std::chrono::milliseconds graceful_timeout = std::chrono::seconds(10),
                    std::chrono::milliseconds term_timeout = std::chrono::seconds(5));

    const Home& home() const noexcept { return home_; }

    // A server that holds the lock but does not accept connections is starting by itself or shutting down:
    // wait for it to exit (bounded) before starting another.
    void wait_out_unready_server(std::chrono::milliseconds timeout) const;

private:
    Home home_;
};

// The tail of a log file from byte `from` on, at most `max_bytes` (for error messages).
std::string read_log_tail(const std::filesystem::path& log, uintmax_t from, size_t max_bytes = 2000);

}  // namespace tsuku::lifecycle
