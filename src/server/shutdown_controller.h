// Decides when the server stops: a Shutdown RPC, a signal, or the idle timeout (no request in flight and none for
// `idle_timeout`). The main thread waits here; request handlers report activity.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

namespace tsuku::server {

class ShutdownController {
public:
    enum class Reason { requested, requested_now, signal, idle };

    // idle_timeout 0 disables the idle shutdown.
    explicit ShutdownController(std::chrono::milliseconds idle_timeout);

    // The first reason wins. A signal or an immediate request while a graceful shutdown runs hurries it.
    void request(Reason reason);
    Reason wait();  // blocks until a shutdown is due
    bool stopping() const;
    // How long until the idle shutdown if no request comes (the full timeout while one is in flight); nullopt when
    // the idle timeout is off.
    std::optional<std::chrono::milliseconds> idle_remaining() const;
    bool hurried() const;
    // Activity without a request (StatusRequest.keep_alive): the idle timeout starts again from now.
    void touch();

    // After wait(): blocks until no request is in flight (true), or the shutdown is hurried or `deadline` passes
    // (false). Requests in flight see stopping() and end at their next token.
    bool wait_drained(std::chrono::steady_clock::time_point deadline);

    // RAII marker of a request in flight: the server is not idle while one exists.
    class Activity {
    public:
        explicit Activity(ShutdownController& c);
        ~Activity();
        Activity(const Activity&) = delete;
        Activity& operator=(const Activity&) = delete;

    private:
        ShutdownController& c_;
    };

private:
    using Clock = std::chrono::steady_clock;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::chrono::milliseconds idle_timeout_;
    Clock::time_point last_activity_;
    int in_flight_ = 0;
    bool requested_ = false;
    bool hurried_ = false;
    Reason reason_ = Reason::requested;
};

const char* shutdown_reason_name(ShutdownController::Reason r);

}  // namespace tsuku::server
