// The shared libraries mapped into this process, read from /proc/self/maps: the variant's own report
// (`tsuku-llm version --json`) shows what its backend check loaded, e.g. that a cuda variant refused on a machine
// without a usable device never mapped cuBLAS.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tsuku::server {

// File names (no folder) of the mapped shared objects ("libc.so.6", "libggml-cuda.so"), sorted, each once.
// An unreadable maps file gives an empty list.
std::vector<std::string> mapped_libraries(const std::filesystem::path& maps = "/proc/self/maps");

}  // namespace tsuku::server
