// The bearer token of `tsuku llm serve --token-file`: read from a file only its owner can read (a token on the
// command line would show in ps), compared in constant time (no timing oracle for a guesser).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace tsuku::gateway {

// The token: the file's content without surrounding whitespace. Throws UserError when the file is missing, readable
// or writable by group or others (the fix says chmod 600), empty, over 4 KiB, or holds whitespace inside the token.
std::string read_token_file(const std::filesystem::path& file);

// Constant time in the content of both (the length of `expected` is not secret-dependent work).
bool tokens_equal(std::string_view given, std::string_view expected);

// Whether an Authorization header carries "Bearer <token>".
bool bearer_matches(std::string_view authorization, std::string_view token);

}  // namespace tsuku::gateway
