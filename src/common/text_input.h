// Input the CLI reads from the user (prompt text, schema and tool files): bounded, and checked to be text before it
// reaches the server, so a mistake is named here with its offset and limit rather than as an RPC error.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace tsuku {

// The byte offset of the first byte that does not start or continue a valid UTF-8 sequence (overlong forms,
// surrogates and code points past U+10FFFF are invalid); nullopt when `s` is valid UTF-8.
std::optional<size_t> first_invalid_utf8(std::string_view s);

// Reads a regular file (or standard input for "-") of at most `limit` bytes. UserError (usage) naming `what`, the
// path and the limit for anything else: a FIFO, a device, a folder, a larger file.
std::string read_bounded_file(const std::filesystem::path& path, size_t limit, const std::string& what);

}  // namespace tsuku
