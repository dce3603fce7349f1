// Shared by the llm commands: find or start the server.
#pragma once

#include <filesystem>
#include <optional>

#include "cli/context.h"
#include "lifecycle/server_manager.h"

namespace tsuku::cli {

lifecycle::RunningServer ensure_server(Context& ctx, const std::optional<std::filesystem::path>& model);

}  // namespace tsuku::cli
