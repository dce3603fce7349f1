// Admission for the one engine: one request generates, at most `max_waiting` wait behind it in arrival order, and
// the rest are refused at once (the client gets RESOURCE_EXHAUSTED instead of an unbounded wait). A waiting request
// whose client went away leaves the queue without running.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

namespace tsuku::server {

class QueueFull : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class RequestQueue {
public:
    // `poll`: how often a waiting request checks whether it should give up.
    explicit RequestQueue(size_t max_waiting, std::chrono::milliseconds poll = std::chrono::milliseconds(20));

    // The right to use the engine; released on destruction.
    class Turn {
    public:
        explicit Turn(RequestQueue& q) : q_(&q) {}
        Turn(Turn&& o) noexcept : q_(std::exchange(o.q_, nullptr)) {}
        Turn& operator=(Turn&&) = delete;
        ~Turn();

    private:
        RequestQueue* q_;
    };

    // Waits for this request's turn. Throws QueueFull when `max_waiting` requests are already waiting. Returns
    // nullopt when `give_up` returned true while waiting (checked before the turn is handed over too). `on_queued`
    // is called (with the number of requests ahead, the running one included) once the request is in the queue.
    std::optional<Turn> acquire(const std::function<bool()>& give_up,
                                const std::function<void(size_t ahead)>& on_queued = nullptr);

    size_t waiting() const;
    size_t max_waiting() const noexcept { return max_waiting_; }

private:
    void release();

    const size_t max_waiting_;
    const std::chrono::milliseconds poll_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool busy_ = false;
    uint64_t next_ticket_ = 0;
    std::list<uint64_t> waiting_;  // tickets in arrival order
};

}  // namespace tsuku::server
