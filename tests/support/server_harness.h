// Starts a real tsuku-llm with a readiness pipe (the supervisor's own launcher) and stops it at the end.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lifecycle/server_process.h"
#include "support/temp_dir.h"

namespace tsuku::test {

struct ServerRun {
    lifecycle::StartOutcome outcome;
    std::string log;  // what the server wrote to stdout/stderr during start-up
};

class ServerHarness {
public:
    explicit ServerHarness(std::filesystem::path executable);
    ~ServerHarness();

    std::filesystem::path socket() const { return dir_ / "llm.sock"; }
    std::filesystem::path log_file() const { return dir_ / "server.log"; }
    const TempDir& dir() const { return dir_; }

    // Starts `serve --socket <socket> --model <model> --notify-fd 3 <extra>` and waits for ready or exit.
    ServerRun start(const std::filesystem::path& model, const std::vector<std::string>& extra = {},
                    const std::vector<std::pair<std::string, std::string>>& env = {});
    // Waits (generously) for the started server to exit; returns its exit status or -1.
    int wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(60));
    pid_t pid() const { return process_ ? process_->pid() : -1; }

private:
    std::filesystem::path executable_;
    TempDir dir_;
    std::optional<lifecycle::ServerProcess> process_;
};

}  // namespace tsuku::test
