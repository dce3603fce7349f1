// POST /v1/chat/completions: OpenAI's request body, field by field, into the server's CompletionRequest. A field
// that cannot be honoured is a BadRequest naming it (OpenAI's error `param`); unknown fields are ignored, as
// OpenAI's own clients expect of a compatible server.
#pragma once

#include <stdexcept>
#include <string>

#include "tsuku/llm/v1/inference.pb.h"

namespace tsuku::gateway {

// A 400: `param` is the field's path ("messages[2].tool_call_id"), empty for the body as a whole.
class BadRequest : public std::runtime_error {
public:
    BadRequest(std::string param, const std::string& message) : std::runtime_error(message), param_(std::move(param)) {}
    const std::string& param() const noexcept { return param_; }

private:
    std::string param_;
};

struct ChatRequest {
    tsuku::llm::v1::CompletionRequest request;
    bool stream = false;
    bool include_usage = false;  // stream_options.include_usage
    std::string model;           // as asked; the reply names the model that served
};

// No max_tokens or max_completion_tokens: generate until the reply ends or the context is full (OpenAI's default).
inline constexpr int kUnboundedMaxTokens = 1 << 20;

// Throws BadRequest for malformed JSON, a missing or mistyped field, or a value out of range.
ChatRequest parse_chat_request(const std::string& body);

}  // namespace tsuku::gateway
