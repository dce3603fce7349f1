#include "common/duration.h"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using tsuku::format_duration;
using tsuku::parse_duration;

TEST(Duration, ParsesUnitsAndCombinations) {
    EXPECT_EQ(parse_duration("0"), 0ms);
    EXPECT_EQ(parse_duration("250ms"), 250ms);
    EXPECT_EQ(parse_duration("30s"), 30s);
    EXPECT_EQ(parse_duration("5m"), 5min);
    EXPECT_EQ(parse_duration("1h30m"), 90min);
    EXPECT_EQ(parse_duration("1m30s500ms"), 90500ms);
}

TEST(Duration, RejectsWhatIsNotADuration) {
    for (const char* bad : {"", "5", "m", "-5m", "5x", "1.5m", "5 m", "99999999999h", "400d"}) {
        EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
    }
}

TEST(Duration, FormatsAsItParses) {
    for (const char* s : {"0", "250ms", "30s", "5m", "1h30m", "2h", "1m30s500ms"}) {
        EXPECT_EQ(format_duration(*parse_duration(s)), s);
    }
}
