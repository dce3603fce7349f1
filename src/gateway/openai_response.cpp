#include "gateway/openai_response.h"

#include <random>

namespace tsuku::gateway {

namespace v1 = tsuku::llm::v1;
using nlohmann::json;

std::string new_completion_id() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id = "chatcmpl-";
    for (int i = 0; i < 24; ++i) id += kHex[rng() & 15];
    return id;
}

std::string finish_reason(const std::string& stop_reason) {
    if (stop_reason == "tool_use") return "tool_calls";
    if (stop_reason == "max_tokens" || stop_reason == "context_full") return "length";
    return "stop";
}

json usage_object(const v1::Usage& u) {
    return {{"prompt_tokens", u.input_tokens()},
            {"completion_tokens", u.output_tokens()},
            {"total_tokens", u.input_tokens() + u.output_tokens()},
            {"prompt_tokens_details", {{"cached_tokens", u.cached_input_tokens()}}}};
}

json tool_calls_array(const google::protobuf::RepeatedPtrField<v1::ToolCall>& calls, const ReplyIds& ids,
                      bool with_index) {
    json out = json::array();
    int index = 0;
    for (const auto& c : calls) {
        json call = {
            {"id", c.id().empty() ? "call_" + ids.id.substr(9) + "_" + std::to_string(index) : c.id()},
            {"type", "function"},
            {"function", {{"name", c.name()}, {"arguments", c.arguments_json().empty() ? "{}" : c.arguments_json()}}}};
        if (with_index) call["index"] = index;
        out.push_back(std::move(call));
        ++index;
    }
    return out;
}

json completion_object(const v1::CompletionResponse& r, const ReplyIds& ids) {
    json message = {{"role", "assistant"}, {"content", r.content()}, {"refusal", nullptr}};
    if (!r.tool_calls().empty()) {
        message["tool_calls"] = tool_calls_array(r.tool_calls(), ids, false);
        if (r.content().empty()) message["content"] = nullptr;  // as OpenAI sends a reply that only calls tools
    }
    return {{"id", ids.id},
            {"object", "chat.completion"},
            {"created", ids.created},
            {"model", ids.model},
            {"choices", json::array({{{"index", 0},
                                      {"message", std::move(message)},
                                      {"logprobs", nullptr},
                                      {"finish_reason", finish_reason(r.stop_reason())}}})},
            {"usage", usage_object(r.usage())}};
}

json chunk_object(const ReplyIds& ids, json delta, const std::string& finish) {
    return {{"id", ids.id},
            {"object", "chat.completion.chunk"},
            {"created", ids.created},
            {"model", ids.model},
            {"choices", json::array({{{"index", 0},
                                      {"delta", std::move(delta)},
                                      {"logprobs", nullptr},
                                      {"finish_reason", finish.empty() ? json(nullptr) : json(finish)}}})}};
}

ContentEvents::ContentEvents(const ReplyIds& ids) {
    const std::string marker = "\x01";  // where the text goes; never in a dump's output as a raw byte
    const std::string whole = sse_event(chunk_object(ids, {{"content", marker}}));
    const std::string quoted = json(marker).dump(-1, ' ', false, json::error_handler_t::replace);
    const size_t at = whole.find(quoted);
    prefix_ = whole.substr(0, at);
    suffix_ = whole.substr(at + quoted.size());
}

std::string ContentEvents::event(const std::string& text) const {
    return prefix_ + json(text).dump(-1, ' ', false, json::error_handler_t::replace) + suffix_;
}

json usage_chunk(const ReplyIds& ids, const v1::Usage& usage) {
    return {{"id", ids.id},       {"object", "chat.completion.chunk"}, {"created", ids.created},
            {"model", ids.model}, {"choices", json::array()},          {"usage", usage_object(usage)}};
}

std::string sse_event(const json& j) {
    return "data: " + j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

std::string error_body(const std::string& message, const std::string& type, const std::string& param,
                       const std::string& code) {
    const json e = {{"error",
                     {{"message", message},
                      {"type", type},
                      {"param", param.empty() ? json(nullptr) : json(param)},
                      {"code", code.empty() ? json(nullptr) : json(code)}}}};
    return e.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace tsuku::gateway
