#include "server/request_queue.h"

#include <string>

namespace tsuku::server {

RequestQueue::RequestQueue(size_t max_waiting, std::chrono::milliseconds poll)
    : max_waiting_(max_waiting), poll_(poll) {}

RequestQueue::Turn::~Turn() {
    if (q_) q_->release();
}

std::optional<RequestQueue::Turn> RequestQueue::acquire(const std::function<bool()>& give_up,
                                                        const std::function<void(size_t)>& on_queued) {
    std::unique_lock lk(mu_);
    if (!busy_ && waiting_.empty()) {
        if (give_up && give_up()) return std::nullopt;
        busy_ = true;
        return Turn(*this);
    }
    if (waiting_.size() >= max_waiting_) {
        throw QueueFull("the server is busy: one request is generating and " + std::to_string(waiting_.size()) +
                        " are waiting (the limit, set with --max-queue); retry later");
    }
    const auto me = waiting_.insert(waiting_.end(), next_ticket_++);
    if (on_queued) on_queued(waiting_.size());  // the running request and those waiting before this one
    for (;;) {
        if (give_up && give_up()) {
            waiting_.erase(me);
            cv_.notify_all();  // the next in line may now be first
            return std::nullopt;
        }
        if (!busy_ && waiting_.begin() == me) {
            waiting_.erase(me);
            busy_ = true;
            return Turn(*this);
        }
        // The predicate above is re-checked on every wake-up; the timeout lets give_up be polled.
        cv_.wait_for(lk, poll_);
    }
}

size_t RequestQueue::waiting() const {
    std::lock_guard lk(mu_);
    return waiting_.size();
}

void RequestQueue::release() {
    {
        std::lock_guard lk(mu_);
        busy_ = false;
    }
    cv_.notify_all();
}

}  // namespace tsuku::server
