// httplib's task queue with a bound: at most `workers` connections are served at once; a connection beyond that is
// answered at once by one overflow thread (the pre-routing handler sees overflow_connection() and replies 503 with
// Retry-After) instead of waiting unseen in an unbounded queue.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tsuku::gateway {

class ConnectionPool : public httplib::TaskQueue {
public:
    explicit ConnectionPool(size_t workers);
    ~ConnectionPool() override;

    void enqueue(std::function<void()> fn) override;
    void shutdown() override;

    // True on the overflow thread: the connection being served is over the bound.
    static bool overflow_connection();

private:
    void work(bool overflow);
    const size_t workers_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_, overflow_;
    size_t busy_ = 0;
    bool shutdown_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace tsuku::gateway
