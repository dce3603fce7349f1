// The CLI11 application both entry points share: the light commands, the error handling and the exit codes.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace tsuku::cli {

struct App {
    CLI::App root{"tsuku: local LLM inference on the best backend this machine can really use"};
    CLI::App* llm = nullptr;
};

// Creates the tree with the light commands (detect, manifest, config, __probe, --version): those run without
// gRPC, the network or archives.
void add_light_commands(App& app, Context& ctx);

// Parses and runs; turns errors into the message (problem + fix) and the exit code.
int run(App& app, int argc, char** argv);

}  // namespace tsuku::cli
