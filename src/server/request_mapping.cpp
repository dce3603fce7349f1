#include "server/request_mapping.h"

#include <nlohmann/json.hpp>

#include <map>
#include <set>

#include "schema/schema_check.h"

namespace tsuku::server {

namespace v1 = tsuku::llm::v1;
using nlohmann::json;

namespace {

// Parses `text` as JSON and requires an object; `what` names the field for the message.
json object_or_throw(const std::string& text, const std::string& what) {
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) throw RequestError(what + " is not valid JSON: send a JSON object");
    if (!j.is_object()) throw RequestError(what + " must be a JSON object, not " + std::string(j.type_name()));
    return j;
}

// A schema whose keywords the grammar cannot all honour is refused before generation (see schema/schema_check.h).
void enforceable_or_throw(const json& schema, const std::string& what) {
    if (const auto p = schema::find_unenforceable(schema))
        throw RequestError(what + ": " + p->message() + "; " + p->fix);
}

// Tool names appear in prompts, grammars and replies: keep them to what every tool-call format accepts.
bool valid_tool_name(const std::string& name) {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                        c == '-' || c == '.';
        if (!ok) return false;
    }
    return true;
}

ToolChoice tool_choice_of(const std::string& s) {
    if (s.empty() || s == "auto") return ToolChoice::automatic;
    if (s == "none") return ToolChoice::none;
    if (s == "required") return ToolChoice::required;
    throw RequestError("tool_choice '" + s + "' is not known: use \"auto\", \"none\" or \"required\"");
}

constexpr size_t kMaxStops = 8;
constexpr size_t kMaxStopBytes = 256;

SamplingOptions sampling_of(const v1::CompletionRequest& req) {
    SamplingOptions out;
    if (req.has_temperature()) {
        const float t = req.temperature();
        if (!(t >= 0.0f && t <= 2.0f)) {
            throw RequestError("temperature " + std::to_string(t) +
                               " is out of range: use 0 to 2 (0: always the "
                               "most likely token)");
        }
        out.temperature = t;
    }
    if (req.has_top_p()) {
        const float p = req.top_p();
        if (!(p > 0.0f && p <= 1.0f)) {
            throw RequestError("top_p " + std::to_string(p) + " is out of range: use a value above 0 and at most 1");
        }
        out.top_p = p;
    }
    if (req.has_seed()) out.seed = req.seed();
    if (static_cast<size_t>(req.stop_size()) > kMaxStops) {
        throw RequestError("the request has " + std::to_string(req.stop_size()) + " stop strings: send at most " +
                           std::to_string(kMaxStops));
    }
    for (const auto& s : req.stop()) {
        if (s.empty() || s.size() > kMaxStopBytes) {
            throw RequestError("a stop string is " + std::to_string(s.size()) + " bytes: each must be 1 to " +
                               std::to_string(kMaxStopBytes));
        }
        out.stops.push_back(s);
    }
    return out;
}

}  // namespace

ChatRequest to_chat_request(const v1::CompletionRequest& req) {
    if (req.messages().empty()) {
        throw RequestError("the request has no messages: send at least one user message");
    }
    if (req.max_tokens() <= 0) {
        throw RequestError("max_tokens must be greater than 0 (got " + std::to_string(req.max_tokens()) + ")");
    }
    ChatRequest out;
    out.max_tokens = req.max_tokens();
    out.sampling = sampling_of(req);
    if (!req.json_schema().empty()) {
        enforceable_or_throw(object_or_throw(req.json_schema(), "json_schema"), "json_schema");
        out.json_schema = req.json_schema();
    }

    std::set<std::string> names;
    for (const auto& t : req.tools()) {
        if (!valid_tool_name(t.name())) {
            throw RequestError("tool name '" + t.name() +
                               "' is not valid: use 1 to 64 letters, digits, '_', '-' or '.'");
        }
        if (!names.insert(t.name()).second) throw RequestError("tool '" + t.name() + "' is defined twice");
        ToolSpec spec{t.name(), t.description(), t.parameters_schema()};
        if (spec.parameters_schema.empty()) {
            spec.parameters_schema = R"({"type":"object","properties":{}})";
        } else {
            const std::string what = "the parameters_schema of tool '" + t.name() + "'";
            enforceable_or_throw(object_or_throw(spec.parameters_schema, what), what);
        }
        out.tools.push_back(std::move(spec));
    }
    out.tool_choice = tool_choice_of(req.tool_choice());
    if (out.tool_choice == ToolChoice::required && out.tools.empty()) {
        throw RequestError("tool_choice \"required\" needs at least one tool in tools");
    }

    if (!req.system_prompt().empty()) out.messages.push_back({"system", req.system_prompt(), {}, {}, {}});
    std::map<std::string, std::string> call_names;  // tool call id -> tool name, for the results that answer them
    int index = 0;
    for (const auto& m : req.messages()) {
        const std::string where = "message " + std::to_string(index);
        ChatMessage msg;
        msg.content = m.content();
        switch (m.role()) {
            case v1::ROLE_USER: msg.role = "user"; break;
            case v1::ROLE_ASSISTANT:
                msg.role = "assistant";
                for (const auto& c : m.tool_calls()) {
                    if (c.name().empty()) throw RequestError(where + " has a tool call without a name");
                    const std::string args = c.arguments_json().empty() ? "{}" : c.arguments_json();
                    object_or_throw(args, where + ": the arguments_json of the call to '" + c.name() + "'");
                    msg.tool_calls.push_back({c.id(), c.name(), args});
                    if (!c.id().empty()) call_names[c.id()] = c.name();
                }
                break;
            case v1::ROLE_TOOL:
                msg.role = "tool";
                if (m.has_tool_result()) {
                    const auto& r = m.tool_result();
                    if (msg.content.empty()) msg.content = r.content();
                    // The model sees that the call failed; the templates have no field for it.
                    if (r.is_error()) msg.content = "Error: " + msg.content;
                    msg.tool_call_id = r.tool_call_id();
                    if (auto it = call_names.find(r.tool_call_id()); it != call_names.end()) msg.tool_name = it->second;
                }
                break;
            default: throw RequestError(where + " has no role: set ROLE_USER, ROLE_ASSISTANT or ROLE_TOOL");
        }
        out.messages.push_back(std::move(msg));
        ++index;
    }
    return out;
}

}  // namespace tsuku::server
