#include "server/utf8.h"

#include <gtest/gtest.h>

using tsuku::server::complete_utf8_prefix;
using tsuku::server::sanitize_utf8;

TEST(Utf8, KeepsValidTextIntact) {
    const std::string s = "héllo 世界 🎉";
    EXPECT_EQ(sanitize_utf8(s), s);
}

TEST(Utf8, ReplacesInvalidSequences) {
    EXPECT_EQ(sanitize_utf8("a\xff"
                            "b"),
              "a\xEF\xBF\xBD"
              "b");
    EXPECT_EQ(sanitize_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
    EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
    EXPECT_EQ(sanitize_utf8("\xE4\xB8"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // cut short
}

TEST(Utf8, CompletePrefixStopsBeforeACutSequence) {
    EXPECT_EQ(complete_utf8_prefix("ab"), 2u);
    EXPECT_EQ(complete_utf8_prefix("a\xE4\xB8"), 1u);
    EXPECT_EQ(complete_utf8_prefix("a\xE4\xB8\x96"), 4u);
    EXPECT_EQ(complete_utf8_prefix("\xF0\x9F\x8E"), 0u);
}
