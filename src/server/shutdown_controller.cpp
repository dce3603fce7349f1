#include "server/shutdown_controller.h"

namespace tsuku::server {

ShutdownController::ShutdownController(std::chrono::milliseconds idle_timeout)
    : idle_timeout_(idle_timeout), last_activity_(Clock::now()) {}

void ShutdownController::request(Reason reason) {
    {
        std::lock_guard lk(mu_);
        const bool urgent = reason == Reason::requested_now || reason == Reason::signal;
        if (requested_) {  // the first reason wins; a later urgent one hurries the graceful shutdown
            if (!urgent || hurried_) return;
            hurried_ = true;
        } else {
            requested_ = true;
            reason_ = reason;
            hurried_ = reason == Reason::requested_now;
        }
    }
    cv_.notify_all();
}

std::optional<std::chrono::milliseconds> ShutdownController::idle_remaining() const {
    std::lock_guard lock(mu_);
    if (idle_timeout_.count() == 0) return std::nullopt;
    if (in_flight_ > 0) return idle_timeout_;
    const auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - last_activity_);
    return idle >= idle_timeout_ ? std::chrono::milliseconds(0) : idle_timeout_ - idle;
}

bool ShutdownController::stopping() const {
    std::lock_guard lk(mu_);
    return requested_;
}

bool ShutdownController::hurried() const {
    std::lock_guard lk(mu_);
    return hurried_;
}

void ShutdownController::touch() {
    {
        std::lock_guard lk(mu_);
        last_activity_ = Clock::now();
    }
    cv_.notify_all();
}

bool ShutdownController::wait_drained(Clock::time_point deadline) {
    std::unique_lock lk(mu_);
    return cv_.wait_until(lk, deadline, [this] { return in_flight_ == 0 || hurried_; }) && in_flight_ == 0;
}

ShutdownController::Reason ShutdownController::wait() {
    std::unique_lock lk(mu_);
    for (;;) {
        if (requested_) return reason_;
        if (idle_timeout_.count() == 0 || in_flight_ > 0) {
            cv_.wait(lk);
            continue;
        }
        const auto deadline = last_activity_ + idle_timeout_;
        if (Clock::now() >= deadline) {
            requested_ = true;
            reason_ = Reason::idle;
            return reason_;
        }
        cv_.wait_until(lk, deadline);
    }
}

ShutdownController::Activity::Activity(ShutdownController& c) : c_(c) {
    std::lock_guard lk(c_.mu_);
    ++c_.in_flight_;
    c_.last_activity_ = Clock::now();
}

ShutdownController::Activity::~Activity() {
    {
        std::lock_guard lk(c_.mu_);
        --c_.in_flight_;
        c_.last_activity_ = Clock::now();
    }
    c_.cv_.notify_all();
}

const char* shutdown_reason_name(ShutdownController::Reason r) {
    switch (r) {
        case ShutdownController::Reason::requested: return "shutdown requested";
        case ShutdownController::Reason::requested_now: return "immediate shutdown requested";
        case ShutdownController::Reason::signal: return "signal";
        case ShutdownController::Reason::idle: return "idle timeout";
    }
    return "?";
}

}  // namespace tsuku::server
