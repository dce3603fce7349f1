#include "common/text_input.h"

#include <gtest/gtest.h>

using tsuku::first_invalid_utf8;

TEST(FirstInvalidUtf8, AcceptsTextAndNamesTheFirstBadByte) {
    EXPECT_FALSE(first_invalid_utf8(""));
    EXPECT_FALSE(first_invalid_utf8("plain ascii"));
    EXPECT_FALSE(first_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
    EXPECT_EQ(first_invalid_utf8("ab\xC3"), 2u);                                    // truncated sequence
    EXPECT_EQ(first_invalid_utf8("ab\xC3\x28"), 2u);                                // bad continuation
    EXPECT_EQ(first_invalid_utf8("\xC0\xAF"), 0u);                                  // overlong '/'
    EXPECT_EQ(first_invalid_utf8("x\xED\xA0\x80"), 1u);                             // UTF-16 surrogate
    EXPECT_EQ(first_invalid_utf8("\xF4\x90\x80\x80"), 0u);                          // past U+10FFFF
    EXPECT_EQ(first_invalid_utf8("ok\x80"), 2u);                                    // lone continuation
}
