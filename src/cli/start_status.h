// What a user sees while a reply is on its way (complete and chat): on a terminal a status line on stderr
// ("starting the cpu server with MODEL… 3s") that counts the seconds and is erased at the first token; off a
// terminal one plain line. --quiet shows none, --verbose adds how long each step took.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

#include "cli/context.h"
#include "cli/server_start.h"
#include "tsuku/llm/v1/inference.pb.h"

namespace tsuku::cli {

enum class Verbosity { quiet, normal, verbose };

class StartStatus {
public:
    StartStatus(std::ostream& err, bool terminal, Verbosity verbosity);
    ~StartStatus();  // erases the line
    StartStatus(const StartStatus&) = delete;
    StartStatus& operator=(const StartStatus&) = delete;

    // A server is being launched: starts the line (replacing the previous backend's, after a fallback).
    void launching(const std::string& backend, const std::string& model);
    // The server is ready (verbose: says after how long).
    void ready();
    // The first token arrived: the line goes (verbose: time to first token).
    void first_token();

private:
    void stop_ticker();
    std::ostream& err_;
    const bool terminal_;
    const Verbosity verbosity_;
    const std::chrono::steady_clock::time_point created_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point launched_{};
    bool launched_any_ = false;
    bool first_token_seen_ = false;
    std::string text_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    bool shown_ = false;  // the line is on the screen
    std::thread ticker_;
};

// ensure_server with its notices (fallbacks, restarts) dropped when `quiet`; errors are still raised.
lifecycle::SupervisedStart start_quietly_if(bool quiet, Context& ctx, const StartRequest& request);

// What complete and chat ask of the start: --model, --backend, --yes, --quiet.
struct ReplyStart {
    std::string model;  // "" = llm.model
    std::string backend;
    bool assume_yes = false;
    bool quiet = false;
};
Verbosity verbosity_of(bool quiet, bool verbose);
// The server for a reply, `status` showing the start; the result holds the use lock for the caller's requests.
lifecycle::SupervisedStart start_for_reply(Context& ctx, const ReplyStart& r, StartStatus& status);

// --verbose: "tsuku: 64 tokens in 0.50s (128.0 tok/s); prompt 20 tokens (12 cached) in 0.10s".
void say_speed(std::ostream& err, const tsuku::llm::v1::Usage& usage, const tsuku::llm::v1::Timing& timing);

}  // namespace tsuku::cli
