// Which server executable and which model a launch uses.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "cli/context.h"

namespace tsuku::cli {

struct LaunchPlan {
    std::string backend;
    std::filesystem::path executable;
    std::filesystem::path model;
};

// The folder tsuku was built/installed into: <prefix>/bin/tsuku, <prefix>/variants/<backend>/, <prefix>/models/.
std::filesystem::path tsuku_prefix();

// `model`: a GGUF path chosen by the user, or empty for the built-in default.
LaunchPlan plan_launch(const Context& ctx, const std::optional<std::filesystem::path>& model);

}  // namespace tsuku::cli
