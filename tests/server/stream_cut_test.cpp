// What a stream may show of the text generated so far (server/stream_cut.h).
#include "server/stream_cut.h"

#include <gtest/gtest.h>

#include <string>

using tsuku::server::streamable_prefix;
using tsuku::server::StreamHold;

TEST(StreamCut, PlainTextIsShownWhole) { EXPECT_EQ(streamable_prefix("Hello there", {}), 11u); }

TEST(StreamCut, ACutUtf8SequenceIsHeldUntilComplete) {
    const std::string euro = "\xE2\x82\xAC";  // €
    EXPECT_EQ(streamable_prefix("a" + euro.substr(0, 1), {}), 1u);
    EXPECT_EQ(streamable_prefix("a" + euro.substr(0, 2), {}), 1u);
    EXPECT_EQ(streamable_prefix("a" + euro, {}), 4u);
}

TEST(StreamCut, TheStartOfAStopStringIsHeld) {
    StreamHold h;
    h.stops = {"STOP"};
    EXPECT_EQ(streamable_prefix("one ST", h), 4u);    // "ST" may become STOP
    EXPECT_EQ(streamable_prefix("one STO", h), 4u);   // still may
    EXPECT_EQ(streamable_prefix("one STAR", h), 8u);  // no longer can
    EXPECT_EQ(streamable_prefix("one S", h), 4u);
}

TEST(StreamCut, ToolCallMarkupIsNeverShown) {
    StreamHold h;
    h.markers = {"<tool_call>"};
    h.hold_trailing_space = true;
    EXPECT_EQ(streamable_prefix("Sure. <tool", h), 5u);                 // may be a call; the space too
    EXPECT_EQ(streamable_prefix("Sure. <tool_call>{\"name\"", h), 5u);  // is one: everything from it is held
    EXPECT_EQ(streamable_prefix("a <b> c ", h), 7u);                    // "<b>" is not markup; the last space is held
}

TEST(StreamCut, AForcedToolCallHoldsEverything) {
    StreamHold h;
    h.hold_all = true;
    EXPECT_EQ(streamable_prefix("{\"name\": \"x\"}", h), 0u);
}

TEST(StreamCut, WhatWasShownStaysShown) {
    // Each prefix of the text: the shown length never shrinks.
    StreamHold h;
    h.stops = {"</s>", "\n\n"};
    h.markers = {"<tool_call>"};
    const std::string text = "Hi \xC3\xA9t\xC3\xA9 </ x\n y\n\n<tool_call>";
    size_t shown = 0;
    for (size_t n = 0; n <= text.size(); ++n) {
        const size_t now = streamable_prefix(std::string_view(text).substr(0, n), h);
        EXPECT_GE(now, shown) << "at " << n;
        EXPECT_LE(now, n);
        shown = now;
    }
}
