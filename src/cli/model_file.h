// A model given as a path (--model, llm.model, TSUKU_LLM_MODEL) must be a readable regular GGUF file: checked when
// it is set and before a server starts, so a folder, a FIFO or a device is named for what it is.
#pragma once

#include <filesystem>
#include <string>

namespace tsuku::cli {

// Throws UserError naming `source` (e.g. "--model", "llm.model") and what is wrong with the file, with the fix;
// exit code `usage` when `for_setting` (config set), else failure.
void check_model_file(const std::filesystem::path& path, const std::string& source, bool for_setting);

}  // namespace tsuku::cli
