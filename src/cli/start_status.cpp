#include "cli/start_status.h"

#include <cstdio>

namespace tsuku::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::string seconds_since(Clock::time_point t) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", std::chrono::duration<double>(Clock::now() - t).count());
    return buf;
}

}  // namespace

StartStatus::StartStatus(std::ostream& err, bool terminal, Verbosity verbosity)
    : err_(err), terminal_(terminal), verbosity_(verbosity) {}

StartStatus::~StartStatus() { stop_ticker(); }

void StartStatus::stop_ticker() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (ticker_.joinable()) ticker_.join();
    std::lock_guard lock(mutex_);
    if (shown_) err_ << "\r\x1b[K" << std::flush;  // erase the status line
    shown_ = false;
    stop_ = false;
}

void StartStatus::launching(const std::string& backend, const std::string& model) {
    if (verbosity_ == Verbosity::quiet) return;
    stop_ticker();
    launched_ = Clock::now();
    launched_any_ = true;
    text_ = "starting the " + backend + " server with " + model + "\u2026";
    if (!terminal_) {
        err_ << "tsuku: " << text_ << "\n" << std::flush;
        return;
    }
    ticker_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        for (int s = 0; !stop_; ++s) {
            err_ << "\r\x1b[K" << text_ << " " << s << "s" << std::flush;
            shown_ = true;
            wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; });
        }
    });
}

void StartStatus::ready() {
    if (verbosity_ != Verbosity::verbose || !launched_any_) return;
    stop_ticker();
    err_ << "tsuku: the server was ready after " << seconds_since(launched_) << "\n" << std::flush;
}

void StartStatus::first_token() {
    if (first_token_seen_) return;
    first_token_seen_ = true;
    stop_ticker();
    if (verbosity_ == Verbosity::verbose) {
        err_ << "tsuku: first token after " << seconds_since(created_) << " (from the command's start)\n" << std::flush;
    }
}

lifecycle::SupervisedStart start_quietly_if(bool quiet, Context& ctx, const StartRequest& request) {
    if (!quiet) return ensure_server(ctx, request);
    std::ostream discard(nullptr);
    Context silent{ctx.env, ctx.out, discard};
    return ensure_server(silent, request);
}

Verbosity verbosity_of(bool quiet, bool verbose) {
    return quiet ? Verbosity::quiet : verbose ? Verbosity::verbose : Verbosity::normal;
}

lifecycle::SupervisedStart start_for_reply(Context& ctx, const ReplyStart& r, StartStatus& status) {
    StartRequest start;
    if (!r.model.empty()) start.model = r.model;
    start.backend = r.backend;
    start.assume_yes = r.assume_yes;
    start.on_launch = [&status](const std::string& backend, const std::string& model) {
        status.launching(backend, model);
    };
    auto started = start_quietly_if(r.quiet, ctx, start);
    status.ready();
    return started;
}

void say_speed(std::ostream& err, const tsuku::llm::v1::Usage& u, const tsuku::llm::v1::Timing& t) {
    char buf[160];
    const double gen_s = t.generation_ms() / 1000.0;
    std::snprintf(buf, sizeof buf, "tsuku: %d tokens in %.2fs (%.1f tok/s); prompt %d tokens (%d cached) in %.2fs\n",
                  u.output_tokens(), gen_s, gen_s > 0 ? u.output_tokens() / gen_s : 0.0, u.input_tokens(),
                  u.cached_input_tokens(), t.prompt_ms() / 1000.0);
    err << buf;
    if (u.restored_input_tokens() > 0) {
        err << "tsuku: " << u.restored_input_tokens() << " of the cached prompt tokens were restored from a prompt "
            << "state saved by an earlier server\n";
    }
    err << std::flush;
}

}  // namespace tsuku::cli
