// Starting the server on the best backend that really runs: the variants of the resolved chain are tried in order;
// exit 78 (the backend cannot run here), a crash or a missed start-up deadline moves on to the next, records the
// failure against the hardware fingerprint, and is reported once through on_attempt. Any other failure (a bad
// model, a socket owned by someone else) is not a backend problem and stops the start with its own error.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/home.h"
#include "lifecycle/failure_memory.h"
#include "lifecycle/server_manager.h"

namespace tsuku::lifecycle {

enum class AttemptResult { ready, backend_unavailable, crashed, start_timeout, skipped_known_failure };
const char* attempt_result_name(AttemptResult r);

struct StartAttempt {
    std::string backend;
    AttemptResult result = AttemptResult::ready;
    std::string reason;  // for failures: the reason code
    std::string detail;  // for failures: the driver's / loader's words
    std::chrono::milliseconds elapsed{0};
};

struct SupervisedStart {
    RunningServer server;
    std::vector<StartAttempt> attempts;  // empty when a server was already running
};

struct ChainStart {
    std::vector<std::string> chain;  // backend names, best first; the platform default last
    bool fallback = true;            // llm.fallback: off turns the first failure into an error
    std::string fingerprint;         // hardware fingerprint for the failure memory
};

// Prepares the launch of one backend: installs and verifies the variant, chooses the model. Throws UserError.
using PrepareLaunch = std::function<ServerStartSpec(const std::string& backend)>;
using OnAttempt = std::function<void(const StartAttempt&)>;

class Supervisor {
public:
    Supervisor(ServerManager& manager, FailureMemory& memory) : manager_(manager), memory_(memory) {}

    SupervisedStart ensure_running(const ChainStart& start, const PrepareLaunch& prepare, const OnAttempt& on_attempt);

private:
    SupervisedStart start_chain(const ChainStart& start, const PrepareLaunch& prepare, const OnAttempt& on_attempt);
    ServerManager& manager_;
    FailureMemory& memory_;
};

// The attempts of the last start that this home's supervisor made (state/last-start.json), for `tsuku llm status`.
void save_start_history(const Home& home, const std::vector<StartAttempt>& attempts);
std::vector<StartAttempt> load_start_history(const Home& home);

}  // namespace tsuku::lifecycle
