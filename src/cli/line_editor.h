// The chat's input line on a terminal: GNU readline (Debian's libreadline-dev) for editing and history. Only
// readline(), add_history() and the signal settings are used, which libedit's readline layer provides as well.
#pragma once

#include <optional>
#include <string>

namespace tsuku::cli {

// One line typed at `prompt`, without its newline; nullopt on Ctrl-D (end of input). Ctrl-C at the prompt is
// ignored: it stops replies, never the chat (Ctrl-D ends it).
std::optional<std::string> read_line(const std::string& prompt);

}  // namespace tsuku::cli
