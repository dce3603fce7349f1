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

TEST(ShutdownController, AGracefulShutdownIsDrainedWhenTheLastRequestEnds) {
    ShutdownController c(0ms);
    std::optional<ShutdownController::Activity> request(std::in_place, c);
    c.request(ShutdownController::Reason::requested);
    auto drained =
        std::async(std::launch::async, [&] { return c.wait_drained(std::chrono::steady_clock::now() + 1h); });
    request.reset();
    EXPECT_TRUE(drained.get());
    EXPECT_FALSE(c.hurried());
}

TEST(ShutdownController, ASignalDuringAGracefulShutdownHurriesIt) {
    ShutdownController c(0ms);
    ShutdownController::Activity request(c);  // a request that never ends
    c.request(ShutdownController::Reason::requested);
    c.request(ShutdownController::Reason::requested);  // a second graceful stop changes nothing
    EXPECT_FALSE(c.hurried());
    auto drained =
        std::async(std::launch::async, [&] { return c.wait_drained(std::chrono::steady_clock::now() + 1h); });
    c.request(ShutdownController::Reason::signal);
    EXPECT_FALSE(drained.get()) << "hurried: the wait ends although a request is in flight";
    EXPECT_TRUE(c.hurried());
    EXPECT_EQ(c.wait(), ShutdownController::Reason::requested);
}

TEST(ShutdownController, AnImmediateShutdownIsHurriedFromTheStart) {
    ShutdownController c(0ms);
    ShutdownController::Activity request(c);
    c.request(ShutdownController::Reason::requested_now);
    EXPECT_TRUE(c.hurried());
    EXPECT_FALSE(c.wait_drained(std::chrono::steady_clock::now() + 1h));
}
