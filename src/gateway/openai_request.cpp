#include "gateway/openai_request.h"

#include <nlohmann/json.hpp>

#include "schema/schema_check.h"

namespace tsuku::gateway {

namespace v1 = tsuku::llm::v1;
using nlohmann::json;

namespace {

constexpr size_t kMaxStops = 8;  // the server's limit (request_limits.h)

const char* type_name(const json& j) { return j.type_name(); }

[[noreturn]] void wrong_type(const std::string& param, const char* expected, const json& got) {
    throw BadRequest(param, param + " must be " + expected + " (got " + type_name(got) + ")");
}

// A message's content: a string, an array of text parts, or null (an assistant message with only tool calls).
std::string content_text(const json& m, const std::string& where) {
    const std::string param = where + ".content";
    if (!m.contains("content") || m["content"].is_null()) return "";
    const json& c = m["content"];
    if (c.is_string()) return c.get<std::string>();
    if (!c.is_array()) wrong_type(param, "a string or an array of content parts", c);
    std::string text;
    for (size_t i = 0; i < c.size(); ++i) {
        const std::string p = param + "[" + std::to_string(i) + "]";
        if (!c[i].is_object()) wrong_type(p, "an object", c[i]);
        const std::string type = c[i].value("type", "");
        if (type != "text") {
            throw BadRequest(p + ".type",
                             p + ".type '" + type + "' is not supported: this model reads text parts only");
        }
        if (!c[i].contains("text") || !c[i]["text"].is_string()) wrong_type(p + ".text", "a string", c[i]["text"]);
        text += c[i]["text"].get<std::string>();
    }
    return text;
}

std::string required_string(const json& obj, const std::string& key, const std::string& where) {
    const std::string param = where + "." + key;
    if (!obj.contains(key)) throw BadRequest(param, param + " is required");
    if (!obj[key].is_string()) wrong_type(param, "a string", obj[key]);
    return obj[key].get<std::string>();
}

// A schema the server's grammars honour, or a 400 naming the keyword inside `param`.
std::string checked_schema(const json& schema, const std::string& param) {
    if (!schema.is_object()) wrong_type(param, "a JSON schema object", schema);
    if (const auto p = schema::find_unenforceable(schema)) {
        throw BadRequest(param, param + ": " + p->message() + " (" + p->fix + ")");
    }
    return schema.dump();
}

void add_message(v1::CompletionRequest& out, const json& m, size_t index) {
    const std::string where = "messages[" + std::to_string(index) + "]";
    if (!m.is_object()) wrong_type(where, "an object", m);
    const std::string role = required_string(m, "role", where);
    if (role == "system" || role == "developer") {
        const std::string text = content_text(m, where);
        // Several system messages become one system prompt, in order.
        out.set_system_prompt(out.system_prompt().empty() ? text : out.system_prompt() + "\n\n" + text);
        return;
    }
    auto* msg = out.add_messages();
    msg->set_content(content_text(m, where));
    if (role == "user") {
        msg->set_role(v1::ROLE_USER);
    } else if (role == "assistant") {
        msg->set_role(v1::ROLE_ASSISTANT);
        if (m.contains("tool_calls") && !m["tool_calls"].is_null()) {
            const json& calls = m["tool_calls"];
            if (!calls.is_array()) wrong_type(where + ".tool_calls", "an array", calls);
            for (size_t i = 0; i < calls.size(); ++i) {
                const std::string p = where + ".tool_calls[" + std::to_string(i) + "]";
                if (!calls[i].is_object()) wrong_type(p, "an object", calls[i]);
                if (!calls[i].contains("function") || !calls[i]["function"].is_object()) {
                    throw BadRequest(p + ".function", p + ".function is required (an object with name and arguments)");
                }
                const json& f = calls[i]["function"];
                auto* call = msg->add_tool_calls();
                call->set_id(calls[i].value("id", ""));
                call->set_name(required_string(f, "name", p + ".function"));
                if (f.contains("arguments")) {
                    if (!f["arguments"].is_string())
                        wrong_type(p + ".function.arguments", "a JSON string", f["arguments"]);
                    call->set_arguments_json(f["arguments"].get<std::string>());
                }
            }
        }
    } else if (role == "tool") {
        msg->set_role(v1::ROLE_TOOL);
        msg->mutable_tool_result()->set_tool_call_id(required_string(m, "tool_call_id", where));
        msg->mutable_tool_result()->set_content(msg->content());
    } else {
        throw BadRequest(where + ".role",
                         where + ".role '" + role + "' is not one of system, developer, user, assistant, tool");
    }
}

int max_tokens_of(const json& body) {
    // max_completion_tokens replaced max_tokens in OpenAI's API; either is accepted, the newer wins.
    for (const char* key : {"max_completion_tokens", "max_tokens"}) {
        if (!body.contains(key) || body[key].is_null()) continue;
        const json& v = body[key];
        if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > kUnboundedMaxTokens) {
            throw BadRequest(key, std::string(key) + " must be an integer from 1 to " +
                                      std::to_string(kUnboundedMaxTokens) + " (got " + v.dump() + ")");
        }
        return v.get<int>();
    }
    return kUnboundedMaxTokens;
}

void add_sampling(v1::CompletionRequest& out, const json& body) {
    if (body.contains("temperature") && !body["temperature"].is_null()) {
        const json& t = body["temperature"];
        if (!t.is_number() || !(t.get<double>() >= 0.0 && t.get<double>() <= 2.0)) {
            throw BadRequest("temperature", "temperature must be a number from 0 to 2 (got " + t.dump() + ")");
        }
        out.set_temperature(t.get<float>());
    }
    if (body.contains("top_p") && !body["top_p"].is_null()) {
        const json& p = body["top_p"];
        if (!p.is_number() || !(p.get<double>() > 0.0 && p.get<double>() <= 1.0)) {
            throw BadRequest("top_p", "top_p must be a number above 0 and at most 1 (got " + p.dump() + ")");
        }
        out.set_top_p(p.get<float>());
    }
    if (body.contains("seed") && !body["seed"].is_null()) {
        const json& s = body["seed"];
        if (!s.is_number_integer()) wrong_type("seed", "an integer", s);
        // OpenAI's seed is a 64-bit integer; the server's is 32 bits: the low bits keep equal seeds equal.
        out.set_seed(static_cast<uint32_t>(s.is_number_unsigned() ? s.get<uint64_t>()
                                                                  : static_cast<uint64_t>(s.get<int64_t>())));
    }
    if (body.contains("stop") && !body["stop"].is_null()) {
        const json& s = body["stop"];
        const json list = s.is_string() ? json::array({s}) : s;
        if (!list.is_array()) wrong_type("stop", "a string or an array of strings", s);
        if (list.size() > kMaxStops) {
            throw BadRequest("stop", "stop has " + std::to_string(list.size()) + " strings: send at most " +
                                         std::to_string(kMaxStops));
        }
        for (size_t i = 0; i < list.size(); ++i) {
            if (!list[i].is_string()) wrong_type("stop[" + std::to_string(i) + "]", "a string", list[i]);
            out.add_stop(list[i].get<std::string>());
        }
    }
    if (body.contains("n") && !body["n"].is_null() && body["n"] != 1) {
        throw BadRequest("n", "n must be 1: this server returns one choice per request");
    }
}

// tools: [{type: "function", function: {name, description, parameters}}].
void add_tools(v1::CompletionRequest& out, const json& body) {
    if (!body.contains("tools") || body["tools"].is_null()) return;
    const json& tools = body["tools"];
    if (!tools.is_array()) wrong_type("tools", "an array", tools);
    for (size_t i = 0; i < tools.size(); ++i) {
        const std::string p = "tools[" + std::to_string(i) + "]";
        if (!tools[i].is_object()) wrong_type(p, "an object", tools[i]);
        if (tools[i].value("type", "function") != "function") {
            throw BadRequest(p + ".type", p + ".type must be \"function\"");
        }
        if (!tools[i].contains("function") || !tools[i]["function"].is_object()) {
            throw BadRequest(p + ".function", p + ".function is required (an object with name and parameters)");
        }
        const json& f = tools[i]["function"];
        auto* def = out.add_tools();
        def->set_name(required_string(f, "name", p + ".function"));
        if (f.contains("description") && f["description"].is_string()) {
            def->set_description(f["description"].get<std::string>());
        }
        if (f.contains("parameters") && !f["parameters"].is_null()) {
            def->set_parameters_schema(checked_schema(f["parameters"], p + ".function.parameters"));
        }
    }
}

// tool_choice: "none" | "auto" | "required" | {type: "function", function: {name}}. A named function is "required"
// with only that tool offered.
void add_tool_choice(v1::CompletionRequest& out, const json& body) {
    if (!body.contains("tool_choice") || body["tool_choice"].is_null()) return;
    const json& c = body["tool_choice"];
    if (c.is_string()) {
        const std::string s = c.get<std::string>();
        if (s != "none" && s != "auto" && s != "required") {
            throw BadRequest("tool_choice", "tool_choice '" + s + "' is not none, auto, required or a function");
        }
        if (s == "required" && out.tools().empty()) {
            throw BadRequest("tool_choice", "tool_choice \"required\" needs at least one tool in tools");
        }
        out.set_tool_choice(s);
        return;
    }
    if (!c.is_object() || !c.contains("function") || !c["function"].is_object()) {
        wrong_type("tool_choice", "a string or {\"type\": \"function\", \"function\": {\"name\": ...}}", c);
    }
    const std::string name = required_string(c["function"], "name", "tool_choice.function");
    v1::ToolDef chosen;
    bool found = false;
    for (const auto& t : out.tools()) {
        if (t.name() == name) chosen = t, found = true;
    }
    if (!found)
        throw BadRequest("tool_choice.function.name", "tool_choice names '" + name + "', which is not in tools");
    out.clear_tools();
    *out.add_tools() = chosen;
    out.set_tool_choice("required");
}

// response_format: {type: "text"} | {type: "json_object"} | {type: "json_schema", json_schema: {name, schema}}.
void add_response_format(v1::CompletionRequest& out, const json& body) {
    if (!body.contains("response_format") || body["response_format"].is_null()) return;
    const json& f = body["response_format"];
    if (!f.is_object()) wrong_type("response_format", "an object", f);
    const std::string type = required_string(f, "type", "response_format");
    if (type == "text") return;
    if (type == "json_object") {
        out.set_json_schema(R"({"type":"object"})");
        return;
    }
    if (type != "json_schema") {
        throw BadRequest("response_format.type",
                         "response_format.type '" + type + "' is not text, json_object or json_schema");
    }
    if (!f.contains("json_schema") || !f["json_schema"].is_object()) {
        throw BadRequest("response_format.json_schema",
                         "response_format.json_schema is required (an object with name and schema)");
    }
    const json& js = f["json_schema"];
    if (!js.contains("schema") || js["schema"].is_null()) {
        out.set_json_schema(R"({"type":"object"})");
        return;
    }
    out.set_json_schema(checked_schema(js["schema"], "response_format.json_schema.schema"));
}

}  // namespace

ChatRequest parse_chat_request(const std::string& body_text) {
    json body = json::parse(body_text, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) throw BadRequest("", "the request body is not valid JSON (or not UTF-8)");
    if (!body.is_object()) wrong_type("body", "a JSON object", body);
    ChatRequest r;
    if (body.contains("model") && !body["model"].is_null()) {
        if (!body["model"].is_string()) wrong_type("model", "a string", body["model"]);
        r.model = body["model"].get<std::string>();
    }
    if (!body.contains("messages")) throw BadRequest("messages", "messages is required");
    const json& messages = body["messages"];
    if (!messages.is_array()) wrong_type("messages", "an array", messages);
    for (size_t i = 0; i < messages.size(); ++i) add_message(r.request, messages[i], i);
    if (r.request.messages().empty()) {
        throw BadRequest("messages", "messages needs at least one user message (system messages alone are not a turn)");
    }
    r.request.set_max_tokens(max_tokens_of(body));
    add_sampling(r.request, body);
    add_tools(r.request, body);
    add_tool_choice(r.request, body);
    add_response_format(r.request, body);
    if (body.contains("stream") && !body["stream"].is_null()) {
        if (!body["stream"].is_boolean()) wrong_type("stream", "a boolean", body["stream"]);
        r.stream = body["stream"].get<bool>();
    }
    if (body.contains("stream_options") && body["stream_options"].is_object()) {
        const json& o = body["stream_options"];
        r.include_usage =
            o.contains("include_usage") && o["include_usage"].is_boolean() && o["include_usage"].get<bool>();
    }
    return r;
}

}  // namespace tsuku::gateway
