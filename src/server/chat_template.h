// The model's chat template through llama.cpp's common library (libllama-common): renders a conversation with
// tools, tool calls and tool results into the prompt, chooses the grammar that constrains the reply, and parses
// tool calls out of the reply (Qwen2.5/Hermes: <tool_call>{"name":…,"arguments":…}</tool_call>).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "server/chat_request.h"
#include "server/grammar.h"

struct llama_model;
struct common_chat_templates;

namespace tsuku::server {

struct RenderedChat {
    std::string prompt;
    GrammarSpec grammar;
    std::vector<std::string> preserved_tokens;  // special tokens of the tool-call format, kept in the output text
    std::vector<std::string> stops;             // extra stop strings of the template
    bool parse_tool_calls = false;
    // What the parser needs: llama.cpp's chat format, its generation prompt and its serialised parser.
    int format = 0;
    std::string generation_prompt;
    std::string parser;
};

struct ParsedReply {
    std::string content;
    std::vector<ToolCallData> tool_calls;  // each with an id (generated when the format has none)
};

class ChatTemplates {
public:
    // The model's own template; ChatML when the model has none. Throws std::runtime_error when neither works.
    explicit ChatTemplates(const llama_model* model);
    ~ChatTemplates();
    ChatTemplates(const ChatTemplates&) = delete;
    ChatTemplates& operator=(const ChatTemplates&) = delete;

    // Thread-safe. Throws RequestError when the conversation cannot be rendered (the message says why).
    RenderedChat render(const ChatRequest& request) const;

    // Splits generated text into content and tool calls. `partial`: the text was cut off (max_tokens), so an
    // unfinished call is dropped rather than reported. Malformed calls stay in the content. Never throws on
    // model output.
    ParsedReply parse(const RenderedChat& rendered, const std::string& text, bool partial) const;

    const std::string& template_used() const noexcept { return template_used_; }  // "model" or "chatml (fallback)"

private:
    struct Free {
        void operator()(common_chat_templates* t) const noexcept;
    };
    std::unique_ptr<common_chat_templates, Free> templates_;
    std::string template_used_;
};

}  // namespace tsuku::server
