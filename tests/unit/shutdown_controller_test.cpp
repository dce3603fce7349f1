// Behaviour, not timing: every wait below ends by an event or an idle timeout, and nothing asserts how long it took.
#include "server/shutdown_controller.h"

#include <gtest/gtest.h>

#include <future>
#include <optional>
#include <thread>

using tsuku::server::ShutdownController;
using namespace std::chrono_literals;

TEST(ShutdownController, RequestWakesTheWaiterWithItsReason) {
    ShutdownController c(0ms);  // idle shutdown disabled
    auto waiter = std::async(std::launch::async, [&] { return c.wait(); });
    c.request(ShutdownController::Reason::signal);
    EXPECT_EQ(waiter.get(), ShutdownController::Reason::signal);
    EXPECT_TRUE(c.stopping());
}

TEST(ShutdownController, FirstReasonWins) {
    ShutdownController c(0ms);
    c.request(ShutdownController::Reason::requested);
    c.request(ShutdownController::Reason::signal);
    EXPECT_EQ(c.wait(), ShutdownController::Reason::requested);
}

TEST(ShutdownController, IdleTimeoutFiresWhenNothingRuns) {
    ShutdownController c(20ms);
    EXPECT_EQ(c.wait(), ShutdownController::Reason::idle);
}

TEST(ShutdownController, NeverIdleWhileARequestIsInFlight) {
    ShutdownController c(10ms);
    std::optional<ShutdownController::Activity> request(std::in_place, c);
    auto waiter = std::async(std::launch::async, [&] { return c.wait(); });
    // Many idle periods pass while the request runs: the waiter must still be waiting.
    EXPECT_EQ(waiter.wait_for(200ms), std::future_status::timeout);
    EXPECT_FALSE(c.stopping());
    request.reset();  // the request ends: idle shutdown follows
    EXPECT_EQ(waiter.get(), ShutdownController::Reason::idle);
}
