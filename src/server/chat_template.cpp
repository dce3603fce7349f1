#include "server/chat_template.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <random>

// llama.cpp's common library (libllama-common.so), built from the same commit as these headers.
#include "chat.h"
#include "common.h"

namespace tsuku::server {
namespace {

common_chat_msg to_common(const ChatMessage& m) {
    common_chat_msg out;
    out.role = m.role;
    out.content = m.content;
    for (const auto& c : m.tool_calls) out.tool_calls.push_back({c.name, c.arguments_json, c.id});
    out.tool_call_id = m.tool_call_id;
    out.tool_name = m.tool_name;
    return out;
}

// The regular expressions llama.cpp's lazy grammar sampler takes, from common's trigger kinds.
void add_triggers(const common_chat_params& p, GrammarSpec& g) {
    for (const auto& t : p.grammar_triggers) {
        switch (t.type) {
            case COMMON_GRAMMAR_TRIGGER_TYPE_WORD: g.trigger_patterns.push_back(regex_escape(t.value)); break;
            case COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN: g.trigger_patterns.push_back(t.value); break;
            case COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN_FULL: {
                std::string anchored = t.value;
                if (anchored.empty() || anchored.front() != '^') anchored.insert(0, "^");
                if (anchored.back() != '$') anchored += "$";
                g.trigger_patterns.push_back(anchored);
                break;
            }
            case COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN: g.trigger_tokens.push_back(t.token); break;
        }
    }
}

std::string new_call_id() {
    static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::string id = "call_";
    for (int i = 0; i < 16; ++i) id += kChars[rng() % (sizeof kChars - 1)];
    return id;
}

}  // namespace

void ChatTemplates::Free::operator()(common_chat_templates* t) const noexcept { common_chat_templates_free(t); }

ChatTemplates::ChatTemplates(const llama_model* model) {
    try {
        templates_.reset(common_chat_templates_init(model, "").release());
        template_used_ = "model";
    } catch (const std::exception& e) {
        // A template llama.cpp's Jinja engine cannot parse: serve with ChatML rather than not at all.
        spdlog::warn("the model's chat template cannot be used ({}): using ChatML", e.what());
        templates_.reset(common_chat_templates_init(model, "chatml").release());
        template_used_ = "chatml (fallback)";
    }
}

ChatTemplates::~ChatTemplates() = default;

RenderedChat ChatTemplates::render(const ChatRequest& req) const {
    common_chat_templates_inputs in;
    for (const auto& m : req.messages) in.messages.push_back(to_common(m));
    for (const auto& t : req.tools) in.tools.push_back({t.name, t.description, t.parameters_schema});
    in.tool_choice = req.tool_choice == ToolChoice::none ? COMMON_CHAT_TOOL_CHOICE_NONE : COMMON_CHAT_TOOL_CHOICE_AUTO;
    in.add_generation_prompt = true;
    in.use_jinja = true;

    common_chat_params p;
    try {
        p = common_chat_templates_apply(templates_.get(), in);
    } catch (const std::exception& e) {
        throw RequestError(std::string("the model's chat template cannot render this conversation: ") + e.what());
    }
    RenderedChat out;
    out.prompt = std::move(p.prompt);
    out.stops = p.additional_stops;
    out.format = static_cast<int>(p.format);
    out.generation_prompt = p.generation_prompt;

    const bool calls = !req.tools.empty() && req.tool_choice != ToolChoice::none;
    if (calls) {
        out.parse_tool_calls = true;
        out.parser = p.parser;
        out.preserved_tokens = p.preserved_tokens;
        if (req.tool_choice == ToolChoice::required) {
            out.grammar.gbnf = forced_tool_call_grammar(req.tools);
        } else if (!req.json_schema.empty()) {
            // Either the JSON the client asked for or a tool call: one grammar, applied from the first token.
            out.grammar.gbnf = forced_tool_call_grammar(req.tools, req.json_schema);
        } else if (!p.grammar.empty()) {
            // The model decides: llama.cpp's grammar, dormant until the model starts a call.
            out.grammar.gbnf = p.grammar;
            out.grammar.lazy = p.grammar_lazy;
            if (p.grammar_lazy) add_triggers(p, out.grammar);
        }
    } else if (!req.json_schema.empty()) {
        out.grammar.gbnf = json_schema_grammar(req.json_schema);
    }
    return out;
}

ParsedReply ChatTemplates::parse(const RenderedChat& r, const std::string& text, bool partial) const {
    ParsedReply out;
    out.content = text;
    if (!r.parse_tool_calls) return out;
    try {
        common_chat_parser_params pp;
        pp.format = static_cast<common_chat_format>(r.format);
        pp.generation_prompt = r.generation_prompt;
        pp.parse_tool_calls = true;
        if (!r.parser.empty()) pp.parser.load(r.parser);
        const common_chat_msg msg = common_chat_parse(text, partial, pp);
        out.content = msg.content;
        for (const auto& c : msg.tool_calls) {
            const auto args = nlohmann::json::parse(c.arguments, nullptr, /*allow_exceptions=*/false);
            if (c.name.empty() || !args.is_object()) {
                if (partial) continue;  // the call the cut-off interrupted
                throw std::runtime_error("the call to '" + c.name + "' has arguments that are not a JSON object");
            }
            out.tool_calls.push_back({c.id.empty() ? new_call_id() : c.id, c.name, c.arguments});
        }
    } catch (const std::exception& e) {
        // Malformed model output is still output: hand it back as text.
        spdlog::warn("the reply does not parse as tool calls ({}): returned as content", e.what());
        out.content = text;
        out.tool_calls.clear();
    }
    return out;
}

}  // namespace tsuku::server
