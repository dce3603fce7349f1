#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tsuku::server {

// The DT_NEEDED entries of an ELF64 shared library (its direct dependencies), read from the file without loading
// it. Empty when the file is not a readable ELF64 object.
std::vector<std::string> elf_needed(const std::filesystem::path& library);

}  // namespace tsuku::server
