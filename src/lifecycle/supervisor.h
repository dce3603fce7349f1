// Starting the server on the best backend that really runs: the variants of the resolved chain are tried in order;
// a backend that detection already proved cannot run is skipped before anything is downloaded; exit 78 (the backend
// cannot run here), a crash or a missed start-up deadline moves on to the next, records the failure against the
// hardware fingerprint and the conditions, and is reported once through on_attempt. A crash or a timeout after the
// server said its backend works is the backend's fault only when the same model then starts on another backend;
// otherwise it names the model and nothing is remembered. Any other failure (a bad model, a socket owned by someone
// else) is not a backend problem and stops the start with its own error.
//
// A running server is reused only when the caller's check says it serves what is asked now; otherwise it is
// restarted once the requests in flight are done (run/use.lock), and concurrent clients take turns.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/backend.h"
#include "common/file_lock.h"
#include "common/home.h"
#include "common/reasons.h"
#include "lifecycle/failure_memory.h"
#include "lifecycle/server_manager.h"
#include "lifecycle/server_record.h"

namespace tsuku::lifecycle {

enum class AttemptResult {
    ready,
    backend_unavailable,    // exit 78
    crashed,                // killed by a signal before it was ready
    start_timeout,          // not ready in time
    skipped_known_failure,  // the failure memory says it failed here before
    not_viable,             // detection's evidence says it cannot run here: not downloaded, not launched
    model_failed,           // crashed or timed out after its backend worked, and no other backend proved it its fault
};
const char* attempt_result_name(AttemptResult r);

struct StartAttempt {
    Backend backend = Backend::cpu;
    AttemptResult result = AttemptResult::ready;
    Reason reason = Reason::init_failed;  // for failures
    std::string detail;                   // for failures: the driver's / loader's words
    std::chrono::milliseconds elapsed{0};
};

struct SupervisedStart {
    RunningServer server;
    std::vector<StartAttempt> attempts;  // empty when a server was already running
    std::string restarted_because;       // set when a running server did not serve what was asked
    // Shared hold on run/use.lock: while the caller keeps it, no other client restarts this server.
    std::shared_ptr<FileLock> in_use;
};

struct ChainStart {
    std::vector<Backend> chain;         // best first; the platform default last
    bool fallback = true;               // llm.fallback: off turns the first failure into an error
    std::string fingerprint;            // hardware fingerprint for the failure memory
    std::string conditions;             // failure_conditions(): a change of them tries a failed variant again
    std::optional<Backend> always_try;  // a backend named for this one call (--backend): the memory never skips it
    bool remember_timeouts = true;      // false when llm.start_timeout was shortened below its default
    std::string model_setting;          // what was asked ("auto", a name, a path), kept in the server record
    // Why detection's evidence says `backend` cannot run here (std::nullopt: it may). Such a backend is not
    // downloaded or launched.
    std::function<std::optional<StartAttempt>(Backend backend)> not_viable;
};

// Whether the running server (its record, when its starter left one, and the backend it reports) serves what is
// asked now: std::nullopt when it does, else the reason to restart it ("llm.backend is vulkan, cpu serves").
using ReuseCheck =
    std::function<std::optional<std::string>(const ServerRecord* record, const std::string& serving_backend)>;
// Called while a restart waits for the requests in flight to finish.
using OnWait = std::function<void(const std::string& what)>;

// Prepares the launch of one backend: installs and verifies the variant, chooses the model. Throws UserError.
using PrepareLaunch = std::function<ServerStartSpec(Backend backend)>;
using OnAttempt = std::function<void(const StartAttempt&)>;

class Supervisor {
public:
    Supervisor(ServerManager& manager, FailureMemory& memory) : manager_(manager), memory_(memory) {}

    SupervisedStart ensure_running(const ChainStart& start, const PrepareLaunch& prepare, const OnAttempt& on_attempt,
                                   const ReuseCheck& reuse = {}, const OnWait& on_wait = {});

    // The backend the chain would start now: the first one neither ruled out by detection nor skipped by the
    // failure memory or by the running server's own failed attempts (`record`).
    std::optional<Backend> first_candidate(const ChainStart& start, const ServerRecord* record) const;

private:
    bool skipped_by_memory(const ChainStart& start, Backend backend, bool last) const;
    SupervisedStart start_chain(const ChainStart& start, const PrepareLaunch& prepare, const OnAttempt& on_attempt);
    ServerManager& manager_;
    FailureMemory& memory_;
};

// The classification of a start that did not reach `ready`; std::nullopt when it is not a backend problem.
std::optional<StartAttempt> classify_start_failure(Backend backend, const StartOutcome& outcome);

// The attempts of the last start that this home's supervisor made (state/last-start.json), for `tsuku llm status`.
void save_start_history(const Home& home, const std::vector<StartAttempt>& attempts);
std::vector<StartAttempt> load_start_history(const Home& home);

}  // namespace tsuku::lifecycle
