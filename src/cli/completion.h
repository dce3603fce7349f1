// tsuku completion bash|zsh|fish: a shell completion script generated from the CLI11 command tree itself, so every
// command and option registered is completed and there is no second list to keep.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "cli/context.h"

namespace tsuku::cli {

// The script for `shell` ("bash", "zsh" or "fish") completing the commands and options under `root`.
std::string completion_script(const CLI::App& root, const std::string& shell);

void add_completion_command(CLI::App& root, Context& ctx);

}  // namespace tsuku::cli
