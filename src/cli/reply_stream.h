// Printing a reply as it is generated (complete and chat): text deltas with a flush each, tool calls one per line,
// Ctrl-C cancels the generation and keeps what was printed.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "client/llm_client.h"

namespace tsuku::cli {

// "tool call: NAME {arguments}": a tool call in text output.
std::string tool_call_line(const tsuku::llm::v1::ToolCall& call);

struct StreamedReply {
    tsuku::llm::v1::CompletionChunk final;  // stop_reason, usage, timing, tool_calls (unset when interrupted)
    std::string content;                    // every delta, in order
    bool interrupted = false;               // Ctrl-C: the call was cancelled, the line ended
};

struct StreamOutput {
    std::ostream& out;
    bool ndjson = false;                   // one JSON object per chunk instead of the text
    std::function<void()> on_first_chunk;  // e.g. clears a status line (called before anything is printed)
};

// Streams `request`'s reply to `o.out`. Text: deltas, then `tool call:` lines; the last line is always ended.
StreamedReply stream_reply(client::LlmClient& client, const tsuku::llm::v1::CompletionRequest& request,
                           const StreamOutput& o);

// One chunk as JSON: {"delta": …} and, in the last, stop_reason, usage, timing and tool_calls.
std::string chunk_json(const tsuku::llm::v1::CompletionChunk& chunk);
// The usage object of --json and --json --stream.
nlohmann::json usage_json(const tsuku::llm::v1::Usage& usage);
// The server's timing: prompt_ms, generation_ms and sampling_ms (the part of generation_ms spent choosing tokens).
nlohmann::json timing_json(const tsuku::llm::v1::Timing& timing);

}  // namespace tsuku::cli
