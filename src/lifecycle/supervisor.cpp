#include "lifecycle/supervisor.h"

#include <nlohmann/json.hpp>

#include "common/exit_codes.h"
#include "common/file_lock.h"
#include "install/durable_file.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace tsuku::lifecycle {
namespace {

int64_t now_unix() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

fs::path history_file(const Home& home) { return home.state_dir() / "last-start.json"; }

// Classifies a start that did not reach `ready`; std::nullopt when it is not a backend problem.
std::optional<StartAttempt> backend_failure_of(const std::string& backend, const StartFailure& f) {
    const auto& o = f.outcome();
    StartAttempt a;
    a.backend = backend;
    a.elapsed = o.elapsed;
    switch (o.kind) {
        case StartOutcome::Kind::exited:
            if (o.exit_code != to_int(ExitCode::backend_unavailable)) return std::nullopt;
            a.result = AttemptResult::backend_unavailable;
            a.reason = o.failed ? o.failed->reason : "init_failed";
            a.detail = o.failed ? o.failed->detail : "exit 78 without a failed event";
            return a;
        case StartOutcome::Kind::killed_by_signal:
            a.result = AttemptResult::crashed;
            a.reason = "crashed";
            a.detail = "killed by signal " + std::to_string(o.signal) + " during start-up";
            return a;
        case StartOutcome::Kind::timed_out:
            a.result = AttemptResult::start_timeout;
            a.reason = "start_timeout";
            a.detail = "not ready within " + std::to_string(o.elapsed.count()) + " ms; killed";
            return a;
        case StartOutcome::Kind::ready: break;
    }
    return std::nullopt;
}

std::string summary(const std::vector<StartAttempt>& attempts) {
    std::string s;
    for (const auto& a : attempts) s += "\n  " + a.backend + ": " + a.reason + " — " + a.detail;
    return s;
}

}  // namespace

const char* attempt_result_name(AttemptResult r) {
    switch (r) {
        case AttemptResult::ready: return "ready";
        case AttemptResult::backend_unavailable: return "backend_unavailable";
        case AttemptResult::crashed: return "crashed";
        case AttemptResult::start_timeout: return "start_timeout";
        case AttemptResult::skipped_known_failure: return "skipped_known_failure";
    }
    return "?";
}

SupervisedStart Supervisor::ensure_running(const ChainStart& start, const PrepareLaunch& prepare,
                                           const OnAttempt& on_attempt) {
    const Home& home = manager_.home();
    home.ensure_runtime_dirs();
    if (manager_.is_serving()) return {{home.socket_path(), manager_.running_pid().value_or(-1), false, {}}, {}};
    // Concurrent clients queue here; the first starts the server, the others find it serving.
    FileLock start_lock = FileLock::acquire(home.start_lock_path());
    if (manager_.is_serving()) return {{home.socket_path(), manager_.running_pid().value_or(-1), false, {}}, {}};
    manager_.wait_out_unready_server(std::chrono::minutes(2));
    return start_chain(start, prepare, on_attempt);
}

SupervisedStart Supervisor::start_chain(const ChainStart& start, const PrepareLaunch& prepare,
                                        const OnAttempt& on_attempt) {
    SupervisedStart result;
    if (start.chain.empty()) throw UserError("no backend to start", "tsuku llm detect shows why");
    for (size_t i = 0; i < start.chain.size(); ++i) {
        const std::string& backend = start.chain[i];
        const bool last = i + 1 == start.chain.size();
        // A variant that already failed on this hardware is not launched again (the last resort always is).
        if (!last && start.fallback) {
            if (auto known = memory_.find(backend, start.fingerprint)) {
                StartAttempt a{backend, AttemptResult::skipped_known_failure, known->reason, known->detail, {}};
                result.attempts.push_back(a);
                if (on_attempt) on_attempt(a);
                continue;
            }
        }
        const ServerStartSpec spec = prepare(backend);
        try {
            result.server = manager_.start_locked(spec);
            StartAttempt a{backend, AttemptResult::ready, "", "", result.server.outcome.elapsed};
            result.attempts.push_back(a);
            if (on_attempt) on_attempt(a);
            save_start_history(manager_.home(), result.attempts);
            return result;
        } catch (const StartFailure& f) {
            auto failed = backend_failure_of(backend, f);
            if (!failed) throw;  // not a backend problem: a bad model, a busy socket, …
            memory_.record({backend, failed->reason, failed->detail, start.fingerprint, now_unix()});
            result.attempts.push_back(*failed);
            save_start_history(manager_.home(), result.attempts);
            if (on_attempt) on_attempt(*failed);
            if (!start.fallback) {
                throw UserError("the " + backend + " backend cannot run here: " + failed->reason + " — " +
                                    failed->detail + "\n(automatic fallback is off: llm.fallback = off)",
                                "tsuku config set llm.backend cpu, or let tsuku fall back: "
                                "tsuku config set llm.fallback auto");
            }
        }
    }
    throw UserError("no backend could start:" + summary(result.attempts),
                    "see tsuku llm detect, and the server log " + manager_.home().server_log_path().string());
}

void save_start_history(const Home& home, const std::vector<StartAttempt>& attempts) {
    json j = {{"time", now_unix()}, {"attempts", json::array()}};
    for (const auto& a : attempts) {
        j["attempts"].push_back({{"backend", a.backend},
                                 {"result", attempt_result_name(a.result)},
                                 {"reason", a.reason},
                                 {"detail", a.detail},
                                 {"elapsed_ms", a.elapsed.count()}});
    }
    ensure_private_dir(home.state_dir());
    install::write_file_atomically(history_file(home), j.dump(2, ' ', false, json::error_handler_t::replace) + "\n",
                                   0600);
}

std::vector<StartAttempt> load_start_history(const Home& home) {
    std::vector<StartAttempt> out;
    const json j = install::read_json_file(history_file(home));
    if (!j.is_object() || !j.contains("attempts") || !j["attempts"].is_array()) return out;
    for (const auto& e : j["attempts"]) {
        if (!e.is_object()) continue;
        StartAttempt a;
        a.backend = e.value("backend", "");
        const std::string r = e.value("result", "");
        for (auto k : {AttemptResult::ready, AttemptResult::backend_unavailable, AttemptResult::crashed,
                       AttemptResult::start_timeout, AttemptResult::skipped_known_failure}) {
            if (r == attempt_result_name(k)) a.result = k;
        }
        a.reason = e.value("reason", "");
        a.detail = e.value("detail", "");
        a.elapsed = std::chrono::milliseconds(e.value("elapsed_ms", int64_t{0}));
        out.push_back(a);
    }
    return out;
}

}  // namespace tsuku::lifecycle
