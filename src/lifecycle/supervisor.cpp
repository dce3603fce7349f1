#include "lifecycle/supervisor.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/durable_file.h"
#include "common/exit_codes.h"
#include "common/file_lock.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace tsuku::lifecycle {
namespace {

int64_t now_unix() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string attempt_text(const StartAttempt& a) {
    return std::string(backend_name(a.backend)) + ": " + std::string(reason_code(a.reason)) + " — " + a.detail;
}

UserError fallback_off_error(const StartAttempt& a) {
    return UserError("the " + std::string(backend_name(a.backend)) +
                         " backend cannot run here: " + std::string(reason_code(a.reason)) + " — " + a.detail +
                         "\n(automatic fallback is off: llm.fallback = off)",
                     "tsuku config set llm.backend cpu, or let tsuku fall back: tsuku config set llm.fallback auto");
}

std::string summary(const std::vector<StartAttempt>& attempts) {
    std::string s;
    for (const auto& a : attempts) s += "\n  " + attempt_text(a);
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
        case AttemptResult::not_viable: return "not_viable";
        case AttemptResult::model_failed: return "model_failed";
    }
    return "?";
}

std::optional<StartAttempt> classify_start_failure(Backend backend, const StartOutcome& o) {
    StartAttempt a;
    a.backend = backend;
    a.elapsed = o.elapsed;
    switch (o.kind) {
        case StartOutcome::Kind::exited:
            if (o.exit_code != to_int(ExitCode::backend_unavailable)) return std::nullopt;
            a.result = AttemptResult::backend_unavailable;
            a.reason = Reason::init_failed;
            a.detail = "exit 78 without a failed event";
            if (o.failed) {
                const auto reason = parse_server_reason(o.failed->reason);
                a.reason = reason.value_or(Reason::init_failed);
                // A code outside the table (a server of another version) keeps its words in the detail.
                a.detail = (reason ? "" : o.failed->reason + ": ") + o.failed->detail;
            }
            return a;
        case StartOutcome::Kind::killed_by_signal:
            a.result = AttemptResult::crashed;
            a.reason = Reason::crashed;
            a.detail = "killed by signal " + std::to_string(o.signal) + " during start-up";
            return a;
        case StartOutcome::Kind::timed_out:
            a.result = AttemptResult::start_timeout;
            a.reason = Reason::start_timeout;
            a.detail = "not ready within " + std::to_string(o.elapsed.count()) + " ms; killed";
            return a;
        case StartOutcome::Kind::ready: break;
    }
    return std::nullopt;
}

bool Supervisor::skipped_by_memory(const ChainStart& start, Backend backend, bool last) const {
    // The last resort is always tried, and so is a backend named for this one call.
    if (last || !start.fallback || backend == start.always_try) return false;
    return memory_.find(backend, start.fingerprint, start.conditions).has_value();
}

std::optional<Backend> Supervisor::first_candidate(const ChainStart& start, const ServerRecord* record) const {
    for (size_t i = 0; i < start.chain.size(); ++i) {
        const Backend b = start.chain[i];
        const bool last = i + 1 == start.chain.size();
        if (start.not_viable && start.not_viable(b)) continue;
        if (skipped_by_memory(start, b, last)) continue;
        if (record && record->conditions == start.conditions &&
            std::find(record->failed.begin(), record->failed.end(), b) != record->failed.end() && !last) {
            continue;
        }
        return b;
    }
    return std::nullopt;
}

SupervisedStart Supervisor::ensure_running(const ChainStart& start, const PrepareLaunch& prepare,
                                           const OnAttempt& on_attempt, const ReuseCheck& reuse,
                                           const OnWait& on_wait) {
    const Home& home = manager_.home();
    home.ensure_runtime_dirs();
    // Concurrent clients queue here: the first starts (or restarts) the server, the others find it serving.
    FileLock start_lock = FileLock::acquire(home.start_lock_path());
    std::string restarted_because;
    if (manager_.is_serving()) {
        const auto serving = manager_.serving_status();  // throws when the server does not answer
        const auto record = load_server_record(home, serving.pid);
        const auto mismatch = reuse ? reuse(record ? &*record : nullptr, serving.backend) : std::nullopt;
        if (!mismatch) {
            SupervisedStart r{{home.socket_path(), serving.pid, false, {}}, {}, "", nullptr};
            r.in_use = std::make_shared<FileLock>(FileLock::acquire(home.use_lock_path(), FileLock::Mode::shared));
            return r;
        }
        restarted_because = *mismatch;
        // Requests in flight (of this or other clients) finish first; new clients wait on the start lock.
        auto exclusive = FileLock::try_acquire(home.use_lock_path());
        if (!exclusive) {
            if (on_wait) on_wait("waiting for the requests in flight to finish before restarting the server");
            exclusive.emplace(FileLock::acquire(home.use_lock_path()));
        }
        manager_.stop();
    }
    manager_.wait_out_unready_server(std::chrono::minutes(2));
    SupervisedStart r = start_chain(start, prepare, on_attempt);
    r.restarted_because = restarted_because;
    r.in_use = std::make_shared<FileLock>(FileLock::acquire(home.use_lock_path(), FileLock::Mode::shared));
    return r;
}

SupervisedStart Supervisor::start_chain(const ChainStart& start, const PrepareLaunch& prepare,
                                        const OnAttempt& on_attempt) {
    SupervisedStart result;
    if (start.chain.empty()) throw UserError("no backend to start", "tsuku llm detect shows why");
    auto report = [&](const StartAttempt& a) {
        result.attempts.push_back(a);
        if (on_attempt) on_attempt(a);
    };
    // A crash or timeout after the backend check passed: the backend's fault only if the same model then becomes
    // ready on another backend.
    std::optional<StartAttempt> suspect;
    std::filesystem::path suspect_model;
    std::string failed_model;  // the model a backend-ok start failed on
    for (size_t i = 0; i < start.chain.size(); ++i) {
        const Backend backend = start.chain[i];
        const bool last = i + 1 == start.chain.size();
        if (start.not_viable) {
            if (auto ruled_out = start.not_viable(backend)) {
                report(*ruled_out);
                save_start_history(manager_.home(), result.attempts);
                if (!start.fallback) throw fallback_off_error(*ruled_out);
                continue;
            }
        }
        // A variant that already failed on this hardware under these conditions is not launched again.
        if (skipped_by_memory(start, backend, last)) {
            const auto known = memory_.find(backend, start.fingerprint, start.conditions);
            report({backend, AttemptResult::skipped_known_failure, known->reason, known->detail, {}});
            continue;
        }
        const ServerStartSpec spec = prepare(backend);
        StartResult started = manager_.start_locked(spec);
        if (started.server) {
            result.server = *started.server;
            report({backend, AttemptResult::ready, Reason::init_failed, "", result.server.outcome.elapsed});
            if (suspect && suspect_model == spec.model) {
                memory_.record({suspect->backend, suspect->reason, suspect->detail, start.fingerprint, now_unix(),
                                start.conditions});
            }
            save_start_history(manager_.home(), result.attempts);
            ServerRecord rec;
            rec.pid = result.server.pid;
            rec.backend = backend;
            rec.model_path = spec.model.string();
            rec.model_name = model_display_name(spec.model.string());
            rec.model_setting = start.model_setting;
            rec.conditions = start.conditions;
            rec.runtime = spec.runtime;
            rec.started_unix = now_unix();
            for (const auto& a : result.attempts) {
                if (a.result != AttemptResult::ready && a.result != AttemptResult::not_viable) {
                    rec.failed.push_back(a.backend);
                }
            }
            save_server_record(manager_.home(), rec);
            return result;
        }
        const StartFailure& f = *started.failure;
        auto failed = classify_start_failure(backend, f.outcome());
        if (!failed) throw f;  // not a backend problem: a bad model, a busy socket, …
        const bool timeout = failed->result == AttemptResult::start_timeout;
        if (f.outcome().backend_ok && failed->result != AttemptResult::backend_unavailable) {
            // The backend worked; the model (or the deadline) may be what failed. Decide after the next backend.
            failed->result = AttemptResult::model_failed;
            failed->detail += " after the backend check passed, while loading " + spec.model.filename().string();
            if (!timeout || start.remember_timeouts) {
                suspect = failed;
                suspect_model = spec.model;
            }
            failed_model = spec.model.filename().string();
        } else if (!timeout || start.remember_timeouts) {
            memory_.record({backend, failed->reason, failed->detail, start.fingerprint, now_unix(), start.conditions});
        }
        report(*failed);
        save_start_history(manager_.home(), result.attempts);
        if (!start.fallback) throw fallback_off_error(*failed);
    }
    if (!failed_model.empty()) {
        throw UserError(
            "the model " + failed_model + " made the server fail after its backend worked:" + summary(result.attempts),
            "check the model (tsuku llm install --model NAME --reinstall, or another llm.model), and "
            "see the server log " +
                manager_.home().server_log_path().string());
    }
    throw UserError("no backend could start:" + summary(result.attempts),
                    "see tsuku llm detect, and the server log " + manager_.home().server_log_path().string());
}

void save_start_history(const Home& home, const std::vector<StartAttempt>& attempts) {
    json j = {{"time", now_unix()}, {"attempts", json::array()}};
    for (const auto& a : attempts) {
        j["attempts"].push_back({{"backend", backend_name(a.backend)},
                                 {"result", attempt_result_name(a.result)},
                                 {"reason", a.result == AttemptResult::ready ? "" : reason_code(a.reason)},
                                 {"detail", a.detail},
                                 {"elapsed_ms", a.elapsed.count()}});
    }
    ensure_private_dir(home.state_dir());
    write_file_atomically(home.start_history_path(), j.dump(2, ' ', false, json::error_handler_t::replace) + "\n",
                          0600);
}

std::vector<StartAttempt> load_start_history(const Home& home) {
    std::vector<StartAttempt> out;
    const json j = read_json_file(home.start_history_path());
    if (!j.is_object() || !j.contains("attempts") || !j["attempts"].is_array()) return out;
    for (const auto& e : j["attempts"]) {
        if (!e.is_object()) continue;
        const auto backend = parse_backend(e.value("backend", ""));
        if (!backend) continue;  // written by another version
        StartAttempt a;
        a.backend = *backend;
        const std::string r = e.value("result", "");
        for (auto k : {AttemptResult::ready, AttemptResult::backend_unavailable, AttemptResult::crashed,
                       AttemptResult::start_timeout, AttemptResult::skipped_known_failure, AttemptResult::not_viable,
                       AttemptResult::model_failed}) {
            if (r == attempt_result_name(k)) a.result = k;
        }
        a.reason = parse_reason(e.value("reason", "")).value_or(Reason::init_failed);
        a.detail = e.value("detail", "");
        a.elapsed = std::chrono::milliseconds(e.value("elapsed_ms", int64_t{0}));
        out.push_back(a);
    }
    return out;
}

}  // namespace tsuku::lifecycle
