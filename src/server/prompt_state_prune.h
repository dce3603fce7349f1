// `tsuku llm prune`'s part for the prompt cache: removes the saved prompt states ($TSUKU_HOME/cache/kv/) that no
// installed server can load any more — their model file is gone or changed, or their variant (backend and
// tsuku-llm version) is not installed — and any file there that is not a whole state.
#pragma once

#include <filesystem>
#include <vector>

#include "common/home.h"

namespace tsuku::server {

// The files removed. Never throws for the folder's content (a file that cannot be read is removed).
std::vector<std::filesystem::path> prune_prompt_states(const Home& home);

}  // namespace tsuku::server
