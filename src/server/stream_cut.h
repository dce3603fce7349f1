// What part of the text generated so far a stream may show (CompleteStream): never a cut UTF-8 sequence, never the
// start of a stop string that may still complete, never tool-call markup.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tsuku::server {

struct StreamHold {
    std::vector<std::string> stops;    // generation ends before these: a tail that may begin one is held
    std::vector<std::string> markers;  // tool-call markup: everything from the first one on is held
    bool hold_all = false;             // the reply is a tool call (a grammar forces one from the first token)
    bool hold_trailing_space = false;  // the tool-call parser may trim the space before a call
};

// How many bytes of `raw` (all generated so far) may be shown now. Grows with `raw`: text once shown is never
// part of a stop or a marker found later.
size_t streamable_prefix(std::string_view raw, const StreamHold& hold);

}  // namespace tsuku::server
