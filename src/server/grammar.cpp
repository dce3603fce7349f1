#include "server/grammar.h"

// llama.cpp's common library (libllama-common.so); its JSON type keeps the vendored nlohmann behind a pimpl.
#include "common/text.h"
#include "json-schema-to-grammar.h"
#include "json.h"

namespace tsuku::server {
namespace {

common_json parse_schema(const std::string& text, const std::string& what) {
    try {
        return common_json::parse(text);
    } catch (const std::exception& e) {
        throw RequestError(what + " is not valid JSON: " + e.what());
    }
}

// Two of llama.cpp's JSON rules, tightened so every document ends and every parser can read it:
// - between tokens it allows up to two newlines and twenty tabs or spaces: a model (and, on the synthetic model,
//   noise) can spend its whole budget there and leave the document unfinished. One optional space remains.
// - an exponent of up to 16 digits: 1e9999 is valid JSON that no double holds (parsers refuse it). Two digits remain.
// - any \uXXXX escape, lone UTF-16 surrogates (\udc00) included, which parsers refuse. Surrogate escapes are left
//   out (the character itself, as UTF-8, is still allowed).
std::string tame_json_rules(std::string gbnf) {
    const auto rewrite_line = [&gbnf](const std::string& head, const std::string& from, const std::string& to) {
        for (size_t at = 0; at < gbnf.size();) {
            const size_t end = std::min(gbnf.find('\n', at), gbnf.size());
            if (gbnf.compare(at, head.size(), head) == 0) {
                if (from.empty()) {
                    gbnf.replace(at + head.size(), end - at - head.size(), to);
                } else if (const size_t f = gbnf.find(from, at); f != std::string::npos && f < end) {
                    gbnf.replace(f, from.size(), to);
                }
                return;
            }
            at = end + 1;
        }
    };
    rewrite_line("space ::= ", "", "| \" \"");
    rewrite_line("char ::= ", "\"u\" [0-9a-fA-F]{4}",
                 "\"u\" ([0-9a-cA-Ce-fE-F] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2})");
    rewrite_line("number ::= ", "([eE] [-+]? integral-part)", "([eE] [-+]? [0-9]{1,2})");
    return gbnf;
}

}  // namespace

std::string json_schema_grammar(const std::string& schema) {
    const auto j = parse_schema(schema, "json_schema");
    try {
        return tame_json_rules(json_schema_to_grammar(j, /*force_gbnf=*/true));
    } catch (const std::exception& e) {
        throw RequestError(std::string("json_schema cannot be enforced: ") + e.what());
    }
}

std::string forced_tool_call_grammar(const std::vector<ToolSpec>& tools, const std::string& content_schema) {
    if (tools.empty()) throw RequestError("a tool call is required but the request has no tools");
    std::vector<common_json> schemas;
    for (const auto& t : tools) schemas.push_back(parse_schema(t.parameters_schema, "the parameters of " + t.name));
    common_json content;
    if (!content_schema.empty()) content = parse_schema(content_schema, "json_schema");
    try {
        return tame_json_rules(build_grammar([&](const common_grammar_builder& b) {
            std::string calls;
            for (size_t i = 0; i < tools.size(); ++i) {
                const std::string rule = "tool-" + std::to_string(i);
                b.resolve_refs(schemas[i]);
                const std::string args = b.add_schema(rule + "-args", schemas[i]);
                // The exact layout Qwen2.5 writes; the name as a JSON string literal.
                const std::string head = "{\"name\": " + common_json::make(tools[i].name).dump() + ", \"arguments\": ";
                const std::string call = b.add_rule(rule, gbnf_format_literal(head) + " " + args + " \"}\"");
                append_listed(calls, " | ", call);
            }
            const std::string tool_call =
                b.add_rule("tool-call", "\"<tool_call>\\n\" ( " + calls + " ) \"\\n</tool_call>\"");
            if (content_schema.empty()) {
                b.add_rule("root", tool_call);
            } else {
                b.resolve_refs(content);
                b.add_rule("root", tool_call + " | " + b.add_schema("content", content));
            }
        }));
    } catch (const std::exception& e) {
        throw RequestError(std::string("the tool parameters cannot be enforced: ") + e.what());
    }
}

}  // namespace tsuku::server
