// tsuku llm chat [--system S] [--max-tokens N] [sampling options] [--model M] [--backend B] [--yes]
// A conversation with the local model on one server. The whole conversation is sent each turn; the server reuses
// the prefix it still holds in its KV cache, so a turn evaluates only what is new (/stats shows how much).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "cli/commands.h"
#include "cli/line_editor.h"
#include "cli/reply_stream.h"
#include "cli/sampling_options.h"
#include "cli/server_start.h"
#include "cli/start_status.h"
#include "client/llm_client.h"
#include "common/error.h"
#include "common/text_input.h"

namespace tsuku::cli {
namespace {

namespace v1 = tsuku::llm::v1;

struct ChatOptions {
    std::string system;
    int max_tokens = 1024;
    Sampling sampling;
    std::string model;
    std::string backend;
    bool yes = false;
    bool quiet = false;
    bool verbose = false;
};

constexpr const char* kHelp =
    "/system TEXT  set the system prompt (and start over)\n"
    "/reset        forget the conversation\n"
    "/stats        tokens and speed of the last reply\n"
    "/help         this list\n"
    "Ctrl-C stops a reply; Ctrl-D (or /exit) ends the chat.\n";

class Chat {
public:
    Chat(Context& ctx, const ChatOptions& o, client::LlmClient& client, bool terminal, StartStatus& status)
        : ctx_(ctx), o_(o), client_(client), terminal_(terminal), status_(status), system_(o.system) {}

    // One line of input: a command or a user turn. False: end the chat.
    bool handle(const std::string& line) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) return true;
        if (line.starts_with("/")) return command(line);
        if (first_invalid_utf8(line)) {
            ctx_.err << "tsuku: that line is not valid UTF-8 and was not sent\n";
            return true;
        }
        turn(line);
        return true;
    }

private:
    bool command(const std::string& line) {
        const auto space = line.find(' ');
        const std::string name = line.substr(0, space);
        const auto from = space == std::string::npos ? space : line.find_first_not_of(' ', space);
        const std::string arg = from == std::string::npos ? "" : line.substr(from);
        if (name == "/exit" || name == "/quit") return false;
        if (name == "/help") {
            ctx_.out << kHelp << std::flush;
        } else if (name == "/reset") {
            messages_.clear();
            ctx_.out << "(conversation forgotten)\n" << std::flush;
        } else if (name == "/system") {
            system_ = arg;
            messages_.clear();
            ctx_.out << (arg.empty() ? "(system prompt cleared; conversation forgotten)\n"
                                     : "(system prompt set; conversation forgotten)\n")
                     << std::flush;
        } else if (name == "/stats") {
            stats();
        } else {
            ctx_.out << "unknown command " << name << "; the commands are:\n" << kHelp << std::flush;
        }
        return true;
    }

    void stats() {
        if (!last_) {
            ctx_.out << "no reply yet\n" << std::flush;
            return;
        }
        const auto& u = last_->usage();
        const double ms = last_->timing().generation_ms();
        char speed[64] = "";
        if (ms > 0 && u.output_tokens() > 0)
            std::snprintf(speed, sizeof speed, ", %.1f tok/s", u.output_tokens() * 1000.0 / ms);
        ctx_.out << "last reply: " << u.input_tokens() << " prompt tokens (" << u.cached_input_tokens() << " cached), "
                 << u.output_tokens() << " generated" << speed << "; stop " << last_->stop_reason() << "\n"
                 << std::flush;
    }

    void turn(const std::string& text) {
        v1::CompletionRequest request;
        request.set_system_prompt(system_);
        request.set_max_tokens(o_.max_tokens);
        apply_sampling(o_.sampling, request);
        for (const auto& m : messages_) *request.add_messages() = m;
        auto* user = request.add_messages();
        user->set_role(v1::ROLE_USER);
        user->set_content(text);

        const auto r = stream_reply(client_, request, StreamOutput{ctx_.out, false, [this] { status_.first_token(); }});
        if (o_.verbose && !r.interrupted) say_speed(ctx_.err, r.final.usage(), r.final.timing());
        if (r.interrupted) {
            if (terminal_) ctx_.err << "(stopped)\n";
        } else {
            last_ = r.final;
        }
        // The conversation goes on from what was shown, a stopped reply included.
        messages_.push_back(*user);
        v1::Message assistant;
        assistant.set_role(v1::ROLE_ASSISTANT);
        assistant.set_content(r.content);
        messages_.push_back(assistant);
    }

    Context& ctx_;
    const ChatOptions& o_;
    client::LlmClient& client_;
    bool terminal_;
    StartStatus& status_;
    std::string system_;
    std::vector<v1::Message> messages_;
    std::optional<v1::CompletionChunk> last_;
};

void run(Context& ctx, const ChatOptions& o) {
    if (first_invalid_utf8(o.system)) {
        throw UserError("the system prompt (--system) is not valid UTF-8", "give UTF-8 text", ExitCode::usage);
    }
    const bool terminal = ::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1;
    StartStatus status(ctx.err, ::isatty(STDERR_FILENO) == 1, verbosity_of(o.quiet, o.verbose));
    // The use lock is held for the whole chat: no other client restarts this server under the conversation.
    const auto started = start_for_reply(ctx, {o.model, o.backend, o.yes, o.quiet}, status);
    status.first_token();  // the chat's own prompt follows: the start line goes now
    client::LlmClient client(started.server.socket);
    Chat chat(ctx, o, client, terminal, status);
    if (terminal) {
        const auto status = client.status(std::chrono::seconds(10));
        ctx.out << "chat with " << status.model_name() << " on " << status.backend()
                << " (/help for commands, Ctrl-D to end)\n"
                << std::flush;
        while (const auto line = read_line("> ")) {
            if (!chat.handle(*line)) return;
        }
        ctx.out << "\n" << std::flush;  // Ctrl-D leaves the cursor on the prompt line
        return;
    }
    // Off a terminal: each line of stdin is a user turn (or a command), each reply goes to stdout.
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.ends_with('\r')) line.pop_back();  // CRLF input
        if (!chat.handle(line)) return;
    }
}

}  // namespace

void add_llm_chat(CLI::App& llm, Context& ctx) {
    auto o = std::make_shared<ChatOptions>();
    auto* cmd = llm.add_subcommand("chat",
                                   "a conversation with the local model (starts the server if needed); off a "
                                   "terminal each line of stdin is a user turn");
    cmd->add_option("--system", o->system, "system prompt (/system changes it during the chat)");
    cmd->add_option("--max-tokens", o->max_tokens, "most tokens per reply")
        ->check(CLI::Range(1, 1 << 20))
        ->capture_default_str();
    add_sampling_options(*cmd, o->sampling);
    cmd->add_option("--model", o->model, "a model name (tsuku llm manifest) or a .gguf path, instead of llm.model");
    cmd->add_option("--backend", o->backend, "try this backend first (as tsuku llm detect --backend)");
    cmd->add_flag("-y,--yes", o->yes, "download a missing variant or model without asking");
    auto* quiet = cmd->add_flag("-q,--quiet", o->quiet, "no notices on stderr (the start status line included)");
    cmd->add_flag("-v,--verbose", o->verbose, "also say how long the start and each reply took")->excludes(quiet);
    cmd->callback([&ctx, o] { run(ctx, *o); });
}

}  // namespace tsuku::cli
