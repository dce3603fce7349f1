#include "server/utf8.h"

#include <gtest/gtest.h>

#include "server/checked_request.h"
#include "server/request_limits.h"

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

TEST(Utf8, FirstInvalidByteIsItsOffset) {
    using tsuku::server::first_invalid_utf8;
    EXPECT_EQ(first_invalid_utf8("héllo 世界"), std::string_view::npos);
    EXPECT_EQ(first_invalid_utf8("ab\xff"), 2u);
    EXPECT_EQ(first_invalid_utf8("\xc3("), 0u);                 // a lead byte without its continuation
    EXPECT_EQ(first_invalid_utf8("ok\xed\xa0\x80"), 2u);        // a UTF-16 surrogate
    EXPECT_EQ(first_invalid_utf8("\xe4\xb8\x96\xe4\xb8"), 3u);  // cut short at the end
}

TEST(Utf8, CutsAtAWordOrACharacterBoundary) {
    using tsuku::server::cut_at_word;
    EXPECT_EQ(cut_at_word("hello world again", 9), 6u) << "after the space, the word left whole";
    EXPECT_EQ(cut_at_word("short", 99), 5u);
    const std::string cjk = "世界世界";  // no spaces: a character boundary
    EXPECT_EQ(cut_at_word(cjk, 4), 3u);
    EXPECT_EQ(cut_at_word(cjk, 6), 6u);
}

// The server's own reading of a CompletionRequest names the field that is not UTF-8 (protobuf would refuse the
// whole message without a word).
TEST(Utf8, TheInvalidFieldOfASerializedRequestIsNamed) {
    tsuku::llm::v1::CompletionRequest r;
    r.set_system_prompt("fine");
    r.add_messages()->set_content("ok");
    auto* tool = r.add_messages();
    tool->mutable_tool_result()->set_content(std::string("re\xffsult"));
    std::string wire;
    ASSERT_TRUE(r.SerializeToString(&wire));
    const auto* type = tsuku::llm::v1::CompletionRequest::descriptor();
    EXPECT_EQ(tsuku::server::invalid_utf8_field(*type, wire),
              "messages[1].tool_result.content is not valid UTF-8 (byte 2 of the field)");
    r.mutable_messages(1)->mutable_tool_result()->set_content("result");
    ASSERT_TRUE(r.SerializeToString(&wire));
    EXPECT_EQ(tsuku::server::invalid_utf8_field(*type, wire), "");
    EXPECT_EQ(tsuku::server::invalid_utf8_field(*type, "\x12\xff\xff"), "") << "malformed: left to the parser";
}

TEST(RequestLimits, TheMessageLimitFollowsTheContext) {
    using tsuku::server::max_request_bytes;
    EXPECT_EQ(max_request_bytes(256), 1u << 20) << "at least 1 MiB";
    EXPECT_EQ(max_request_bytes(32768), 8u << 20);
    EXPECT_EQ(max_request_bytes(1u << 20), 64u << 20) << "at most 64 MiB";
}
