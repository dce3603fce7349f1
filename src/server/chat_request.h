// A validated chat request, independent of gRPC and of llama.cpp: what the chat template renders and the engine
// generates for.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tsuku::server {

// The request cannot be served as asked (bad fields, a prompt longer than the context, ...). what() is for the
// client; the service answers INVALID_ARGUMENT.
class RequestError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ToolCallData {
    std::string id;
    std::string name;
    std::string arguments_json;  // a JSON object
};

struct ChatMessage {
    std::string role;  // "system" | "user" | "assistant" | "tool"
    std::string content;
    std::vector<ToolCallData> tool_calls;  // assistant turns that called tools
    std::string tool_call_id;              // tool turns: the call this result answers
    std::string tool_name;                 // tool turns: that call's tool, when the conversation names it
};

struct ToolSpec {
    std::string name;
    std::string description;
    std::string parameters_schema;  // a JSON schema (an object)
};

// auto: the model decides; none: no tool calls; required: the reply is one tool call.
enum class ToolChoice { automatic, none, required };

// Unset fields: the server's defaults (server/sampler.h), a fresh seed per request.
struct SamplingOptions {
    std::optional<float> temperature;
    std::optional<float> top_p;
    std::optional<uint32_t> seed;
    std::vector<std::string> stops;  // the client's stop strings, besides the template's
};

struct ChatRequest {
    std::vector<ChatMessage> messages;  // the system prompt first when there is one
    std::vector<ToolSpec> tools;
    ToolChoice tool_choice = ToolChoice::automatic;
    std::string json_schema;  // empty: free text
    int max_tokens = 256;
    SamplingOptions sampling;
};

}  // namespace tsuku::server
