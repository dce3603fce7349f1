#include "server/chat_prompt.h"

#include <stdexcept>

#include "llama.h"

namespace tsuku::server {
namespace {

// Returns std::nullopt-like empty optional when llama.cpp does not know the template.
bool apply(const char* tmpl, const std::vector<llama_chat_message>& msgs, std::string& out) {
    std::vector<char> buf(4096);
    for (int attempt = 0; attempt < 2; ++attempt) {
        const int32_t n = llama_chat_apply_template(tmpl, msgs.data(), msgs.size(), /*add_ass=*/true, buf.data(),
                                                    static_cast<int32_t>(buf.size()));
        if (n < 0) return false;
        if (static_cast<size_t>(n) <= buf.size()) {
            out.assign(buf.data(), static_cast<size_t>(n));
            return true;
        }
        buf.resize(static_cast<size_t>(n));
    }
    return false;
}

}  // namespace

ChatPrompt render_chat_prompt(const llama_model* model, const std::vector<ChatTurn>& turns) {
    std::vector<llama_chat_message> msgs;
    msgs.reserve(turns.size());
    for (const auto& t : turns) msgs.push_back({t.role.c_str(), t.content.c_str()});
    ChatPrompt p;
    if (const char* tmpl = llama_model_chat_template(model, nullptr); tmpl && apply(tmpl, msgs, p.text)) {
        p.template_used = "model";
        return p;
    }
    if (!apply("chatml", msgs, p.text)) throw std::logic_error("llama.cpp rejected the built-in chatml template");
    p.template_used = "chatml (fallback)";
    return p;
}

}  // namespace tsuku::server
