// Grammars that constrain generation (llama.cpp GBNF), built with llama.cpp's own JSON-schema converter
// (libllama-common): a reply that is JSON for a schema, or a forced tool call in the Qwen2.5/Hermes format.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/chat_request.h"

namespace tsuku::server {

// A grammar for the sampler. Lazy grammars constrain nothing until a trigger appears in the output (the model
// decides to call a tool; from "<tool_call>" on, the call must be well formed).
struct GrammarSpec {
    std::string gbnf;  // empty: unconstrained
    bool lazy = false;
    std::vector<std::string> trigger_patterns;  // regular expressions over the generated text
    std::vector<int32_t> trigger_tokens;
};

// The whole reply is one JSON value valid for `schema` (a JSON schema object). Throws RequestError when the schema
// cannot be turned into a grammar (e.g. an unresolvable $ref), naming the problem.
std::string json_schema_grammar(const std::string& schema);

// The whole reply is exactly one tool call to one of `tools`, with arguments valid for its parameters_schema:
//   <tool_call>\n{"name": "<tool>", "arguments": {...}}\n</tool_call>
// With `content_schema`, the reply may instead be a JSON value for that schema. Throws RequestError.
std::string forced_tool_call_grammar(const std::vector<ToolSpec>& tools, const std::string& content_schema = "");

}  // namespace tsuku::server
