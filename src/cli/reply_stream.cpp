#include "cli/reply_stream.h"

#include <nlohmann/json.hpp>

#include "cli/interrupt.h"

namespace tsuku::cli {

namespace v1 = tsuku::llm::v1;

std::string tool_call_line(const v1::ToolCall& call) {
    return "tool call: " + call.name() + " " + (call.arguments_json().empty() ? "{}" : call.arguments_json());
}

nlohmann::json usage_json(const v1::Usage& u) {
    return {{"input_tokens", u.input_tokens()},
            {"output_tokens", u.output_tokens()},
            {"cached_input_tokens", u.cached_input_tokens()},
            {"restored_input_tokens", u.restored_input_tokens()}};
}

nlohmann::json timing_json(const v1::Timing& t) {
    return {{"prompt_ms", t.prompt_ms()}, {"generation_ms", t.generation_ms()}, {"sampling_ms", t.sampling_ms()}};
}

std::string chunk_json(const v1::CompletionChunk& c) {
    nlohmann::json j = {{"delta", c.delta()}};
    if (!c.stop_reason().empty()) {
        j["stop_reason"] = c.stop_reason();
        j["usage"] = usage_json(c.usage());
        j["timing"] = timing_json(c.timing());
        j["tool_calls"] = nlohmann::json::array();
        for (const auto& t : c.tool_calls()) {
            j["tool_calls"].push_back({{"id", t.id()}, {"name", t.name()}, {"arguments_json", t.arguments_json()}});
        }
    }
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

StreamedReply stream_reply(client::LlmClient& client, const v1::CompletionRequest& request, const StreamOutput& o) {
    StreamedReply r;
    bool first = true;
    const auto on_chunk = [&](const v1::CompletionChunk& c) {
        if (first && o.on_first_chunk) o.on_first_chunk();
        first = false;
        r.content += c.delta();
        if (o.ndjson) {
            o.out << chunk_json(c) << "\n" << std::flush;
        } else if (!c.delta().empty()) {
            o.out << c.delta() << std::flush;
        }
    };
    client::Cancellation cancel;
    try {
        InterruptWatch watch([&cancel] { cancel.cancel(); });
        r.final = client.complete_stream(request, std::chrono::minutes(30), on_chunk, &cancel);
    } catch (const client::CallCancelled&) {
        r.interrupted = true;
    }
    if (first && o.on_first_chunk) o.on_first_chunk();
    if (o.ndjson) return r;
    std::string tail;
    if (!r.content.empty() && r.content.back() != '\n') tail = "\n";
    if (!r.interrupted) {
        for (const auto& t : r.final.tool_calls()) tail += tool_call_line(t) + "\n";
    }
    if (r.content.empty() && tail.empty() && !r.interrupted) tail = "\n";  // an empty reply is still one line
    o.out << tail << std::flush;
    return r;
}

}  // namespace tsuku::cli
