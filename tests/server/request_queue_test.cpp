#include "server/request_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

using tsuku::server::QueueFull;
using tsuku::server::RequestQueue;
using namespace std::chrono_literals;

namespace {

// Waits (condition-based, bounded) until `q` has `n` requests waiting.
bool wait_for_waiting(const RequestQueue& q, size_t n) {
    for (int i = 0; i < 10000 && q.waiting() != n; ++i) std::this_thread::sleep_for(1ms);
    return q.waiting() == n;
}

}  // namespace

TEST(RequestQueue, TheFirstRequestRunsAtOnce) {
    RequestQueue q(2);
    auto turn = q.acquire(nullptr);
    EXPECT_TRUE(turn.has_value());
    EXPECT_EQ(q.waiting(), 0u);
}

TEST(RequestQueue, WaitersRunOneAtATimeInArrivalOrder) {
    RequestQueue q(8, 1ms);
    std::optional<RequestQueue::Turn> first = q.acquire(nullptr);
    std::mutex mu;
    std::vector<int> order;
    std::atomic<int> running{0}, max_running{0};
    std::vector<std::future<void>> waiters;
    for (int i = 0; i < 5; ++i) {
        waiters.push_back(std::async(std::launch::async, [&, i] {
            auto t = q.acquire(nullptr);
            ASSERT_TRUE(t);
            const int now = ++running;
            max_running = std::max(max_running.load(), now);
            {
                std::lock_guard lk(mu);
                order.push_back(i);
            }
            std::this_thread::sleep_for(2ms);
            --running;
        }));
        ASSERT_TRUE(wait_for_waiting(q, static_cast<size_t>(i + 1)));  // arrival order is i
    }
    first.reset();  // the running request finishes
    for (auto& w : waiters) w.get();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_EQ(max_running.load(), 1) << "one request at a time";
}

TEST(RequestQueue, ExcessRequestsAreRefusedAtOnce) {
    RequestQueue q(1, 1ms);
    auto running = q.acquire(nullptr);
    std::atomic<bool> leave{false};
    auto waiting = std::async(std::launch::async, [&] { return q.acquire([&] { return leave.load(); }).has_value(); });
    ASSERT_TRUE(wait_for_waiting(q, 1));
    try {
        q.acquire(nullptr);
        FAIL() << "a second waiter must be refused";
    } catch (const QueueFull& e) {
        EXPECT_NE(std::string(e.what()).find("1 are waiting"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("--max-queue"), std::string::npos) << e.what();
    }
    leave = true;
    EXPECT_FALSE(waiting.get());
}

TEST(RequestQueue, ZeroWaitingMeansOnlyTheRunningRequest) {
    RequestQueue q(0);
    auto running = q.acquire(nullptr);
    EXPECT_THROW(q.acquire(nullptr), QueueFull);
    running.reset();
    EXPECT_TRUE(q.acquire(nullptr).has_value()) << "free again once the running request is done";
}

TEST(RequestQueue, AWaiterThatGivesUpLeavesWithoutRunningAndFreesItsPlace) {
    RequestQueue q(1, 1ms);
    std::optional<RequestQueue::Turn> running = q.acquire(nullptr);
    std::atomic<bool> client_gone{false};
    auto waiter = std::async(std::launch::async, [&] { return q.acquire([&] { return client_gone.load(); }); });
    ASSERT_TRUE(wait_for_waiting(q, 1));
    client_gone = true;
    EXPECT_FALSE(waiter.get().has_value()) << "it must not run";
    EXPECT_EQ(q.waiting(), 0u);
    // Its place is free: another request may wait, and runs when the first finishes.
    auto next = std::async(std::launch::async, [&] { return q.acquire(nullptr).has_value(); });
    ASSERT_TRUE(wait_for_waiting(q, 1));
    running.reset();
    EXPECT_TRUE(next.get());
}

TEST(RequestQueue, AGiveUpBeforeTheTurnIsHandedOverWins) {
    RequestQueue q(4);
    EXPECT_FALSE(q.acquire([] { return true; }).has_value()) << "a request whose client left never starts";
    EXPECT_TRUE(q.acquire(nullptr).has_value());
}
