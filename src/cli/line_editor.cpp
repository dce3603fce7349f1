#include "cli/line_editor.h"

#include <readline/history.h>
#include <readline/readline.h>
#include <signal.h>

#include <cstdlib>
#include <memory>

namespace tsuku::cli {

std::optional<std::string> read_line(const std::string& prompt) {
    // Ignored while typing (readline then leaves SIGINT alone); the previous action returns for the reply.
    struct sigaction ignore {
    }, previous{};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGINT, &ignore, &previous);
    std::unique_ptr<char, decltype(&std::free)> line(::readline(prompt.c_str()), &std::free);
    ::sigaction(SIGINT, &previous, nullptr);
    if (!line) return std::nullopt;
    std::string text(line.get());
    if (text.find_first_not_of(" \t") != std::string::npos) ::add_history(line.get());
    return text;
}

}  // namespace tsuku::cli
