// The server's replies in OpenAI's shapes: a chat.completion object, chat.completion.chunk objects as server-sent
// events, the error object, and the models list.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "tsuku/llm/v1/inference.pb.h"

namespace tsuku::gateway {

// What every object of one reply shares.
struct ReplyIds {
    std::string id;     // "chatcmpl-…"
    std::string model;  // the model that serves
    int64_t created = 0;
};

// "chatcmpl-" and 24 random hex digits.
std::string new_completion_id();

// end_turn → stop, tool_use → tool_calls, max_tokens and context_full → length, cancelled → stop (what was generated
// until the server was asked to stop).
std::string finish_reason(const std::string& stop_reason);

nlohmann::json usage_object(const tsuku::llm::v1::Usage& usage);
// The tool calls of a reply; a call without an id gets "call_<reply id>_<index>".
nlohmann::json tool_calls_array(const google::protobuf::RepeatedPtrField<tsuku::llm::v1::ToolCall>& calls,
                                const ReplyIds& ids, bool with_index);

// The non-streamed reply: {id, object: "chat.completion", created, model, choices: [...], usage}.
nlohmann::json completion_object(const tsuku::llm::v1::CompletionResponse& response, const ReplyIds& ids);

// One chunk: {id, object: "chat.completion.chunk", created, model, choices: [{index 0, delta, finish_reason}]}.
nlohmann::json chunk_object(const ReplyIds& ids, nlohmann::json delta, const std::string& finish = "");
// The event of one content delta, as sse_event(chunk_object(ids, {{"content", text}})) but from a prefix made once
// per reply: only the text is escaped per token (the common event, sent once per generated piece).
class ContentEvents {
public:
    explicit ContentEvents(const ReplyIds& ids);
    std::string event(const std::string& text) const;

private:
    std::string prefix_, suffix_;
};

// The usage chunk of stream_options.include_usage: choices empty, usage set.
nlohmann::json usage_chunk(const ReplyIds& ids, const tsuku::llm::v1::Usage& usage);

// "data: <json>\n\n"; invalid UTF-8 (never expected: the server sends whole characters) is replaced, not thrown.
std::string sse_event(const nlohmann::json& j);
inline constexpr const char* kSseDone = "data: [DONE]\n\n";

// OpenAI's error body: {"error": {message, type, param, code}}.
std::string error_body(const std::string& message, const std::string& type, const std::string& param = "",
                       const std::string& code = "");

}  // namespace tsuku::gateway
