#include "gateway/connection_pool.h"

namespace tsuku::gateway {

namespace {
thread_local bool tl_overflow = false;
}

ConnectionPool::ConnectionPool(size_t workers) : workers_(workers) {
    for (size_t i = 0; i < workers_; ++i) threads_.emplace_back([this] { work(false); });
    threads_.emplace_back([this] { work(true); });
}

ConnectionPool::~ConnectionPool() { shutdown(); }

bool ConnectionPool::overflow_connection() { return tl_overflow; }

void ConnectionPool::enqueue(std::function<void()> fn) {
    {
        std::lock_guard lock(mu_);
        (busy_ + jobs_.size() < workers_ ? jobs_ : overflow_).push_back(std::move(fn));
    }
    cv_.notify_all();
}

void ConnectionPool::shutdown() {
    {
        std::lock_guard lock(mu_);
        if (shutdown_ && threads_.empty()) return;
        shutdown_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
}

void ConnectionPool::work(bool overflow) {
    tl_overflow = overflow;
    auto& queue = overflow ? overflow_ : jobs_;
    for (;;) {
        std::function<void()> fn;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return !queue.empty() || shutdown_; });
            if (queue.empty()) return;  // shutting down with nothing left
            fn = std::move(queue.front());
            queue.pop_front();
            if (!overflow) ++busy_;
        }
        fn();
        if (!overflow) {
            std::lock_guard lock(mu_);
            --busy_;
        }
    }
}

}  // namespace tsuku::gateway
