// Turns a conversation into the model's prompt text with the model's own chat template (through llama.cpp), with
// ChatML as the fallback for models without a template llama.cpp recognises.
#pragma once

#include <string>
#include <vector>

struct llama_model;

namespace tsuku::server {

struct ChatTurn {
    std::string role;  // "system" | "user" | "assistant" | "tool"
    std::string content;
};

struct ChatPrompt {
    std::string text;
    std::string template_used;  // "model" or "chatml (fallback)"
};

ChatPrompt render_chat_prompt(const llama_model* model, const std::vector<ChatTurn>& turns);

}  // namespace tsuku::server
