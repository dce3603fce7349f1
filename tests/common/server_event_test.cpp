#include "common/server_event.h"

#include <gtest/gtest.h>

using namespace tsuku;

TEST(ServerEvent, ReadyRoundTrips) {
    const auto line = to_json_line(ReadyEvent{42, "/run/llm.sock", "cpu", "m"});
    ASSERT_EQ(line.back(), '\n');
    auto e = parse_event_line(line.substr(0, line.size() - 1));
    ASSERT_TRUE(e);
    const auto& r = std::get<ReadyEvent>(*e);
    EXPECT_EQ(r.pid, 42);
    EXPECT_EQ(r.socket, "/run/llm.sock");
    EXPECT_EQ(r.backend, "cpu");
}

TEST(ServerEvent, FailedRoundTripsAndSurvivesInvalidUtf8) {
    const auto line = to_json_line(FailedEvent{"backend_unavailable", "cuda", "library_missing", "libcuda.so.1: \xff"});
    auto e = parse_event_line(line);
    ASSERT_TRUE(e);
    const auto& f = std::get<FailedEvent>(*e);
    EXPECT_EQ(f.reason, "library_missing");
    EXPECT_NE(f.detail.find("libcuda.so.1"), std::string::npos);
}

TEST(ServerEvent, ReaderSplitsLinesAcrossReadsAndIgnoresNoise) {
    EventReader reader;
    const auto line = to_json_line(ReadyEvent{7, "s", "cpu", "m"});
    EXPECT_TRUE(reader.feed("not json\n{\"event\":\"progress\"}\n").empty());
    EXPECT_TRUE(reader.feed(line.substr(0, 10)).empty());
    auto events = reader.feed(line.substr(10));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(std::get<ReadyEvent>(events[0]).pid, 7);
}

TEST(ServerEvent, UnknownOrMalformedLinesAreNotEvents) {
    EXPECT_FALSE(parse_event_line(""));
    EXPECT_FALSE(parse_event_line("[1,2]"));
    EXPECT_FALSE(parse_event_line("{\"event\":42}"));
}
