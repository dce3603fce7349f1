// Each command registers itself on the CLI11 tree; its action runs in the subcommand's callback.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace tsuku::cli {

void add_llm_complete(CLI::App& llm, Context& ctx);
void add_llm_chat(CLI::App& llm, Context& ctx);  // a conversation, streamed, on one server
void add_llm_status(CLI::App& llm, Context& ctx);
void add_llm_stop(CLI::App& llm, Context& ctx);
// tsuku llm detect; and the hidden `tsuku __probe` that detect runs in an isolated child.
void add_llm_detect(CLI::App& llm, Context& ctx);
void add_probe_command(CLI::App& app, Context& ctx);
void add_llm_manifest(CLI::App& llm, Context& ctx);
void add_llm_install(CLI::App& llm, Context& ctx);  // install, uninstall, prune
// tsuku llm models: the manifest's models and the files under models/, installed or not, and which one serves.
void add_llm_models(CLI::App& llm, Context& ctx);
// tsuku llm bench: tokens/s of each variant here; --select makes the fastest lead the chain.
void add_llm_bench(CLI::App& llm, Context& ctx);
// tsuku llm serve: an OpenAI-compatible HTTP API over the server tsuku chose, until Ctrl-C.
void add_llm_serve(CLI::App& llm, Context& ctx);

// tsuku config get|set|unset|list
void add_config_commands(CLI::App& app, Context& ctx);

}  // namespace tsuku::cli
