// tsuku llm complete [PROMPT…|-] [--system S] [--max-tokens N] [--schema S] [--tools T] [--tool-choice C] [--json]
//                    [--stream|--no-stream] [--temperature T] [--top-p P] [--seed N] [--stop S]… [--model M]
//                    [--backend B] [--yes]
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/reply_stream.h"
#include "cli/sampling_options.h"
#include "cli/server_start.h"
#include "cli/start_status.h"
#include "client/llm_client.h"
#include "common/error.h"
#include "common/fd_io.h"
#include "common/text.h"
#include "common/text_input.h"
#include "schema/schema_check.h"

namespace tsuku::cli {
namespace {

struct CompleteOptions {
    std::vector<std::string> prompt;
    std::string system;
    int max_tokens = 256;
    bool json = false;
    std::string schema;  // JSON text or a file holding it
    std::string tools;   // the same, a JSON array of {name, description, parameters}
    std::string tool_choice;
    std::string model;
    std::string backend;
    bool yes = false;
    bool stream = false;     // --stream: with --json, one JSON object per chunk
    bool no_stream = false;  // --no-stream: the whole reply in one write
    Sampling sampling;
    bool quiet = false;
    bool verbose = false;
};

// Far more than any model's context holds (4096 tokens are ~16 KiB of text); a larger input is a mistake.
constexpr size_t kPromptLimit = 8u << 20;
constexpr size_t kJsonFileLimit = 1u << 20;  // --schema, --tools

std::string read_stdin() { return read_bounded_file("-", kPromptLimit, "the prompt"); }

// Text the model gets must be UTF-8: refused here with the offset, never an empty RPC error.
void require_utf8(const std::string& text, const std::string& what) {
    if (const auto at = first_invalid_utf8(text)) {
        throw UserError(what + " is not valid UTF-8 (byte " + std::to_string(*at) + ")",
                        "convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8 FILE) or remove the invalid bytes",
                        ExitCode::usage);
    }
}

// A file redirected to stdin (`< notes.txt`) is part of the prompt; a pipe only when asked for with '-', so a
// script with an idle inherited pipe never hangs.
bool stdin_is_regular_file() {
    struct stat st {};
    return ::fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode);
}

// A pipe on stdin that holds data nobody asked for: the user probably meant it to be part of the prompt.
bool stdin_is_pipe_with_data() {
    struct stat st {};
    if (::fstat(STDIN_FILENO, &st) != 0 || !S_ISFIFO(st.st_mode)) return false;
    pollfd p{STDIN_FILENO, POLLIN, 0};
    int available = 0;
    return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) && ::ioctl(STDIN_FILENO, FIONREAD, &available) == 0 &&
           available > 0;
}

std::string assemble_prompt(const std::vector<std::string>& parts, std::ostream* notices) {
    std::string text;
    bool used_stdin = false;
    for (const auto& p : parts) {
        if (!text.empty()) text += "\n\n";
        if (p == "-") {
            if (used_stdin) throw UserError("'-' appears twice", "read standard input once", ExitCode::usage);
            text += read_stdin();
            used_stdin = true;
        } else {
            text += p;
        }
    }
    if (!used_stdin && stdin_is_regular_file()) {
        const std::string in = read_stdin();
        if (!in.empty()) append_listed(text, "\n\n", in);
    } else if (!used_stdin && notices && stdin_is_pipe_with_data()) {
        *notices << "tsuku: standard input (a pipe) was not read; to include it in the prompt, add '-' where it "
                    "belongs: ... | tsuku llm complete \"Summarise:\" -\n";
    }
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
        throw UserError("the prompt is empty", "give a prompt, e.g. tsuku llm complete \"Hello\", or '-' to read stdin",
                        ExitCode::usage);
    }
    return text;
}

// `value` is JSON when it starts like JSON, otherwise the path of a file that holds it. Checked here so a typo is
// reported before any server starts.
nlohmann::json json_argument(const std::string& option, const std::string& value) {
    const auto first = value.find_first_not_of(" \t\r\n");
    std::string text = value;
    if (first == std::string::npos || (value[first] != '{' && value[first] != '[')) {
        std::error_code ec;
        if (!std::filesystem::exists(value, ec)) {
            throw UserError(option + " '" + value + "' is neither JSON nor a readable file",
                            "give the JSON itself or the path of a file that holds it", ExitCode::usage);
        }
        text = read_bounded_file(value, kJsonFileLimit, option);
    }
    auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
        throw UserError(option + " is not valid JSON", "check the JSON (e.g. with `jq . FILE`)", ExitCode::usage);
    }
    return j;
}

// The server refuses a schema its grammars cannot honour (schema/schema_check.h); say so before a server starts.
const nlohmann::json& checked_schema(const std::string& what, const nlohmann::json& schema) {
    if (const auto p = schema::find_unenforceable(schema))
        throw UserError(what + ": " + p->message(), p->fix, ExitCode::usage);
    return schema;
}

void add_tools(tsuku::llm::v1::CompletionRequest& request, const nlohmann::json& tools) {
    const std::string fix =
        R"(give a JSON array like [{"name": "get_weather", "description": "...", "parameters": {...}}])";
    if (!tools.is_array()) throw UserError("--tools is not a JSON array", fix, ExitCode::usage);
    for (const auto& t : tools) {
        if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) {
            throw UserError("--tools has an entry without a string \"name\"", fix, ExitCode::usage);
        }
        auto* def = request.add_tools();
        def->set_name(t["name"].get<std::string>());
        if (t.contains("description") && t["description"].is_string()) {
            def->set_description(t["description"].get<std::string>());
        }
        if (t.contains("parameters")) {
            def->set_parameters_schema(checked_schema("--tools: " + def->name(), t["parameters"]).dump());
        }
    }
}

void print_json(Context& ctx, const tsuku::llm::v1::CompletionResponse& response) {
    nlohmann::json j = {{"content", response.content()},
                        {"stop_reason", response.stop_reason()},
                        {"usage", usage_json(response.usage())},
                        {"timing", timing_json(response.timing())},
                        {"tool_calls", nlohmann::json::array()}};
    for (const auto& t : response.tool_calls()) {
        j["tool_calls"].push_back({{"id", t.id()}, {"name", t.name()}, {"arguments_json", t.arguments_json()}});
    }
    ctx.out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n" << std::flush;
}

// One write(2) when `out` is this process's stdout: stdio's line buffering on a terminal would split the text at its
// newlines. Another stream (a test's) gets the text as it is.
void write_at_once(std::ostream& out, const std::string& text) {
    if (&out != &std::cout) {
        out << text << std::flush;
        return;
    }
    std::cout.flush();
    std::fflush(stdout);
    if (write_all(STDOUT_FILENO, text) != 0) out.setstate(std::ios::badbit);  // a closed pipe: nobody reads it
}

// The whole reply at once (--no-stream, --json): one write. Ctrl-C still cancels the generation.
void run_whole(Context& ctx, client::LlmClient& client, const tsuku::llm::v1::CompletionRequest& request, bool json,
               bool verbose, const std::function<void()>& on_reply) {
    client::Cancellation cancel;
    tsuku::llm::v1::CompletionResponse response;
    try {
        InterruptWatch watch([&cancel] { cancel.cancel(); });
        response = client.complete(request, std::chrono::minutes(30), &cancel);
    } catch (const client::CallCancelled&) {
        on_reply();
        throw Interrupted{};
    }
    on_reply();
    if (verbose) say_speed(ctx.err, response.usage(), response.timing());
    if (response.stop_reason() == "cancelled") {
        ctx.err << "tsuku: the server was stopped during this request; the reply is cut short\n";
    }
    if (json) return print_json(ctx, response);
    std::string text = response.content();
    if (text.empty() || text.back() != '\n') text += "\n";
    for (const auto& t : response.tool_calls()) text += tool_call_line(t) + "\n";
    write_at_once(ctx.out, text);
}

void run(Context& ctx, const CompleteOptions& o) {
    tsuku::llm::v1::CompletionRequest request;
    require_utf8(o.system, "the system prompt (--system)");
    request.set_system_prompt(o.system);
    request.set_max_tokens(o.max_tokens);
    if (!o.schema.empty())
        request.set_json_schema(checked_schema("--schema", json_argument("--schema", o.schema)).dump());
    if (!o.tools.empty()) add_tools(request, json_argument("--tools", o.tools));
    request.set_tool_choice(o.tool_choice);
    apply_sampling(o.sampling, request);
    auto* m = request.add_messages();
    m->set_role(tsuku::llm::v1::ROLE_USER);
    m->set_content(assemble_prompt(o.prompt, o.quiet ? nullptr : &ctx.err));
    require_utf8(m->content(), "the prompt");

    StartStatus status(ctx.err, ::isatty(STDERR_FILENO) == 1, verbosity_of(o.quiet, o.verbose));
    // Holds the server's use lock until the reply is in: no other client restarts it meanwhile.
    const auto started = start_for_reply(ctx, {o.model, o.backend, o.yes, o.quiet}, status);
    client::LlmClient client(started.server.socket);
    if (o.no_stream || (o.json && !o.stream)) {
        run_whole(ctx, client, request, o.json, o.verbose, [&status] { status.first_token(); });
        return;
    }

    const auto r = stream_reply(client, request, StreamOutput{ctx.out, o.json, [&status] { status.first_token(); }});
    if (o.verbose && !r.interrupted) say_speed(ctx.err, r.final.usage(), r.final.timing());
    if (r.interrupted) throw Interrupted{};
    if (r.final.stop_reason() == "cancelled") {
        ctx.err << "tsuku: the server was stopped during this request; the reply is cut short\n";
    }
}

}  // namespace

void add_llm_complete(CLI::App& llm, Context& ctx) {
    auto o = std::make_shared<CompleteOptions>();
    auto* cmd = llm.add_subcommand("complete", "complete a prompt with the local model (starts the server if needed)");
    cmd->add_option("prompt", o->prompt,
                    "the prompt; '-' reads standard input (a file redirected to stdin is "
                    "appended automatically)");
    cmd->add_option("--system", o->system, "system prompt");
    cmd->add_option("--max-tokens", o->max_tokens, "most tokens to generate")
        ->check(CLI::Range(1, 1 << 20))
        ->capture_default_str();
    cmd->add_flag("--json", o->json,
                  "print the response as one JSON object (content, stop_reason, usage, timing, tool_calls)");
    auto* stream = cmd->add_flag("--stream", o->stream,
                                 "with --json: print one JSON object per chunk as it arrives (NDJSON; the last has "
                                 "stop_reason, usage, timing and tool_calls). Text output streams by default");
    cmd->add_flag("--no-stream", o->no_stream, "print the reply in one write when it is complete")->excludes(stream);
    add_sampling_options(*cmd, o->sampling);
    cmd->add_option("--schema", o->schema,
                    "constrain the reply to JSON valid for this JSON schema (the schema, or a file holding it)");
    cmd->add_option("--tools", o->tools,
                    "tools the model may call: a JSON array of {name, description, parameters} (or a file); each "
                    "call prints as `tool call: NAME {arguments}`");
    cmd->add_option("--tool-choice", o->tool_choice, "auto, none or required")
        ->default_str("auto")
        ->check(CLI::IsMember({"auto", "none", "required"}));
    cmd->add_option("--model", o->model,
                    "a model name (tsuku llm manifest) or a .gguf path, instead of llm.model (takes effect when the "
                    "server starts)");
    cmd->add_option("--backend", o->backend,
                    "try this backend first for this call (as tsuku llm detect --backend); a running server on "
                    "another backend is restarted");
    cmd->add_flag("-y,--yes", o->yes, "download a missing variant or model without asking");
    auto* quiet = cmd->add_flag("-q,--quiet", o->quiet, "no notices on stderr (the start status line included)");
    cmd->add_flag("-v,--verbose", o->verbose, "also say how long the start, the first token and the reply took")
        ->excludes(quiet);
    cmd->callback([&ctx, o] { run(ctx, *o); });
}

}  // namespace tsuku::cli
