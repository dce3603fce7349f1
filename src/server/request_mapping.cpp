#include "server/request_mapping.h"

namespace tsuku::server {

namespace v1 = tsuku::llm::v1;

CompletionInput to_completion_input(const v1::CompletionRequest& req) {
    if (req.messages().empty()) {
        throw RequestError("the request has no messages: send at least one user message");
    }
    if (req.max_tokens() <= 0) {
        throw RequestError("max_tokens must be greater than 0 (got " + std::to_string(req.max_tokens()) + ")");
    }
    if (!req.json_schema().empty()) {
        throw RequestError("json_schema is not supported by this server version yet");
    }
    if (!req.tools().empty()) {
        throw RequestError("tools are not supported by this server version yet");
    }
    CompletionInput in;
    in.max_tokens = req.max_tokens();
    if (!req.system_prompt().empty()) in.turns.push_back({"system", req.system_prompt()});
    int index = 0;
    for (const auto& m : req.messages()) {
        switch (m.role()) {
            case v1::ROLE_USER: in.turns.push_back({"user", m.content()}); break;
            case v1::ROLE_ASSISTANT: in.turns.push_back({"assistant", m.content()}); break;
            case v1::ROLE_TOOL:
                in.turns.push_back(
                    {"tool", m.has_tool_result() && m.content().empty() ? m.tool_result().content() : m.content()});
                break;
            default:
                throw RequestError("message " + std::to_string(index) +
                                   " has no role: set ROLE_USER, ROLE_ASSISTANT or ROLE_TOOL");
        }
        ++index;
    }
    return in;
}

}  // namespace tsuku::server
