#pragma once

#include <string>
#include <string_view>

namespace tsuku::server {

// Replaces every invalid UTF-8 sequence with U+FFFD. Tokens are bytes; a model (above all a synthetic one) can emit
// byte sequences that are not text, and proto3 `string` fields must be valid UTF-8 for clients in every language.
std::string sanitize_utf8(std::string_view in);

// Length of the longest prefix of `s` that does not end inside a UTF-8 sequence (for streaming text safely).
size_t complete_utf8_prefix(std::string_view s);

}  // namespace tsuku::server
